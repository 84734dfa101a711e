package charts

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// thumb is a legend thumbnail: a line, a glyph, a filled box, or a mix.
type thumb struct {
	line  *draw.LineStyle
	glyph *draw.GlyphStyle
	fill  *draw.LineStyle // only Color is used: a filled box
	vbar  *draw.LineStyle // an error bar
}

// Thumbnail implements plot.Thumbnailer.
func (t thumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	if t.fill != nil {
		h := (c.Max.Y - c.Min.Y) * 0.8
		r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: y - h/2}, Max: vg.Point{X: c.Max.X, Y: y + h/2}}
		c.SetColor(t.fill.Color)
		c.Fill(r.Path())
	}
	if t.line != nil {
		c.StrokeLine2(*t.line, c.Min.X, y, c.Max.X, y)
	}
	if t.glyph != nil {
		c.DrawGlyph(*t.glyph, c.Center())
	}
	if t.vbar != nil {
		x, h, w := c.Center().X, (c.Max.Y-c.Min.Y)/2, vg.Points(3)
		c.StrokeLine2(*t.vbar, x, y-h, x, y+h)
		c.StrokeLine2(*t.vbar, x-w, y-h, x+w, y-h)
		c.StrokeLine2(*t.vbar, x-w, y+h, x+w, y+h)
	}
}

func lineThumb(l draw.LineStyle, g draw.GlyphStyle) thumb { return thumb{line: &l, glyph: &g} }

// series draws y against x as line segments with a glyph at every point;
// a point whose y cannot be drawn (NaN, infinite, or not positive on a log
// axis) is left out and breaks the line, so a failed step shows as a gap.
// It returns the plotters and how many points it left out.
func series(xs, ys []float64, logY bool, ls draw.LineStyle, gs draw.GlyphStyle) ([]plot.Plotter, int, error) {
	var out []plot.Plotter
	var seg, all plotter.XYs
	dropped := 0
	flush := func() error {
		if len(seg) > 1 {
			l, err := plotter.NewLine(seg)
			if err != nil {
				return err
			}
			l.LineStyle = ls
			out = append(out, l)
		}
		seg = nil
		return nil
	}
	for i := range xs {
		ok := finite(ys[i]) && finite(xs[i])
		if logY {
			ok = ok && positive(ys[i])
		}
		if !ok {
			dropped++
			if err := flush(); err != nil {
				return nil, 0, err
			}
			continue
		}
		seg = append(seg, plotter.XY{X: xs[i], Y: ys[i]})
		all = append(all, plotter.XY{X: xs[i], Y: ys[i]})
	}
	if err := flush(); err != nil {
		return nil, 0, err
	}
	if len(all) > 0 {
		s, err := plotter.NewScatter(all)
		if err != nil {
			return nil, 0, err
		}
		s.GlyphStyle = gs
		out = append(out, s)
	}
	return out, dropped, nil
}

// textMark is a text at a data point, moved by Off, on a white box so a
// line or error bar behind it does not make it unreadable; its extent
// counts when the plot is padded, so it is never clipped.
type textMark struct {
	X, Y  float64
	Text  string
	Style text.Style
	Off   vg.Point
}

// Plot implements plot.Plotter.
func (m textMark) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	at := vg.Point{X: trX(m.X), Y: trY(m.Y)}.Add(m.Off)
	r := m.Style.Rectangle(m.Text).Add(at)
	pad := vg.Points(1.5)
	r.Min, r.Max = r.Min.Sub(vg.Point{X: pad, Y: pad}), r.Max.Add(vg.Point{X: pad, Y: pad})
	c.SetColor(colorWhite)
	c.Fill(r.Path())
	c.FillText(m.Style, at, m.Text)
}

// GlyphBoxes implements plot.GlyphBoxer.
func (m textMark) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{
		X:         p.X.Norm(m.X),
		Y:         p.Y.Norm(m.Y),
		Rectangle: m.Style.Rectangle(m.Text).Add(m.Off),
	}}
}

// centerNote writes a text in the middle of the data area ("no data").
type centerNote struct{ Text string }

// Plot implements plot.Plotter.
func (n centerNote) Plot(c draw.Canvas, _ *plot.Plot) {
	c.FillText(textStyle(labelSize, false, draw.XCenter, draw.YCenter), c.Center(), n.Text)
}

// rule is a line across the whole data area: vertical at x = At, or
// horizontal at y = At. It is not drawn when At is outside the axis.
type rule struct {
	Vertical bool
	At       float64
	Style    draw.LineStyle
}

// vLine and hLine are the two rules.
func vLine(x float64, style draw.LineStyle) rule { return rule{Vertical: true, At: x, Style: style} }
func hLine(y float64, style draw.LineStyle) rule { return rule{At: y, Style: style} }

// Plot implements plot.Plotter.
func (r rule) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	if r.Vertical {
		if x := trX(r.At); x >= c.Min.X && x <= c.Max.X {
			c.StrokeLine2(r.Style, x, c.Min.Y, x, c.Max.Y)
		}
		return
	}
	if y := trY(r.At); y >= c.Min.Y && y <= c.Max.Y {
		c.StrokeLine2(r.Style, c.Min.X, y, c.Max.X, y)
	}
}

// callout labels a data point from the top of the data area: its text on
// row Row (0 the topmost line) and a dotted leader line down to the point.
// The text starts at the point's x in the left half of the plot and ends
// there in the right half, so it stays inside. The chart keeps the top rows
// free of data (see throughput).
type callout struct {
	X, Y  float64
	Row   int
	Text  string
	Color color.Color
}

// calloutGap is the space between a callout's leader line and its text.
const calloutGap = vg.Length(3)

// Plot implements plot.Plotter.
func (m callout) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x, y := trX(m.X), trY(m.Y)
	st := textStyle(noteSize, false, draw.XLeft, draw.YTop)
	st.Color = m.Color
	tx := x + calloutGap
	if x > (c.Min.X+c.Max.X)/2 {
		st.XAlign = draw.XRight
		tx = x - calloutGap
	}
	h := st.Height("M")
	top := c.Max.Y - vg.Length(m.Row)*h
	c.FillText(st, vg.Point{X: tx, Y: top}, m.Text)
	ls := lineStyle(m.Color, 0.8, false)
	ls.Dashes = []vg.Length{vg.Points(1.5), vg.Points(1.5)}
	if bottom := top - h/2; bottom > y+vg.Points(8) {
		c.StrokeLine2(ls, x, y+vg.Points(8), x, bottom)
	}
}
