package site

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/scalelab/scalelab/charts"
	"github.com/scalelab/scalelab/compare"
	"github.com/scalelab/scalelab/glossary"
	"github.com/scalelab/scalelab/ladder"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/scorecards/reference"
	"github.com/scalelab/scalelab/units"
)

// builder gathers the site's pages and files before anything is written.
type builder struct {
	refs   []Run // every reference run
	ladder []Run // the newest reference run of each phase
	runs   []Run // the runs given
	course map[string][]byte
	router *router
	pages  []*page
	files  map[string][]byte // files other than pages, by site path
}

func newBuilder(refs []reference.Entry, runs []Run, course map[string][]byte) *builder {
	all := referenceRuns(refs)
	return &builder{refs: all, ladder: latestPerPhase(all), runs: runs, course: course,
		router: &router{routes: map[string]string{}}, files: map[string][]byte{}}
}

// add registers a page under its source path and its own site path.
func (b *builder) add(p *page) {
	b.pages = append(b.pages, p)
	b.router.routes[p.src] = p.out
	b.router.routes[p.out] = p.out
}

// build makes every page, then renders them all: routes must be known
// before any link is resolved.
func (b *builder) build() (map[string][]byte, error) {
	b.files["style.css"] = styleCSS
	if err := b.phasePages(); err != nil {
		return nil, err
	}
	for _, r := range append(append([]Run(nil), b.refs...), b.runs...) {
		if err := b.reportPage(r); err != nil {
			return nil, err
		}
	}
	if err := b.comparePages(); err != nil {
		return nil, err
	}
	if b.course != nil {
		b.coursePages()
	}
	b.glossaryPage()
	b.reportsIndex()
	if err := b.indexPage(); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for name, data := range b.files {
		out[name] = data
	}
	for _, p := range b.pages {
		body, err := b.router.render(p)
		if err != nil {
			return nil, err
		}
		html, err := layout(p, body, b.course != nil)
		if err != nil {
			return nil, err
		}
		out[p.out] = html
	}
	return out, nil
}

// svg renders a chart as SVG.
func svg(c *charts.Chart, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return c.SVG()
}

// reportPage is a run's report, rendered from its card, with its charts.
func (b *builder) reportPage(r Run) error {
	src := r.Source
	if !r.Reference {
		src = "runs/" + r.ID + "/report.md"
	} else {
		src = strings.TrimSuffix(src, ".yaml") + ".md"
	}
	p := &page{out: r.Page(), src: src, section: "reports", inline: map[string][]byte{}}
	for _, name := range scorecards.ChartNames {
		data, err := svg(scorecards.Chart(r.Card, name))
		if err != nil {
			return fmt.Errorf("site: %s: %w", r.Label, err)
		}
		p.inline[path.Join(path.Dir(src), name+".svg")] = data
	}
	var md bytes.Buffer
	fmt.Fprintf(&md, "%s\n\n", b.runLinks(r))
	if err := scorecards.RenderReport(&md, r.Card); err != nil {
		return fmt.Errorf("site: %s: %w", r.Label, err)
	}
	p.md = moveTitleFirst(md.Bytes())
	b.add(p)
	if r.Reference {
		b.router.routes[r.Source] = p.out
	}
	return nil
}

// runLinks is the line above a report: where the run came from and the
// pages around it.
func (b *builder) runLinks(r Run) string {
	n := r.Card.Phase.Number
	parts := []string{fmt.Sprintf("**%s**", r.Label)}
	if name, _, err := phases.BuiltinFile(n); err == nil && r.Card.Phase.Source == phases.BuiltinSource(n) {
		parts = append(parts, fmt.Sprintf("[phase file](/phases/%s.html)", strings.TrimSuffix(name, ".yaml")))
	}
	if c := b.coursePageOf(n); c != "" {
		parts = append(parts, fmt.Sprintf("[course, phase %d](/%s)", n, c))
	}
	if r.Reference {
		for i, l := range b.ladder {
			if l.ID != r.ID {
				continue
			}
			if i > 0 {
				parts = append(parts, fmt.Sprintf("[compared with phase %d](/%s)", b.ladder[i-1].Card.Phase.Number, rungComparePage(b.ladder[i-1], l)))
			}
			if i+1 < len(b.ladder) {
				parts = append(parts, fmt.Sprintf("[phase %d compared with it](/%s)", b.ladder[i+1].Card.Phase.Number, rungComparePage(l, b.ladder[i+1])))
			}
		}
	} else if ref, ok := b.referenceOf(n); ok {
		parts = append(parts, fmt.Sprintf("[compared with %s](/%s)", ref.Label, runComparePage(r)))
	}
	return strings.Join(parts, " · ")
}

