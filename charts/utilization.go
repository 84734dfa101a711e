package charts

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalelab/scalelab/units"
)

// SaturatedPct is the share of its capacity, in percent, at which
// UtilizationChart draws a resource as saturated.
const SaturatedPct = 90

// UtilizationChart draws how much of each resource one step used, as
// horizontal bars in percent of the resource's capacity (CPU of its cores,
// fds of nofile, TIME_WAIT of the port range, the accept queue of the
// backlog, busy workers of the pool, the pool's queue of its capacity),
// each labelled with its amounts. The bottleneck is drawn in red, other
// saturated resources in orange, so the resource at 100 % stands out.
func UtilizationChart(in Utilization) (*Chart, error) {
	n := len(in.Resources)
	pcts := make([]float64, n)
	for i, r := range in.Resources {
		if r.Used < 0 || r.Capacity < 0 {
			return nil, fmt.Errorf("charts: utilization chart of %q: resource %d (%s): used %v of capacity %v: must not be negative", in.Label, i+1, r.Name, r.Used, r.Capacity)
		}
		pcts[i] = math.NaN() // not measured
		if r.Capacity > 0 && finite(r.Capacity) && finite(r.Used) {
			pcts[i] = r.Used / r.Capacity * 100
		}
	}
	neck := bottleneck(in, pcts)

	title := "Resource utilization: " + clip(in.Label, maxTitleLabel)
	if in.Clients > 0 {
		title += ", " + units.Clients(in.Clients)
	}
	p := newPlot()
	b := &bars{
		Values:     make([]float64, n),
		Colors:     make([]color.Color, n),
		Labels:     make([]string, n),
		Horizontal: true,
		Width:      vg.Points(11),
		LabelStyle: textStyle(noteSize, false, draw.XLeft, draw.YCenter),
		LabelGap:   vg.Points(4),
		LabelFrom:  100,
		Strong:     -1,
	}
	names := make([]string, n)
	for i, r := range in.Resources {
		j := n - 1 - i // the first resource on top
		names[j] = clip(r.Name, maxAxisLabel)
		b.Values[j], b.Labels[j], b.Colors[j] = pcts[i], resourceLabel(r, pcts[i]), barColor(i == neck, pcts[i])
		if i == neck {
			b.Strong = j
		}
	}
	capLine := lineStyle(colText, 1, true)
	p.Add(b, vLine(100, capLine))
	p.X.Min, p.X.Max = 0, math.Max(100, maxOf(pcts...))*1.02
	p.X.Tick.Marker = numTicks{}
	b.nameAxis(p, names, textStyle(labelSize, false, draw.XRight, draw.YCenter), "no resources measured")
	if neck >= 0 {
		p.Legend.Add("bottleneck: "+clip(in.Resources[neck].Name, maxLegendLabel), thumb{fill: &draw.LineStyle{Color: colRed}})
	}
	satur := thumb{fill: &draw.LineStyle{Color: colOrange}}
	p.Legend.Add("saturated: ≥ "+units.WholePct(SaturatedPct), satur)
	p.Legend.Add("below "+units.WholePct(SaturatedPct), thumb{fill: &draw.LineStyle{Color: colSky}})
	p.Legend.Add("100% = capacity", thumb{line: &capLine})
	return &Chart{name: "utilization", title: title, panels: []panel{{p, 1, "utilization (% of capacity, peak in the step)", ""}}}, nil
}

// bottleneck returns the index of the bottleneck resource, or -1: the one
// named by in.Bottleneck, else the most used one if it is saturated.
func bottleneck(in Utilization, pcts []float64) int {
	if in.Bottleneck != "" {
		for i, r := range in.Resources {
			if r.Name == in.Bottleneck {
				return i
			}
		}
		return -1
	}
	best := -1
	for i, v := range pcts {
		if finite(v) && v >= SaturatedPct && (best < 0 || v > pcts[best]) {
			best = i
		}
	}
	return best
}

// barColor colours a resource's bar by its state.
func barColor(neck bool, pct float64) color.Color {
	switch {
	case neck:
		return colRed
	case pct >= SaturatedPct:
		return colOrange
	}
	return colSky
}

// resourceLabel is the text beside a resource's bar: "100% (16,384 of
// 16,384)", "86% of 1 core", "not measured".
func resourceLabel(r Resource, pct float64) string {
	if !finite(pct) {
		return "not measured"
	}
	if r.Detail != "" {
		return units.WholePct(pct) + " " + r.Detail
	}
	return units.WholePct(pct) + " (" + amount(r.Used) + " of " + amount(r.Capacity) + ")"
}

// amount prints a count whole and a fractional amount with one decimal.
func amount(v float64) string {
	if v == math.Trunc(v) {
		return units.Float(v, 0)
	}
	return units.Float(v, 1)
}
