package compare

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/stats"
	"github.com/scalelab/scalelab/units"
)

// WriteMarkdown writes the comparison as a Markdown report: what changed
// between the runs, a table per metric (A, B, the change and its
// significance), both runs' verdicts side by side with the evidence of
// their breaking points, and the charts when Charts is set.
func (r *Result) WriteMarkdown(w io.Writer) error {
	rep := &scorecards.Report{Title: fmt.Sprintf("Comparison: %s vs %s", r.A.Label, r.B.Label)}
	rep.Sections = append(rep.Sections, r.headerSection(), r.changesSection())
	rep.Sections = append(rep.Sections, r.resultsSections()...)
	if len(r.Charts) > 0 {
		rep.Sections = append(rep.Sections, r.chartsSection())
	}
	rep.Sections = append(rep.Sections, r.verdictSection(), r.evidenceSection(), r.benchstatSection())
	if err := rep.WriteMarkdown(w); err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	return nil
}

// col is the column heading of a run: "A: nethttp".
func (run Run) col(side string) string { return side + ": " + run.Label }

func (r *Result) headerSection() scorecards.Section {
	s := scorecards.Section{}
	for _, x := range []struct {
		side string
		run  Run
	}{{"A (before)", r.A}, {"B (after)", r.B}} {
		s.Blocks = append(s.Blocks, scorecards.Paragraph(fmt.Sprintf("**%s:** `%s`, %s", x.side, x.run.Label, describeRun(x.run))))
	}
	s.Blocks = append(s.Blocks, scorecards.Paragraph("**What changed:** "+r.About()))
	return s
}

// describeRun says which phase a run is, when it ran, how it ended and how
// many trials it holds.
func describeRun(run Run) string {
	sc := run.Card
	title := sc.Phase.Title
	if title == "" {
		title = sc.Phase.Name
	}
	date := "date not recorded"
	if !sc.Environment.Date.IsZero() {
		date = sc.Environment.Date.UTC().Format("2006-01-02 15:04 UTC")
	}
	counts := map[int]bool{}
	for _, st := range sc.Steps {
		counts[st.Clients] = true
	}
	return fmt.Sprintf("phase %d (%s), %s, %s: %s at %s, %s each.", sc.Phase.Number, title, date, sc.Status,
		units.Plural(len(sc.Steps), "step", "steps"), units.Plural(len(counts), "client count", "client counts"),
		units.Plural(sc.Config.Sweep.Trials, "trial", "trials"))
}

func (r *Result) changesSection() scorecards.Section {
	s := scorecards.Section{Level: 2, Heading: "What changed"}
	if len(r.Changes) == 0 {
		s.Blocks = append(s.Blocks, scorecards.Paragraph("Nothing in the configuration: both runs used the same server, load, limits and sweep."))
	} else {
		t := scorecards.Table{Header: []string{"Setting", r.A.col("A"), r.B.col("B")}}
		for _, c := range r.Changes {
			t.Rows = append(t.Rows, []string{"`" + c.Field + "`", c.A, c.B})
		}
		s.Blocks = append(s.Blocks, scorecards.Paragraph("Every setting that differs between the two runs' configurations:"), t)
	}
	if len(r.Machine) == 0 {
		env := r.A.Card.Environment
		s.Blocks = append(s.Blocks, scorecards.Paragraph(fmt.Sprintf("Both runs were measured on the same machine and build (host %s, kernel %s, %s, %s, commit %s).",
			orNA(env.Host), orNA(env.Kernel), units.Plural(env.CPUs, "CPU", "CPUs"), orNA(env.Go), orNA(env.Commit))))
		return s
	}
	var diffs []string
	for _, c := range r.Machine {
		diffs = append(diffs, c.String())
	}
	s.Blocks = append(s.Blocks, scorecards.Warning{Lead: "Measured on different machines or builds.",
		Text: strings.Join(diffs, "; ") + ". Absolute numbers move between machines and builds: " +
			"a difference below may come from them rather than from the change."})
	return s
}

func orNA(s string) string {
	if s == "" {
		return units.NA
	}
	return s
}

// resultsSections are the how-to-read lead and one table per metric.
func (r *Result) resultsSections() []scorecards.Section {
	s := scorecards.Section{Level: 2, Heading: "Results"}
	s.Blocks = append(s.Blocks, scorecards.Paragraph(r.howToRead()))
	s.Blocks = append(s.Blocks, r.warnings()...)
	var only []string
	if len(r.OnlyA) > 0 {
		only = append(only, fmt.Sprintf("only in A (%s): %s", r.A.Label, r.countList(r.OnlyA)))
	}
	if len(r.OnlyB) > 0 {
		only = append(only, fmt.Sprintf("only in B (%s): %s", r.B.Label, r.countList(r.OnlyB)))
	}
	if len(only) > 0 {
		s.Blocks = append(s.Blocks, scorecards.Bullets{Lead: "Client counts measured by one run only are not compared:", Items: only})
	}
	if len(r.Rows) == 0 {
		s.Blocks = append(s.Blocks, scorecards.Paragraph("No client count was measured by both runs: there is nothing to compare step by step."))
		return []scorecards.Section{s}
	}
	out := []scorecards.Section{s}
	for i, m := range metrics {
		t := scorecards.Table{
			Header: []string{r.keyName(), r.A.col("A"), r.B.col("B"), "B vs A", "Reading"},
			Right:  []bool{true, true, true, true, false},
		}
		for _, row := range r.Rows {
			mt := row.Metrics[i]
			t.Rows = append(t.Rows, []string{units.Int(row.Clients), cell(m, mt.A), cell(m, mt.B), mt.Compare.String(), reading(m, mt)})
		}
		out = append(out, scorecards.Section{Level: 3, Heading: m.title, Blocks: []scorecards.Block{t}})
	}
	return out
}