// moveTitleFirst puts the Markdown's first H1 before the lines above it,
// so that the page opens with its title.
func moveTitleFirst(md []byte) []byte {
	lines := strings.Split(string(md), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "# ") {
			out := append([]string{l, ""}, lines[:i]...)
			return []byte(strings.Join(append(out, lines[i+1:]...), "\n"))
		}
	}
	return md
}

// referenceOf is the newest reference run of phase n.
func (b *builder) referenceOf(n int) (Run, bool) {
	for _, r := range b.ladder {
		if r.Card.Phase.Number == n {
			return r, true
		}
	}
	return Run{}, false
}

func rungComparePage(a, b Run) string {
	return fmt.Sprintf("compare/%s-vs-phase-%02d.html", a.ID, b.Card.Phase.Number)
}

func runComparePage(r Run) string { return "compare/" + r.ID + "-vs-reference.html" }

// comparePages sets each rung of the reference ladder against the rung
// before it, and each run given against the reference of its phase.
func (b *builder) comparePages() error {
	for i := 1; i < len(b.ladder); i++ {
		a, c := b.ladder[i-1], b.ladder[i]
		if err := b.comparePage(rungComparePage(a, c), a, c,
			fmt.Sprintf("phase %d", a.Card.Phase.Number), fmt.Sprintf("phase %d", c.Card.Phase.Number)); err != nil {
			return err
		}
	}
	for _, r := range b.runs {
		ref, ok := b.referenceOf(r.Card.Phase.Number)
		if !ok {
			continue
		}
		if err := b.comparePage(runComparePage(r), ref, r, ref.Label, r.Label); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) comparePage(out string, a, c Run, labelA, labelB string) error {
	res := compare.Runs(a.Card, c.Card, labelA, labelB)
	src := strings.TrimSuffix(out, ".html") + ".md"
	p := &page{out: out, src: src, section: "reports", inline: map[string][]byte{}}
	sa, sb := scorecards.SweepChart(a.Card), scorecards.SweepChart(c.Card)
	for _, ch := range []struct {
		name string
		draw func(charts.Sweep, charts.Sweep) (*charts.Chart, error)
	}{{"compare-throughput", charts.CompareThroughputChart}, {"compare-latency", charts.CompareLatencyChart}} {
		data, err := svg(ch.draw(sa, sb))
		if err != nil {
			return fmt.Errorf("site: %s: %w", out, err)
		}
		res.Charts = append(res.Charts, ch.name+".svg")
		p.inline[path.Join(path.Dir(src), ch.name+".svg")] = data
	}
	var md bytes.Buffer
	fmt.Fprintf(&md, "[A: %s](/%s) · [B: %s](/%s)\n\n", labelA, a.Page(), labelB, c.Page())
	if err := res.WriteMarkdown(&md); err != nil {
		return fmt.Errorf("site: %s: %w", out, err)
	}
	p.md = moveTitleFirst(md.Bytes())
	b.add(p)
	return nil
}

// phasePages shows every phase file of the ladder as it is embedded.
func (b *builder) phasePages() error {
	ladder, err := phases.Ladder()
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	for _, ph := range ladder {
		name, data, err := phases.BuiltinFile(ph.Number)
		if err != nil {
			return fmt.Errorf("site: %w", err)
		}
		base := strings.TrimSuffix(name, ".yaml")
		var md strings.Builder
		fmt.Fprintf(&md, "# Phase %d: %s\n\n", ph.Number, ph.Title)
		fmt.Fprintf(&md, "`phases/%s`, as the binary embeds it. Run it with `make phase %d` (or `scalelab run %d`); "+
			"copy it and change one knob to make an experiment of your own (`scalelab run my.yaml`).\n\n", name, ph.Number, ph.Number)
		if c := b.coursePageOf(ph.Number); c != "" {
			fmt.Fprintf(&md, "The course's page on it: [phase %d](/%s).\n\n", ph.Number, c)
		}
		fmt.Fprintf(&md, "```yaml\n%s```\n", data)
		b.add(&page{out: "phases/" + base + ".html", src: "phases/" + name, section: "reports", md: []byte(md.String())})
	}
	return nil
}

// coursePageOf is the site path of the course's page on phase n ("" when
// there is none).
func (b *builder) coursePageOf(n int) string {
	prefix := fmt.Sprintf("%02d-", n)
	for _, name := range courseNames(b.course) {
		if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".md") && !strings.Contains(name, "/") {
			return "course/" + strings.TrimSuffix(name, ".md") + ".html"
		}
	}
	return ""
}

