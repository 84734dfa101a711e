package scorecards

import (
	"fmt"
	"strings"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/units"
)

func fmtLimit(l attrib.Limit) string {
	if l == "" {
		return "not judged"
	}
	return "`" + string(l) + "`"
}

func hypothesisSection(v *view) Section {
	sc := v.card
	s := Section{Level: 2, Heading: "Hypothesis"}
	h := sc.Phase.Hypothesis
	expected := fmt.Sprintf("**Expected limit:** %s.", fmtLimit(h.Limit))
	if h.Note != "" {
		expected += " " + h.Note
	}
	s.Blocks = append(s.Blocks, Paragraph(expected))
	if l, ok := v.decisive(); ok {
		found := fmt.Sprintf("**Found:** %s", fmtLimit(l.Limit))
		if l.Resource != "" {
			found += fmt.Sprintf(" (%s)", l.Resource)
		}
		switch {
		case sc.Summary.BreakingPoint != nil:
			found += fmt.Sprintf(" at the breaking point (%s).", units.Clients(l.Clients))
		case l.State == attrib.Saturated:
			found += fmt.Sprintf(" where it saturated (%s); no step broke.", units.Clients(l.Clients))
		default:
			found += fmt.Sprintf(" at the last step (%s); no step broke and no resource ran out.", units.Clients(l.Clients))
		}
		s.Blocks = append(s.Blocks, Paragraph(found))
	}
	var result string
	switch o := sc.Summary.Hypothesis; {
	case o != "":
		result = fmt.Sprintf("**Result: %s.**", o)
	case sc.Status == StatusRunning:
		result = "**Result: not decided yet:** the run is still in progress."
	default:
		result = "**Result: not decided:** the run stopped before the hypothesis could be judged."
	}
	if sc.Summary.Note != "" {
		result += " " + sc.Summary.Note
	}
	s.Blocks = append(s.Blocks, Paragraph(result))
	return s
}

// resultsSection is the table of client counts: the median of their
// trials with the spread, the comparison with the best earlier count, and
// how each was judged.
func resultsSection(v *view) Section {
	s := Section{Level: 2, Heading: "Results"}
	if len(v.levels) == 0 {
		s.Blocks = append(s.Blocks, Paragraph("No step was measured to its end."))
		return s
	}
	multi := v.multiTrial()
	t := Table{Header: []string{"Clients"}, Right: []bool{true}}
	add := func(h string, right bool) { t.Header = append(t.Header, h); t.Right = append(t.Right, right) }
	if multi {
		add("Trials", true)
	}
	add("RPS", true)
	add("vs best before", false)
	add("Success", true)
	add("Clients answered", true)
	add("p50 ms", true)
	add("p99 ms", true)
	add("Connect p99 ms", true)
	add("Top errors", false)
	add("Verdict", false)
	for _, l := range v.levels {
		t.Rows = append(t.Rows, v.resultRow(l, multi))
	}
	lead := "RPS counts successful responses per second over the measured window; latencies are response times of " +
		"successful requests, in milliseconds. Clients answered counts the clients that got at least one successful " +
		"answer: a server can keep its success rate while leaving clients with nothing."
	if multi {
		lead += " With several trials a cell is the median and, in brackets, the lowest and the highest trial; " +
			"\"vs best before\" compares the trials' throughput with those of the best count before it, as benchstat " +
			"words it (`~` when the U test does not separate them at p ≤ 0.05), and says whether the change is beyond " +
			"the noise of this machine."
	}
	s.Blocks = append(s.Blocks, Paragraph(lead), t)
	if len(v.cut) > 0 {
		var items []string
		for _, st := range v.cut {
			item := fmt.Sprintf("%s, trial %d: %s", units.Clients(st.Clients), st.Trial, st.Ended)
			if st.Failure != "" {
				item += " (" + st.Failure + ")"
			}
			items = append(items, item)
		}
		s.Blocks = append(s.Blocks, Bullets{Lead: "Not judged: these steps did not run to their end.", Items: items})
	}
	items := pointLines(v)
	if ref := v.card.Reference; ref != nil {
		noise := "outside this machine's run-to-run noise: something changed (the code, the machine, or its load)"
		if ref.WithinNoise {
			noise = "within this machine's run-to-run noise"
		}
		items = append(items, fmt.Sprintf("**Against the reference run of %s:** best %s requests/s there (limit `%s`), x%s here: %s.",
			ref.Date, units.Rate(float64(ref.RPS)), ref.Limit, units.Float(ref.Ratio, 2), noise))
	}
	s.Blocks = append(s.Blocks, Bullets{Items: items})
	return s
}

