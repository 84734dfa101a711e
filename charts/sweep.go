package charts

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/scalelab/scalelab/units"
)

// point is one step of a sweep reduced to what the charts draw: the median
// of its trials, and their extremes for the error bars.
type point struct {
	clients      float64
	rps          float64 // median of the trials; NaN without one
	rpsLo, rpsHi float64 // min and max of the trials
	success      float64 // median, in percent
	lat          [4]float64
	trials       int
}

// points validates s and reduces its steps, sorted by client count.
func points(kind string, s Sweep) ([]point, error) {
	steps := slices.Clone(s.Steps)
	slices.SortStableFunc(steps, func(a, b Step) int { return a.Clients - b.Clients })
	out := make([]point, 0, len(steps))
	for i, st := range steps {
		if st.Clients < 1 {
			return nil, fmt.Errorf("charts: %s chart of %q: step %d: clients %d: must be at least 1", kind, s.Label, i+1, st.Clients)
		}
		var rps, ok []float64
		var lat [4][]float64
		for _, t := range st.Trials {
			rps = append(rps, t.RPS)
			ok = append(ok, t.Success*100)
			for j, v := range [4]float64{t.Latency.P50, t.Latency.P90, t.Latency.P99, t.Latency.P999} {
				lat[j] = append(lat[j], v)
			}
		}
		p := point{clients: float64(st.Clients), trials: len(st.Trials)}
		p.rps, p.rpsLo, p.rpsHi = median(rps)
		p.success, _, _ = median(ok)
		for j := range lat {
			p.lat[j] = medianPositive(lat[j])
		}
		out = append(out, p)
	}
	return out, nil
}

// median returns the median, minimum and maximum of the finite values of
// vs; NaN for all three when there is none.
func median(vs []float64) (med, lo, hi float64) {
	var f []float64
	for _, v := range vs {
		if finite(v) {
			f = append(f, v)
		}
	}
	if len(f) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	slices.Sort(f)
	n := len(f)
	med = f[n/2]
	if n%2 == 0 {
		med = (f[n/2-1] + f[n/2]) / 2
	}
	return med, f[0], f[n-1]
}

// medianPositive is the median of the positive values (a latency that was
// measured); NaN when none was.
func medianPositive(vs []float64) float64 {
	var f []float64
	for _, v := range vs {
		if positive(v) {
			f = append(f, v)
		}
	}
	m, _, _ := median(f)
	return m
}

// approxDataWidth is about how wide a chart's data area is drawn; tick
// labels are thinned out against it.
const approxDataWidth = 12 * vg.Centimeter

// clientAxis sets p's x axis for these client counts: a log axis when they
// span more than a decade, linear otherwise, labelled with the counts
// themselves. It returns the axis label.
func clientAxis(p *plot.Plot, clients []float64) string {
	p.X.Tick.Marker = numTicks{}
	if len(clients) == 0 {
		p.X.Min, p.X.Max = 0, 1
		return "clients"
	}
	lo, hi := slices.Min(clients), slices.Max(clients)
	ticks := valueTicks{Values: clients, Style: p.X.Tick.Label, Length: approxDataWidth}
	if hi/lo > 10 {
		ticks.Log = true
		p.X.Scale = safeLog{}
		p.X.Min, p.X.Max = lo/1.25, hi*1.25
		p.X.Tick.Marker = ticks
		return "clients (log scale)"
	}
	span := hi - lo
	if span == 0 {
		span = math.Max(lo, 1)
	}
	p.X.Min, p.X.Max = math.Max(0, lo-span*0.08), hi+span*0.08
	p.X.Tick.Marker = ticks
	return "clients"
}

// logNote is the legend note for values left off a log axis.
func logNote(n int) string {
	return units.Plural(n, "value", "values") + " not drawn: zero or not measured (log scale)"
}