// coursePages renders the course: its pages, its exercise files (each a
// page), its charts inline and its other images as files.
func (b *builder) coursePages() {
	svgs := map[string][]byte{}
	for _, name := range courseNames(b.course) {
		if strings.HasSuffix(name, ".svg") {
			svgs["docs/course/"+name] = b.course[name]
		}
	}
	for _, name := range courseNames(b.course) {
		data := b.course[name]
		src := "docs/course/" + name
		switch {
		case strings.HasSuffix(name, ".md") && !strings.Contains(name, "/"):
			out := "course/" + strings.TrimSuffix(name, ".md") + ".html"
			if name == "README.md" {
				out = "course/index.html"
			}
			b.add(&page{out: out, src: src, section: "course", md: data, inline: svgs})
		case strings.HasPrefix(name, "exercises/") && strings.HasSuffix(name, ".yaml"):
			base := strings.TrimSuffix(path.Base(name), ".yaml")
			md := fmt.Sprintf("# Exercise file %s\n\nRun it with `scalelab run docs/course/%s` (as root) and read the report it writes. "+
				"[Back to the course](/course/index.html).\n\n```yaml\n%s```\n", path.Base(name), name, data)
			b.add(&page{out: "course/exercises/" + base + ".html", src: src, section: "course", md: []byte(md)})
		case strings.HasSuffix(name, ".svg") || strings.HasSuffix(name, ".png"):
			b.files["course/"+name] = data
			b.router.routes[src] = "course/" + name
		}
	}
}

// glossaryPage lists every term, grouped by kind, each under a heading
// that can be linked (#fd, #listenoverflows).
func (b *builder) glossaryPage() {
	var md strings.Builder
	md.WriteString("# Glossary\n\nEvery limit, kernel counter, lab gauge and error class the reports name, in plain words " +
		"(the same text as `scalelab explain TERM`).\n\n")
	for _, kind := range []struct{ kind, heading string }{
		{"limit", "Limits"}, {"kernel counter", "Kernel counters"}, {"lab gauge", "Lab gauges"}, {"error class", "Error classes"},
	} {
		fmt.Fprintf(&md, "## %s\n\n", kind.heading)
		for _, e := range glossary.All() {
			if e.Kind != kind.kind {
				continue
			}
			fmt.Fprintf(&md, "### %s\n\n%s\n\n", e.Name, e.Meaning)
			if e.Source != "" {
				fmt.Fprintf(&md, "*Read from:* %s.\n\n", e.Source)
			}
			if e.Limit != "" {
				fmt.Fprintf(&md, "*Evidence of:* the [%s](#%s) limit.\n\n", e.Limit, e.Limit)
			}
			if e.Proof != "" {
				fmt.Fprintf(&md, "*How the lab proves it:* %s\n\n", e.Proof)
			}
		}
	}
	b.add(&page{out: "glossary.html", src: "glossary.md", section: "glossary", md: []byte(md.String())})
}

// reportsIndex lists every report and comparison.
func (b *builder) reportsIndex() {
	var md strings.Builder
	md.WriteString("# Reports\n\nEvery run in this site, rendered from its scorecard, with its charts. " +
		"Comparisons set each rung against the one before it, and each of your runs against the reference of its phase.\n\n")
	if len(b.runs) > 0 {
		md.WriteString("## Your runs\n\n| Run | Phase | Limit | Best rps | Hypothesis | Against the reference |\n|---|---|---|---:|---|---|\n")
		for _, r := range b.runs {
			cmp := "no reference"
			if _, ok := b.referenceOf(r.Card.Phase.Number); ok {
				cmp = fmt.Sprintf("[compare](/%s)", runComparePage(r))
			}
			fmt.Fprintf(&md, "| [%s](/%s) | %d %s | `%s` | %s | %s | %s |\n", r.Label, r.Page(), r.Card.Phase.Number, r.Card.Phase.Name,
				r.Card.Summary.Limit, units.Rate(r.Card.BestRPS()), orNone(string(r.Card.Summary.Hypothesis)), cmp)
		}
		md.WriteString("\n")
	}
	md.WriteString("## Reference runs\n\n| Phase | Date | Limit | Best rps | Hypothesis | Against the rung before |\n|---|---|---|---:|---|---|\n")
	for _, r := range b.refs {
		cmp := ""
		for i, l := range b.ladder {
			if l.ID == r.ID && i > 0 {
				cmp = fmt.Sprintf("[phase %d vs %d](/%s)", b.ladder[i-1].Card.Phase.Number, l.Card.Phase.Number, rungComparePage(b.ladder[i-1], l))
			}
		}
		fmt.Fprintf(&md, "| [%d %s](/%s) | %s | `%s` | %s | %s | %s |\n", r.Card.Phase.Number, r.Card.Phase.Name, r.Page(),
			strings.TrimPrefix(r.Label, "reference "), r.Card.Summary.Limit, units.Rate(r.Card.BestRPS()), orNone(string(r.Card.Summary.Hypothesis)), cmp)
	}
	md.WriteString("\n## Phase files\n\n")
	if ls, err := phases.Ladder(); err == nil {
		for _, ph := range ls {
			if name, _, err := phases.BuiltinFile(ph.Number); err == nil {
				fmt.Fprintf(&md, "- [phase %d: %s](/phases/%s.html)\n", ph.Number, ph.Title, strings.TrimSuffix(name, ".yaml"))
			}
		}
	}
	b.add(&page{out: "reports/index.html", src: "reports/index.md", section: "reports", md: []byte(md.String())})
}

