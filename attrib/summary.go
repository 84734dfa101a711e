package attrib

import (
	"fmt"

	"github.com/scalelab/scalelab/units"
)

// Point is a client count picked out by the summary.
type Point struct {
	Clients     int             `yaml:"clients"`
	RPS         units.PerSecond `yaml:"rps"`          // median over the trials
	SuccessRate units.Ratio     `yaml:"success_rate"` // median over the trials
	// Reason says why a breaking point broke, e.g. "success 64.08% <
	// threshold 99.00%".
	Reason string `yaml:"reason,omitempty"`
	// Limit is the verdict at the point (not written: the level holds it).
	Limit Limit `yaml:"-"`
}

// Summary is the verdict of a whole phase, as a scorecard records it.
type Summary struct {
	// SweetSpot is the level with the highest median throughput before
	// the breaking point, among those that coped (a level within noise of
	// it with fewer clients wins); nil when none coped.
	SweetSpot *Point `yaml:"sweet_spot"`
	// BreakingPoint is the first level that broke; nil when none did.
	BreakingPoint *Point `yaml:"breaking_point"`
	// Hypothesis is the outcome for the phase's hypothesis (empty while
	// running); Note says why in one or two sentences.
	Hypothesis Outcome `yaml:"hypothesis,omitempty"`
	Note       string  `yaml:"hypothesis_note,omitempty"`
	// Limit is what capped the phase: the breaking point's root limit,
	// else the first saturated level's, else None.
	Limit Limit `yaml:"limit,omitempty"`
	// Next suggests the next rung.
	Next string `yaml:"next,omitempty"`
	// Verified says whether re-running the deciding step with Limit
	// lifted (or its side squeezed) proved it; empty when not tried.
	Verified VerifyOutcome `yaml:"verified,omitempty"`
}

// Summarize names the sweet spot and the breaking point of a phase from
// its levels (in order of clients) and checks its hypothesis. setup says
// what ran, so that the advice fits it.
func Summarize(levels []Level, hypothesis Limit, setup Setup) Summary {
	var sum Summary
	end := len(levels)
	for i, l := range levels {
		if l.State == Dropped {
			sum.BreakingPoint = &Point{Clients: l.Clients, RPS: units.PerSecond(l.RPS.Median), SuccessRate: units.Ratio(l.SuccessRate.Median),
				Reason: l.Reason, Limit: l.Limit}
			end = i
			break
		}
	}
	for _, l := range levels[:end] {
		if sum.SweetSpot == nil || l.RPS.Median > (1+NoiseMargin)*float64(sum.SweetSpot.RPS) {
			sum.SweetSpot = &Point{Clients: l.Clients, RPS: units.PerSecond(l.RPS.Median), SuccessRate: units.Ratio(l.SuccessRate.Median)}
		}
	}
	sum.Limit = None
	var where string
	var decisive *Level
	if sum.BreakingPoint != nil {
		sum.Limit = sum.BreakingPoint.Limit
		where = fmt.Sprintf("the breaking point (%s)", units.Clients(sum.BreakingPoint.Clients))
		decisive = &levels[end]
	} else {
		for i, l := range levels {
			if l.State == Saturated {
				sum.Limit = l.Limit
				where = fmt.Sprintf("saturation at %s", units.Clients(l.Clients))
				decisive = &levels[i]
				break
			}
		}
	}
	sum.Hypothesis, sum.Note = decide(len(levels), hypothesis, sum, where)
	var resource Resource
	storm := false
	if decisive != nil {
		resource = decisive.Resource
		storm = decisive.RetryStorm
	}
	sum.Next = Advise(sum.Limit, resource, storm, setup)
	return sum
}

// decide checks the hypothesis against what capped the phase at where.
func decide(levels int, hypothesis Limit, sum Summary, where string) (Outcome, string) {
	switch {
	case levels == 0:
		return Inconclusive, "No step was measured to its end."
	case hypothesis == None && sum.BreakingPoint == nil && sum.Limit == None:
		return Confirmed, "No step broke and no resource ran out."
	case hypothesis == None && sum.BreakingPoint == nil:
		return Confirmed, fmt.Sprintf("No step broke; %s was capped by %s, which is saturation, not a break.", where, sum.Limit)
	case hypothesis == None:
		return Refuted, fmt.Sprintf("Expected no break, but %s was capped by %s.", where, sum.Limit)
	case where == "":
		return Refuted, fmt.Sprintf("Expected %s, but no step broke and no resource ran out within the sweep.", hypothesis)
	case sum.Limit == hypothesis:
		return Confirmed, fmt.Sprintf("%s was capped by %s, as expected.", capitalize(where), hypothesis)
	case sum.Limit == None:
		return Inconclusive, fmt.Sprintf("Expected %s, but no resource ran out at %s.", hypothesis, where)
	}
	return Refuted, fmt.Sprintf("Expected %s, but %s was capped by %s.", hypothesis, where, sum.Limit)
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