func (v *view) resultRow(l attrib.Level, multi bool) []string {
	row := []string{units.Int(l.Clients)}
	if multi {
		row = append(row, units.Int(l.Trials))
	}
	st, _ := v.representative(l)
	answered := fmt.Sprintf("%s/%s", units.Int(st.Clients-st.ClientsStarved), units.Int(st.Clients))
	p50, p99 := units.NA, units.NA
	if st.OK > 0 { // no success, no latency: n/a, not a measured zero
		p50, p99 = units.MSValue(float64(st.LatencyMS.P50)), spreadText(l.P99MS, units.MSValue, multi)
	}
	connect := units.NA
	if st.Connects > 0 && (st.ConnectMS.P99 > 0 || st.ConnectMS.Max > 0) {
		connect = units.MSValue(float64(st.ConnectMS.P99))
	}
	row = append(row,
		spreadText(l.RPS, units.Rate, multi),
		versusText(l.Versus),
		spreadText(l.SuccessRate, units.Pct, multi),
		answered,
		p50, p99, connect,
		units.Counts(st.Errors, 3),
		levelVerdict(l),
	)
	return row
}

// spreadText is "25,922" or, over several trials, "25,922 (24,376–27,111)".
func spreadText(s attrib.Spread, f func(float64) string, multi bool) string {
	if !multi || s.Min == s.Max {
		return f(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", f(s.Median), f(s.Min), f(s.Max))
}

func versusText(v *attrib.Versus) string {
	if v == nil {
		return "first"
	}
	text := fmt.Sprintf("%s vs %s", v.Text, units.Clients(v.Clients))
	switch v.Claim {
	case attrib.ClaimWithinNoise:
		text += ", within noise"
	case attrib.ClaimInconclusive:
		text += ", inconclusive"
	}
	return text
}

// levelVerdict is "`cpu` (saturated, retrograde)".
func levelVerdict(l attrib.Level) string {
	if l.State == attrib.Clean {
		return fmtLimit(l.Limit)
	}
	state := string(l.State)
	if l.Retrograde {
		state += ", retrograde"
	}
	if l.RetryStorm {
		state += ", retry storm"
	}
	return fmtLimit(l.Limit) + " (" + state + ")"
}

// pointLines says where the sweet spot and the breaking point are.
func pointLines(v *view) []string {
	sc := v.card
	threshold := units.Pct(sc.Config.SuccessThreshold)
	var items []string
	if sp := sc.Summary.SweetSpot; sp != nil {
		items = append(items, fmt.Sprintf("**Sweet spot:** %s: %s requests/s at %s success, the highest throughput before the breaking point (a count within the noise of a smaller one gives way to it).",
			units.Clients(sp.Clients), units.Rate(float64(sp.RPS)), units.Pct(float64(sp.SuccessRate))))
	} else if sc.Summary.Hypothesis != "" || sc.Status != StatusRunning {
		items = append(items, fmt.Sprintf("**Sweet spot:** none: no step kept success at or above %s.", threshold))
	}
	switch bp := sc.Summary.BreakingPoint; {
	case bp != nil:
		line := fmt.Sprintf("**Breaking point:** %s: success %s at %s requests/s", units.Clients(bp.Clients),
			units.Pct(float64(bp.SuccessRate)), units.Rate(float64(bp.RPS)))
		if bp.Reason != "" {
			line += " (" + bp.Reason + ")"
		}
		items = append(items, line+".")
	case sc.Status == StatusRunning:
		items = append(items, "**Breaking point:** none so far.")
	default:
		items = append(items, fmt.Sprintf("**Breaking point:** none within this sweep: every step kept success at or above %s and every client was answered.", threshold))
	}
	for _, l := range v.levels {
		if l.Retrograde && l.Versus != nil {
			items = append(items, fmt.Sprintf("**Retrograde:** at %s throughput fell %s from %s with every request answered: saturation, not a break. %s",
				units.Clients(l.Clients), strings.TrimPrefix(l.Versus.Text, "-"), units.Clients(l.Versus.Clients), capitalize(l.Versus.Why)+"."))
			break
		}
	}
	return items
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func nextSection(v *view) Section {
	s := Section{Level: 2, Heading: "Next rung"}
	l, ok := v.decisive()
	if !ok || l.Limit == "" {
		s.Blocks = append(s.Blocks, Paragraph("No verdict yet to suggest the next rung from."))
		return s
	}
	sc := v.card
	advice := sc.Summary.Next
	if advice == "" {
		setup := attrib.Setup{Variant: string(sc.Config.Server.Variant), KeepAlive: sc.Config.Driver.KeepAlive}
		advice = attrib.Advise(l.Limit, l.Resource, l.RetryStorm, setup)
	}
	s.Blocks = append(s.Blocks, Paragraph(fmt.Sprintf("**Suggested from the verdict %s at %s.** %s",
		fmtLimit(l.Limit), units.Clients(l.Clients), advice)))
	return s
}
