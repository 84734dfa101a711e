package charts

import (
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalelab/scalelab/units"
)

// percentile is one latency percentile as drawn.
type percentile struct {
	name  string
	index int // into point.lat
	color color.Color
	shape draw.GlyphDrawer
}

var (
	p50  = percentile{"p50", 0, colBlue, draw.CircleGlyph{}}
	p90  = percentile{"p90", 1, colGreen, draw.SquareGlyph{}}
	p99  = percentile{"p99", 2, colOrange, draw.TriangleGlyph{}}
	p999 = percentile{"p99.9", 3, colPurple, draw.PyramidGlyph{}}
)

// LatencyChart draws a sweep's latency percentiles (p50, p90, p99, p99.9;
// the median of the trials) against its client count on a log scale, with
// the breaking point marked. Latencies that are zero or not measured are
// left out and counted in a legend note.
func LatencyChart(s Sweep) (*Chart, error) {
	pts, err := points("latency", s)
	if err != nil {
		return nil, err
	}
	runs := []run{{name: s.Label, sweep: s, pts: pts}}
	return latency("Latency percentiles vs clients: "+clip(s.Label, maxTitleLabel), runs, []percentile{p50, p90, p99, p999})
}

// CompareLatencyChart draws the p50, p99 and p99.9 latency of two sweeps on
// one chart: a colour per percentile, A solid and B dashed.
func CompareLatencyChart(a, b Sweep) (*Chart, error) {
	runs, err := compareRuns("latency", a, b)
	if err != nil {
		return nil, err
	}
	return latency("Latency percentiles vs clients: A vs B", runs, []percentile{p50, p99, p999})
}

// latency builds the latency chart of one run or two.
func latency(title string, runs []run, pcts []percentile) (*Chart, error) {
	p := newPlot()
	var clients, all []float64
	for _, r := range runs {
		for _, pt := range r.pts {
			clients = append(clients, pt.clients)
			for _, pc := range pcts {
				all = append(all, pt.lat[pc.index])
			}
		}
	}
	xlabel := clientAxis(p, clients)
	lo, hi, _ := decadeRange(1, all...)
	setLogAxis(&p.Y, lo, hi)

	if len(runs) > 1 {
		for _, r := range runs {
			p.Legend.Add(r.name, lineThumb(lineStyle(colText, 1.5, r.dashed), glyphStyle(colText, r.shape, 3)))
		}
	}
	dropped := 0
	for ri, r := range runs {
		xs := make([]float64, len(r.pts))
		for i, pt := range r.pts {
			xs[i] = pt.clients
		}
		for _, pc := range pcts {
			ys := make([]float64, len(r.pts))
			for i, pt := range r.pts {
				ys[i] = pt.lat[pc.index]
			}
			shape := pc.shape
			if len(runs) > 1 {
				shape = r.shape
			}
			ls, gs := lineStyle(pc.color, 1.5, r.dashed), glyphStyle(pc.color, shape, 3)
			ps, n, err := series(xs, ys, true, ls, gs)
			if err != nil {
				return nil, err
			}
			dropped += n
			p.Add(ps...)
			if ri == 0 && len(r.pts) > 0 {
				if len(runs) > 1 {
					p.Legend.Add(pc.name, thumb{line: &ls})
				} else {
					p.Legend.Add(pc.name, lineThumb(ls, gs))
				}
			}
		}
	}
	if len(runs) == 1 {
		breakLine(p, runs[0].sweep, clients)
	}
	if dropped > 0 {
		p.Legend.Add(logNote(dropped))
	}
	if len(clients) == 0 {
		p.Add(centerNote{"no steps measured"})
	}
	return &Chart{name: "latency", title: title, panels: []panel{{p, 1, xlabel, "latency (ms, log scale)"}}}, nil
}

// breakLine marks the breaking point of s with a vertical dashed line.
func breakLine(p *plot.Plot, s Sweep, clients []float64) {
	if s.BreakingPoint == 0 || !slices.Contains(clients, float64(s.BreakingPoint)) {
		return
	}
	ls := lineStyle(colRed, 1.2, true)
	p.Add(vLine(float64(s.BreakingPoint), ls))
	label := "breaking point: " + units.Clients(s.BreakingPoint)
	if s.Limit != "" {
		label += " (" + s.Limit + ")"
	}
	p.Legend.Add(label, thumb{line: &ls})
}
