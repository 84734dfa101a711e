package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/driver/threshold"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

// checkPhaseThresholds checks a phase's thresholds against each client
// count's median over its judged trials (steps cut short do not count),
// prints one line per client count and threshold, and returns how many
// failed.
func checkPhaseThresholds(w io.Writer, exprs []string, steps []scorecards.Step) (int, error) {
	if len(exprs) == 0 {
		return 0, nil
	}
	ts, err := threshold.ParseAll(exprs)
	if err != nil {
		return 0, err
	}
	var counts []int
	byClients := map[int][]scorecards.Step{}
	for _, s := range steps {
		if !s.Judged() {
			continue
		}
		if _, ok := byClients[s.Clients]; !ok {
			counts = append(counts, s.Clients)
		}
		byClients[s.Clients] = append(byClients[s.Clients], s)
	}
	slices.Sort(counts)
	fmt.Fprintln(w, "thresholds, on each client count's median over its trials:")
	failed := 0
	if len(counts) == 0 {
		fmt.Fprintln(w, "  no step was measured to its end: every threshold fails")
		return len(ts), nil
	}
	width := 0
	for _, t := range ts {
		width = max(width, len(t.Expr))
	}
	for _, n := range counts {
		rs, _ := threshold.CheckAll(ts, medianMetric(byClients[n]))
		for _, r := range rs {
			if !r.Passed {
				failed++
			}
			fmt.Fprintf(w, "  %14s  %-4s  %-*s  measured %s\n", units.Clients(n), r.Verdict(), width, r.Threshold, r.MeasuredText())
		}
	}
	return failed, nil
}

// medianMetric returns a threshold lookup over the median of steps (the
// mean of the middle two for an even count).
func medianMetric(steps []scorecards.Step) func(string) (float64, bool) {
	return func(name string) (float64, bool) {
		var vs []float64
		for _, s := range steps {
			if v, ok := stepMetric(s, name); ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			return 0, false
		}
		slices.Sort(vs)
		mid := len(vs) / 2
		if len(vs)%2 == 1 {
			return vs[mid], true
		}
		return (vs[mid-1] + vs[mid]) / 2, true
	}
}

// stepMetric is a threshold metric of one scorecard step: rates from its
// counts, latency percentiles from its histogram (or, on cards without
// one, the percentiles it recorded).
func stepMetric(s scorecards.Step, name string) (float64, bool) {
	responses := s.OK + s.Errors[driver.ClassHTTP4xx] + s.Errors[driver.ClassHTTP5xx]
	switch name {
	case "success":
		return float64(s.SuccessRate) * 100, s.Requests > 0
	case "errors":
		return float64(s.Requests-s.OK) / float64(s.Requests) * 100, s.Requests > 0
	case "rps":
		return float64(s.RPS), s.DurationS > 0
	case "responses_rps":
		return float64(responses) / float64(s.DurationS), s.DurationS > 0
	}
	if s.Histogram != "" {
		h, err := driver.DecodeHistogram(s.Histogram)
		if err != nil || h.TotalCount() == 0 {
			return 0, false
		}
		sum := driver.Summary{LatencyMS: driver.LatencyOf(h)}
		return sum.Metric(name)
	}
	l := s.LatencyMS
	v, ok := map[string]float64{"p50": float64(l.P50), "p90": float64(l.P90), "p99": float64(l.P99),
		"p99.9": float64(l.P999), "max": float64(l.Max), "mean": float64(l.Mean)}[name]
	return v, ok && l.Max > 0
}
