// Package compare sets two runs side by side: the same client counts, the
// same metrics, before and after a change. It pairs the steps of two
// scorecards by client count, takes the trials of each count as samples,
// and says for every metric whether B differs from A beyond the noise
// (package stats: medians, spread, Mann–Whitney U test), what changed
// between the two runs' configurations, and how each run's verdict reads.
//
// A Result is written as a Markdown report (WriteMarkdown) or in the Go
// benchmark format (WriteBenchfmt), so that benchstat reads the same
// trials. The package does no I/O of its own beyond the writer it is given.
package compare

import (
	"slices"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/stats"
	"github.com/scalelab/scalelab/units"
)

// Result is the comparison of run A (before) with run B (after).
type Result struct {
	A, B Run
	// Alpha is the significance level of every comparison.
	Alpha float64
	// Changes lists the settings whose values differ between A's and B's
	// configurations, in the order of the scorecard.
	Changes []Change
	// Machine lists the differences of the machine and build the runs
	// were measured on (host, kernel, CPUs, Go, commit).
	Machine []Change
	// Rows hold the client counts both runs measured, ascending.
	Rows []Row
	// OnlyA and OnlyB are the client counts only one run measured.
	OnlyA, OnlyB []int
	// InFlight says the rows are keyed by requests in flight (clients ×
	// HTTP/2 streams per connection), not clients: at least one run spoke
	// h2c with several streams, so "10 connections × 100 streams" meets
	// "1,000 clients" of HTTP/1.1.
	InFlight bool
	// Charts are image paths (relative to where the Markdown is
	// written) that WriteMarkdown shows in a section of their own. Empty:
	// no chart section.
	Charts []string
}

// Run is one side of the comparison.
type Run struct {
	Label string
	Card  *scorecards.Scorecard
	// Breaking is the step whose verdict names the limit at the breaking
	// point (the first step at that client count with a limit); nil when
	// no step broke.
	Breaking *scorecards.Step
	// Skipped counts the steps left out because they did not run to
	// their end (interrupted or failed): their numbers cover part of a
	// window.
	Skipped int
}

// Change is one setting whose value differs between the two runs.
type Change struct {
	Field string // the scorecard's path: "server.variant", "driver.keepalive"
	A, B  string // the values, as a reader would write them
}

// Row compares the trials of one client count.
type Row struct {
	// Clients is the client count, or with Result.InFlight the requests
	// in flight (connections × streams over h2c).
	Clients int
	// Metrics hold one comparison per metric, in the order of
	// MetricNames.
	Metrics []Metric
}

// Metric is one metric at one client count: each run's trials summarized,
// and B compared with A.
type Metric struct {
	Name    string        // one of MetricNames
	A, B    stats.Summary // over the trials; success as a ratio (0..1), latencies in ms
	Compare stats.Comparison
}

// MetricNames lists the metrics compared, in the order of Row.Metrics.
var MetricNames = []string{"rps", "success", "p50", "p99"}

// metric describes how one metric is read from a step and written.
type metric struct {
	name   string
	title  string // heading of its table
	unit   string // unit in the Go benchmark format (no spaces)
	higher bool   // higher is better
	value  func(st scorecards.Step) float64
	bench  func(v float64) float64 // value in the benchmark unit
	format func(v float64) string  // value for a table cell
}

// metrics are in the order of MetricNames.
var metrics = []metric{
	{name: "rps", title: "Throughput (successful responses per second)", unit: "rps", higher: true,
		value:  func(st scorecards.Step) float64 { return float64(st.RPS) },
		bench:  func(v float64) float64 { return v },
		format: units.Rate},
	{name: "success", title: "Success rate", unit: "success-%", higher: true,
		value:  func(st scorecards.Step) float64 { return float64(st.SuccessRate) },
		bench:  func(v float64) float64 { return units.Round(v*100, units.DecimalsRatio-2) },
		format: units.Pct},
	{name: "p50", title: "Median latency, p50 (ms)", unit: "p50-ms", higher: false,
		value:  func(st scorecards.Step) float64 { return float64(st.LatencyMS.P50) },
		bench:  func(v float64) float64 { return v },
		format: units.MSValue},
	{name: "p99", title: "Tail latency, p99 (ms)", unit: "p99-ms", higher: false,
		value:  func(st scorecards.Step) float64 { return float64(st.LatencyMS.P99) },
		bench:  func(v float64) float64 { return v },
		format: units.MSValue},
}

