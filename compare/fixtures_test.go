package compare

import (
	"fmt"
	"time"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

// The fixtures take their numbers from the reference scorecards measured
// on the lab's machine (scorecards/reference/2026-11-25) and, for repeated
// trials, from the run-to-run spread measured there (lab.md §10: gnet, 3
// trials each, 10 clients 88–91k rps, 50 clients 78–81k, 200 clients 77–80k).

// trial is what one step measured.
type trial struct {
	rps, success, p50, p99 float64
}

// judged is how a step was judged.
type judged struct {
	state    attrib.State
	limit    attrib.Limit
	evidence []string
}

var clean = judged{state: attrib.Clean, limit: attrib.None}

// steps builds the steps of one client count, one per trial, all judged j.
func steps(clients int, j judged, ts ...trial) []scorecards.Step {
	var out []scorecards.Step
	for i, t := range ts {
		st := scorecards.Step{
			Step: attrib.Step{
				Clients: clients, Trial: i + 1, DurationS: 3,
				SuccessRate: units.Ratio(t.success), RPS: units.PerSecond(t.rps),
				LatencyMS: attrib.Latency{P50: units.Millis(t.p50), P99: units.Millis(t.p99), Max: units.Millis(t.p99 * 2)},
			},
			State:   j.state,
			Verdict: attrib.Verdict{Limit: j.limit, Evidence: j.evidence},
		}
		st.Requests = int64(t.rps * 3 / t.success)
		st.OK = int64(t.rps * 3)
		out = append(out, st)
	}
	return out
}

// sweep joins the steps of several client counts, in order.
func sweep(groups ...[]scorecards.Step) []scorecards.Step {
	var out []scorecards.Step
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func intp(v int) *int { return &v }

// raised is the configuration of phases 6 to 8: raised limits, keep-alive,
// 3 s steps.
func raised(variant phases.Variant, clients []int, trials int) scorecards.Config {
	return scorecards.Config{
		Server: phases.Server{Variant: variant, KeepAlive: true, Backlog: 4096, Listeners: 1},
		Driver: phases.Driver{Path: "/", KeepAlive: true, Duration: phases.Duration(3 * time.Second),
			Warmup: phases.Duration(500 * time.Millisecond), Timeout: phases.Duration(2 * time.Second),
			ConnectTimeout: phases.Duration(2 * time.Second), Pipeline: 1},
		Limits: phases.Limits{NoFile: 20000, SoMaxConn: 4096, PortRange: phases.PortRange{1024, 65535},
			TCPTwReuse: intp(1), DriverNoFile: 20000},
		Sweep:            phases.Sweep{Clients: clients, Trials: trials},
		SuccessThreshold: 0.99,
	}
}

// pool8 is phase 2's configuration: a pool of workers, 16,384 ports,
// tcp_tw_reuse 0, with or without keep-alive on both sides.
func pool8(workers int, keepalive bool) scorecards.Config {
	return scorecards.Config{
		Server: phases.Server{Variant: phases.VariantPool, Workers: workers, Queue: 64, KeepAlive: keepalive, Backlog: 1024, Listeners: 1},
		Driver: phases.Driver{Path: "/", KeepAlive: keepalive, Duration: phases.Duration(10 * time.Second),
			Timeout: phases.Duration(2 * time.Second), ConnectTimeout: phases.Duration(2 * time.Second), Pipeline: 1},
		Limits: phases.Limits{NoFile: 1024, PortRange: phases.PortRange{49152, 65535}, TCPTwReuse: intp(0), DriverNoFile: 20000},
		Sweep:  phases.Sweep{Clients: []int{10, 50, 200}, Trials: 1},

		SuccessThreshold: 0.99,
	}
}

// card builds a complete scorecard of phase number (name, title) from
// its configuration, steps and summary.
func card(number int, name, title string, hypothesis attrib.Limit, date string, cfg scorecards.Config,
	steps []scorecards.Step, sum attrib.Summary) *scorecards.Scorecard {
	when, err := time.Parse(time.RFC3339, date)
	if err != nil {
		panic(err)
	}
	return &scorecards.Scorecard{
		Schema: scorecards.Schema,
		Status: scorecards.StatusComplete,
		Phase: scorecards.PhaseInfo{Number: number, Name: name, Title: title, Source: fmt.Sprintf("builtin:%02d", number),
			Hypothesis: phases.Hypothesis{Limit: hypothesis}},
		Environment: scorecards.Environment{Date: when, Host: "vm", Kernel: "6.18.44-fc-v595", CPUs: 2, Go: "go1.26.8", Commit: "c51793623948"},
		Config:      cfg,
		Steps:       steps,
		Summary:     sum,
	}
}

func cpuAt(from string, pct string) judged {
	return judged{state: attrib.Dropped, limit: attrib.CPU, evidence: []string{from, "server CPU " + pct + " of 1 core"}}
}

// nethttp1 is the reference run of phase 6: net/http, 1 trial per count.
func nethttp1() *scorecards.Scorecard {
	bp := "throughput fell to 56,400 rps from 72,914 rps at 50 clients (-23%) while clients grew to 1,000"
	return card(6, "nethttp", "net/http: a goroutine per connection, raised limits", attrib.CPU, "2026-11-25T18:10:26Z",
		raised(phases.VariantNetHTTP, []int{50, 200, 1000, 3000}, 1),
		sweep(
			steps(50, clean, trial{72913.7, 1, 0.669, 1.648}),
			steps(200, judged{state: attrib.Saturated, limit: attrib.CPU, evidence: []string{"server CPU 99% of 1 core"}}, trial{69957, 1, 2.877, 5.355}),
			steps(1000, cpuAt(bp, "98%"), trial{56400.3, 1, 17.439, 25.503}),
			steps(3000, cpuAt("throughput fell to 51,885 rps from 72,914 rps at 50 clients (-29%) while clients grew to 3,000", "97%"), trial{51884.7, 1, 55.327, 71.039}),
		),
		attrib.Summary{
			SweetSpot:     &attrib.Point{Clients: 50, RPS: 72913.7, SuccessRate: 1},
			BreakingPoint: &attrib.Point{Clients: 1000, RPS: 56400.3, SuccessRate: 1, Reason: bp},
			Hypothesis:    attrib.Confirmed, Note: "The breaking point (1,000 clients) was capped by cpu, as expected.",
			Limit: attrib.CPU, Next: attrib.Advise(attrib.CPU, attrib.ServerCPU, false, attrib.Setup{Variant: "gnet"}),
		})
}

// gnet1 is the reference run of phase 8: gnet, 1 trial per count.
func gnet1() *scorecards.Scorecard {
	bp := "throughput fell to 118,081 rps from 141,955 rps at 50 clients (-17%) while clients grew to 200"
	return card(8, "gnet", "gnet: event loop, raised limits", attrib.CPU, "2026-11-25T18:10:55Z",
		raised(phases.VariantGnet, []int{50, 200, 1000, 3000}, 1),
		sweep(
			steps(50, clean, trial{141955.3, 1, 0.295, 0.839}),
			steps(200, cpuAt(bp, "99%"), trial{118081.3, 1, 1.626, 3.223}),
			steps(1000, cpuAt("throughput fell to 110,146 rps from 141,955 rps at 50 clients (-22%) while clients grew to 1,000", "97%"), trial{110146, 1, 9.047, 15.199}),
			steps(3000, cpuAt("throughput fell to 101,440 rps from 141,955 rps at 50 clients (-29%) while clients grew to 3,000", "95%"), trial{101440, 1, 28.927, 43.743}),
		),
		attrib.Summary{
			SweetSpot:     &attrib.Point{Clients: 50, RPS: 141955.3, SuccessRate: 1},
			BreakingPoint: &attrib.Point{Clients: 200, RPS: 118081.3, SuccessRate: 1, Reason: bp},
			Hypothesis:    attrib.Confirmed, Note: "The breaking point (200 clients) was capped by cpu, as expected.",
			Limit: attrib.CPU, Next: attrib.Advise(attrib.CPU, attrib.ServerCPU, false, attrib.Setup{Variant: "gnet"}),
		})
}

// spread returns n trials around base: rps, p50 and p99 moved by the
// given relative offsets (one per trial), success kept.
func spread(base trial, offsets ...float64) []trial {
	out := make([]trial, len(offsets))
	for i, o := range offsets {
		out[i] = trial{base.rps * (1 + o), base.success, base.p50 * (1 - o), base.p99 * (1 - o)}
	}
	return out
}

// Offsets of 5 trials, within ±2 % as lab.md measured for gnet.
var (
	offsetsA = []float64{-0.018, 0.006, -0.004, 0.017, 0.011}
	offsetsB = []float64{0.009, -0.013, 0.015, -0.007, 0.002}
)

// gnet5 is phase 8 with 5 trials at 10, 50 and 200 clients, drawn around
// the same medians with the given offsets: two of them are two runs of one
// server.
func gnet5(date string, offsets []float64) *scorecards.Scorecard {
	return card(8, "gnet", "gnet: event loop, raised limits", attrib.CPU, date,
		raised(phases.VariantGnet, []int{10, 50, 200}, 5),
		sweep(
			steps(10, clean, spread(trial{89500, 1, 0.098, 0.31}, offsets...)...),
			steps(50, judged{state: attrib.Saturated, limit: attrib.CPU, evidence: []string{"server CPU 99% of 1 core"}},
				spread(trial{79500, 1, 0.59, 1.52}, offsets...)...),
			steps(200, judged{state: attrib.Saturated, limit: attrib.CPU, evidence: []string{"server CPU 99% of 1 core"}},
				spread(trial{78600, 1, 2.41, 4.87}, offsets...)...),
		),
		attrib.Summary{
			SweetSpot:  &attrib.Point{Clients: 10, RPS: 89500, SuccessRate: 1},
			Hypothesis: attrib.Confirmed, Note: "Saturation at 50 clients was capped by cpu, as expected.",
			Limit: attrib.CPU, Next: attrib.Advise(attrib.CPU, attrib.ServerCPU, false, attrib.Setup{Variant: "gnet"}),
		})
}

// nethttp5 and gnetGain5 are phases 6 and 8 with 5 trials per count,
// around the reference medians: a clear gain.
func nethttp5() *scorecards.Scorecard {
	c := nethttp1()
	c.Config.Sweep.Trials = 5
	c.Steps = sweep(
		steps(50, clean, spread(trial{72913.7, 1, 0.669, 1.648}, offsetsA...)...),
		steps(200, judged{state: attrib.Saturated, limit: attrib.CPU}, spread(trial{69957, 1, 2.877, 5.355}, offsetsA...)...),
		steps(1000, cpuAt(c.Summary.BreakingPoint.Reason, "98%"), spread(trial{56400.3, 1, 17.439, 25.503}, offsetsA...)...),
	)
	c.Config.Sweep.Clients = []int{50, 200, 1000}
	return c
}

func gnetGain5() *scorecards.Scorecard {
	c := gnet1()
	c.Config.Sweep.Trials = 5
	c.Steps = sweep(
		steps(50, clean, spread(trial{141955.3, 1, 0.295, 0.839}, offsetsB...)...),
		steps(200, cpuAt(c.Summary.BreakingPoint.Reason, "99%"), spread(trial{118081.3, 1, 1.626, 3.223}, offsetsB...)...),
		steps(1000, cpuAt("throughput fell", "97%"), spread(trial{110146, 1, 9.047, 15.199}, offsetsB...)...),
	)
	c.Config.Sweep.Clients = []int{50, 200, 1000}
	return c
}

// gnetOther3 is phase 8 at other client counts (200, 1,000 and 5,000),
// 3 trials each: against gnet1 the counts only partly match.
func gnetOther3() *scorecards.Scorecard {
	c := gnet1()
	c.Config.Sweep = phases.Sweep{Clients: []int{200, 1000, 5000}, Trials: 3}
	c.Environment.Date = c.Environment.Date.Add(time.Hour)
	cpu := cpuAt("throughput fell", "99%")
	c.Steps = sweep(
		steps(200, clean, spread(trial{117500, 1, 1.63, 3.25}, -0.01, 0.012, 0.004)...),
		steps(1000, cpu, spread(trial{109800, 1, 9.1, 15.3}, 0.008, -0.015, 0.001)...),
		steps(5000, cpu, spread(trial{96200, 0.9982, 47.5, 71.8}, 0.02, -0.01, 0.005)...),
	)
	c.Summary = attrib.Summary{
		SweetSpot:     &attrib.Point{Clients: 200, RPS: 117500, SuccessRate: 1},
		BreakingPoint: &attrib.Point{Clients: 1000, RPS: 109800, SuccessRate: 1, Reason: "throughput fell"},
		Hypothesis:    attrib.Confirmed, Note: "The breaking point (1,000 clients) was capped by cpu, as expected.",
		Limit: attrib.CPU,
	}
	return c
}

// poolNoKeepAlive is the reference run of phase 2 (seed 001: "stuck at
// 16k requests"): the ports run out in TIME_WAIT.
func poolNoKeepAlive() *scorecards.Scorecard {
	bp := "throughput collapsed within the step: 8,793 requests in second 1, 751 per second on average over the second half"
	port := func(ev ...string) judged { return judged{state: attrib.Dropped, limit: attrib.Port, evidence: ev} }
	return card(2, "pool-8", "Pool of 8 workers, no keep-alive: more workers, the same ports", attrib.Port, "2026-11-25T18:08:52Z",
		pool8(8, false),
		sweep(
			steps(10, port(bp, "driver connect EADDRNOTAVAIL (addr_unavailable): 156", "TIME_WAIT 16,384 of 16,384 ephemeral ports (100%)",
				"connect p50 3.0 ms, p99 8.6 ms: connect() searches the range for a free port"), trial{1638.4, 0.9906, 2.009, 7.579}),
			steps(50, port("success 97.27% < threshold 99.00% (460 of 16,843 requests failed)", "driver connect EADDRNOTAVAIL (addr_unavailable): 460",
				"TIME_WAIT 16,385 of 16,384 ephemeral ports (100%)"), trial{1638.3, 0.9727, 18.559, 33.663}),
			steps(200, port("success 96.57% < threshold 99.00%"), trial{1637.5, 0.9657, 97.151, 139.391}),
		),
		attrib.Summary{
			BreakingPoint: &attrib.Point{Clients: 10, RPS: 1638.4, SuccessRate: 0.9906, Reason: bp},
			Hypothesis:    attrib.Confirmed, Note: "The breaking point (10 clients) was capped by port, as expected.",
			Limit: attrib.Port, Next: attrib.Advise(attrib.Port, attrib.Ports, false, attrib.Setup{Variant: "pool"}),
		})
}

// poolKeepAlive is the same phase with keep-alive on both sides and a
// worker per client (numbers of phase 5's pool): the port limit is gone.
func poolKeepAlive() *scorecards.Scorecard {
	return card(2, "pool-keepalive", "Pool of 256 workers, keep-alive on both sides", attrib.Port, "2026-11-25T19:02:13Z",
		pool8(256, true),
		sweep(
			steps(10, clean, trial{24517.2, 1, 0.371, 1.912}),
			steps(50, clean, trial{25922, 1, 0.855, 5.843}),
			steps(200, judged{state: attrib.Saturated, limit: attrib.CPU, evidence: []string{"server CPU 99% of 1 core"}}, trial{25904.3, 1, 2.853, 14.479}),
		),
		attrib.Summary{
			SweetSpot:  &attrib.Point{Clients: 50, RPS: 25922, SuccessRate: 1},
			Hypothesis: attrib.Refuted, Note: "Expected port, but saturation at 200 clients was capped by cpu.",
			Limit: attrib.CPU, Next: attrib.Advise(attrib.CPU, attrib.ServerCPU, false, attrib.Setup{Variant: "gnet"}),
		})
}