func orNone(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}

// indexPage tells the story of the ladder: the reference ladder's chart
// and table, each rung's pages, and the ladder of the runs given.
func (b *builder) indexPage() error {
	p := &page{out: "index.html", src: "index.md", section: "ladder", inline: map[string][]byte{}}
	var md strings.Builder
	md.WriteString("# scalelab: how an HTTP server scales, rung by rung\n\n")
	md.WriteString("Each rung of the ladder runs one server against the lab's own load generator in a network namespace of its own, " +
		"until something runs out — ephemeral ports, workers, file descriptors, the accept queue, a CPU — and names that limit with the " +
		"counters that prove it. Fix it, and the next rung finds the next wall.")
	if b.course != nil {
		md.WriteString(" New here? Start with [the course](/course/index.html): a page per rung, with a prediction to make before each run and exercises that check it.")
	}
	md.WriteString("\n\n")
	if len(b.ladder) > 0 {
		if err := b.ladderSection(&md, p, "reference", b.ladder, "The reference ladder"); err != nil {
			return err
		}
	}
	if len(b.runs) > 0 {
		if err := b.ladderSection(&md, p, "runs", latestPerPhase(b.runs), "Your runs"); err != nil {
			return err
		}
	}
	md.WriteString("## Everything else\n\n- [Every report and comparison](/reports/index.html)\n- [Glossary: what each counter means](/glossary.html)\n")
	p.md = []byte(md.String())
	b.add(p)
	return nil
}

// ladderSection writes one ladder (chart, table and the rungs' pages).
func (b *builder) ladderSection(md *strings.Builder, p *page, key string, rungs []Run, heading string) error {
	lr := make([]ladder.Rung, 0, len(rungs))
	for _, r := range rungs {
		lr = append(lr, ladder.Rung{Dir: r.Label, Card: r.Card})
	}
	l, err := ladder.New(lr)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	data, err := svg(l.Chart())
	if err != nil {
		return fmt.Errorf("site: ladder chart: %w", err)
	}
	chart := "ladder-" + key + ".svg"
	p.inline[chart] = data
	var table bytes.Buffer
	if err := l.WriteMarkdown(&table, ""); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	fmt.Fprintf(md, "## %s\n\n![Best throughput per rung, each labelled with the limit that stopped it (%s)](%s)\n\n", heading, strings.ToLower(heading), chart)
	for _, line := range strings.Split(table.String(), "\n") {
		if strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "- phase ") || line == "Runs:" {
			continue // the title, and the list of runs: the table below links them
		}
		md.WriteString(line + "\n")
	}
	md.WriteString("| Phase | Report | Course | Compared with the rung before |\n|---:|---|---|---|\n")
	for i, r := range rungs {
		course := ""
		if c := b.coursePageOf(r.Card.Phase.Number); c != "" {
			course = fmt.Sprintf("[phase %d](/%s)", r.Card.Phase.Number, c)
		}
		cmp := ""
		if i > 0 && key == "reference" {
			cmp = fmt.Sprintf("[phase %d vs %d](/%s)", rungs[i-1].Card.Phase.Number, r.Card.Phase.Number, rungComparePage(rungs[i-1], r))
		}
		fmt.Fprintf(md, "| %d | [%s: %s](/%s) | %s | %s |\n", r.Card.Phase.Number, r.Card.Phase.Name, r.Label, r.Page(), course, cmp)
	}
	md.WriteString("\n")
	return nil
}
