package charts

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalelab/scalelab/units"
)

// run is one sweep as drawn on a chart: its name in the legend and its
// line style.
type run struct {
	name   string
	sweep  Sweep
	pts    []point
	color  color.Color
	dashed bool
	shape  draw.GlyphDrawer
}

// ThroughputChart draws a sweep's throughput against its client count
// (median of the trials, with the trials' min–max as error bars) above its
// success rate, with the sweet spot and the breaking point marked.
func ThroughputChart(s Sweep) (*Chart, error) {
	pts, err := points("throughput", s)
	if err != nil {
		return nil, err
	}
	runs := []run{{name: "throughput", sweep: s, pts: pts, color: colBlue, shape: draw.CircleGlyph{}}}
	return throughput("Throughput and success vs clients: "+clip(s.Label, maxTitleLabel), runs, true)
}

// CompareThroughputChart draws the throughput and success of two sweeps on
// one chart, A solid and B dashed.
func CompareThroughputChart(a, b Sweep) (*Chart, error) {
	runs, err := compareRuns("throughput", a, b)
	if err != nil {
		return nil, err
	}
	return throughput("Throughput and success vs clients: A vs B", runs, false)
}

// compareRuns prepares sweeps A and B for a compare chart.
func compareRuns(kind string, a, b Sweep) ([]run, error) {
	pa, err := points(kind, a)
	if err != nil {
		return nil, err
	}
	pb, err := points(kind, b)
	if err != nil {
		return nil, err
	}
	return []run{
		{name: "A: " + clip(a.Label, maxLegendLabel), sweep: a, pts: pa, color: colBlue, shape: draw.CircleGlyph{}},
		{name: "B: " + clip(b.Label, maxLegendLabel), sweep: b, pts: pb, color: colRed, dashed: true, shape: draw.TriangleGlyph{}},
	}, nil
}

// throughput builds the two panels; annotate writes the sweet spot and
// breaking point out in words (one run), otherwise glyphs and the legend
// say it.
func throughput(title string, runs []run, annotate bool) (*Chart, error) {
	top, bottom := newPlot(), newPlot()
	var clients []float64
	for _, r := range runs {
		for _, p := range r.pts {
			clients = append(clients, p.clients)
		}
	}
	xlabel := clientAxis(top, clients)
	clientAxis(bottom, clients)
	top.X.Tick.Marker = hideTickLabels{top.X.Tick.Marker}

	maxRPS, minOK, thr := 0.0, 100.0, 0.0
	for _, r := range runs {
		for _, p := range r.pts {
			maxRPS = math.Max(maxRPS, maxOf(p.rps, p.rpsHi))
			if finite(p.success) {
				minOK = math.Min(minOK, p.success)
			}
		}
		thr = math.Max(thr, r.sweep.Threshold*100)
	}
	for _, r := range runs {
		if err := addThroughput(top, r, annotate, len(runs) > 1); err != nil {
			return nil, err
		}
		if err := addSuccess(bottom, r, len(runs) > 1); err != nil {
			return nil, err
		}
	}
	if !annotate {
		if maxTrials(runs) > 1 {
			eb := lineStyle(colText, 1, false)
			top.Legend.Add("min–max of the trials", thumb{vbar: &eb})
		}
		g := glyphStyle(colText, draw.RingGlyph{}, 4)
		top.Legend.Add("sweet spot", thumb{glyph: &g})
		x := glyphStyle(colText, draw.CrossGlyph{}, 4)
		top.Legend.Add("breaking point", thumb{glyph: &x})
	}
	top.Y.Tick.Marker = numTicks{}
	top.Y.Min, top.Y.Max = 0, 1
	if maxRPS > 0 {
		top.Y.Max = maxRPS * 1.3 // a free band on top for the callouts
	}
	if len(clients) == 0 {
		top.Add(centerNote{"no steps measured"})
	}
	successAxis(bottom, minOK, thr)
	return &Chart{name: "throughput", title: title, panels: []panel{
		{top, 2, "", "throughput (requests/s)"},
		{bottom, 1, xlabel, "success (%)"},
	}}, nil
}

