// Package ladder tells the story of the whole ladder from one run of each
// phase: a table across the rungs (what ran, the limit it hit, its sweet
// spot and breaking point, its success at a client count common to the
// rungs, and the improvement from rung to rung and from phase 1) and a
// chart of the best throughput per rung, each bar labelled with its limit
// — the picture a student remembers and the summary an engineer pastes
// into a report (seed 004's "Phase-by-Phase Progress", measured).
package ladder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/charts"
	"github.com/scalelab/scalelab/internal/atomicfile"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

// Rung is one phase of the ladder as one run measured it.
type Rung struct {
	Dir  string // the run's directory (or scorecard file)
	Card *scorecards.Scorecard
}

// Ladder is the rungs in phase order, with the client count common to
// them at which success is compared.
type Ladder struct {
	Rungs []Rung
	// Common is the client count most rungs measured (0: none in common).
	Common int
}

// Load reads the scorecard of each argument (a run directory or a card
// file) and orders the rungs by phase; of two runs of one phase the later
// is kept.
func Load(args []string) (*Ladder, error) {
	byPhase := map[int]Rung{}
	for _, a := range args {
		path := a
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			path = filepath.Join(a, "scorecard.yaml")
		}
		card, err := scorecards.Load(path)
		if err != nil {
			return nil, fmt.Errorf("ladder: %w", err)
		}
		n := card.Phase.Number
		if old, ok := byPhase[n]; !ok || card.Environment.Date.After(old.Card.Environment.Date) {
			byPhase[n] = Rung{Dir: a, Card: card}
		}
	}
	rungs := make([]Rung, 0, len(byPhase))
	for _, r := range byPhase {
		rungs = append(rungs, r)
	}
	return New(rungs)
}

// New orders rungs already loaded (one per phase, e.g. the embedded
// reference runs) into a ladder.
func New(rungs []Rung) (*Ladder, error) {
	if len(rungs) == 0 {
		return nil, errors.New("ladder: no run given")
	}
	l := &Ladder{Rungs: append([]Rung(nil), rungs...)}
	sort.Slice(l.Rungs, func(i, j int) bool { return l.Rungs[i].Card.Phase.Number < l.Rungs[j].Card.Phase.Number })
	l.Common = commonClients(l.Rungs)
	return l, nil
}

// Latest returns the newest run directory of each phase under results
// (directories named <time>-phase-NN, as `scalelab run` makes them).
func Latest(results string) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(results, "*-phase-*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs) // the time stamp sorts oldest first
	latest := map[string]string{}
	for _, d := range dirs {
		i := strings.LastIndex(d, "-phase-")
		if _, err := os.Stat(filepath.Join(d, "scorecard.yaml")); err == nil {
			latest[d[i:]] = d
		}
	}
	phasesSeen := make([]string, 0, len(latest))
	for p := range latest {
		phasesSeen = append(phasesSeen, p)
	}
	sort.Strings(phasesSeen) // "-phase-01" < "-phase-02"
	var out []string
	for _, p := range phasesSeen {
		out = append(out, latest[p])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ladder: no run under %s (make phase N writes one)", results)
	}
	return out, nil
}

// commonClients is the client count measured by the most rungs (the
// smallest of ties).
func commonClients(rungs []Rung) int {
	count := map[int]int{}
	for _, r := range rungs {
		seen := map[int]bool{}
		for _, lv := range r.Card.JudgedLevels() {
			if !seen[lv.Clients] {
				seen[lv.Clients] = true
				count[lv.Clients]++
			}
		}
	}
	best := 0
	for c, n := range count {
		if n > count[best] || (n == count[best] && c < best) {
			best = c
		}
	}
	if count[best] < 2 {
		return 0
	}
	return best
}

// setup says what ran: "pool, 16 workers, keep-alive; nofile 1,024".
func setup(c *scorecards.Scorecard) string {
	sv, d, lim := c.Config.Server, c.Config.Driver, c.Config.Limits
	parts := []string{string(sv.Variant)}
	if sv.Variant.HasWorkers() {
		parts = append(parts, units.Plural(sv.Workers, "worker", "workers"))
	}
	if d.KeepAlive {
		parts = append(parts, "keep-alive")
	} else {
		parts = append(parts, "a connection per request")
	}
	if sv.Listeners > 1 {
		parts = append(parts, units.Int(sv.Listeners)+" ports")
	}
	var limits []string
	if lim.NoFile > 0 {
		limits = append(limits, "nofile "+units.Int(lim.NoFile))
	}
	if n := lim.PortRange.Size(); n > 0 && n < 60000 {
		limits = append(limits, units.Int(n)+" ports")
	}
	if lim.SoMaxConn > 0 && lim.SoMaxConn < 1024 {
		limits = append(limits, "somaxconn "+units.Int(lim.SoMaxConn))
	}
	if lim.DriverCPU > 0 {
		limits = append(limits, fmt.Sprintf("driver at %s of a core", strconv.FormatFloat(lim.DriverCPU, 'f', -1, 64)))
	}
	out := strings.Join(parts, ", ")
	if len(limits) > 0 {
		out += "; " + strings.Join(limits, ", ")
	}
	return out
}

