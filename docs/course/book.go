package course

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"text/template"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/glossary"
	"github.com/scalelab/scalelab/ladder"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/scorecards/reference"
	"github.com/scalelab/scalelab/units"
)

// book fills the course's templates: what the reference runs measured,
// what the phase files say, what the glossary means. The first error is
// kept and returned by Files (a template function cannot fail the page
// with a message that names the phase otherwise).
type book struct {
	refs   map[int]reference.Entry // the newest reference run of each phase
	charts map[string][]byte       // img/NAME.svg -> SVG, as the pages ask for them
	err    error
}

func newBook(refs []reference.Entry) *book {
	b := &book{refs: map[int]reference.Entry{}, charts: map[string][]byte{}}
	for _, e := range refs {
		if old, ok := b.refs[e.Card.Phase.Number]; !ok || e.Date >= old.Date {
			b.refs[e.Card.Phase.Number] = e
		}
	}
	return b
}

func (b *book) fail(err error) string {
	if b.err == nil {
		b.err = fmt.Errorf("course: %w", err)
	}
	return ""
}

func (b *book) funcs() template.FuncMap {
	return template.FuncMap{
		"phase":        b.phase,
		"hasPhase":     hasPhase,
		"estimate":     b.estimate,
		"phaseFile":    b.phaseFile,
		"ref":          b.ref,
		"results":      b.results,
		"evidence":     b.evidence,
		"verification": b.verification,
		"verified":     b.verified,
		"chart":        b.chart,
		"ladderTable":  b.ladderTable,
		"ladderChart":  b.ladderChart,
		"term":         b.term,
		"proof":        b.proof,
		"exercise":     b.exercise,
		"int":          units.Int[int],
		"rate":         units.Rate,
	}
}

// phase returns builtin phase n (its settings are the file's, not
// measurements: quoting them cannot drift from the file).
func (b *book) phase(n int) *phases.Phase {
	p, err := phases.Builtin(n)
	if err != nil {
		b.fail(err)
		return &phases.Phase{}
	}
	return p
}

// hasPhase says whether the ladder has phase n (pages of rungs still to
// come say what they will show without quoting a file).
func hasPhase(n int) bool {
	_, err := phases.Builtin(n)
	return err == nil
}

// estimate is how long phase n takes, to the second (its sweep, without
// extra trials or verification).
func (b *book) estimate(n int) string {
	return b.phase(n).Estimate().Round(1e9).String()
}

// phaseFile is the link from a course page to phase n's file.
func (b *book) phaseFile(n int) string {
	name, _, err := phases.BuiltinFile(n)
	if err != nil {
		return b.fail(err)
	}
	return "../../phases/" + name
}

// Ref is what a page may quote of a reference run.
type Ref struct {
	Has  bool
	Date string
	// Report is the link from a course page to the reference report.
	Report string
	Card   *scorecards.Scorecard
}

// BestRPS is the run's best throughput, as the reports print it.
func (r Ref) BestRPS() string { return units.Rate(r.Card.BestRPS()) }

// Limit is the limit that capped the run.
func (r Ref) Limit() string { return string(r.Card.Summary.Limit) }

// Hypothesis is the run's outcome for its hypothesis.
func (r Ref) Hypothesis() string { return string(r.Card.Summary.Hypothesis) }

// Verified is how the verification came out ("" when the run did not
// verify its verdict).
func (r Ref) Verified() string { return string(r.Card.Summary.Verified) }

// Breaking is the breaking point's client count ("none").
func (r Ref) Breaking() string {
	if bp := r.Card.Summary.BreakingPoint; bp != nil {
		return units.Clients(bp.Clients)
	}
	return "none"
}

// Sweet is the sweet spot's client count ("none").
func (r Ref) Sweet() string {
	if sp := r.Card.Summary.SweetSpot; sp != nil {
		return units.Clients(sp.Clients)
	}
	return "none"
}

// ref returns the newest reference run of phase n (Has false: none yet).
func (b *book) ref(n int) Ref {
	e, ok := b.refs[n]
	if !ok {
		return Ref{}
	}
	return Ref{Has: true, Date: e.Date, Card: e.Card,
		Report: "../../scorecards/reference/" + strings.TrimSuffix(e.Path, ".yaml") + ".md"}
}