// Runs compares run b with run a (neither may be nil). The trials of each
// client count are the samples; steps that did not run to their end are
// left out and counted in Run.Skipped. Empty labels become "A" and "B".
func Runs(a, b *scorecards.Scorecard, labelA, labelB string) *Result {
	if labelA == "" {
		labelA = "A"
	}
	if labelB == "" {
		labelB = "B"
	}
	a, b = a.Rounded(), b.Rounded()
	r := &Result{
		A:     newRun(a, labelA),
		B:     newRun(b, labelB),
		Alpha: stats.DefaultAlpha,
	}
	r.Changes = diff(settings("", a.Config), settings("", b.Config))
	r.Machine = diff(machine(a.Environment), machine(b.Environment))

	r.InFlight = streamsOf(a) > 1 || streamsOf(b) > 1
	ta, tb := trials(a, r.InFlight), trials(b, r.InFlight)
	for _, n := range clientCounts(ta, tb) {
		sa, sb := ta[n], tb[n]
		switch {
		case len(sb) == 0:
			r.OnlyA = append(r.OnlyA, n)
		case len(sa) == 0:
			r.OnlyB = append(r.OnlyB, n)
		default:
			r.Rows = append(r.Rows, newRow(n, sa, sb, r.Alpha))
		}
	}
	return r
}

// Metric returns the row's comparison of the named metric.
func (row Row) Metric(name string) (Metric, bool) {
	for _, m := range row.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

func newRun(sc *scorecards.Scorecard, label string) Run {
	run := Run{Label: label, Card: sc, Breaking: breakingStep(sc)}
	for _, st := range sc.Steps {
		if !st.Judged() {
			run.Skipped++
		}
	}
	return run
}

func newRow(clients int, a, b []scorecards.Step, alpha float64) Row {
	row := Row{Clients: clients}
	for _, m := range metrics {
		va, vb := values(a, m), values(b, m)
		row.Metrics = append(row.Metrics, Metric{
			Name: m.name, A: stats.Summarize(va), B: stats.Summarize(vb),
			Compare: stats.Compare(va, vb, alpha),
		})
	}
	return row
}

func values(steps []scorecards.Step, m metric) []float64 {
	out := make([]float64, len(steps))
	for i, st := range steps {
		out[i] = m.value(st)
	}
	return out
}

// trials returns the judged steps of sc by client count (or, inFlight,
// by requests in flight), in trial order.
func trials(sc *scorecards.Scorecard, inFlight bool) map[int][]scorecards.Step {
	out := map[int][]scorecards.Step{}
	for _, st := range sc.Steps {
		if st.Judged() {
			n := st.Clients
			if inFlight {
				n *= max(streamsOf(sc), 1)
			}
			out[n] = append(out[n], st)
		}
	}
	return out
}

// streamsOf is the HTTP/2 streams per connection a run's driver asked for
// (0 over HTTP/1.1).
func streamsOf(sc *scorecards.Scorecard) int {
	if d := sc.Config.Driver; d.H2C {
		return max(d.Streams, 1)
	}
	return 0
}

// clientCounts returns every client count of either map, ascending.
func clientCounts(a, b map[int][]scorecards.Step) []int {
	var out []int
	for n := range a {
		out = append(out, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// breakingStep returns the step at the breaking point: the first judged
// step there that dropped with a limit named, else the first that dropped,
// else the first judged one; nil when the run did not break.
func breakingStep(sc *scorecards.Scorecard) *scorecards.Step {
	bp := sc.Summary.BreakingPoint
	if bp == nil {
		return nil
	}
	var dropped, any *scorecards.Step
	for i := range sc.Steps {
		st := &sc.Steps[i]
		if st.Clients != bp.Clients || !st.Judged() {
			continue
		}
		if st.State == attrib.Dropped && st.Verdict.Limit != attrib.None && st.Verdict.Limit != "" {
			return st
		}
		if dropped == nil && st.State == attrib.Dropped {
			dropped = st
		}
		if any == nil {
			any = st
		}
	}
	if dropped != nil {
		return dropped
	}
	return any
}