// row is one rung's line of the table.
func (l *Ladder) row(i int) []string {
	r := l.Rungs[i]
	c := r.Card
	limit := "`" + string(c.Summary.Limit) + "`"
	if v := c.Summary.Verified; v != "" {
		limit += " (" + string(v) + ")"
	}
	bp := "none"
	if b := c.Summary.BreakingPoint; b != nil {
		bp = units.Clients(b.Clients)
	}
	success := units.NA
	for _, lv := range c.JudgedLevels() {
		if lv.Clients == l.Common {
			success = units.Pct(lv.SuccessRate.Median)
		}
	}
	rps := c.BestRPS()
	step, overall := "", ""
	if i > 0 {
		if prev := l.Rungs[i-1].Card.BestRPS(); prev > 0 {
			step = fmt.Sprintf("x%s", units.Float(rps/prev, 2))
		}
		if first := l.Rungs[0].Card.BestRPS(); first > 0 {
			overall = fmt.Sprintf("x%s", units.Float(rps/first, 2))
		}
	}
	return []string{units.Int(c.Phase.Number), c.Phase.Name, setup(c), limit, units.Rate(rps), bp, success, step, overall,
		string(c.Summary.Hypothesis)}
}

// WriteMarkdown writes the ladder's table, its chart and how to read them.
func (l *Ladder) WriteMarkdown(w io.Writer, chart string) error {
	common := "n/a"
	if l.Common > 0 {
		common = units.Clients(l.Common)
	}
	t := scorecards.Table{Header: []string{"Phase", "Name", "What ran", "Limit hit", "Best rps", "Breaking point",
		"Success at " + common, "vs previous", "vs phase " + units.Int(l.Rungs[0].Card.Phase.Number), "Hypothesis"},
		Right: []bool{true, false, false, false, true, false, true, true, true, false}}
	for i := range l.Rungs {
		t.Rows = append(t.Rows, l.row(i))
	}
	r := &scorecards.Report{Title: "The ladder, phase by phase"}
	intro := scorecards.Paragraph("One run of each phase: the limit each rung hit (and whether re-running its deciding step with the limit lifted verified it), " +
		"its best throughput (the sweet spot's median), where it broke, and how much each rung gained on the one before and on the first. " +
		"A refuted rung is a result, not a reason to stop.")
	sec := scorecards.Section{Blocks: []scorecards.Block{intro, t}}
	if chart != "" {
		sec.Blocks = append(sec.Blocks, scorecards.Paragraph(fmt.Sprintf("![best throughput per rung](%s)", chart)))
	}
	var from []string
	for _, rg := range l.Rungs {
		from = append(from, fmt.Sprintf("phase %d: `%s` (%s)", rg.Card.Phase.Number, rg.Dir, rg.Card.Environment.Date.Format("2006-01-02 15:04")))
	}
	sec.Blocks = append(sec.Blocks, scorecards.Bullets{Lead: "Runs:", Items: from})
	r.Sections = append(r.Sections, sec)
	return r.WriteMarkdown(w)
}

// Chart is the best throughput per rung on a log scale, each bar labelled
// with the limit that stopped it.
func (l *Ladder) Chart() (*charts.Chart, error) {
	in := charts.Ladder{}
	for _, r := range l.Rungs {
		in.Rungs = append(in.Rungs, charts.Rung{Phase: r.Card.Phase.Number, Name: r.Card.Phase.Name, RPS: r.Card.BestRPS(), Limit: string(r.Card.Summary.Limit)})
	}
	return charts.LadderChart(in)
}

// Failed lists the rungs that could not run or did not finish (status
// failed or abandoned): `make ladder` fails for them.
func (l *Ladder) Failed() []int {
	var out []int
	for _, r := range l.Rungs {
		if s := r.Card.Status; s == scorecards.StatusFailed || s == scorecards.StatusAbandoned {
			out = append(out, r.Card.Phase.Number)
		}
	}
	return out
}

// File names Write uses in its directory.
const (
	MarkdownFile = "ladder.md"
	chartName    = "ladder" // ladder.svg and ladder.png
)

// Write writes the ladder's story into dir: ladder.md, with its chart as
// ladder.svg and ladder.png beside it. It returns the paths written.
func (l *Ladder) Write(dir string) ([]string, error) {
	c, err := l.Chart()
	if err != nil {
		return nil, fmt.Errorf("ladder: chart: %w", err)
	}
	paths, err := charts.Save(c, dir, chartName)
	if err != nil {
		return paths, fmt.Errorf("ladder: %w", err)
	}
	md := filepath.Join(dir, MarkdownFile)
	if err := atomicfile.Write(md, 0o644, func(w io.Writer) error { return l.WriteMarkdown(w, chartName+".svg") }); err != nil {
		return paths, fmt.Errorf("ladder: %w", err)
	}
	return append(paths, md), nil
}