// section renders the sections of the reference report of phase n that
// keep returns true for, without the report's title.
func (b *book) section(n int, keep func(i int, s scorecards.Section, all []scorecards.Section) bool) string {
	e, ok := b.refs[n]
	if !ok {
		return b.fail(fmt.Errorf("phase %d has no reference run to quote", n))
	}
	rep := scorecards.NewReport(e.Card)
	out := &scorecards.Report{}
	for i, s := range rep.Sections {
		if keep(i, s, rep.Sections) {
			s.Level = 0 // the page brings its own heading
			out.Sections = append(out.Sections, s)
		}
	}
	var buf bytes.Buffer
	if err := out.WriteMarkdown(&buf); err != nil {
		return b.fail(err)
	}
	md := strings.TrimPrefix(buf.String(), "# \n\n")
	return strings.TrimSpace(md)
}

// results is the reference run's results table, sweet spot and breaking
// point.
func (b *book) results(n int) string {
	return b.section(n, func(_ int, s scorecards.Section, _ []scorecards.Section) bool { return s.Heading == "Results" })
}

// evidence is the deciding step's analysis in the reference run: its
// evidence, the USE table, the operational laws, the measured facts.
func (b *book) evidence(n int) string {
	e, ok := b.refs[n]
	if !ok {
		return b.fail(fmt.Errorf("phase %d has no reference run to quote", n))
	}
	clients, ok := decidingClients(e.Card)
	if !ok {
		return b.fail(fmt.Errorf("phase %d: the reference run has no deciding step", n))
	}
	prefix := units.Clients(clients) + ":"
	return b.section(n, func(_ int, s scorecards.Section, _ []scorecards.Section) bool {
		return s.Level == 3 && strings.HasPrefix(s.Heading, prefix)
	})
}

// decidingClients is the client count whose verdict capped the run: the
// breaking point, else the first saturated count.
func decidingClients(sc *scorecards.Scorecard) (int, bool) {
	if bp := sc.Summary.BreakingPoint; bp != nil {
		return bp.Clients, true
	}
	for _, l := range sc.JudgedLevels() {
		if l.State == attrib.Saturated {
			return l.Clients, true
		}
	}
	return 0, false
}

// verification is the reference run's verification section.
func (b *book) verification(n int) string {
	return b.section(n, func(_ int, s scorecards.Section, _ []scorecards.Section) bool { return s.Heading == "Verification" })
}

// verified is the page's paragraph on how the verdict of phase n was
// verified: the reference run's verification when it has one, else what
// the reader's own run will do (lifted says how the limit is lifted).
func (b *book) verified(n int, lifted string) string {
	own := fmt.Sprintf("The phase file asks for verification (`verify: {enabled: true}`), so your own `make phase %d` ends "+
		"with a **Verification** section: the deciding step again %s, and whether the verdict held.", n, lifted)
	r := b.ref(n)
	if !r.Has {
		return own
	}
	if r.Verified() == "" {
		return fmt.Sprintf("The reference run of %s was recorded before verification was part of a run. %s", r.Date, own)
	}
	return fmt.Sprintf("In the reference run of %s the verdict was **%s**:\n\n%s", r.Date, r.Verified(), b.verification(n))
}

// chart draws one chart of the reference run of phase n into the course's
// img/ folder and returns the Markdown that shows it.
func (b *book) chart(n int, name string) string {
	e, ok := b.refs[n]
	if !ok {
		return b.fail(fmt.Errorf("phase %d has no reference run to draw", n))
	}
	c, err := scorecards.Chart(e.Card, name)
	if err != nil {
		return b.fail(err)
	}
	svg, err := c.SVG()
	if err != nil {
		return b.fail(err)
	}
	file := fmt.Sprintf("img/phase-%02d-%s.svg", n, name)
	b.charts[file] = svg
	return fmt.Sprintf("![%s, reference run of phase %d (%s)](%s)", chartTitles[name], n, e.Date, file)
}

var chartTitles = map[string]string{
	scorecards.ChartThroughput:  "Throughput and success vs clients",
	scorecards.ChartLatency:     "Latency percentiles vs clients",
	scorecards.ChartConnect:     "Connect-time distribution",
	scorecards.ChartTimeline:    "Second by second, the deciding step",
	scorecards.ChartUtilization: "Resources of the deciding step",
}

