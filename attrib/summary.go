package attrib

import "fmt"

// Point is a step picked out by the summary.
type Point struct {
	Clients     int
	RPS         float64
	SuccessRate float64
	// Reason and Limit say why a breaking point broke.
	Reason string
	Limit  Limit
}

// Hypothesis outcomes.
const (
	Confirmed    = "confirmed"
	Refuted      = "refuted"
	Inconclusive = "inconclusive"
)

// Summary is the verdict of a whole phase.
type Summary struct {
	// SweetSpot is the clean step with the highest throughput before the
	// breaking point (ties within 3% go to fewer clients); nil when no
	// step was clean.
	SweetSpot *Point
	// BreakingPoint is the first step that dropped; nil when none did.
	BreakingPoint *Point
	// Hypothesis is Confirmed, Refuted or Inconclusive; Note says why.
	Hypothesis string
	Note       string
	// Limit is what capped the phase (the breaking point's verdict, else
	// the first saturated step's, else None); Next suggests the next rung.
	Limit Limit
	Next  string
}

// Summarize names the sweet spot and the breaking point of a phase and
// checks its hypothesis. steps and verdicts are in sweep order.
func Summarize(steps []Step, verdicts []Verdict, hypothesis Limit) Summary {
	var sum Summary
	end := len(steps)
	for i, v := range verdicts {
		if v.State == Dropped {
			s := steps[i]
			sum.BreakingPoint = &Point{Clients: s.Clients, RPS: s.RPS, SuccessRate: s.SuccessRate, Reason: v.Reason, Limit: v.Limit}
			end = i
			break
		}
	}
	for i := 0; i < end; i++ {
		if verdicts[i].State != Clean {
			continue
		}
		s := steps[i]
		if sum.SweetSpot == nil || s.RPS > 1.03*sum.SweetSpot.RPS {
			sum.SweetSpot = &Point{Clients: s.Clients, RPS: s.RPS, SuccessRate: s.SuccessRate}
		}
	}
	sum.Limit = None
	var where string
	if sum.BreakingPoint != nil {
		sum.Limit = sum.BreakingPoint.Limit
		where = fmt.Sprintf("the breaking point (%s)", clientsText(sum.BreakingPoint.Clients))
	} else {
		for i, v := range verdicts {
			if v.State == Saturated {
				sum.Limit = v.Limit
				where = fmt.Sprintf("saturation at %s", clientsText(steps[i].Clients))
				break
			}
		}
	}
	switch {
	case len(steps) == 0:
		sum.Hypothesis, sum.Note = Inconclusive, "No step was measured."
	case hypothesis == None && sum.BreakingPoint == nil:
		sum.Hypothesis, sum.Note = Confirmed, "No step dropped."
	case hypothesis == None:
		sum.Hypothesis, sum.Note = Refuted, fmt.Sprintf("Expected no drop, but %s was capped by %s.", where, sum.Limit)
	case where == "":
		sum.Hypothesis, sum.Note = Refuted, fmt.Sprintf("Expected %s, but no step dropped or saturated within the sweep.", hypothesis)
	case sum.Limit == hypothesis:
		sum.Hypothesis, sum.Note = Confirmed, fmt.Sprintf("%s was capped by %s, as expected.", capitalize(where), hypothesis)
	case sum.Limit == None:
		sum.Hypothesis, sum.Note = Inconclusive, fmt.Sprintf("Expected %s, but no limit's evidence moved at %s.", hypothesis, where)
	default:
		sum.Hypothesis, sum.Note = Refuted, fmt.Sprintf("Expected %s, but %s was capped by %s.", hypothesis, where, sum.Limit)
	}
	sum.Next = NextRung(sum.Limit)
	return sum
}

func clientsText(n int) string {
	if n == 1 {
		return "1 client"
	}
	return Int(n) + " clients"
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
