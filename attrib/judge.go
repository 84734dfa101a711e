package attrib

import (
	"fmt"

	"github.com/scalelab/scalelab/units"
)

// Thresholds of the drop detection.
const (
	// FallRatio: throughput below this share of the best earlier step,
	// with more clients, is a drop.
	FallRatio = 0.90
	// FlatGrowth: throughput growing less than this while clients grew by
	// at least ClientGrowth and the median latency by LatencyGrowth is
	// saturation.
	FlatGrowth    = 1.10
	ClientGrowth  = 1.5
	LatencyGrowth = 1.5
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

// Verdict names the limit that stopped a step, with the measured facts that
// prove it, as a scorecard records it.
type Verdict struct {
	// Limit is the first limit in Order whose evidence moved, when the
	// step is not clean; None otherwise.
	Limit Limit `yaml:"limit" json:"limit"`
	// Evidence are the measured facts proving Limit, e.g. "server accept
	// EMFILE: 340".
	Evidence []string `yaml:"evidence" json:"evidence"`
	// Also lists the other limits whose evidence moved.
	Also []Finding `yaml:"also,omitempty" json:"also,omitempty"`
}

// Judgment is what Judge concludes of one step.
type Judgment struct {
	// State is clean, saturated or dropped.
	State State
	// Reason says why the step is not clean, with numbers.
	Reason string
	Verdict
}

// Judge attributes step s. earlier are the steps of the same phase with
// fewer clients, in sweep order; threshold is the phase's success threshold
// (0..1).
func Judge(s Step, earlier []Step, threshold float64) Judgment {
	j := Judgment{State: Clean, Verdict: Verdict{Limit: None}}
	j.State, j.Reason = classify(s, earlier, threshold)
	found := Findings(s)
	if j.State == Clean {
		j.Also = found
		return j
	}
	if len(found) == 0 {
		j.Evidence = []string{j.Reason + "; no limit's evidence moved, so the lab cannot name the cause"}
		return j
	}
	j.Limit = found[0].Limit
	j.Evidence = []string{j.Reason}
	for _, e := range found[0].Evidence {
		if e != j.Reason {
			j.Evidence = append(j.Evidence, e)
		}
	}
	j.Also = found[1:]
	return j
}

func classify(s Step, earlier []Step, threshold float64) (State, string) {
	if s.Requests > 0 && float64(s.SuccessRate) < threshold {
		return Dropped, fmt.Sprintf("success %s < threshold %s (%s of %s requests failed)",
			units.Pct(float64(s.SuccessRate)), units.Pct(threshold), units.Int(s.Requests-s.OK), units.Int(s.Requests))
	}
	if s.Clients > 0 && float64(s.ClientsStarved) > (1-threshold)*float64(s.Clients) {
		return Dropped, fmt.Sprintf("%s of %s clients got no answer", units.Int(s.ClientsStarved), units.Int(s.Clients))
	}
	if s.Requests == 0 {
		return Dropped, "no request was answered"
	}
	if peak, at, tail, ok := collapse(s.Timeline); ok {
		return Dropped, fmt.Sprintf("throughput collapsed within the step: %s requests in second %d, %s per second on average over the second half",
			units.Rate(peak), at+1, units.Rate(tail))
	}
	var best *Step
	for i := range earlier {
		if e := &earlier[i]; e.Clients < s.Clients && (best == nil || e.RPS > best.RPS) {
			best = e
		}
	}
	if best != nil && float64(s.RPS) < FallRatio*float64(best.RPS) {
		return Dropped, fmt.Sprintf("throughput fell to %s rps from %s rps at %s (%+.0f%%) while clients grew to %s",
			units.Rate(float64(s.RPS)), units.Rate(float64(best.RPS)), units.Clients(best.Clients),
			100*(float64(s.RPS/best.RPS)-1), units.Int(s.Clients))
	}
	if len(earlier) > 0 {
		prev := earlier[len(earlier)-1]
		if prev.Clients > 0 && prev.RPS > 0 && prev.LatencyMS.P50 > 0 &&
			float64(s.Clients) >= ClientGrowth*float64(prev.Clients) &&
			float64(s.RPS) < FlatGrowth*float64(prev.RPS) && float64(s.LatencyMS.P50) >= LatencyGrowth*float64(prev.LatencyMS.P50) {
			return Saturated, fmt.Sprintf("throughput flat (%s -> %s rps, %+.0f%%) while clients grew x%.1f and median latency x%.1f",
				units.Rate(float64(prev.RPS)), units.Rate(float64(s.RPS)), 100*(float64(s.RPS/prev.RPS)-1),
				float64(s.Clients)/float64(prev.Clients), float64(s.LatencyMS.P50/prev.LatencyMS.P50))
		}
	}
	return Clean, ""
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
