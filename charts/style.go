package charts

import (
	"image/color"

	stdfnt "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The size of every chart, and the resolution of its PNG form.
const (
	Width  = 18 * vg.Centimeter
	Height = 10 * vg.Centimeter
	DPI    = 150
)

// Font sizes, in points.
const (
	titleSize  = 11
	labelSize  = 9
	tickSize   = 8
	legendSize = 8
	noteSize   = 8
)

// Colours: a colour-blind-safe palette (Okabe–Ito) with black for text.
var (
	colBlue    = color.RGBA{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}
	colOrange  = color.RGBA{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}
	colGreen   = color.RGBA{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}
	colRed     = color.RGBA{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}
	colPurple  = color.RGBA{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}
	colSky     = color.RGBA{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}
	colYellow  = color.RGBA{R: 0xf0, G: 0xe4, B: 0x42, A: 0xff}
	colGrey    = color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff}
	colLight   = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
	colText    = color.Black
	colorWhite = color.White
)

// sans returns the lab's chart font at the given size in points.
func sans(size float64, bold bool) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if bold {
		f.Weight = stdfnt.WeightBold
	}
	return font.From(f, vg.Points(size))
}

// textStyle returns a text style in the chart font.
func textStyle(size float64, bold bool, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{
		Color:   colText,
		Font:    sans(size, bold),
		XAlign:  xa,
		YAlign:  ya,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with the lab's fonts; its title belongs to the
// chart and its axis labels to its panel (see Chart and panel).
func newPlot() *plot.Plot {
	p := plot.New()
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle = textStyle(labelSize, false, draw.XCenter, draw.YBottom)
		a.Tick.Label = textStyle(tickSize, false, draw.XCenter, draw.YTop)
		a.Label.Padding = vg.Points(3)
	}
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.Legend = newLegend()
	return p
}

// newLegend returns an empty legend in the chart font; charts draw it
// beside the data (see Chart), never over it.
func newLegend() plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(legendSize, false, draw.XLeft, draw.YBottom)
	l.Left = true
	l.Top = true
	l.ThumbnailWidth = vg.Points(18)
	l.Padding = vg.Points(2)
	return l
}

// Longest labels drawn, in characters: a longer one is cut with "…" so
// that it cannot push the data off the chart.
const (
	maxTitleLabel  = 48 // a run's label in a title
	maxLegendLabel = 32 // a run's or series' label in a legend
	maxAxisLabel   = 24 // a resource's name on the axis
)

// clip cuts s to n characters, ending it with "…" when it was longer.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// lineStyle returns a solid or dashed line style.
func lineStyle(c color.Color, width float64, dashed bool) draw.LineStyle {
	s := draw.LineStyle{Color: c, Width: vg.Points(width)}
	if dashed {
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return s
}

// glyphStyle returns a glyph style of the given shape and colour.
func glyphStyle(c color.Color, shape draw.GlyphDrawer, radius float64) draw.GlyphStyle {
	return draw.GlyphStyle{Color: c, Shape: shape, Radius: vg.Points(radius)}
}
