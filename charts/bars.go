package charts

import (
	"image/color"
	"math"

	stdfnt "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bars is a bar chart whose bars start at Base instead of 0, so that it
// works on a log axis (gonum's plotter.BarChart starts every bar at 0,
// which a log axis cannot show). Bar i stands at category i; a bar whose
// value cannot be drawn (NaN, infinite, at or below Base) is left out and
// only its label is written, at Base.
type bars struct {
	Values     []float64
	Base       float64
	Horizontal bool          // bars grow along x, categories on y
	Width      vg.Length     // thickness of a bar
	Colors     []color.Color // per bar; cycled
	Labels     []string      // written at the end of each bar
	LabelStyle text.Style    // of the labels (alignment is set per direction)
	LabelGap   vg.Length     // between a bar's end and its label
	// LabelFrom is the value a label starts at or after: labels of short
	// bars line up there, clear of a reference line (100 %); 0: none.
	LabelFrom float64
	// Strong is the index of the bar to emphasize (outlined, bold
	// label); -1: none.
	Strong int
}

// nameAxis names the bars on p's category axis (y for horizontal bars, x
// otherwise) in the tick style given, with half a bar's room at either
// end; with no names p shows the note empty instead.
func (b *bars) nameAxis(p *plot.Plot, names []string, tick text.Style, empty string) {
	if len(names) == 0 {
		p.Add(centerNote{empty})
		return
	}
	axis := &p.X
	if b.Horizontal {
		p.NominalY(names...)
		axis = &p.Y
	} else {
		p.NominalX(names...)
	}
	axis.Tick.Label = tick
	axis.Min, axis.Max = -0.6, float64(len(names))-0.4
}

// drawable reports whether bar i has a bar to draw.
func (b *bars) drawable(i int) bool {
	v := b.Values[i]
	return finite(v) && v > b.Base
}

// end is where bar i ends (Base when it has no bar).
func (b *bars) end(i int) float64 {
	if b.drawable(i) {
		return b.Values[i]
	}
	return b.Base
}

// labelAt is where bar i's label starts.
func (b *bars) labelAt(i int) float64 {
	return math.Max(b.end(i), b.LabelFrom)
}

// Plot implements plot.Plotter.
func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	valAxis, catAxis := &p.Y, &p.X
	if b.Horizontal {
		valAxis, catAxis = &p.X, &p.Y
	}
	clamp := func(v float64) float64 { return math.Min(math.Max(v, valAxis.Min), valAxis.Max) }
	toVal := func(v float64) vg.Length {
		if b.Horizontal {
			return c.X(valAxis.Norm(clamp(v)))
		}
		return c.Y(valAxis.Norm(clamp(v)))
	}
	toCat := func(i int) vg.Length {
		if b.Horizontal {
			return c.Y(catAxis.Norm(float64(i)))
		}
		return c.X(catAxis.Norm(float64(i)))
	}
	for i := range b.Values {
		mid := toCat(i)
		from, to := toVal(b.Base), toVal(b.end(i))
		if b.drawable(i) {
			r := vg.Rectangle{Min: vg.Point{X: mid - b.Width/2, Y: from}, Max: vg.Point{X: mid + b.Width/2, Y: to}}
			if b.Horizontal {
				r = vg.Rectangle{Min: vg.Point{X: from, Y: mid - b.Width/2}, Max: vg.Point{X: to, Y: mid + b.Width/2}}
			}
			if len(b.Colors) > 0 {
				c.SetColor(b.Colors[i%len(b.Colors)])
				c.Fill(r.Path())
			}
			if i == b.Strong {
				c.StrokeLines(lineStyle(colText, 1.5, false), []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
			}
		}
		if i < len(b.Labels) && b.Labels[i] != "" {
			at := toVal(b.labelAt(i))
			pt := vg.Point{X: mid, Y: at + b.LabelGap}
			if b.Horizontal {
				pt = vg.Point{X: at + b.LabelGap, Y: mid}
			}
			c.FillText(b.labelStyle(i), pt, b.Labels[i])
		}
	}
}

// labelStyle aligns the labels past the end of the bars, bar i's in bold
// when it is the strong one.
func (b *bars) labelStyle(i int) text.Style {
	s := b.LabelStyle
	if i == b.Strong {
		s.Font.Weight = stdfnt.WeightBold
	}
	if b.Horizontal {
		s.XAlign, s.YAlign = draw.XLeft, draw.YCenter
	} else {
		s.XAlign, s.YAlign = draw.XCenter, draw.YBottom
	}
	return s
}

// DataRange implements plot.DataRanger: the categories, and the values
// that can be drawn with the base.
func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	cmin, cmax := -0.5, float64(len(b.Values))-0.5
	vmin, vmax := b.Base, b.Base
	for i := range b.Values {
		vmax = math.Max(vmax, b.end(i))
	}
	if b.Horizontal {
		return vmin, vmax, cmin, cmax
	}
	return cmin, cmax, vmin, vmax
}

// GlyphBoxes implements plot.GlyphBoxer: the labels, so the plot leaves
// room for them past the longest bar.
func (b *bars) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	var boxes []plot.GlyphBox
	for i := range b.Values {
		if i >= len(b.Labels) || b.Labels[i] == "" {
			continue
		}
		r := b.labelStyle(i).Rectangle(b.Labels[i])
		var box plot.GlyphBox
		if b.Horizontal {
			box = plot.GlyphBox{X: p.X.Norm(b.labelAt(i)), Y: p.Y.Norm(float64(i)), Rectangle: r.Add(vg.Point{X: b.LabelGap})}
		} else {
			box = plot.GlyphBox{X: p.X.Norm(float64(i)), Y: p.Y.Norm(b.labelAt(i)), Rectangle: r.Add(vg.Point{Y: b.LabelGap})}
		}
		boxes = append(boxes, box)
	}
	return boxes
}
