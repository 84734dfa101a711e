package attrib

import (
	"slices"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/units"
)

// base is a clean step of a pool server at 50 clients.
func base() Step {
	return Step{
		Clients: 50, DurationS: 3, Requests: 90000, OK: 90000, SuccessRate: 1, RPS: 30000,
		LatencyMS: Latency{P50: 1.6, P99: 3, Mean: 1.66, Max: 9},
		ConnectMS: Latency{P50: 0.05, P99: 0.2, Max: 0.4},
		Errors:    map[string]int64{},
		Server: ServerEvidence{CPUPct: 60, Cores: 1, FDsMax: 60, NoFile: 1024, Workers: 64, BusyWorkersMax: 50, QueueCap: 64,
			HandlerMS: Latency{P50: 0.01, P99: 0.05}, Backlog: 1024},
		Driver: DriverEvidence{CPUPct: 40, CPUs: 1},
		Kernel: KernelEvidence{PortRangeSize: Of(28232)},
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name      string
		step      func(s *Step)
		earlier   []Step
		wantState State
		wantLimit Limit
		wantAlso  []Limit
		wantFacts []string // substrings that must appear in the evidence
	}{
		{name: "clean", step: func(s *Step) {}, wantState: Clean, wantLimit: None},
		{
			name: "fd: accept EMFILE at nofile",
			step: func(s *Step) {
				s.Clients, s.OK, s.SuccessRate = 500, 57672, 0.6408
				s.Errors["read_timeout"] = 32328
				s.Server.NoFile, s.Server.FDsMax = 256, 256
				s.Server.AcceptErrors = map[string]int64{"EMFILE": 340}
			},
			wantState: Dropped, wantLimit: FD,
			wantFacts: []string{"success 64.08% < threshold 99.00%", "server accept EMFILE: 340", "server open fds 256 of nofile 256"},
		},
		{
			name: "fd: the driver's own",
			step: func(s *Step) {
				s.OK, s.SuccessRate = 80000, 0.8889
				s.Errors["too_many_open_files"] = 10000
			},
			wantState: Dropped, wantLimit: FD,
			wantFacts: []string{"driver could not open sockets, EMFILE (too_many_open_files): 10,000"},
		},
		{
			name: "port: EADDRNOTAVAIL with TIME_WAIT at the range",
			step: func(s *Step) {
				s.OK, s.SuccessRate = 16384, 0.0209
				s.Requests = 783000
				s.Errors["addr_unavailable"] = 766616
				s.Kernel.TimeWait, s.Kernel.PortRangeSize = Of(16380), Of(16384)
			},
			wantState: Dropped, wantLimit: Port,
			wantFacts: []string{"EADDRNOTAVAIL (addr_unavailable): 766,616", "TIME_WAIT 16,380 of 16,384 ephemeral ports (100%)"},
		},
		{
			name: "port: TIME_WAIT fills the range and connect slows before any EADDRNOTAVAIL",
			step: func(s *Step) {
				s.Clients, s.Requests, s.OK, s.RPS = 1, 16143, 16143, 1614
				s.Timeline = timeline(8394, 843, 888, 833, 857, 858, 807, 883, 907, 873)
				s.ConnectMS = Latency{P50: 1.05, P99: 2.2, Max: 4}
				s.Kernel.TimeWait, s.Kernel.PortRangeSize = Of(16144), Of(16384)
				s.Driver.CPUPct = 95
			},
			wantState: Dropped, wantLimit: Port, wantAlso: []Limit{Client},
			wantFacts: []string{"throughput collapsed within the step: 8,394 requests in second 1", "TIME_WAIT 16,144 of 16,384 ephemeral ports (99%)",
				"connect p50 1.05 ms"},
		},
		{
			name:    "busy workers on a full CPU are the CPU's limit",
			earlier: []Step{{Clients: 50, RPS: 136000, LatencyMS: Latency{P50: 0.3}}},
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 200, 137000, 411000, 411000
				s.LatencyMS = Latency{P50: 1.4, P99: 2.8, Mean: 1.45}
				s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueMax, s.Server.CPUPct = 16, 16, 12, 99
			},
			wantState: Saturated, wantLimit: CPU,
			wantFacts: []string{"server CPU 99% of 1 core"},
		},
		{
			name: "backlog: overflows and one-second connects",
			step: func(s *Step) {
				s.Clients, s.OK, s.SuccessRate = 1000, 88000, 0.9778
				s.Errors["connect_timeout"] = 2000
				s.ConnectMS = Latency{P50: 0.1, P99: 1030, Max: 3050}
				s.Kernel.ListenOverflows, s.Kernel.ListenDrops = Of(1200), Of(1200)
				s.Server.Backlog, s.Server.ListenQueueMax = 128, 129
			},
			wantState: Dropped, wantLimit: Backlog,
			wantFacts: []string{"TcpExt ListenOverflows +1,200", "listen queue peaked at 129 of backlog 128", "SYNs retransmitted", "connect timeouts: 2,000"},
		},
		{
			name: "queueing: starved keep-alive clients behind a full pool",
			step: func(s *Step) {
				s.Clients, s.ClientsStarved = 500, 484
				s.RPS, s.Requests, s.OK, s.SuccessRate = 29000, 87242, 87000, 0.9972
				s.LatencyMS = Latency{P50: 0.5, P99: 2000, Mean: 17.2}
				s.Errors["read_timeout"] = 242
				s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap, s.Server.QueueMax = 16, 16, 64, 64
				s.Server.ListenQueueMax = 420
			},
			wantState: Dropped, wantLimit: Queueing,
			wantFacts: []string{"484 of 500 clients got no answer", "workers busy 16/16", "queue 64/64", "420 connections waiting", "≈ 16 served clients / 29,000 rps = 0.552 ms (Little's law)"},
		},
		{
			name:    "queueing: saturation with a sleeping handler",
			earlier: []Step{{Clients: 16, RPS: 1580, LatencyMS: Latency{P50: 10.1}}},
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 128, 1590, 4770, 4770
				s.LatencyMS = Latency{P50: 80, P99: 95, Mean: 80.5}
				s.Server.CPUPct = 5
				s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap, s.Server.QueueMax = 16, 16, 64, 64
				s.Server.HandlerMS = Latency{P50: 10.1, P99: 10.4}
			},
			wantState: Saturated, wantLimit: Queueing,
			wantFacts: []string{"throughput flat", "latency 80.50 ms ≈ 128 clients / 1,590 rps = 80.50 ms (Little's law)"},
		},
		{
			name:    "cpu: flat throughput at a full core",
			earlier: []Step{{Clients: 50, RPS: 42000, LatencyMS: Latency{P50: 1.2}}},
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 200, 43000, 129000, 129000
				s.LatencyMS = Latency{P50: 4.6, P99: 9, Mean: 4.65}
				s.Server.Workers, s.Server.BusyWorkersMax = 0, 0
				s.Server.CPUPct = 99
			},
			wantState: Saturated, wantLimit: CPU,
			wantFacts: []string{"server CPU 99% of 1 core"},
		},
		{
			name:    "cpu and client both full: cpu is the verdict, client listed",
			earlier: []Step{{Clients: 50, RPS: 90000, LatencyMS: Latency{P50: 0.5}}},
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 1000, 70000, 210000, 210000
				s.LatencyMS = Latency{P50: 14, P99: 30, Mean: 14.2}
				s.Server.Workers, s.Server.BusyWorkersMax = 0, 0
				s.Server.CPUPct, s.Driver.CPUPct = 97, 99
			},
			wantState: Dropped, wantLimit: CPU, wantAlso: []Limit{Client},
			wantFacts: []string{"throughput fell to 70,000 rps from 90,000 rps", "server CPU 97% of 1 core"},
		},
		{
			name:    "cpu: the server's core full of other work",
			earlier: []Step{{Clients: 4, RPS: 1595, LatencyMS: Latency{P50: 2.4}}},
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 64, 1477, 4431, 4431
				s.LatencyMS = Latency{P50: 43, P99: 57, Mean: 43}
				s.Server.Workers, s.Server.BusyWorkersMax = 0, 0
				s.Server.CPUPct, s.Kernel.ServerCPUsTasksPct = 50, Of(99)
				s.Server.HandlerMS = Latency{P50: 0.3, P99: 0.9}
			},
			wantState: Saturated, wantLimit: CPU,
			wantFacts: []string{"server's 1 core busy 99%, the server itself 50%: the core was full, shared with other work"},
		},
		{
			name: "client: idle server, far slower driver",
			step: func(s *Step) {
				s.Clients, s.OK, s.SuccessRate = 10000, 95000, 0.95
				s.Errors["read_timeout"] = 5000
				s.LatencyMS = Latency{P50: 40, P99: 1942, Mean: 90}
				s.Server.Workers, s.Server.BusyWorkersMax = 0, 0
				s.Server.CPUPct = 35
				s.Server.HandlerMS = Latency{P50: 1, P99: 3}
				s.Driver.CPUPct, s.Kernel.ClientRecvQBytesMid = 70, Of(7987)
			},
			wantState: Dropped, wantLimit: Client,
			wantFacts: []string{"driver p99 1,942 ms vs server handler p99 3.00 ms", "7,987 bytes unread"},
		},
		{
			name: "mixed: fd first, port and backlog listed",
			step: func(s *Step) {
				s.OK, s.SuccessRate = 45000, 0.5
				s.Server.AcceptErrors = map[string]int64{"EMFILE": 10, "ECONNABORTED": 3}
				s.Errors["addr_unavailable"] = 5
				s.Kernel.ListenOverflows = Of(7)
			},
			wantState: Dropped, wantLimit: FD, wantAlso: []Limit{Port, Backlog},
			wantFacts: []string{"server accept EMFILE: 10"},
		},
		{
			name: "drop with no moving evidence is said so",
			step: func(s *Step) {
				s.OK, s.SuccessRate = 80000, 0.8889
				s.Errors["bad_response"] = 10000
			},
			wantState: Dropped, wantLimit: None,
			wantFacts: []string{"the lab cannot name the cause"},
		},
		{
			name: "clean step keeps moved limits as notes only",
			step: func(s *Step) {
				s.Driver.CPUPct = 99
			},
			wantState: Clean, wantLimit: None, wantAlso: []Limit{Client},
		},
		{
			name:    "throughput fall alone is a drop",
			earlier: []Step{{Clients: 50, RPS: 40000, LatencyMS: Latency{P50: 1}}},
			step: func(s *Step) {
				s.Clients, s.RPS = 200, 30000
				s.Server.CPUPct = 99
				s.Server.Workers = 0
			},
			wantState: Dropped, wantLimit: CPU,
			wantFacts: []string{"(-25%)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.step(&s)
			v := Judge(s, tt.earlier, 0.99)
			if v.State != tt.wantState || v.Limit != tt.wantLimit {
				t.Fatalf("Judge = %s/%s, want %s/%s\nevidence: %q\nalso: %+v", v.State, v.Limit, tt.wantState, tt.wantLimit, v.Evidence, v.Also)
			}
			var also []Limit
			for _, f := range v.Also {
				also = append(also, f.Limit)
			}
			if !slices.Equal(also, tt.wantAlso) {
				t.Errorf("also = %v, want %v", also, tt.wantAlso)
			}
			joined := strings.Join(v.Evidence, "\n")
			for _, fact := range tt.wantFacts {
				if !strings.Contains(joined, fact) {
					t.Errorf("evidence lacks %q:\n%s", fact, joined)
				}
			}
			if v.State != Clean && len(v.Evidence) == 0 {
				t.Error("a step that is not clean must carry evidence")
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	mk := func(c int, rps units.PerSecond, succ units.Ratio) Step {
		return Step{Clients: c, RPS: rps, SuccessRate: succ, Requests: 1, OK: 1}
	}
	steps := []Step{mk(20, 200, 1), mk(50, 500, 1), mk(100, 1000, 1), mk(200, 2000, 0.9951), mk(500, 3333, 0.6408)}
	verdicts := []Judgment{{State: Clean}, {State: Clean}, {State: Clean}, {State: Clean}, {State: Dropped, Reason: "success 64.08%", Verdict: Verdict{Limit: FD}}}
	tests := []struct {
		name       string
		hypothesis Limit
		want       Outcome
	}{
		{"matching hypothesis", FD, Confirmed},
		{"other hypothesis", Queueing, Refuted},
		{"expected none", None, Refuted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum := Summarize(steps, verdicts, tt.hypothesis)
			if sum.Hypothesis != tt.want {
				t.Fatalf("hypothesis %s: got %s (%s)", tt.hypothesis, sum.Hypothesis, sum.Note)
			}
			if sum.SweetSpot == nil || sum.SweetSpot.Clients != 200 {
				t.Errorf("sweet spot = %+v, want 200 clients", sum.SweetSpot)
			}
			if sum.BreakingPoint == nil || sum.BreakingPoint.Clients != 500 || sum.BreakingPoint.Limit != FD {
				t.Errorf("breaking point = %+v, want 500 clients, fd", sum.BreakingPoint)
			}
			if sum.Next != NextRung(FD) {
				t.Errorf("next = %q", sum.Next)
			}
		})
	}
	t.Run("no drop confirms none", func(t *testing.T) {
		sum := Summarize(steps[:4], verdicts[:4], None)
		if sum.Hypothesis != Confirmed || sum.BreakingPoint != nil {
			t.Fatalf("got %+v", sum)
		}
	})
	t.Run("saturation decides without a drop", func(t *testing.T) {
		v := []Judgment{{State: Clean}, {State: Clean}, {State: Saturated, Verdict: Verdict{Limit: CPU}}, {State: Saturated, Verdict: Verdict{Limit: CPU}}}
		flat := []Step{mk(50, 40000, 1), mk(100, 42000, 1), mk(200, 42500, 1), mk(400, 42600, 1)}
		sum := Summarize(flat, v, CPU)
		if sum.Hypothesis != Confirmed || sum.SweetSpot.Clients != 100 {
			t.Fatalf("got %+v sweet %+v", sum, sum.SweetSpot)
		}
	})
	t.Run("nothing reached refutes a limit", func(t *testing.T) {
		sum := Summarize(steps[:2], verdicts[:2], Backlog)
		if sum.Hypothesis != Refuted || !strings.Contains(sum.Note, "no step dropped") {
			t.Fatalf("got %+v", sum)
		}
	})
}

// timeline builds a per-second timeline from successful responses per second.
func timeline(rps ...float64) []Second {
	out := make([]Second, len(rps))
	for i, r := range rps {
		out[i] = Second{T: i, RPS: units.PerSecond(r)}
	}
	return out
}
