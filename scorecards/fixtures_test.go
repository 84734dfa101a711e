package scorecards

import (
	"testing"
	"time"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/units"
)

// The fixtures below are test data shaped like real runs; they are not
// measurements and the host is named "fixture-host" to say so.

func intp(v int) *int { return &v }

func builtin(t *testing.T, n int) *phases.Phase {
	t.Helper()
	p, err := phases.Builtin(n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fixtureEnv() Environment {
	return Environment{
		Date:   time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		Host:   "fixture-host",
		Kernel: "6.18.0",
		CPUs:   2,
		Go:     "go1.26.8",
		Commit: "abc1234",
	}
}

func appliedLike(p *phases.Phase) Applied {
	return Applied{
		NoFile: p.Limits.NoFile, DriverNoFile: p.Limits.DriverNoFile, SoMaxConn: p.Limits.SoMaxConn,
		PortRange: p.Limits.PortRange, TCPTwReuse: p.Limits.TCPTwReuse, NetNS: true,
		Pinned: Pinning{Server: []int{0}, Driver: []int{1}},
	}
}

// completeCard is phase 3 run to the end: queueing confirmed at 500 clients.
func completeCard(t *testing.T) *Scorecard {
	p := builtin(t, 3)
	sc := New(p)
	sc.Status = StatusComplete
	sc.Environment = fixtureEnv()
	sc.Applied = appliedLike(p)
	sc.Applied.SoMaxConn = 4096
	type row struct {
		clients       int
		requests, ok  int64
		rps           units.PerSecond
		p50, p99, max units.Millis
		errors        map[string]int64
		busy, queue   int
		verdict       attrib.Limit
		evidence      []string
	}
	rows := []row{
		{20, 59040, 59040, 19680.0, 0.41, 1.2, 4.8, nil, 16, 4, attrib.None,
			[]string{"success 100% (threshold 99%)", "no error of any class"}},
		{50, 60330, 60330, 20110.0, 1.1, 3.9, 9.7, nil, 16, 34, attrib.None,
			[]string{"success 100% (threshold 99%)", "no error of any class"}},
		{100, 61020, 60990, 20330.0, 2.4, 8.8, 2001.5, map[string]int64{"read_timeout": 30}, 16, 64, attrib.None,
			[]string{"success 99.95% (threshold 99%)", "read_timeout 30"}},
		{200, 60150, 59856, 19952.0, 4.6, 18.4, 2002.1, map[string]int64{"read_timeout": 294}, 16, 64, attrib.None,
			[]string{"success 99.51% (threshold 99%)", "read_timeout 294"}},
		{500, 15600, 9997, 3332.33333, 37.41, 1998.25, 2003.9,
			map[string]int64{"read_timeout": 5480, "connect_timeout": 110, "reset": 12, "eof": 1}, 16, 64, attrib.Queueing,
			[]string{
				"busy workers 16 of 16 for the whole window",
				"queue 64 of 64 (full) for the whole window",
				"read_timeout 5,480 of 15,600 requests",
				"no server accept error; ListenOverflows 0, ListenDrops 0",
				"Little's law: 500 clients / 3,332 rps = 150 ms; measured mean 148 ms",
			}},
	}
	for _, r := range rows {
		st := Step{Step: attrib.Step{
			Clients: r.clients, Trial: 1, DurationS: 3.0004, Requests: r.requests, OK: r.ok,
			SuccessRate: units.Ratio(float64(r.ok) / float64(r.requests)), RPS: r.rps,
			LatencyMS: attrib.Latency{P50: r.p50, P90: r.p50 * 2, P99: r.p99, P999: r.max * 0.9, Max: r.max, Mean: r.p50 * 1.2},
			ConnectMS: attrib.Latency{P50: 0.05, P99: 0.21, Max: 0.9},
			Connects:  int64(r.clients),
			Errors:    r.errors,
			Timeline: []attrib.Second{
				{T: 0, RPS: r.rps * 0.98, Errors: 0, P99MS: r.p99},
				{T: 1, RPS: r.rps * 1.01, Errors: 0, P99MS: r.p99},
				{T: 2, RPS: r.rps * 1.01, Errors: 0, P99MS: r.p99},
			},
			Server: attrib.ServerEvidence{
				CPUPct: 71.26, RSSMB: 9.73, FDsMax: r.clients + 9, NoFile: 1024, Accepted: int64(min(r.clients, 80)),
				OpenConnsMax: min(r.clients, 80), BusyWorkersMax: r.busy, Workers: 16, QueueMax: r.queue, QueueCap: 64,
				Requests: r.ok, HandlerMS: attrib.Latency{P50: 0.012, P99: 0.061, Max: 0.8},
				ListenQueueMax: max(r.clients-80, 0), Backlog: 1024,
			},
			Driver: attrib.DriverEvidence{CPUPct: 48.3, RSSMB: 21.5, CPUs: 1, FDsMax: r.clients + 6, NoFile: 20000},
			Kernel: attrib.KernelEvidence{ListenOverflows: attrib.Of(0), ListenDrops: attrib.Of(0), TCPReqQFullDrop: attrib.Of(0),
				TimeWait: attrib.Of(3), InUse: attrib.Of(int64(2*r.clients + 2))},
		},
			Verdict: attrib.Verdict{Limit: r.verdict, Evidence: r.evidence},
		}
		st.State = attrib.Clean
		if r.clients == 500 {
			st.State = attrib.Dropped
			st.ClientsStarved = 420
			st.Verdict.Also = []attrib.Finding{{Limit: attrib.Backlog, Evidence: []string{"accept queue up to 420 of 1,024 (no overflow)"}}}
			st.Histogram = "HISTFAAAACR42pNpmSzMwMDAzAABzFCaEUzOmQ3jMwEAFJgBRQ=="
		}
		sc.Steps = append(sc.Steps, st)
	}
	sc.Summary = attrib.Summary{
		SweetSpot:     &attrib.Point{Clients: 200, RPS: 19952.0, SuccessRate: 0.99511},
		BreakingPoint: &attrib.Point{Clients: 500, RPS: 3332.33333, SuccessRate: 0.64083, Reason: "success 64.08% < 99.00%, rps fell 83% from 200 clients"},
		Hypothesis:    attrib.Confirmed,
		Note:          "At 500 clients all 16 workers and the 64-slot queue stayed full while no kernel counter or accept error moved.",
		Limit:         attrib.Queueing,
	}
	return sc
}

// interruptedCard is phase 1 stopped by a signal after 2 of 8 steps, run
// without a namespace so some limits were not applied.
func interruptedCard(t *testing.T) *Scorecard {
	p := builtin(t, 1)
	p.Sweep.Clients = []int{1, 10, 50, 100} // pinned: the fixture must not follow the ladder's tuning
	p.Sweep.Trials = 2
	sc := New(p)
	sc.Status = StatusInterrupted
	sc.Error = "interrupted by signal (SIGINT)"
	sc.Environment = fixtureEnv()
	sc.Environment.Commit = ""
	sc.Applied = Applied{
		NoFile: 1024, DriverNoFile: 20000, SoMaxConn: 4096, PortRange: [2]int{32768, 60999}, TCPTwReuse: intp(2),
		NetNS: false,
		NotApplied: []NotApplied{
			{What: "ip_local_port_range 49152 65535", Why: "no network namespace (not root); the host's range was left alone"},
			{What: "tcp_tw_reuse 0", Why: "no network namespace (not root)"},
		},
	}
	sc.Steps = []Step{
		{
			Step: attrib.Step{
				Clients: 1, Trial: 1, DurationS: 4.0, Requests: 45210, OK: 45210, SuccessRate: 1, RPS: 11302.5,
				LatencyMS: attrib.Latency{P50: 0.061, P90: 0.08, P99: 0.142, P999: 0.5, Max: 3.2, Mean: 0.07},
				ConnectMS: attrib.Latency{P50: 0.021, P99: 0.06, Max: 0.4}, Connects: 45210,
				Server: attrib.ServerEvidence{CPUPct: 64, RSSMB: 6.1, FDsMax: 8, NoFile: 1024, Accepted: 45210, OpenConnsMax: 1,
					Requests: 45210, HandlerMS: attrib.Latency{P50: 0.01, P99: 0.03, Max: 0.2}, Backlog: 1024},
				Driver: attrib.DriverEvidence{CPUPct: 55.5, RSSMB: 8, CPUs: 1},
				Kernel: attrib.KernelEvidence{TimeWait: attrib.Of(28190), TimeWaitMax: attrib.Of(28231), PortRangeSize: attrib.Of(28232)},
			},
			Verdict: attrib.Verdict{Limit: attrib.None, Evidence: []string{"success 100%", "TIME_WAIT 28,190 of 28,232 ports"}},
			Warnings: []string{
				"TIME_WAIT did not drain before the next step (28,190 sockets left); the next step starts with few free ports",
			},
		},
		{
			Step: attrib.Step{
				Clients: 1, Trial: 2, DurationS: 4.0, Requests: 1234567, OK: 30021, SuccessRate: 0.024317, RPS: 7505.25,
				LatencyMS: attrib.Latency{P50: 0.059, P99: 0.15, Max: 2.9},
				ConnectMS: attrib.Latency{P50: 0.003, P99: 0.02, Max: 0.3},
				Errors:    map[string]int64{"addr_unavailable": 1204546},
				Server: attrib.ServerEvidence{CPUPct: 41.5, RSSMB: 6.2, FDsMax: 8, NoFile: 1024, Accepted: 30021, OpenConnsMax: 1,
					Requests: 30021, HandlerMS: attrib.Latency{P50: 0.01, P99: 0.03, Max: 0.2}, Backlog: 1024},
				Driver: attrib.DriverEvidence{CPUPct: 99.2, RSSMB: 8.2, CPUs: 1},
				Kernel: attrib.KernelEvidence{TimeWait: attrib.Of(28232), TimeWaitMax: attrib.Of(28232), PortRangeSize: attrib.Of(28232)},
			},
			Verdict: attrib.Verdict{Limit: attrib.Port, Evidence: []string{
				"driver errors addr_unavailable (EADDRNOTAVAIL) 1,204,546",
				"TIME_WAIT sockets 28,232 = every port of ip_local_port_range 32768-60999",
			}, Also: []attrib.Finding{{Limit: attrib.Client, Evidence: []string{"driver CPU 99.2% of its core, spinning on failed connects"}}}},
		},
	}
	sc.Summary = attrib.Summary{
		SweetSpot:     nil,
		BreakingPoint: &attrib.Point{Clients: 1, RPS: 7505.25, SuccessRate: 0.024317, Reason: "success 2.43% < 99.00%"},
	}
	return sc
}

// runningCard is phase 9 just started: no step yet.
func runningCard(t *testing.T) *Scorecard {
	p := builtin(t, 9)
	sc := New(p)
	sc.Environment = fixtureEnv()
	sc.Applied = appliedLike(p)
	return sc
}

var fixtures = []struct {
	name string
	card func(t *testing.T) *Scorecard
}{
	{"complete", completeCard},
	{"interrupted", interruptedCard},
	{"running-empty", runningCard},
}
