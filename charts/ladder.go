package charts

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/scalelab/scalelab/units"
)

// limitColors colours a rung's bar by the limit that stopped it.
var limitColors = map[string]color.Color{
	"port":     colBlue,
	"queueing": colGreen,
	"fd":       colSky,
	"backlog":  colYellow,
	"cpu":      colOrange,
	"client":   colPurple,
}

// LadderChart draws the best throughput of every rung of the ladder as a
// bar on a log scale (the rungs span two decades), each labelled with the
// limit that stopped it, the phase's number and short name below.
func LadderChart(in Ladder) (*Chart, error) {
	n := len(in.Rungs)
	title := "The ladder: best throughput per phase"
	if in.Label != "" {
		title += ", " + clip(in.Label, maxTitleLabel)
	}
	p := newPlot()
	rps := make([]float64, n)
	names := make([]string, n)
	for i, r := range in.Rungs {
		if r.Phase < 1 {
			return nil, fmt.Errorf("charts: ladder chart of %q: rung %d (%s): phase %d: must be at least 1", in.Label, i+1, r.Name, r.Phase)
		}
		rps[i] = r.RPS
		name := clip(r.Name, 20)
		if len(name) > 10 { // too wide for its bar: break after a dash
			name = strings.ReplaceAll(name, "-", "-\n")
		}
		names[i] = units.Int(r.Phase) + "\n" + name
	}
	lo, hi, _ := decadeRange(100, rps...)
	hi = math.Max(lo*10, maxOf(rps...)*2)
	b := &bars{
		Values:     rps,
		Base:       lo,
		Width:      vg.Points(22),
		LabelStyle: textStyle(noteSize, false, draw.XCenter, draw.YBottom),
		LabelGap:   vg.Points(3),
		Strong:     -1,
	}
	dropped := 0
	for i, r := range in.Rungs {
		c, ok := limitColors[r.Limit]
		if !ok {
			c = colGrey
		}
		b.Colors = append(b.Colors, c)
		limit := r.Limit
		if limit == "" {
			limit = "none named"
		}
		value := units.Rate(r.RPS)
		if !positive(rps[i]) {
			value = "no throughput"
			dropped++
		}
		b.Labels = append(b.Labels, limit+"\n"+value)
	}
	p.Add(b)
	setLogAxis(&p.Y, lo, hi)
	b.nameAxis(p, names, textStyle(tickSize, false, draw.XCenter, draw.YTop), "no phases run")
	if dropped > 0 {
		p.Legend.Add(units.Plural(dropped, "phase", "phases") + " without throughput:\nno bar (log scale)")
	}
	return &Chart{name: "ladder", title: title, panels: []panel{{p, 1, "phase", "best throughput (requests/s, log scale)"}}}, nil
}
