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

// completeCard is phase 3 run to the end with two trials per client count
// and judged by the rules, as the runner does: the pool of 16 serves 16
// keep-alive clients, and from 32 clients on the rest get no answer.
func completeCard(t *testing.T) *Scorecard {
	p := builtin(t, 3)
	p.Sweep.Clients, p.Sweep.Trials, p.Sweep.MaxTrials = []int{4, 8, 16, 32, 100}, 2, 2
	sc := New(p)
	sc.Status = StatusComplete
	sc.Environment = fixtureEnv()
	sc.Applied = appliedLike(p)
	sc.Applied.SoMaxConn = 4096
	type row struct {
		clients, starved int
		rps              [2]units.PerSecond
		p50, p99, max    units.Millis
		busyPct          units.Percent
		queue, listenQ   int
		timeouts         int64
	}
	rows := []row{
		{4, 0, [2]units.PerSecond{789.5, 791.2}, 5.05, 5.4, 9.1, 24.8, 0, 0, 0},
		{8, 0, [2]units.PerSecond{1578.0, 1581.7}, 5.06, 5.5, 9.8, 49.6, 0, 0, 0},
		{16, 0, [2]units.PerSecond{3148.3, 3152.9}, 5.07, 5.6, 10.4, 99.4, 0, 0, 0},
		{32, 16, [2]units.PerSecond{3150.1, 3146.6}, 5.07, 5.6, 11.2, 99.8, 16, 0, 0},
		{100, 84, [2]units.PerSecond{3144.0, 3149.5}, 5.08, 5.7, 12.0, 99.9, 64, 20, 0},
	}
	for trial := 1; trial <= 2; trial++ {
		for _, r := range rows {
			rps := r.rps[trial-1]
			ok := int64(float64(rps) * 3)
			st := Step{Step: attrib.Step{
				Clients: r.clients, Trial: trial, DurationS: 3.0004, Requests: ok, OK: ok, SuccessRate: 1, RPS: rps,
				LatencyMS:      attrib.Latency{P50: r.p50, P90: r.p50 + 0.2, P99: r.p99, P999: r.max * 0.9, Max: r.max, Mean: r.p50 + 0.05},
				ConnectMS:      attrib.Latency{P50: 0.05, P99: 0.21, Max: 0.9},
				Connects:       int64(r.clients - r.starved),
				ClientsStarved: r.starved,
				Timeline: []attrib.Second{
					{T: 0, RPS: rps * 0.99, P99MS: r.p99},
					{T: 1, RPS: rps * 1.01, P99MS: r.p99},
					{T: 2, RPS: rps, P99MS: r.p99},
				},
				Server: attrib.ServerEvidence{
					CPUPct: 14.6, RSSMB: 9.73, FDsMax: r.clients + 9, NoFile: 1024, Accepted: int64(min(r.clients, 81)),
					OpenConnsMax: min(r.clients, 81), BusyWorkersMax: min(r.clients, 16), WorkersBusyPct: r.busyPct, Workers: 16,
					QueueMax: r.queue, QueueCap: 64, Requests: ok, HandlerMS: attrib.Latency{P50: 5.03, P99: 5.3, Max: 6.8, Mean: 5.04},
					QueueWaitMS:    attrib.Latency{P50: 0.01, P99: 0.05, Max: 0.3, Mean: 0.02},
					ListenQueueMax: r.listenQ, Backlog: 1024, Cores: 1, CPUPerRequest: 61.7,
				},
				Driver: attrib.DriverEvidence{CPUPct: 9.8, RSSMB: 21.5, CPUs: 1, FDsMax: r.clients + 6, NoFile: 20000},
				Kernel: attrib.KernelEvidence{ListenOverflows: attrib.Of(0), ListenDrops: attrib.Of(0), TCPReqQFullDrop: attrib.Of(0),
					TimeWait: attrib.Of(3), InUse: attrib.Of(int64(2*r.clients + 2)), ServerCPUsTasksPct: attrib.Of(15),
					ServerCPUsSoftIRQPct: attrib.Of(2), ServerCPUsStealPct: attrib.Of(0)},
			}}
			if r.clients == 100 {
				st.ConnectHistogram = "HISTFAAAACR42pNpmSzMwMDAzAABzFCaEUzOmQ3jMwEAFJgBRQ=="
			}
			sc.Steps = append(sc.Steps, st)
		}
	}
	judgeCard(sc)
	return sc
}

// judgeCard judges every step, level and the phase as the runner does.
func judgeCard(sc *Scorecard) {
	var steps []attrib.Step
	var judgments []attrib.Judgment
	for i := range sc.Steps {
		j := attrib.Judge(sc.Steps[i].Step, sc.Config.SuccessThreshold)
		sc.Steps[i].State, sc.Steps[i].Verdict = j.State, j.Verdict
		steps = append(steps, sc.Steps[i].Step)
		judgments = append(judgments, j)
	}
	sc.Rules = attrib.RulesVersion
	sc.Levels = attrib.Levels(steps, judgments)
	setup := attrib.Setup{Variant: string(sc.Config.Server.Variant), KeepAlive: sc.Config.Driver.KeepAlive}
	sc.Summary = attrib.Summarize(sc.Levels, sc.Phase.Hypothesis.Limit, setup)
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
				ConnectMS: attrib.Latency{P50: 0.003, P99: 0.02, Max: 0.3}, Connects: 30021,
				Errors: map[string]int64{"addr_unavailable": 1204546},
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
	judgeCard(sc)
	// As the runner does: an interrupted run does not decide.
	sc.Summary.Hypothesis = attrib.Inconclusive
	sc.Summary.Note = "The run was interrupted before its sweep finished, so the hypothesis is not judged."
	return sc
}

// runningCard is phase 9 just started: no step yet.
func runningCard(t *testing.T) *Scorecard {
	p := builtin(t, 9)
	p.Sweep.Trials, p.Sweep.MaxTrials = 1, 1 // pinned: the fixture must not follow the ladder's tuning
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
