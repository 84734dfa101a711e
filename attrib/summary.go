package attrib

import (
	"fmt"

	"github.com/scalelab/scalelab/units"
)

// Point is a step picked out by the summary.
type Point struct {
	Clients     int             `yaml:"clients"`
	RPS         units.PerSecond `yaml:"rps"`
	SuccessRate units.Ratio     `yaml:"success_rate"`
	// Reason says why a breaking point broke, e.g. "success 64.08% <
	// threshold 99.00%".
	Reason string `yaml:"reason,omitempty"`
	// Limit is the verdict at the point (not written: the step's verdict
	// holds it).
	Limit Limit `yaml:"-"`
}

// Summary is the verdict of a whole phase, as a scorecard records it.
type Summary struct {
	// SweetSpot is the clean step with the highest throughput before the
	// breaking point (ties within 3% go to fewer clients); nil when no
	// step was clean.
	SweetSpot *Point `yaml:"sweet_spot"`
	// BreakingPoint is the first step that dropped; nil when none did.
	BreakingPoint *Point `yaml:"breaking_point"`
	// Hypothesis is the outcome for the phase's hypothesis (empty while
	// running); Note says why in one or two sentences.
	Hypothesis Outcome `yaml:"hypothesis,omitempty"`
	Note       string  `yaml:"hypothesis_note,omitempty"`
	// Limit is what capped the phase: the breaking point's verdict, else
	// the first saturated step's, else None.
	Limit Limit `yaml:"limit,omitempty"`
	// Next suggests the next rung.
	Next string `yaml:"next,omitempty"`
}

// Summarize names the sweet spot and the breaking point of a phase and
// checks its hypothesis. steps and judgments are in sweep order.
func Summarize(steps []Step, judgments []Judgment, hypothesis Limit) Summary {
	var sum Summary
	end := len(steps)
	for i, j := range judgments {
		if j.State == Dropped {
			s := steps[i]
			sum.BreakingPoint = &Point{Clients: s.Clients, RPS: s.RPS, SuccessRate: s.SuccessRate, Reason: j.Reason, Limit: j.Limit}
			end = i
			break
		}
	}
	for i := 0; i < end; i++ {
		if judgments[i].State != Clean {
			continue
		}
		s := steps[i]
		if sum.SweetSpot == nil || float64(s.RPS) > 1.03*float64(sum.SweetSpot.RPS) {
			sum.SweetSpot = &Point{Clients: s.Clients, RPS: s.RPS, SuccessRate: s.SuccessRate}
		}
	}
	sum.Limit = None
	var where string
	if sum.BreakingPoint != nil {
		sum.Limit = sum.BreakingPoint.Limit
		where = fmt.Sprintf("the breaking point (%s)", units.Clients(sum.BreakingPoint.Clients))
	} else {
		for i, j := range judgments {
			if j.State == Saturated {
				sum.Limit = j.Limit
				where = fmt.Sprintf("saturation at %s", units.Clients(steps[i].Clients))
				break
			}
		}
	}
	sum.Hypothesis, sum.Note = decide(len(steps), hypothesis, sum, where)
	sum.Next = NextRung(sum.Limit)
	return sum
}

// decide checks the hypothesis against what capped the phase at where.
func decide(steps int, hypothesis Limit, sum Summary, where string) (Outcome, string) {
	switch {
	case steps == 0:
		return Inconclusive, "No step was measured."
	case hypothesis == None && sum.BreakingPoint == nil:
		return Confirmed, "No step dropped."
	case hypothesis == None:
		return Refuted, fmt.Sprintf("Expected no drop, but %s was capped by %s.", where, sum.Limit)
	case where == "":
		return Refuted, fmt.Sprintf("Expected %s, but no step dropped or saturated within the sweep.", hypothesis)
	case sum.Limit == hypothesis:
		return Confirmed, fmt.Sprintf("%s was capped by %s, as expected.", capitalize(where), hypothesis)
	case sum.Limit == None:
		return Inconclusive, fmt.Sprintf("Expected %s, but no limit's evidence moved at %s.", hypothesis, where)
	}
	return Refuted, fmt.Sprintf("Expected %s, but %s was capped by %s.", hypothesis, where, sum.Limit)
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
