package attrib

import (
	"fmt"

	"github.com/scalelab/scalelab/units"
)

// RulesVersion names the rules that judged a scorecard: a card judged by
// other rules is not judged again against its recorded verdicts.
// Version 2 judges each trial by its own evidence (USE, causal chain) and
// each client count over its trials with significance.
const RulesVersion = 2

// Thresholds of the break detection.
const (
	// CollapseRatio: the second half of a step averaging below this share
	// of its best second is a collapse within the step (ports filling up,
	// a server that stopped); CollapseMinSeconds is the shortest timeline
	// judged that way.
	CollapseRatio      = 0.5
	CollapseMinSeconds = 4
)

// Finding is one limit whose evidence moved, with the facts.
type Finding struct {
	Limit    Limit    `yaml:"limit" json:"limit"`
	Evidence []string `yaml:"evidence" json:"evidence"`
}

// Verdict names the limit that capped a step, with the measured facts that
// prove it and the consequences that followed, as a scorecard records it.
type Verdict struct {
	// Limit is the root limit: the bottleneck's; None when no resource
	// ran out.
	Limit Limit `yaml:"limit" json:"limit"`
	// Resource is the bottleneck itself ("server CPU", "driver fds").
	Resource Resource `yaml:"resource,omitempty" json:"resource,omitempty"`
	// Evidence are the measured facts proving Limit, e.g. "server accept
	// EMFILE: 340".
	Evidence []string `yaml:"evidence" json:"evidence"`
	// Chain lists the consequences of the root, each with its numbers.
	Chain []string `yaml:"chain,omitempty" json:"chain,omitempty"`
	// Also lists other limits that ran out on their own (not as
	// consequences of the root).
	Also []Finding `yaml:"also,omitempty" json:"also,omitempty"`
}

// Judgment is what Judge concludes of one step.
type Judgment struct {
	// State is clean, saturated or dropped.
	State State
	// Reason says why the step is not clean, with numbers.
	Reason string
	// Diagnosis is the bottleneck analysis the verdict comes from.
	Diagnosis Diagnosis
	Verdict
}

// Judge judges one step (one trial) by its own evidence, which is
// decisive from one trial: it dropped when the server stopped coping
// (success below threshold (0..1), clients starved, nothing answered, or a
// collapse within the step); it saturated when a resource ran out while it
// coped; it is clean otherwise. The verdict names the root of the
// bottleneck and the chain of its consequences. Whether throughput fell as
// clients grew is a relative claim, judged over trials by Levels.
func Judge(s Step, threshold float64) Judgment {
	j := Judgment{State: Clean, Verdict: Verdict{Limit: None}}
	d := s.Diagnose()
	j.Diagnosis = d
	reason := breakReason(s, threshold)
	switch {
	case reason != "":
		j.State, j.Reason = Dropped, reason
	case d.Root != "":
		j.State, j.Reason = Saturated, fmt.Sprintf("%s ran out while every request was answered", d.Root)
	}
	if d.Root == "" {
		if j.State == Dropped {
			j.Evidence = []string{reason + "; no resource ran out, so the lab cannot name the cause"}
		}
		return j
	}
	j.Limit, j.Resource, j.Chain = d.Root.Limit(), d.Root, d.Chain
	if reason != "" {
		j.Evidence = append(j.Evidence, reason)
	}
	for _, e := range d.Evidence {
		if e != reason {
			j.Evidence = append(j.Evidence, e)
		}
	}
	for _, r := range d.Independent {
		j.Also = append(j.Also, Finding{Limit: r.Limit(), Evidence: s.rootEvidence(r)})
	}
	return j
}

// breakReason says why a step broke, or "" when it coped.
func breakReason(s Step, threshold float64) string {
	switch {
	case s.Requests > 0 && float64(s.SuccessRate) < threshold:
		return fmt.Sprintf("success %s < threshold %s (%s of %s requests failed)",
			units.Pct(float64(s.SuccessRate)), units.Pct(threshold), units.Int(s.Requests-s.OK), units.Int(s.Requests))
	case s.Clients > 0 && float64(s.ClientsStarved) > (1-threshold)*float64(s.Clients):
		return fmt.Sprintf("%s of %s clients got no answer", units.Int(s.ClientsStarved), units.Int(s.Clients))
	case s.Requests == 0 || s.OK == 0:
		return "no request was answered"
	}
	if peak, at, tail, ok := collapse(s.Timeline); ok {
		return fmt.Sprintf("throughput collapsed within the step: %s requests in second %d, %s per second on average over the second half",
			units.Rate(peak), at+1, units.Rate(tail))
	}
	return ""
}

// collapse finds a timeline whose second half averages below CollapseRatio
// of its best second, and returns that best second, its index and the
// second half's average.
func collapse(tl []Second) (peak float64, at int, tail float64, ok bool) {
	if len(tl) < CollapseMinSeconds {
		return 0, 0, 0, false
	}
	for i, s := range tl {
		if v := float64(s.RPS); v > peak {
			peak, at = v, i
		}
	}
	half := tl[len(tl)/2:]
	for _, s := range half {
		tail += float64(s.RPS)
	}
	tail /= float64(len(half))
	return peak, at, tail, peak > 0 && tail < CollapseRatio*peak
}
