package charts

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/scalelab/scalelab/internal/atomicfile"
)

// Chart is one figure: one or more plots stacked top to bottom, sharing
// their x axis, each with its legend in a strip on the right so that a
// legend never covers data. It is drawn at the fixed size Width × Height.
// Rendering a chart briefly changes its plots, so one chart must not be
// rendered from two goroutines at once.
type Chart struct {
	name   string // the kind of chart, for errors
	title  string // centred over the whole chart
	panels []panel
}

// panel is one plot of a chart, its share of the height and its axis
// labels. The chart draws the axis labels itself: gonum centres a label on
// the linear middle of the axis range when it pads the plot, which on a log
// axis is near one end, and would push the data away from the title.
type panel struct {
	plot           *plot.Plot
	weight         float64
	xlabel, ylabel string
}

// legendGap is the space between the data area and the legend strip.
const legendGap = vg.Length(8)

// labelPad is the space between an axis label and the tick labels.
const labelPad = vg.Length(4)

// draw lays the panels out on dc and draws them.
func (c *Chart) draw(dc draw.Canvas) {
	dc.SetColor(colorWhite)
	dc.Fill(dc.Rectangle.Path())
	dc = draw.Crop(dc, vg.Points(4), -vg.Points(6), vg.Points(4), -vg.Points(4))
	label := textStyle(labelSize, false, draw.XCenter, draw.YBottom)
	if c.title != "" {
		ts := textStyle(titleSize, true, draw.XCenter, draw.YTop)
		dc.FillText(ts, vg.Point{X: dc.Center().X, Y: dc.Max.Y}, c.title)
		dc.Max.Y -= ts.Height(c.title) + vg.Points(8)
	}

	var legendW vg.Length
	for _, p := range c.panels {
		l := p.plot.Legend
		legendW = max(legendW, l.Rectangle(dc).Size().X)
	}
	if legendW > 0 {
		legendW += legendGap
	}
	var total float64
	for _, p := range c.panels {
		total += p.weight
	}
	// Split the height by weight, top to bottom, and keep room for the
	// axis labels and the legend strip.
	areas := make([]draw.Canvas, len(c.panels))
	top := dc.Max.Y
	for i, p := range c.panels {
		h := (dc.Max.Y - dc.Min.Y) * vg.Length(p.weight/total)
		a := dc
		a.Max.Y, a.Min.Y = top, top-h
		a.Max.X -= legendW
		a.Min.X += label.Height("M") + labelPad
		if p.xlabel != "" {
			a.Min.Y += label.Height(p.xlabel) + labelPad
		}
		areas[i] = a
		top -= h
	}
	// Align the data areas' left and right edges so the x axes line up.
	var left, right vg.Length
	for i, p := range c.panels {
		d := p.plot.DataCanvas(areas[i])
		left = max(left, d.Min.X-areas[i].Min.X)
		right = max(right, areas[i].Max.X-d.Max.X)
	}
	for i, p := range c.panels {
		d := p.plot.DataCanvas(areas[i])
		a := draw.Crop(areas[i], left-(d.Min.X-areas[i].Min.X), -(right - (areas[i].Max.X - d.Max.X)), 0, 0)
		legend := p.plot.Legend
		p.plot.Legend = newLegend() // drawn in the strip, below
		p.plot.Draw(a)
		p.plot.Legend = legend
		d = p.plot.DataCanvas(a)

		if p.ylabel != "" {
			ys := label
			ys.Rotation = math.Pi / 2
			x := dc.Min.X + label.Height(p.ylabel) - label.FontExtents().Descent
			dc.FillText(ys, vg.Point{X: x, Y: (d.Min.Y + d.Max.Y) / 2}, p.ylabel)
		}
		if p.xlabel != "" {
			dc.FillText(label, vg.Point{X: (d.Min.X + d.Max.X) / 2, Y: areas[i].Min.Y - label.Height(p.xlabel) - labelPad}, p.xlabel)
		}
		strip := draw.Crop(dc, dc.Max.X-dc.Min.X-legendW+legendGap, 0, 0, 0)
		strip.Max.Y = d.Max.Y
		strip.Min.Y = areas[i].Min.Y
		legend.Draw(strip)
	}
}

// render draws the chart on a canvas of the given format; a panic inside
// gonum/plot becomes an error, so a chart never takes the report down.
func (c *Chart) render(cv vg.CanvasWriterTo) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("charts: drawing the %s chart: %v", c.name, r)
		}
	}()
	c.draw(draw.New(cv))
	var b bytes.Buffer
	if _, err := cv.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("charts: encoding the %s chart: %w", c.name, err)
	}
	return b.Bytes(), nil
}

// SVG returns the chart as an SVG document. The output is deterministic:
// the same chart renders to the same bytes. Fonts are referenced by name
// (Liberation Sans), not embedded.
func (c *Chart) SVG() ([]byte, error) {
	return c.render(vgsvg.New(Width, Height))
}

// PNG returns the chart as a PNG image at DPI dots per inch.
func (c *Chart) PNG() ([]byte, error) {
	cv := vgimg.NewWith(vgimg.UseWH(Width, Height), vgimg.UseDPI(DPI))
	return c.render(vgimg.PngCanvas{Canvas: cv})
}

// Save writes the chart as dir/name.svg and dir/name.png (each atomically,
// replacing an older file) and returns the paths written.
func Save(c *Chart, dir, name string) ([]string, error) {
	if c == nil {
		return nil, fmt.Errorf("charts: save %s: no chart", name)
	}
	if name == "" || filepath.Base(name) != name {
		return nil, fmt.Errorf("charts: save: chart name %q must be a plain file name", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("charts: save %s: %w", name, err)
	}
	var paths []string
	for _, f := range []struct {
		ext    string
		encode func() ([]byte, error)
	}{{".svg", c.SVG}, {".png", c.PNG}} {
		b, err := f.encode()
		if err != nil {
			return paths, err
		}
		path := filepath.Join(dir, name+f.ext)
		if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
			return paths, fmt.Errorf("charts: save the %s chart: %w", name, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}
