package scorecards

import (
	"fmt"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/units"
)

// verificationSection shows each intervention on the deciding step as a
// before/after table with the deltas, and what it proved.
func verificationSection(v *view) Section {
	s := Section{Level: 2, Heading: "Verification"}
	sc := v.card
	if len(sc.Verification) == 0 {
		s.Blocks = append(s.Blocks, Paragraph("Not asked for: `scalelab run N --verify` (or `verify: {enabled: true}` in the phase) runs the deciding step again with only its limit lifted, and says whether the verdict held."))
		return s
	}
	s.Blocks = append(s.Blocks, Paragraph("A verdict is an inference from counters; the lab can test it. The deciding step ran again with only "+
		"its limit lifted (or, for a CPU, the suspected side squeezed to half a core, since no core can be added): if the limit "+
		"was the cause, the step changes as the verdict predicts."))
	for _, x := range sc.Verification {
		s.Blocks = append(s.Blocks, verificationBlocks(v, x)...)
	}
	return s
}

func verificationBlocks(v *view, x Verification) []Block {
	lead := fmt.Sprintf("**%s: %s.** %s", capitalize(string(x.Outcome)), verifyWhat(x), capitalize(x.Why)+".")
	blocks := []Block{Paragraph(lead)}
	before, ok := v.representativeOf(x.Clients, x.Resource)
	if !ok || len(x.Runs) == 0 {
		return blocks
	}
	t := Table{Header: []string{"Run", "Change", "RPS", "Δ RPS", "Success", "p99 ms", "Verdict"}, Right: []bool{false, false, true, true, true, true, false}}
	t.Rows = append(t.Rows, []string{"before", "as the phase ran it", units.Rate(float64(before.RPS)), "", units.Pct(float64(before.SuccessRate)),
		units.MSValue(float64(before.LatencyMS.P99)), fmtLimit(before.Verdict.Limit) + " (" + string(before.State) + ")"})
	for i, r := range x.Runs {
		delta := ""
		if before.RPS > 0 {
			delta = fmt.Sprintf("%+.0f%%", 100*(float64(r.RPS)/float64(before.RPS)-1))
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("re-run %d", i+1), r.Change, units.Rate(float64(r.RPS)), delta, units.Pct(float64(r.SuccessRate)),
			units.MSValue(float64(r.LatencyMS.P99)), fmtLimit(r.Verdict.Limit) + " (" + string(r.State) + ")"})
	}
	blocks = append(blocks, t)
	// Client hosts carry their own ports: show each host's, before and
	// after, so the lift's evidence is per host as the verdict's was.
	for i, r := range x.Runs {
		if len(r.Hosts) > 0 {
			blocks = append(blocks, Bullets{Lead: fmt.Sprintf("Client hosts of re-run %d:", i+1), Items: attrib.HostLines(r.Hosts)})
		}
	}
	return blocks
}

func verifyWhat(x Verification) string {
	if x.Resource == "" {
		return "nothing to verify"
	}
	verb := "lifting"
	if x.Kind == "squeeze" {
		verb = "squeezing"
	}
	return fmt.Sprintf("%s at %s, by %s it", fmtLimit(x.Limit)+" ("+string(x.Resource)+")", units.Clients(x.Clients), verb)
}

// representativeOf is the judged trial of n clients whose bottleneck is r.
func (v *view) representativeOf(n int, r attrib.Resource) (Step, bool) {
	for _, st := range v.trials[n] {
		if st.Verdict.Resource == r {
			return st, true
		}
	}
	if l, ok := v.level(n); ok {
		return v.representative(l)
	}
	return Step{}, false
}
