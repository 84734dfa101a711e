package attrib

import (
	"fmt"
	"math"

	"github.com/scalelab/scalelab/units"
)

// VerifyOutcome is what re-running a step with its limit lifted (or its
// side squeezed) says of the verdict.
type VerifyOutcome string

// The outcomes of a verification.
const (
	Verified      VerifyOutcome = "verified"       // the intervention moved the step as the verdict predicts
	RefutedBy     VerifyOutcome = "refuted"        // it did not: the verdict was wrong
	NotVerifiable VerifyOutcome = "not verifiable" // no intervention tells, or the re-run could not decide
)

// Thresholds of a verification by squeezing: a side capped at SqueezeShare
// of a core that bounds the throughput loses at least SqueezeFall of it
// (a halving predicts a fall to about half), while a side that does not
// bound it loses at most SqueezeSpare.
const (
	SqueezeShare = 0.5
	SqueezeFall  = 0.30
	SqueezeSpare = 0.15
)

// JudgeLift compares a step with its re-run after the resource r was
// lifted (more descriptors, a wider backlog, more workers, the reuse of
// TIME_WAIT ports, an uncapped driver): the verdict stands when the re-run
// no longer runs out of r and no longer breaks the way the step did.
func JudgeLift(r Resource, before, after Step, threshold float64) (VerifyOutcome, string) {
	jb, ja := Judge(before, threshold), Judge(after, threshold)
	u, measured := after.Use(r)
	still := measured && u.Saturated
	gain := relChange(float64(before.RPS), float64(after.RPS))
	switch {
	case after.Requests == 0:
		return NotVerifiable, "the re-run measured nothing"
	case still && (ja.State == jb.State || ja.State == Dropped):
		return RefutedBy, fmt.Sprintf("with it lifted the step still ran out of %s (%s)", r, u.Used)
	case jb.State == Dropped && ja.State == Dropped && ja.Resource != r:
		return Verified, fmt.Sprintf("%s no longer ran out; the step now breaks on %s instead (%s)", r, ja.Resource, ja.Reason)
	case jb.State == Dropped && ja.State != Dropped:
		return Verified, fmt.Sprintf("the step no longer broke: success %s -> %s, %s -> %s requests/s",
			units.Pct(float64(before.SuccessRate)), units.Pct(float64(after.SuccessRate)), units.Rate(float64(before.RPS)), units.Rate(float64(after.RPS)))
	case !still && gain > NoiseMargin:
		return Verified, fmt.Sprintf("%s no longer ran out and throughput rose %+.0f%% (%s -> %s requests/s)", r, 100*gain,
			units.Rate(float64(before.RPS)), units.Rate(float64(after.RPS)))
	case !still:
		return Verified, fmt.Sprintf("%s no longer ran out (the step is now %s on %s)", r, ja.State, orNone(ja.Resource))
	}
	return NotVerifiable, fmt.Sprintf("%s still ran out but the step changed (%s -> %s)", r, jb.State, ja.State)
}

// JudgeSqueeze compares a step with two re-runs: one with the suspected
// side capped at SqueezeShare of a core, one with the other side capped the
// same. No core can be added, so a side is shown to bound the throughput
// by taking some away: the suspect's squeeze must cut throughput clearly
// while the other side's squeeze cuts it little.
func JudgeSqueeze(suspect Resource, before, squeezed, other Step) (VerifyOutcome, string) {
	fallS := -relChange(float64(before.RPS), float64(squeezed.RPS))
	fallO := -relChange(float64(before.RPS), float64(other.RPS))
	what := fmt.Sprintf("%s -> %s requests/s with the %s squeezed to half a core (%+.0f%%), %s with the other side squeezed (%+.0f%%)",
		units.Rate(float64(before.RPS)), units.Rate(float64(squeezed.RPS)), suspect, -100*fallS, units.Rate(float64(other.RPS)), -100*fallO)
	switch {
	case squeezed.Requests == 0 || other.Requests == 0:
		return NotVerifiable, "a re-run measured nothing"
	case fallS >= SqueezeFall && fallO <= SqueezeSpare:
		return Verified, what
	case fallS <= SqueezeSpare && fallO >= SqueezeFall:
		return RefutedBy, what + ": the other side bounds it"
	case fallS >= SqueezeFall && fallO >= SqueezeFall:
		return NotVerifiable, what + ": both sides bound it, so the server's number is a lower bound (more driver CPUs or shards would tell)"
	}
	return NotVerifiable, what + ": neither squeeze moved it enough to tell"
}

// ExhaustionSeconds is how long an ephemeral port range lasts at a rate of
// new connections when each port is held 60 s in TIME_WAIT (Linux's fixed
// TIME_WAIT time): a wider range only postpones the limit within a step.
func ExhaustionSeconds(ports int64, connectsPerSecond float64) float64 {
	sustainable := float64(ports) / TimeWaitSeconds
	if connectsPerSecond <= sustainable {
		return math.Inf(1)
	}
	return float64(ports) / (connectsPerSecond - sustainable)
}

// TimeWaitSeconds is how long Linux keeps a socket in TIME_WAIT (fixed).
const TimeWaitSeconds = 60.0

func relChange(old, new float64) float64 {
	if old <= 0 {
		return 0
	}
	return new/old - 1
}

func orNone(r Resource) string {
	if r == "" {
		return "nothing"
	}
	return string(r)
}