// theLadder is the reference ladder: the newest reference of each phase.
func (b *book) theLadder() (*ladder.Ladder, error) {
	var rungs []ladder.Rung
	for n := 1; n <= len(b.refs)+20; n++ {
		if e, ok := b.refs[n]; ok {
			rungs = append(rungs, ladder.Rung{Dir: "scorecards/reference/" + e.Path, Card: e.Card})
		}
	}
	return ladder.New(rungs)
}

// ladderTable is the reference ladder's table.
func (b *book) ladderTable() string {
	l, err := b.theLadder()
	if err != nil {
		return b.fail(err)
	}
	var buf bytes.Buffer
	if err := l.WriteMarkdown(&buf, ""); err != nil {
		return b.fail(err)
	}
	var out []string
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.HasPrefix(line, "# ") {
			continue
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// ladderChart draws the reference ladder's chart into img/ladder.svg.
func (b *book) ladderChart() string {
	l, err := b.theLadder()
	if err != nil {
		return b.fail(err)
	}
	c, err := l.Chart()
	if err != nil {
		return b.fail(err)
	}
	svg, err := c.SVG()
	if err != nil {
		return b.fail(err)
	}
	b.charts["img/ladder.svg"] = svg
	return "![Best throughput per rung of the reference ladder, each labelled with the limit that stopped it](img/ladder.svg)"
}

// term explains counters and gauges in plain words, one bullet each, from
// the glossary (the same text as `scalelab explain NAME`).
func (b *book) term(names ...string) string {
	var out []string
	for _, n := range names {
		e, ok := glossary.Lookup(n)
		if !ok {
			return b.fail(fmt.Errorf("the glossary has no term %q (glossary/terms.yaml)", n))
		}
		line := fmt.Sprintf("- **`%s`** (%s", e.Name, e.Kind)
		if e.Source != "" {
			line += ", " + e.Source
		}
		out = append(out, line+"): "+e.Meaning)
	}
	return strings.Join(out, "\n")
}

// proof is how the lab proves a limit, from the glossary.
func (b *book) proof(limit string) string {
	e, ok := glossary.Lookup(limit)
	if !ok || e.Proof == "" {
		return b.fail(fmt.Errorf("the glossary has no proof for the limit %q", limit))
	}
	return e.Proof
}

// exercise renders the block of one exercise: the file, what it changes
// against its rung, how to run it, and the promise the tests check.
func (b *book) exercise(file string) string {
	x, ok := Lookup(file)
	if !ok {
		return b.fail(fmt.Errorf("no exercise %q in the course's list", file))
	}
	p, err := x.Load()
	if err != nil {
		return b.fail(err)
	}
	rung, err := phases.Builtin(x.Rung)
	if err != nil {
		return b.fail(err)
	}
	knobs, shortened := Changes(rung, p)
	var s strings.Builder
	fmt.Fprintf(&s, "**%s** ([%s](%s))\n\n", p.Title, path.Base(x.File), x.File)
	fmt.Fprintf(&s, "- **What changes from phase %d:** %s.", x.Rung, changeList(knobs))
	if len(shortened) > 0 {
		fmt.Fprintf(&s, " To run in seconds: %s.", changeList(shortened))
	}
	fmt.Fprintf(&s, "\n- **Run it:** `scalelab run docs/course/%s` (as root; about %s).\n", x.File, p.Estimate().Round(1e9))
	if p.Hypothesis.Limit == attrib.None {
		s.WriteString("- **The promise** (checked by `make exercises`): no step breaks, so the exercise's hypothesis (`none`) is confirmed.")
	} else {
		fmt.Fprintf(&s, "- **The promise** (checked by `make exercises`): the lab names `%s` and confirms the exercise's hypothesis.", p.Hypothesis.Limit)
	}
	fmt.Fprintf(&s, " Why: %s", strings.TrimSpace(p.Hypothesis.Note))
	for _, c := range x.Checks {
		fmt.Fprintf(&s, "\n- **And:** %s.", c.Text)
	}
	return s.String()
}

func changeList(cs []Change) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.String())
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