func (r *Result) howToRead() string {
	lead := ""
	if r.InFlight {
		lead = "Rows are requests in flight, not clients: over h2c a client is a connection carrying several streams, so 10 connections × 100 streams meet 1,000 HTTP/1.1 clients. "
	}
	return lead + r.howToReadCells()
}

func (r *Result) howToReadCells() string {
	alpha := units.Float(r.Alpha, -1)
	need := stats.MinSamples(r.Alpha)
	return fmt.Sprintf("How to read this: a cell is the median over the trials at that client count, with the lowest and highest trial "+
		"in brackets when there are several. \"B vs A\" is worded as benchstat words it: the change of the medians, then the p-value "+
		"of the Mann–Whitney U test and the trials on each side, e.g. `+9.97%% (p=0.000 n=10)`. `~` means no significant difference: "+
		"p is above α = %s, so the change is within what two runs of the same server can give. The test needs at least %s on each side "+
		"to ever reach p ≤ %s (with fewer, even two runs that do not overlap at all stay above it); a server's throughput moves "+
		"from run to run on a busy machine, so 5–10 trials (`sweep.trials`) on each side show a change of a few percent.",
		alpha, units.Plural(need, "trial", "trials"), alpha)
}

// warnings says when the trials cannot show a difference and when steps
// were left out.
func (r *Result) warnings() []scorecards.Block {
	var out []scorecards.Block
	minA, minB, blind := 0, 0, false
	for i, row := range r.Rows {
		c := row.Metrics[0].Compare
		if i == 0 || c.N1 < minA {
			minA = c.N1
		}
		if i == 0 || c.N2 < minB {
			minB = c.N2
		}
		blind = blind || !c.CanDetect
	}
	if blind {
		need := stats.MinSamples(r.Alpha)
		out = append(out, scorecards.Warning{Lead: "Too few trials to tell a change from noise.",
			Text: fmt.Sprintf("The fewest trials at a client count: %s in A, %s in B; the test needs at least %s on each side "+
				"(`sweep.trials: %d` or more in both phase files). Where the table says \"cannot tell it from noise\", "+
				"the change is measured but can be neither confirmed nor ruled out.",
				units.Int(minA), units.Int(minB), units.Plural(need, "trial", "trials"), need)})
	}
	for _, run := range []Run{r.A, r.B} {
		if run.Skipped > 0 {
			out = append(out, scorecards.Warning{Lead: fmt.Sprintf("%s: %s left out.", run.Label, units.Plural(run.Skipped, "step", "steps")),
				Text: "They did not run to their end (interrupted or failed), so their numbers cover part of a window."})
		}
	}
	return out
}

// keyName heads the rows' first column.
func (r *Result) keyName() string {
	if r.InFlight {
		return "In flight"
	}
	return "Clients"
}

// countList writes the rows' keys: client counts, or requests in flight.
func (r *Result) countList(ns []int) string {
	if !r.InFlight {
		return clientList(ns)
	}
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = units.Int(n)
	}
	return strings.Join(parts, ", ") + " requests in flight"
}

// clientList writes client counts: "1 client", "50, 200, 1,000 clients".
func clientList(ns []int) string {
	if len(ns) == 1 {
		return units.Clients(ns[0])
	}
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = units.Int(n)
	}
	return strings.Join(parts, ", ") + " clients"
}

