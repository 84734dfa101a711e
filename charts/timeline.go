package charts

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalelab/scalelab/units"
)

// TimelineChart draws one step second by second, in three panels sharing
// the time axis: successful requests per second, failed requests per second
// (on a scale of their own, so a few errors do not read as none), and the
// p99 latency of each second (log scale). A throughput that collapses
// within the step (TIME_WAIT filling the port range) or errors that start
// late show here and nowhere else.
func TimelineChart(in Timeline) (*Chart, error) {
	secs := slices.Clone(in.Seconds)
	slices.SortStableFunc(secs, func(a, b Second) int { return a.T - b.T })
	for i, s := range secs {
		if s.T < 0 {
			return nil, fmt.Errorf("charts: timeline chart of %q: second %d: t %d: must not be negative", in.Label, i+1, s.T)
		}
	}
	title := "Per-second timeline: " + clip(in.Label, maxTitleLabel)
	if in.Clients > 0 {
		title += ", " + units.Clients(in.Clients)
	}
	ok, bad, lat := newPlot(), newPlot(), newPlot()
	ts, rps, errs, p99 := make([]float64, len(secs)), make([]float64, len(secs)), make([]float64, len(secs)), make([]float64, len(secs))
	for i, s := range secs {
		ts[i], rps[i], errs[i], p99[i] = float64(s.T), s.RPS, s.Errors, s.P99MS
	}
	for _, p := range []*plot.Plot{ok, bad, lat} {
		secondAxis(p, ts)
	}
	ok.X.Tick.Marker = hideTickLabels{ok.X.Tick.Marker}
	bad.X.Tick.Marker = hideTickLabels{bad.X.Tick.Marker}

	for _, pan := range []struct {
		p     *plot.Plot
		ys    []float64
		name  string
		color color.Color
		shape draw.GlyphDrawer
	}{
		{ok, rps, "ok requests/s", colBlue, draw.CircleGlyph{}},
		{bad, errs, "errors/s", colRed, draw.CrossGlyph{}},
	} {
		ls, gs := lineStyle(pan.color, 1.5, false), glyphStyle(pan.color, pan.shape, 2.5)
		ps, _, err := series(ts, pan.ys, false, ls, gs)
		if err != nil {
			return nil, fmt.Errorf("charts: timeline chart of %q: %w", in.Label, err)
		}
		pan.p.Add(ps...)
		pan.p.Y.Min, pan.p.Y.Max = 0, math.Max(5, maxOf(pan.ys...)*1.1) // counts: whole ticks
		pan.p.Y.Tick.Marker = numTicks{}
		if len(secs) > 0 {
			pan.p.Legend.Add(pan.name, lineThumb(ls, gs))
		}
	}

	ls, gs := lineStyle(colOrange, 1.5, false), glyphStyle(colOrange, draw.TriangleGlyph{}, 2.5)
	ps, dropped, err := series(ts, p99, true, ls, gs)
	if err != nil {
		return nil, fmt.Errorf("charts: timeline chart of %q: %w", in.Label, err)
	}
	lat.Add(ps...)
	lo, hi, _ := decadeRange(1, p99...)
	setLogAxis(&lat.Y, lo, hi)
	lat.Y.Tick.Marker = logTicks{Sparse: true}
	if len(secs) > 0 {
		lat.Legend.Add("p99 of the second\n(log scale)", lineThumb(ls, gs))
	} else {
		ok.Add(centerNote{"no seconds measured"})
	}
	if dropped > 0 {
		lat.Legend.Add(logNote(dropped))
	}
	return &Chart{name: "timeline", title: title, panels: []panel{
		{ok, 3, "", "ok/s"},
		{bad, 1.6, "", "errors/s"},
		{lat, 2, "second of the step (s)", "p99 (ms)"},
	}}, nil
}

// secondAxis sets a time axis in whole seconds: a tick every second for a
// short step, every 2, 5, 10... for a long one.
func secondAxis(p *plot.Plot, ts []float64) {
	p.X.Min, p.X.Max = 0, 1
	if len(ts) > 0 {
		p.X.Min, p.X.Max = math.Min(0, slices.Min(ts)), math.Max(1, slices.Max(ts))
	}
	p.X.Min -= 0.3
	p.X.Max += 0.3
	p.X.Tick.Marker = secondTicks{}
}

// secondTicks labels whole seconds at a round step.
type secondTicks struct{}

// Ticks implements plot.Ticker.
func (secondTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return nil
	}
	step := math.Max(1, niceStep((max-min)/10))
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: units.Float(v, 0)})
	}
	return ticks
}
