package attrib

import "fmt"

// State says whether a step held up, saturated or dropped.
type State string

// The states of a step.
const (
	// Clean: the step held its success rate and its throughput grew (or
	// it is the first step).
	Clean State = "clean"
	// Saturated: more clients only waited longer — throughput flat while
	// latency grew.
	Saturated State = "saturated"
	// Dropped: success fell below the threshold, clients starved, or
	// throughput fell while clients grew.
	Dropped State = "dropped"
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

// Verdict is the attribution of one step.
type Verdict struct {
	State State
	// Reason says why the step is not clean, with numbers.
	Reason string
	// Limit is the first limit in Order whose evidence moved, when the
	// step is not clean; None otherwise.
	Limit Limit
	// Evidence are the measured facts proving Limit.
	Evidence []string
	// Also lists the other limits whose evidence moved.
	Also []Finding
}

// Judge attributes step s. earlier are the steps of the same phase with
// fewer clients, in sweep order; threshold is the phase's success threshold
// (0..1).
func Judge(s Step, earlier []Step, threshold float64) Verdict {
	v := Verdict{State: Clean, Limit: None}
	v.State, v.Reason = classify(s, earlier, threshold)
	found := Findings(s)
	if v.State == Clean {
		v.Also = found
		return v
	}
	if len(found) == 0 {
		v.Evidence = []string{v.Reason + "; no limit's evidence moved, so the lab cannot name the cause"}
		return v
	}
	v.Limit = found[0].Limit
	v.Evidence = []string{v.Reason}
	for _, e := range found[0].Evidence {
		if e != v.Reason {
			v.Evidence = append(v.Evidence, e)
		}
	}
	v.Also = found[1:]
	return v
}

func classify(s Step, earlier []Step, threshold float64) (State, string) {
	if s.Requests > 0 && s.SuccessRate < threshold {
		return Dropped, fmt.Sprintf("success %s < threshold %s (%s of %s requests failed)",
			Pct(s.SuccessRate), Pct(threshold), Int(s.Requests-s.OK), Int(s.Requests))
	}
	if s.Clients > 0 && float64(s.ClientsStarved) > (1-threshold)*float64(s.Clients) {
		return Dropped, fmt.Sprintf("%s of %s clients got no answer", Int(s.ClientsStarved), Int(s.Clients))
	}
	if s.Requests == 0 {
		return Dropped, "no request was answered"
	}
	if peak, at, tail, ok := collapse(s.Timeline); ok {
		return Dropped, fmt.Sprintf("throughput collapsed within the step: %s requests in second %d, %s per second on average over the second half",
			Int(int64(peak+0.5)), at+1, Int(int64(tail+0.5)))
	}
	var best *Step
	for i := range earlier {
		if e := &earlier[i]; e.Clients < s.Clients && (best == nil || e.RPS > best.RPS) {
			best = e
		}
	}
	if best != nil && s.RPS < FallRatio*best.RPS {
		return Dropped, fmt.Sprintf("throughput fell to %s rps from %s rps at %s clients (%+.0f%%) while clients grew to %s",
			Int(int64(s.RPS+0.5)), Int(int64(best.RPS+0.5)), Int(best.Clients), 100*(s.RPS/best.RPS-1), Int(s.Clients))
	}
	if len(earlier) > 0 {
		prev := earlier[len(earlier)-1]
		if prev.Clients > 0 && prev.RPS > 0 && prev.Latency.P50 > 0 &&
			float64(s.Clients) >= ClientGrowth*float64(prev.Clients) &&
			s.RPS < FlatGrowth*prev.RPS && s.Latency.P50 >= LatencyGrowth*prev.Latency.P50 {
			return Saturated, fmt.Sprintf("throughput flat (%s -> %s rps, %+.0f%%) while clients grew x%.1f and median latency x%.1f",
				Int(int64(prev.RPS+0.5)), Int(int64(s.RPS+0.5)), 100*(s.RPS/prev.RPS-1),
				float64(s.Clients)/float64(prev.Clients), s.Latency.P50/prev.Latency.P50)
		}
	}
	return Clean, ""
}

// collapse finds a timeline whose second half averages below CollapseRatio
// of its best second, and returns that best second, its index and the
// second half's average.
func collapse(tl []float64) (peak float64, at int, tail float64, ok bool) {
	if len(tl) < CollapseMinSeconds {
		return 0, 0, 0, false
	}
	for i, v := range tl {
		if v > peak {
			peak, at = v, i
		}
	}
	half := tl[len(tl)/2:]
	for _, v := range half {
		tail += v
	}
	tail /= float64(len(half))
	return peak, at, tail, peak > 0 && tail < CollapseRatio*peak
}