// cell is a run's median with its spread: "72,914 (71,020–73,500)".
func cell(m metric, s stats.Summary) string {
	switch {
	case s.N == 0:
		return units.NA
	case s.Min == s.Max:
		return m.format(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", m.format(s.Median), m.format(s.Min), m.format(s.Max))
}

// reading says in words what the comparison of one metric means.
func reading(m metric, mt Metric) string {
	c := mt.Compare
	delta := signedPct(c.Delta)
	switch {
	case mt.A.N == 0 || mt.B.N == 0:
		return "no data"
	case mt.A.Min == mt.A.Max && mt.B.Min == mt.B.Max && mt.A.Min == mt.B.Min:
		return "the same in every trial"
	case !c.CanDetect:
		return fmt.Sprintf("%s, but %s cannot tell it from noise", delta, trialWords(c))
	case !c.Significant:
		return fmt.Sprintf("no significant change (%s)", delta)
	case (c.Delta > 0) == m.higher:
		return "**B better**"
	}
	return "**B worse**"
}

func trialWords(c stats.Comparison) string {
	if c.N1 == c.N2 {
		return units.Plural(c.N1, "trial", "trials") + " each"
	}
	return fmt.Sprintf("%s against %s", units.Int(c.N1), units.Plural(c.N2, "trial", "trials"))
}

// signedPct writes a relative change as "+94.7%" or "-3.1%".
func signedPct(d float64) string {
	s := units.Float(d*100, 1)
	if s == units.NA {
		return s
	}
	if d > 0 && s != "0.0" {
		s = "+" + s
	}
	return s + "%"
}

// chartsSection shows the chart images, in the order given.
func (r *Result) chartsSection() scorecards.Section {
	s := scorecards.Section{Level: 2, Heading: "Charts"}
	for _, img := range r.Charts {
		name := strings.TrimSuffix(path.Base(img), path.Ext(img))
		s.Blocks = append(s.Blocks, scorecards.Paragraph(fmt.Sprintf("![%s](%s)", name, img)))
	}
	return s
}

func (r *Result) verdictSection() scorecards.Section {
	s := scorecards.Section{Level: 2, Heading: "Verdicts"}
	t := scorecards.Table{Header: []string{"", r.A.col("A"), r.B.col("B")}}
	row := func(name string, f func(sc *scorecards.Scorecard) string) {
		t.Rows = append(t.Rows, []string{name, f(r.A.Card), f(r.B.Card)})
	}
	row("Phase", func(sc *scorecards.Scorecard) string {
		return fmt.Sprintf("%d: %s", sc.Phase.Number, sc.Phase.Name)
	})
	row("Status", func(sc *scorecards.Scorecard) string { return string(sc.Status) })
	row("Sweet spot", func(sc *scorecards.Scorecard) string {
		if sp := sc.Summary.SweetSpot; sp != nil {
			return fmt.Sprintf("%s, %s rps at %s success", units.Clients(sp.Clients), units.Rate(float64(sp.RPS)), units.Pct(float64(sp.SuccessRate)))
		}
		return "none (no clean step)"
	})
	row("Breaking point", func(sc *scorecards.Scorecard) string {
		if bp := sc.Summary.BreakingPoint; bp != nil {
			return fmt.Sprintf("%s, %s rps at %s success: %s", units.Clients(bp.Clients), units.Rate(float64(bp.RPS)), units.Pct(float64(bp.SuccessRate)), bp.Reason)
		}
		return "none within the sweep"
	})
	row("Limit", func(sc *scorecards.Scorecard) string { return fmtLimit(sc.Summary.Limit) })
	row("Hypothesis", func(sc *scorecards.Scorecard) string {
		outcome := string(sc.Summary.Hypothesis)
		if outcome == "" {
			outcome = "not decided"
		}
		return strings.TrimSpace(fmt.Sprintf("%s expected: **%s**. %s", fmtLimit(sc.Phase.Hypothesis.Limit), outcome, sc.Summary.Note))
	})
	s.Blocks = append(s.Blocks, t)
	return s
}

func fmtLimit(l attrib.Limit) string {
	if l == "" {
		return "not judged"
	}
	return "`" + string(l) + "`"
}

// evidenceSection sets the evidence of the two breaking steps side by
// side, line by line.
func (r *Result) evidenceSection() scorecards.Section {
	s := scorecards.Section{Level: 3, Heading: "Evidence at the breaking point"}
	if r.A.Breaking == nil && r.B.Breaking == nil {
		s.Blocks = append(s.Blocks, scorecards.Paragraph("Neither run broke within its sweep: no breaking step to set side by side."))
		return s
	}
	head := func(side string, run Run) string {
		if run.Breaking == nil {
			return run.col(side) + ", no breaking point"
		}
		return fmt.Sprintf("%s, %s, %s", run.col(side), units.Clients(run.Breaking.Clients), fmtLimit(run.Breaking.Verdict.Limit))
	}
	lines := func(run Run) []string {
		switch {
		case run.Breaking == nil:
			return []string{"no step broke within the sweep: no evidence"}
		case len(run.Breaking.Verdict.Evidence) == 0:
			return []string{"no limit's evidence moved"}
		}
		return run.Breaking.Verdict.Evidence
	}
	la, lb := lines(r.A), lines(r.B)
	t := scorecards.Table{Header: []string{head("A", r.A), head("B", r.B)}}
	for i := range max(len(la), len(lb)) {
		t.Rows = append(t.Rows, []string{at(la, i), at(lb, i)})
	}
	s.Blocks = append(s.Blocks, t)
	return s
}

func at(ss []string, i int) string {
	if i < len(ss) {
		return ss[i]
	}
	return ""
}

func (r *Result) benchstatSection() scorecards.Section {
	s := scorecards.Section{Level: 2, Heading: "With benchstat"}
	s.Blocks = append(s.Blocks, scorecards.Paragraph("The same trials in the Go benchmark format, one line per trial: "+
		"`scalelab compare A B --format benchfmt > trials.txt`, then `benchstat -table \"\" -col label -row /clients trials.txt` "+
		"(one table per unit, A and B side by side, rows paired by client count even when the runs are different phases)."))
	return s
}
