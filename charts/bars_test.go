package charts

import (
	"image/color"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// TestBarsFromABase checks the plotter that starts bars at a positive base
// so that they stand on a log axis: the data range starts at the base, a
// value at or under it (or NaN) has no bar but keeps its label, and the
// drawn bars reach from the base to their values.
func TestBarsFromABase(t *testing.T) {
	b := &bars{
		Values:     []float64{1638, 0, 141955, math.NaN(), 500},
		Base:       1000,
		Width:      vg.Points(10),
		Colors:     []color.Color{colBlue},
		Labels:     []string{"port", "none", "cpu", "nan", "under"},
		LabelStyle: textStyle(noteSize, false, draw.XCenter, draw.YBottom),
		Strong:     -1,
	}
	xmin, xmax, ymin, ymax := b.DataRange()
	if xmin != -0.5 || xmax != 4.5 || ymin != 1000 || ymax != 141955 {
		t.Errorf("DataRange = %v..%v, %v..%v; want -0.5..4.5, 1000..141955", xmin, xmax, ymin, ymax)
	}
	for i, want := range []bool{true, false, true, false, false} {
		if got := b.drawable(i); got != want {
			t.Errorf("bar %d (%v): drawable %v, want %v", i, b.Values[i], got, want)
		}
	}

	p := plot.New()
	p.Add(b)
	setLogAxis(&p.Y, 1000, 1e6)
	p.X.Min, p.X.Max = -0.5, 4.5
	if n := len(b.GlyphBoxes(p)); n != 5 {
		t.Errorf("%d glyph boxes, want one per label (5)", n)
	}
	cv := vgsvg.New(10*vg.Centimeter, 6*vg.Centimeter)
	p.Draw(draw.New(cv))
	var sb strings.Builder
	if _, err := cv.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	svg := sb.String()
	if n := strings.Count(svg, "fill:#0072B2"); n != 2 {
		t.Errorf("%d bars drawn, want 2 (the values over the base)", n)
	}
	for _, l := range b.Labels {
		if !strings.Contains(svg, ">"+l+"<") {
			t.Errorf("label %q not drawn", l)
		}
	}
}

// TestBarsHorizontal checks the utilization layout: labels start at
// LabelFrom for short bars, past the end of long ones.
func TestBarsHorizontal(t *testing.T) {
	b := &bars{Values: []float64{50, 206, math.NaN()}, Horizontal: true, LabelFrom: 100, Strong: 1}
	for i, want := range []float64{100, 206, 100} {
		if got := b.labelAt(i); got != want {
			t.Errorf("label %d at %v, want %v", i, got, want)
		}
	}
	xmin, xmax, ymin, ymax := b.DataRange()
	if xmin != 0 || xmax != 206 || ymin != -0.5 || ymax != 2.5 {
		t.Errorf("DataRange = %v..%v, %v..%v; want 0..206, -0.5..2.5", xmin, xmax, ymin, ymax)
	}
	if b.labelStyle(1).Font.Weight == b.labelStyle(0).Font.Weight {
		t.Error("the strong bar's label is not bold")
	}
}
