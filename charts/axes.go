package charts

import (
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"

	"github.com/scalelab/scalelab/units"
)

// safeLog is a log scale that never panics: gonum's plot.LogScale panics on
// a value or a range end <= 0. Charts drop such values before they reach a
// plotter (and say so in the legend); safeLog is the guard behind that, and
// puts anything non-positive at the bottom of the axis.
type safeLog struct{}

var _ plot.Normalizer = safeLog{}

// Normalize returns the fractional logarithmic distance of x between min
// and max; x <= 0 (or NaN) maps to 0, a broken range to 0.
func (safeLog) Normalize(min, max, x float64) float64 {
	if !(min > 0) || !(max > min) {
		return 0
	}
	if !(x > 0) {
		return 0
	}
	lo := math.Log(min)
	return (math.Log(x) - lo) / (math.Log(max) - lo)
}

// positive reports whether x can be drawn on a log axis.
func positive(x float64) bool { return x > 0 && !math.IsInf(x, 1) }

// finite reports whether x can be drawn on a linear axis.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// decadeRange returns the decades around the positive values of vs:
// [10^floor(log10 min), 10^ceil(log10 max)], at least one decade wide. With
// no positive value it returns def..def*10 and false.
func decadeRange(def float64, vs ...float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if positive(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return def, def * 10, false
	}
	lo = math.Pow(10, math.Floor(math.Log10(lo)))
	hi = math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	return lo, hi, true
}

// setLogAxis makes a a log axis over [lo, hi] with decade ticks.
func setLogAxis(a *plot.Axis, lo, hi float64) {
	a.Scale = safeLog{}
	a.Min, a.Max = lo, hi
	a.Tick.Marker = logTicks{}
}

// tickDecimals is the number of decimals that print v (a tick step or a
// decade) without losing it: 0.01 -> 2, 0.5 -> 1, 20 -> 0.
func tickDecimals(v float64) int {
	if !(v > 0) || v >= 1 {
		return 0
	}
	return int(math.Ceil(-math.Log10(v) - 1e-9))
}

// logTicks labels the decades of a log axis (0.1, 1, 10, 100, 1,000, ...)
// and, when the axis spans at most three decades and is not Sparse (a short
// panel), 2× and 5× each decade too; the other integer multiples are
// unlabelled minor ticks.
type logTicks struct{ Sparse bool }

// Ticks implements plot.Ticker; it returns nothing for a range that a log
// axis cannot show.
func (lt logTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0) || !(max > min) || math.IsInf(max, 0) {
		return nil
	}
	span := math.Log10(max) - math.Log10(min)
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		dec := math.Pow(10, e)
		for m := 1.0; m < 10; m++ {
			v := m * dec
			if v < min*(1-1e-9) || v > max*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (!lt.Sparse && span <= 3 && (m == 2 || m == 5)) {
				t.Label = units.Float(v, tickDecimals(v))
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// numTicks labels a linear axis at a round step (1, 2 or 5 times a power
// of ten) giving about four to seven labels, with thousands separators and just
// enough decimals, and an unlabelled minor tick halfway between them.
type numTicks struct{}

// Ticks implements plot.Ticker.
func (numTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return nil
	}
	step := niceStep((max - min) / 6)
	minor := step / 2
	d := tickDecimals(step)
	var ticks []plot.Tick
	for i := math.Ceil(min / minor); i*minor <= max*(1+1e-12)+1e-12; i++ {
		v := i * minor
		t := plot.Tick{Value: v}
		if r := math.Round(v / step); math.Abs(v/step-r) < 1e-9 {
			t.Value = r * step
			t.Label = units.Float(t.Value, d)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5} {
		if m*p >= x*(1-1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// valueTicks labels the measured values themselves (client counts),
// leaving out a label that would touch the one before it; on a log axis the
// decades are minor ticks. Length is the axis's approximate drawn length,
// Style the tick label style.
type valueTicks struct {
	Values []float64
	Log    bool
	Style  text.Style
	Length vg.Length
}

// Ticks implements plot.Ticker.
func (v valueTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || (v.Log && !(min > 0)) {
		return nil
	}
	norm := func(x float64) float64 { return (x - min) / (max - min) }
	if v.Log {
		norm = func(x float64) float64 { return safeLog{}.Normalize(min, max, x) }
	}
	vals := slices.Clone(v.Values)
	slices.Sort(vals)
	vals = slices.Compact(vals)
	var ticks []plot.Tick
	lastEnd := vg.Length(math.Inf(-1))
	const gap = vg.Length(4) // points between two labels
	for _, x := range vals {
		if x < min || x > max || (v.Log && !(x > 0)) {
			continue
		}
		t := plot.Tick{Value: x, Label: units.Float(x, tickDecimals(x))}
		w := v.Style.Width(t.Label)
		at := vg.Length(norm(x)) * v.Length
		if at-w/2 < lastEnd+gap {
			t.Label = "" // too close to the previous label: a tick mark only
		} else {
			lastEnd = at + w/2
		}
		ticks = append(ticks, t)
	}
	if v.Log {
		for _, t := range (logTicks{}).Ticks(min, max) {
			if !slices.Contains(vals, t.Value) {
				ticks = append(ticks, plot.Tick{Value: t.Value})
			}
		}
	}
	return ticks
}

// hideTickLabels keeps a's tick marks and drops their labels (the upper
// panel of a stack, whose x axis the lower panel labels).
type hideTickLabels struct{ plot.Ticker }

// Ticks implements plot.Ticker.
func (h hideTickLabels) Ticks(min, max float64) []plot.Tick {
	ts := h.Ticker.Ticks(min, max)
	out := make([]plot.Tick, len(ts))
	for i, t := range ts {
		out[i] = plot.Tick{Value: t.Value}
	}
	return out
}

// rangeTicks leaves out the ticks outside [Min, Max]: a success rate over
// 100 %, a count under 1.
type rangeTicks struct {
	plot.Ticker
	Min, Max float64
}

// Ticks implements plot.Ticker.
func (r rangeTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range r.Ticker.Ticks(min, max) {
		if t.Value >= r.Min*(1-1e-12) && t.Value <= r.Max*(1+1e-12) {
			out = append(out, t)
		}
	}
	return out
}