// addThroughput adds one run's throughput line, error bars and markers.
func addThroughput(p *plot.Plot, r run, annotate, named bool) error {
	xs, ys := make([]float64, len(r.pts)), make([]float64, len(r.pts))
	var bars errBars
	trials := 0
	for i, pt := range r.pts {
		xs[i], ys[i] = pt.clients, pt.rps
		trials = max(trials, pt.trials)
		if pt.trials > 1 && finite(pt.rps) {
			bars.XYs = append(bars.XYs, plotter.XY{X: pt.clients, Y: pt.rps})
			bars.YErrors = append(bars.YErrors, struct{ Low, High float64 }{pt.rps - pt.rpsLo, pt.rpsHi - pt.rps})
		}
	}
	ls, gs := lineStyle(r.color, 1.5, r.dashed), glyphStyle(r.color, r.shape, 3)
	ps, _, err := series(xs, ys, false, ls, gs)
	if err != nil {
		return err
	}
	eb := lineStyle(r.color, 1, false)
	if len(bars.XYs) > 0 {
		ebs, err := plotter.NewYErrorBars(bars)
		if err != nil {
			return err
		}
		ebs.LineStyle = eb
		ebs.CapWidth = vg.Points(6)
		p.Add(ebs)
	}
	p.Add(ps...)
	name := r.name
	if !named {
		name = "requests/s"
		if trials > 1 {
			name += " (median)"
		}
	}
	if len(r.pts) > 0 {
		p.Legend.Add(name, lineThumb(ls, gs))
	}
	if trials > 1 && !named {
		p.Legend.Add("min–max of "+units.Plural(trials, "trial", "trials"), thumb{vbar: &eb})
	}
	markers(p, r, annotate)
	return nil
}

// errBars is the input of plotter.NewYErrorBars.
type errBars struct {
	plotter.XYs
	plotter.YErrors
}

// markers marks the run's sweet spot (a ring) and breaking point (a cross)
// on its throughput line; with annotate it also writes them out as
// callouts in the free band at the top of the plot, the sweet spot on the
// first line and the breaking point on the second, so that the two never
// collide even on the same step.
func markers(p *plot.Plot, r run, annotate bool) {
	for _, pt := range r.pts {
		if !finite(pt.rps) {
			continue
		}
		c := int(pt.clients)
		for row, m := range []struct {
			at    int
			color color.Color
			shape draw.GlyphDrawer
			label string
		}{
			{r.sweep.SweetSpot, colGreen, draw.RingGlyph{}, "sweet spot: " + units.Clients(c)},
			{r.sweep.BreakingPoint, colRed, draw.CrossGlyph{}, breakLabel(c, r.sweep.Limit)},
		} {
			if m.at != c {
				continue
			}
			g := glyphStyle(m.color, m.shape, 7)
			if !annotate {
				g.Color = r.color
			}
			s, err := plotter.NewScatter(plotter.XYs{{X: pt.clients, Y: pt.rps}})
			if err != nil {
				continue // a finite point always makes a scatter
			}
			s.GlyphStyle = g
			p.Add(s)
			if annotate {
				p.Add(callout{X: pt.clients, Y: pt.rps, Row: row, Text: m.label, Color: m.color})
			}
		}
	}
}

// breakLabel is the breaking point's label.
func breakLabel(clients int, limit string) string {
	l := "breaking point: " + units.Clients(clients)
	if limit != "" {
		l += " (" + limit + ")"
	}
	return l
}

// addSuccess adds one run's success rate line.
func addSuccess(p *plot.Plot, r run, named bool) error {
	xs, ys := make([]float64, len(r.pts)), make([]float64, len(r.pts))
	for i, pt := range r.pts {
		xs[i], ys[i] = pt.clients, pt.success
	}
	ls, gs := lineStyle(r.color, 1.5, r.dashed), glyphStyle(r.color, r.shape, 3)
	ps, _, err := series(xs, ys, false, ls, gs)
	if err != nil {
		return err
	}
	p.Add(ps...)
	if !named && len(r.pts) > 0 {
		p.Legend.Add("success rate", lineThumb(ls, gs))
	}
	return nil
}

// successAxis scales the success axis from a little under the lowest rate
// (or the threshold) to a little over 100 %, and draws the threshold.
func successAxis(p *plot.Plot, minOK, thr float64) {
	lo := minOK
	if thr > 0 {
		lo = math.Min(lo, thr)
		ls := lineStyle(colGrey, 1, true)
		p.Add(hLine(thr, ls))
		p.Legend.Add("threshold "+units.WholePct(thr), thumb{line: &ls})
	}
	pad := math.Max((100-lo)*0.15, 0.5)
	p.Y.Min, p.Y.Max = math.Max(0, lo-pad), 100+pad
	p.Y.Tick.Marker = rangeTicks{numTicks{}, math.Inf(-1), 100}
}

// maxOf returns the largest finite value of vs, or 0.
func maxOf(vs ...float64) float64 {
	m := 0.0
	for _, v := range vs {
		if finite(v) {
			m = math.Max(m, v)
		}
	}
	return m
}

// maxTrials is the most trials of any step of the runs.
func maxTrials(runs []run) int {
	n := 0
	for _, r := range runs {
		for _, p := range r.pts {
			n = max(n, p.trials)
		}
	}
	return n
}
