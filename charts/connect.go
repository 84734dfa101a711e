package charts

import (
	"fmt"
	"image/color"
	"math"

	"github.com/scalelab/scalelab/internal/hist"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalelab/scalelab/units"
)

// DecodeHistogram decodes a histogram as the scorecard keeps it (a
// compressed HdrHistogram of microseconds in its standard form, the
// driver's connect_histogram and histogram fields) into its non-empty buckets in
// milliseconds. An empty string is an empty distribution.
func DecodeHistogram(b64 string) ([]Bucket, error) {
	if b64 == "" {
		return nil, nil
	}
	h, err := hist.Decode(b64)
	if err != nil {
		return nil, fmt.Errorf("charts: %w", err)
	}
	var out []Bucket
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			out = append(out, Bucket{FromMS: float64(b.From) / 1000, ToMS: float64(b.To) / 1000, Count: b.Count})
		}
	}
	return out, nil
}

// Connect-time chart geometry.
const (
	binsPerDecade = 10
	// minConnectMS is the smallest connect time drawn (1 µs, the
	// histogram's resolution).
	minConnectMS = 0.001
	// slowConnectMS is where a connect whose SYN (or final ACK) the kernel
	// dropped lands: the first SYN retransmit after 1 s, the second 2 s
	// later (Linux's initial RTO of 1 s, doubling).
	slowConnectMS = 1000
)

// seriesColors colours the series of a chart with several, in order.
var seriesColors = []color.Color{colBlue, colOrange, colGreen, colRed, colPurple, colSky, colYellow, colGrey}

// ConnectChart draws connect-time distributions as histograms with
// log-spaced bins (ten per decade) on log axes: a healthy connect takes
// microseconds to milliseconds, and a connect whose SYN the kernel dropped
// because the accept queue was full comes back after a retransmit, about
// 1 s or 3 s later. Those land in bins of their own, far right of the main
// hump, next to the marked 1 s and 3 s lines, however few they are.
func ConnectChart(in Connect) (*Chart, error) {
	title := "Connect time: " + clip(in.Label, maxTitleLabel)
	p := newPlot()
	lo, hi := math.Inf(1), 0.0
	for si, s := range in.Series {
		for bi, b := range s.Buckets {
			if b.Count < 0 || !finite(b.FromMS) || !finite(b.ToMS) || b.ToMS < b.FromMS {
				return nil, fmt.Errorf("charts: connect chart of %q: series %d (%s): bucket %d: %v to %v ms, count %d: want a count >= 0 over a finite range", in.Label, si+1, s.Label, bi+1, b.FromMS, b.ToMS, b.Count)
			}
			if b.Count > 0 {
				m := math.Max(mid(b), minConnectMS)
				lo, hi = math.Min(lo, m), math.Max(hi, m)
			}
		}
	}
	xlo, xhi, ok := decadeRange(minConnectMS, lo, hi, 3*slowConnectMS*1.5)
	if !ok || !(lo <= hi) {
		xlo, xhi = 0.1, 10*slowConnectMS
	}
	setLogAxis(&p.X, xlo, xhi)
	maxCount := 1.0
	drawn := 0
	for i, s := range in.Series {
		bins := logBins(s.Buckets, xlo, xhi)
		var total, slow int64
		for _, b := range s.Buckets {
			total += b.Count
			if b.FromMS >= slowConnectMS {
				slow += b.Count
			}
		}
		c := seriesColors[i%len(seriesColors)]
		if total == 0 {
			p.Legend.Add(clip(s.Label, maxLegendLabel) + ": no connects")
			continue
		}
		for _, n := range bins {
			maxCount = math.Max(maxCount, float64(n))
		}
		l, err := stepLine(bins, xlo)
		if err != nil {
			return nil, fmt.Errorf("charts: connect chart of %q: %w", in.Label, err)
		}
		l.LineStyle = lineStyle(c, 1.5, false)
		p.Add(l)
		drawn++
		name := clip(s.Label, maxLegendLabel) + ": " + units.Int(total) + " connects"
		if slow > 0 {
			name += ", " + units.Int(slow) + " ≥ 1 s"
		}
		p.Legend.Add(name, thumb{line: &l.LineStyle})
	}
	p.Y.Scale = safeLog{}
	p.Y.Min, p.Y.Max = countFloor, math.Pow(10, math.Ceil(math.Log10(maxCount*1.5)))
	p.Y.Tick.Marker = rangeTicks{logTicks{}, 1, math.Inf(1)}
	retransmitLines(p)
	if drawn == 0 {
		p.Add(centerNote{"no connects measured"})
	}
	return &Chart{name: "connect", title: title, panels: []panel{{p, 1,
		"connect time (ms, log scale; " + units.Int(binsPerDecade) + " bins per decade)",
		"connects per bin (log scale)"}}}, nil
}

// countFloor is the bottom of a count axis: an empty bin is drawn there,
// a bin of one connect just above it.
const countFloor = 0.5

// mid is the middle of a bucket.
func mid(b Bucket) float64 { return (b.FromMS + b.ToMS) / 2 }

// logBins sums the buckets into binsPerDecade log-spaced bins from lo to hi
// (a bucket goes to the bin of its middle; below lo to the first bin).
func logBins(bs []Bucket, lo, hi float64) []int64 {
	n := int(math.Round(math.Log10(hi/lo) * binsPerDecade))
	bins := make([]int64, n)
	for _, b := range bs {
		i := int(math.Floor(math.Log10(math.Max(mid(b), lo)/lo) * binsPerDecade))
		bins[min(max(i, 0), n-1)] += b.Count
	}
	return bins
}

// binEdge is the left edge of bin i of a chart starting at lo.
func binEdge(lo float64, i int) float64 {
	return lo * math.Pow(10, float64(i)/binsPerDecade)
}

// stepLine outlines bins as a histogram: flat at each bin's count, an
// empty bin at the floor of the axis.
func stepLine(bins []int64, lo float64) (*plotter.Line, error) {
	xys := plotter.XYs{{X: binEdge(lo, 0), Y: countFloor}}
	for i, n := range bins {
		y := math.Max(float64(n), countFloor)
		xys = append(xys, plotter.XY{X: binEdge(lo, i), Y: y}, plotter.XY{X: binEdge(lo, i+1), Y: y})
	}
	xys = append(xys, plotter.XY{X: binEdge(lo, len(bins)), Y: countFloor})
	return plotter.NewLine(xys)
}

// retransmitLines marks 1 s and 3 s, where connects retried after a
// dropped SYN land.
func retransmitLines(p *plot.Plot) {
	ls := lineStyle(colRed, 1, true)
	st := textStyle(noteSize, false, draw.XLeft, draw.YTop)
	st.Color = colRed
	for _, ms := range []float64{slowConnectMS, 3 * slowConnectMS} {
		p.Add(vLine(ms, ls))
		p.Add(textMark{X: ms, Y: p.Y.Max, Text: units.Int(int(ms/1000)) + " s", Style: st, Off: vg.Point{X: vg.Points(2)}})
	}
	p.Legend.Add("1 s, 3 s: SYN retransmits", thumb{line: &ls})
}
