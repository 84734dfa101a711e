package scorecards

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/charts"
	"github.com/scalelab/scalelab/units"
)

// The charts a run writes beside its report, by file name (without the
// .svg and .png endings).
const (
	ChartThroughput  = "throughput"  // throughput and success vs clients, the trials' spread, sweet spot and breaking point
	ChartLatency     = "latency"     // latency percentiles vs clients, log scale
	ChartConnect     = "connect"     // connect-time distributions: SYN retransmits show at 1 s, 3 s
	ChartTimeline    = "timeline"    // second by second, the deciding step
	ChartUtilization = "utilization" // every resource of the deciding step, the bottleneck marked
)

// ChartNames lists the charts WriteCharts writes, in report order.
var ChartNames = []string{ChartThroughput, ChartLatency, ChartConnect, ChartTimeline, ChartUtilization}

// WriteCharts renders the card's charts as SVG and PNG files in dir and
// returns their paths. It reads the card in its written form, so charts
// drawn during a run and later from the saved card are the same.
func WriteCharts(dir string, sc *Scorecard) ([]string, error) {
	var paths []string
	for _, name := range ChartNames {
		c, err := Chart(sc, name)
		if err != nil {
			return paths, err
		}
		ps, err := charts.Save(c, dir, name)
		paths = append(paths, ps...)
		if err != nil {
			return paths, fmt.Errorf("scorecards: %s chart: %w", name, err)
		}
	}
	return paths, nil
}

// Chart draws one of the card's charts, by its name in ChartNames, from
// the card in its written form (as WriteCharts does).
func Chart(sc *Scorecard, name string) (*charts.Chart, error) {
	v := newView(sc.Rounded())
	var c *charts.Chart
	var err error
	switch name {
	case ChartThroughput:
		c, err = charts.ThroughputChart(sweepOf(v))
	case ChartLatency:
		c, err = charts.LatencyChart(sweepOf(v))
	case ChartConnect:
		c, err = charts.ConnectChart(connectOf(v))
	case ChartTimeline:
		c, err = charts.TimelineChart(timelineOf(v))
	case ChartUtilization:
		c, err = charts.UtilizationChart(utilizationOf(v))
	default:
		return nil, fmt.Errorf("scorecards: no chart named %q (want one of %s)", name, strings.Join(ChartNames, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("scorecards: %s chart: %w", name, err)
	}
	return c, nil
}

// label names the run on every chart: "phase 5 pool-backlog".
func label(sc *Scorecard) string {
	return "phase " + strconv.Itoa(sc.Phase.Number) + " " + sc.Phase.Name
}

// SweepChart is the card as the charts package draws a sweep (also used by
// compare for overlays).
func SweepChart(sc *Scorecard) charts.Sweep { return sweepOf(newView(sc.Rounded())) }

func sweepOf(v *view) charts.Sweep {
	sc := v.card
	s := charts.Sweep{Label: label(sc), Threshold: sc.Config.SuccessThreshold}
	for _, l := range v.levels {
		step := charts.Step{Clients: l.Clients}
		for _, st := range v.trials[l.Clients] {
			tr := charts.Trial{RPS: float64(st.RPS), Success: float64(st.SuccessRate)}
			if st.OK > 0 {
				tr.Latency = charts.Latency{P50: float64(st.LatencyMS.P50), P90: float64(st.LatencyMS.P90),
					P99: float64(st.LatencyMS.P99), P999: float64(st.LatencyMS.P999)}
			}
			step.Trials = append(step.Trials, tr)
		}
		s.Steps = append(s.Steps, step)
	}
	if sp := sc.Summary.SweetSpot; sp != nil {
		s.SweetSpot = sp.Clients
	}
	if bp := sc.Summary.BreakingPoint; bp != nil {
		s.BreakingPoint = bp.Clients
		if l, ok := v.level(bp.Clients); ok {
			s.Limit = string(l.Limit)
		}
	}
	return s
}

func connectOf(v *view) charts.Connect {
	c := charts.Connect{Label: label(v.card)}
	for _, l := range v.levels {
		for _, st := range v.trials[l.Clients] {
			if st.ConnectHistogram == "" {
				continue
			}
			buckets, err := charts.DecodeHistogram(st.ConnectHistogram)
			if err != nil || len(buckets) == 0 {
				continue
			}
			c.Series = append(c.Series, charts.Distribution{Label: units.Clients(l.Clients), Buckets: buckets})
			break
		}
	}
	return c
}

func timelineOf(v *view) charts.Timeline {
	st, _ := v.decisiveStep() // none: a zero step, without seconds
	t := charts.Timeline{Label: label(v.card), Clients: st.Clients}
	for _, s := range st.Timeline {
		t.Seconds = append(t.Seconds, charts.Second{T: s.T, RPS: float64(s.RPS), Errors: float64(s.Errors), P99MS: float64(s.P99MS)})
	}
	return t
}

func utilizationOf(v *view) charts.Utilization {
	u := charts.Utilization{Label: label(v.card)}
	st, ok := v.decisiveStep()
	if !ok {
		return u
	}
	u.Clients, u.Bottleneck = st.Clients, string(st.Verdict.Resource)
	for _, r := range st.USE() {
		used := 100 * r.Utilization
		if math.IsNaN(r.Utilization) {
			used = math.NaN()
		}
		// The chart writes the percentage itself: keep what follows it.
		detail := r.Used
		if pct, rest, ok := strings.Cut(detail, "% "); ok && strings.Trim(pct, "0123456789.,") == "" {
			detail = rest
		} else if detail != "" {
			detail = "(" + detail + ")"
		}
		u.Resources = append(u.Resources, charts.Resource{Name: string(r.Resource), Used: used, Capacity: 100, Detail: detail})
	}
	return u
}

// chartsSection links the charts WriteCharts writes beside the report.
func chartsSection(v *view) Section {
	s := Section{Level: 2, Heading: "Charts"}
	titles := map[string]string{
		ChartThroughput:  "Throughput and success vs clients",
		ChartLatency:     "Latency percentiles vs clients",
		ChartConnect:     "Connect-time distribution",
		ChartTimeline:    "Second by second, the deciding step",
		ChartUtilization: "Resources of the deciding step",
	}
	s.Blocks = append(s.Blocks, Paragraph("Written beside this report as SVG and PNG (`scalelab report DIR` draws them again from the card)."))
	for _, n := range ChartNames {
		s.Blocks = append(s.Blocks, Paragraph(fmt.Sprintf("![%s](%s.svg)", titles[n], n)))
	}
	return s
}
