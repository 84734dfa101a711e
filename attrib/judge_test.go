package attrib

import (
	"slices"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/units"
)

// base is a clean step of a pool server at 50 clients: nothing near a
// limit.
func base() Step {
	return Step{
		Clients: 50, DurationS: 3, Requests: 90000, OK: 90000, SuccessRate: 1, RPS: 30000, Connects: 50,
		LatencyMS: Latency{P50: 1.6, P99: 3, Mean: 1.66, Max: 9},
		ConnectMS: Latency{P50: 0.05, P99: 0.2, Max: 0.4},
		Errors:    map[string]int64{},
		Server: ServerEvidence{CPUPct: 60, Cores: 1, FDsMax: 60, NoFile: 1024, Workers: 64, BusyWorkersMax: 50, QueueCap: 64,
			HandlerMS: Latency{P50: 0.01, P99: 0.05, Mean: 0.012}, Backlog: 1024, Requests: 90000, CPUPerRequest: 20},
		Driver: DriverEvidence{CPUPct: 40, CPUs: 1, NoFile: 20000},
		Kernel: KernelEvidence{PortRangeSize: Of(28232), ListenOverflows: Of(0)},
	}
}

func TestJudge(t *testing.T) {
	tests := []struct {
		name         string
		step         func(s *Step)
		wantState    State
		wantLimit    Limit
		wantResource Resource
		wantAlso     []Limit
		wantFacts    []string // substrings that must appear in the evidence
		wantChain    []string // substrings that must appear in the chain
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
			wantState: Dropped, wantLimit: FD, wantResource: ServerFDs,
			wantFacts: []string{"success 64.08% < threshold 99.00%", "server accept EMFILE: 340", "server open fds 256 of nofile 256"},
		},
		{
			name: "fd: the driver's own",
			step: func(s *Step) {
				s.OK, s.SuccessRate = 80000, 0.8889
				s.Errors["too_many_open_files"] = 10000
			},
			wantState: Dropped, wantLimit: FD, wantResource: DriverFDs,
			wantFacts: []string{"driver could not open sockets, EMFILE (too_many_open_files): 10,000"},
		},
		{
			name: "port: EADDRNOTAVAIL with TIME_WAIT at the range",
			step: func(s *Step) {
				s.OK, s.SuccessRate, s.Requests = 16384, 0.0209, 783000
				s.Errors["addr_unavailable"] = 766616
				s.Kernel.TimeWait, s.Kernel.PortRangeSize = Of(16380), Of(16384)
			},
			wantState: Dropped, wantLimit: Port, wantResource: Ports,
			wantFacts: []string{"EADDRNOTAVAIL (addr_unavailable): 766,616", "TIME_WAIT 16,380 of 16,384 ephemeral ports (100%)"},
		},
		{
			name: "port: one client host out of ports, per-host TIME_WAIT",
			step: func(s *Step) {
				s.OK, s.SuccessRate, s.Requests = 16384, 0.81, 20227
				s.Errors["addr_unavailable"] = 3843
				s.Kernel.TimeWait = Of(0) // the server's namespace: the clients close first
				s.Hosts = []Host{{Addr: "10.77.0.2", Clients: 50, Requests: 20227, OK: 16384, Errors: map[string]int64{"addr_unavailable": 3843},
					TimeWaitMax: 16384, PortRangeSize: 16384}}
			},
			wantState: Dropped, wantLimit: Port, wantResource: Ports,
			wantFacts: []string{"EADDRNOTAVAIL (addr_unavailable): 3,843",
				"client host 1 (10.77.0.2): TIME_WAIT 16,384 of 16,384 ephemeral ports (100%), EADDRNOTAVAIL 3,843, 16,384 ok of 20,227 requests from 50 clients"},
		},
		{
			name: "port: four client hosts each well within their ports",
			step: func(s *Step) {
				s.Kernel.PortRangeSize = Of(100) // the server namespace's range does not count
				for i := range 4 {
					s.Hosts = append(s.Hosts, Host{Addr: "10.77.0." + string(rune('2'+i)), Clients: 12, Requests: 5000, OK: 5000,
						TimeWaitMax: 5000, PortRangeSize: 16384})
				}
			},
			wantState: Clean, wantLimit: None,
		},
		{
			name: "port: one of four client hosts fills its range",
			step: func(s *Step) {
				for i := range 4 {
					s.Hosts = append(s.Hosts, Host{Addr: "10.77.0." + string(rune('2'+i)), Clients: 12, Requests: 5000, OK: 5000,
						TimeWaitMax: 5000, PortRangeSize: 16384})
				}
				s.Hosts[2].TimeWaitMax, s.Hosts[2].PortRangeSize = 990, 1000
			},
			wantState: Saturated, wantLimit: Port, wantResource: Ports,
			wantFacts: []string{"client host 3 (10.77.0.4): TIME_WAIT 990 of 1,000 ephemeral ports (99%)", "client host 1 (10.77.0.2): TIME_WAIT 5,000 of 16,384"},
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
			name: "busy workers on a full CPU are the CPU's limit",
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 200, 137000, 411000, 411000
				s.LatencyMS = Latency{P50: 1.4, P99: 2.8, Mean: 1.45}
				s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueMax, s.Server.CPUPct = 16, 16, 12, 99
			},
			wantState: Saturated, wantLimit: CPU, wantResource: ServerCPU,
			wantFacts: []string{"server CPU 99% of 1 core, 20.0 µs of CPU per request"},
		},
		{
			name: "backlog: a burst overflows the queue while CPU and workers are to spare",
			step: func(s *Step) {
				s.Clients, s.OK, s.SuccessRate = 1000, 88000, 0.9778
				s.Errors["connect_timeout"] = 2000
				s.ConnectMS = Latency{P50: 0.1, P99: 1030, Max: 3050}
				s.Kernel.ListenOverflows, s.Kernel.ListenDrops = Of(1200), Of(1200)
				s.Server.Backlog, s.Server.ListenQueueMax = 128, 129
				s.Server.CPUPct = 30
			},
			wantState: Dropped, wantLimit: Backlog, wantResource: AcceptQueue,
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
			wantState: Dropped, wantLimit: Queueing, wantResource: Workers,
			wantFacts: []string{"484 of 500 clients got no answer", "workers busy 16/16", "queue 64/64", "420 connections waiting", "≈ 16 served clients / 29,000 rps = 0.552 ms (Little's law)"},
		},
		{
			name: "cpu and client both full: cpu is the verdict, client listed",
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 1000, 70000, 210000, 210000
				s.LatencyMS = Latency{P50: 14, P99: 30, Mean: 14.2}
				s.Server.Workers, s.Server.BusyWorkersMax = 0, 0
				s.Server.CPUPct, s.Driver.CPUPct = 97, 99
			},
			wantState: Saturated, wantLimit: CPU, wantAlso: []Limit{Client},
			wantFacts: []string{"server CPU 97% of 1 core"},
		},
		{
			name: "cpu: the server's core full of other work",
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 64, 1477, 4431, 4431
				s.LatencyMS = Latency{P50: 43, P99: 57, Mean: 43}
				s.Server.Workers, s.Server.BusyWorkersMax = 0, 0
				s.Server.CPUPct, s.Kernel.ServerCPUsTasksPct, s.Server.CPUWaitPct = 50, Of(99), 45
				s.Server.HandlerMS = Latency{P50: 0.3, P99: 0.9, Mean: 0.35}
			},
			wantState: Saturated, wantLimit: CPU,
			wantFacts: []string{"server's 1 core busy 99%, the server itself 50%, waiting for a CPU 45% of the time"},
		},
		{
			name: "a light server on a core full of other work is not capped by it",
			step: func(s *Step) {
				s.Clients, s.RPS, s.Requests, s.OK = 2, 9000, 27000, 27000
				s.Server.CPUPct, s.Kernel.ServerCPUsTasksPct, s.Server.CPUWaitPct = 9, Of(100), 3
			},
			wantState: Clean, wantLimit: None,
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
			wantState: Dropped, wantLimit: Client, wantResource: DriverCPU,
			wantFacts: []string{"driver p99 1,942 ms vs server handler p99 3.00 ms", "7,987 bytes unread"},
		},
		{
			name: "mixed: fd first, port listed, the overflow a consequence of the fds",
			step: func(s *Step) {
				s.OK, s.SuccessRate = 45000, 0.5
				s.Server.AcceptErrors = map[string]int64{"EMFILE": 10, "ECONNABORTED": 3}
				s.Errors["addr_unavailable"] = 5
				s.Kernel.ListenOverflows = Of(7)
			},
			wantState: Dropped, wantLimit: FD, wantAlso: []Limit{Port},
			wantFacts: []string{"server accept EMFILE: 10"},
			wantChain: []string{"the accept queue filled", "ListenOverflows +7"},
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
			name: "h2: requests queue at the client for stream slots while the server has CPU to spare",
			step: func(s *Step) {
				s.Clients, s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap, s.Server.CPUPct = 10, 0, 0, 0, 45
				s.LatencyMS = Latency{P50: 40, P99: 180, Mean: 48}
				s.Driver.H2 = &H2Evidence{Connections: 10, Streams: 100, ServerMaxStreams: 50, StreamsLimit: 50,
					InFlightMean: 49.6, InFlightMax: 50, Waited: 60000, WaitP99MS: 100}
			},
			wantState: Saturated, wantLimit: Queueing, wantResource: StreamSlots,
			wantFacts: []string{"h2 stream slots 49.6 of 50 streams per connection", "60,000 requests waited at the client for a stream slot"},
		},
		{
			name: "h2: slots full because the server's CPU is: cpu, the slots a consequence",
			step: func(s *Step) {
				s.Clients, s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap, s.Server.CPUPct = 10, 0, 0, 0, 99
				s.Driver.H2 = &H2Evidence{Connections: 10, Streams: 100, ServerMaxStreams: 50, StreamsLimit: 50,
					InFlightMean: 50, InFlightMax: 50, Waited: 60000, WaitP99MS: 100}
			},
			wantState: Saturated, wantLimit: CPU, wantResource: ServerCPU,
			wantChain: []string{"h2 stream slots"},
		},
		{
			name: "h2: a few waits at a connection's start are not the limit",
			step: func(s *Step) {
				s.Clients, s.Server.Workers, s.Server.BusyWorkersMax, s.Server.QueueCap = 10, 0, 0, 0
				s.Driver.H2 = &H2Evidence{Connections: 10, Streams: 100, ServerMaxStreams: 100, StreamsLimit: 100,
					InFlightMean: 99, InFlightMax: 100, Waited: 900, WaitP99MS: 1}
			},
			wantState: Clean, wantLimit: None,
		},
		{
			name:      "a full driver core is a bottleneck, not a note",
			step:      func(s *Step) { s.Driver.CPUPct = 99 },
			wantState: Saturated, wantLimit: Client, wantResource: DriverCPU,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base()
			tt.step(&s)
			j := Judge(s, 0.99)
			if j.State != tt.wantState || j.Limit != tt.wantLimit {
				t.Fatalf("Judge = %s/%s, want %s/%s\nevidence: %q\nchain: %q\nalso: %+v", j.State, j.Limit, tt.wantState, tt.wantLimit, j.Evidence, j.Chain, j.Also)
			}
			if tt.wantResource != "" && j.Resource != tt.wantResource {
				t.Errorf("resource %q, want %q", j.Resource, tt.wantResource)
			}
			var also []Limit
			for _, f := range j.Also {
				also = append(also, f.Limit)
			}
			if !slices.Equal(also, tt.wantAlso) {
				t.Errorf("also = %v, want %v", also, tt.wantAlso)
			}
			contains(t, "evidence", j.Evidence, tt.wantFacts)
			contains(t, "chain", j.Chain, tt.wantChain)
			if j.State != Clean && len(j.Evidence) == 0 {
				t.Error("a step that is not clean must carry evidence")
			}
		})
	}
}

// contains checks that every fact is a substring of some line.
func contains(t *testing.T, what string, lines, facts []string) {
	t.Helper()
	joined := strings.Join(lines, "\n")
	for _, f := range facts {
		if !strings.Contains(joined, f) {
			t.Errorf("%s lacks %q:\n%s", what, f, joined)
		}
	}
}

// timeline builds a per-second timeline from successful responses per second.
func timeline(rps ...float64) []Second {
	out := make([]Second, len(rps))
	for i, r := range rps {
		out[i] = Second{T: i, RPS: units.PerSecond(r)}
	}
	return out
}
