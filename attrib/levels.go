package attrib

import (
	"fmt"
	"math"
	"sort"

	"github.com/scalelab/scalelab/stats"
	"github.com/scalelab/scalelab/units"
)

// Margins of noise measured on the lab's machine (docs/design.md says how;
// `make noise` measures them again: on 2026-12-01, quiet, one count of gnet
// spread 33% over 10 interleaved trials of one run and 28% over 5 runs of
// one trial; under the load of other work the run-to-run spread reached
// 56%, the margin kept for single trials).
const (
	// NoiseMargin is the smallest relative change of median throughput,
	// between client counts measured in one run with interleaved trials,
	// that the lab calls an effect even when the U test finds it
	// significant: below it a change is within noise.
	NoiseMargin = 0.05
	// SingleTrialMargin is the run-to-run spread of one trial's
	// throughput on this machine: with one trial a side, only a change
	// larger than this is claimed; a smaller one is inconclusive.
	SingleTrialMargin = 0.56
	// Alpha is the significance level of the U test.
	Alpha = stats.DefaultAlpha
)

// Spread is a median with the range of the trials around it.
type Spread struct {
	Median float64 `yaml:"median"`
	Min    float64 `yaml:"min"`
	Max    float64 `yaml:"max"`
}

func spreadOf(xs []float64) Spread {
	s := stats.Summarize(xs)
	return Spread{Median: s.Median, Min: s.Min, Max: s.Max}
}

// Claim says how a relative claim stands against the noise.
type Claim string

// The standings of a relative claim.
const (
	ClaimSignificant  Claim = "significant"  // p <= Alpha and an effect beyond NoiseMargin (or one trial each beyond SingleTrialMargin)
	ClaimWithinNoise  Claim = "within noise" // the test or the margin does not separate the two
	ClaimInconclusive Claim = "inconclusive" // too few trials to tell
)

// Versus compares a level's throughput with the best level of fewer
// clients before it.
type Versus struct {
	Clients int     `yaml:"clients"` // the level compared with
	Delta   float64 `yaml:"delta"`   // relative change of median throughput
	P       float64 `yaml:"p"`       // U test p-value (1 with one trial a side)
	N1      int     `yaml:"n1"`
	N2      int     `yaml:"n2"`
	Claim   Claim   `yaml:"claim"`
	// Text is the change as benchstat words it: "-11.2% (p=0.029 n=4)".
	Text string `yaml:"text"`
	// Why explains a fall by whose cost per request rose.
	Why string `yaml:"why,omitempty"`
}

// Level is one client count over its trials: each trial is one sample (a
// fresh namespace and a fresh server).
type Level struct {
	Clients     int    `yaml:"clients"`
	Trials      int    `yaml:"trials"`
	RPS         Spread `yaml:"rps"`
	SuccessRate Spread `yaml:"success_rate"`
	P99MS       Spread `yaml:"p99_ms"`
	// State is dropped when any trial broke (absolute evidence is
	// decisive from one trial), saturated when most trials ran out of a
	// resource, clean otherwise.
	State State `yaml:"state"`
	// Broke counts the trials that broke.
	Broke int `yaml:"broke,omitempty"`
	// Retrograde: throughput fell, significantly, from a level of fewer
	// clients while the server still coped.
	Retrograde bool `yaml:"retrograde,omitempty"`
	// RetryStorm: clients timed out and reconnected, and most of the
	// server's work went to requests no client received.
	RetryStorm bool     `yaml:"retry_storm,omitempty"`
	Limit      Limit    `yaml:"limit"`
	Resource   Resource `yaml:"resource,omitempty"`
	// Reason says why the level broke or saturated.
	Reason string  `yaml:"reason,omitempty"`
	Versus *Versus `yaml:"versus,omitempty"`
}

// Levels groups judged steps by client count (in sweep order) and judges
// each count over its trials. steps and judgments go together.
func Levels(steps []Step, judgments []Judgment) []Level {
	byClients := map[int][]int{}
	var counts []int
	for i, s := range steps {
		if _, ok := byClients[s.Clients]; !ok {
			counts = append(counts, s.Clients)
		}
		byClients[s.Clients] = append(byClients[s.Clients], i)
	}
	sort.Ints(counts)
	var levels []Level
	for _, c := range counts {
		l := newLevel(c, byClients[c], steps, judgments)
		l.Versus = versus(l, levels, byClients, steps)
		if v := l.Versus; v != nil && v.Claim == ClaimSignificant && v.Delta < 0 && l.State != Dropped {
			l.Retrograde = true
		}
		levels = append(levels, l)
	}
	return levels
}

// newLevel summarizes the trials idx of one client count.
func newLevel(clients int, idx []int, steps []Step, judgments []Judgment) Level {
	l := Level{Clients: clients, Trials: len(idx), State: Clean, Limit: None}
	var rps, succ, p99 []float64
	states := map[State]int{}
	limits := map[Resource]int{}
	for _, i := range idx {
		s, j := steps[i], judgments[i]
		rps = append(rps, float64(s.RPS))
		succ = append(succ, float64(s.SuccessRate))
		p99 = append(p99, float64(s.LatencyMS.P99))
		states[j.State]++
		if j.State == Dropped {
			l.Broke++
			if l.Reason == "" {
				l.Reason, l.Limit, l.Resource = j.Reason, j.Limit, j.Resource
			}
		}
		if j.Resource != "" {
			limits[j.Resource]++
		}
		l.RetryStorm = l.RetryStorm || j.Diagnosis.RetryStorm
	}
	l.RPS, l.SuccessRate, l.P99MS = spreadOf(rps), spreadOf(succ), spreadOf(p99)
	switch {
	case l.Broke > 0:
		l.State = Dropped
		if l.Trials > 1 {
			l.Reason = fmt.Sprintf("broke in %d of %d trials: %s", l.Broke, l.Trials, l.Reason)
		}
	case 2*states[Saturated] >= l.Trials:
		l.State = Saturated
		l.Resource = mostCommon(limits)
		l.Limit = l.Resource.Limit()
		l.Reason = fmt.Sprintf("%s ran out in %d of %d trials while every request was answered", l.Resource, states[Saturated], l.Trials)
	}
	return l
}

func mostCommon(m map[Resource]int) Resource {
	var best Resource
	for _, r := range rootOrder {
		if m[r] > m[best] || (best == "" && m[r] > 0) {
			best = r
		}
	}
	return best
}

// versus compares level l with the earlier level of the highest median
// throughput; nil for the first level.
func versus(l Level, earlier []Level, idx map[int][]int, steps []Step) *Versus {
	var best *Level
	for i := range earlier {
		if e := &earlier[i]; best == nil || e.RPS.Median > best.RPS.Median {
			best = e
		}
	}
	if best == nil {
		return nil
	}
	old, new := field(idx[best.Clients], steps, rpsOf), field(idx[l.Clients], steps, rpsOf)
	c := stats.Compare(old, new, Alpha)
	v := &Versus{Clients: best.Clients, Delta: c.Delta, P: c.P, N1: c.N1, N2: c.N2, Text: c.String()}
	switch {
	case c.N1 == 1 && c.N2 == 1:
		v.P = 1
		v.Text = fmt.Sprintf("%+.1f%% (one trial each)", 100*c.Delta)
		v.Claim = ClaimInconclusive
		if math.Abs(c.Delta) > SingleTrialMargin {
			v.Claim = ClaimSignificant
		}
	case !c.CanDetect && !c.Significant:
		v.Claim = ClaimInconclusive
	case c.Significant && math.Abs(c.Delta) > NoiseMargin:
		v.Claim = ClaimSignificant
	default:
		v.Claim = ClaimWithinNoise
	}
	if v.Claim == ClaimSignificant && v.Delta < 0 {
		v.Why = whoseCostRose(idx[best.Clients], idx[l.Clients], steps)
	}
	return v
}

func rpsOf(s Step) float64 { return float64(s.RPS) }

func field(idx []int, steps []Step, f func(Step) float64) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = f(steps[j])
	}
	return out
}

// whoseCostRose explains a fall of throughput by the side whose CPU cost
// per request rose the most between the two levels (the utilization law:
// at a full core, throughput is 1 / cost).
func whoseCostRose(before, after []int, steps []Step) string {
	median := func(idx []int, f func(Step) float64) float64 { return stats.Summarize(field(idx, steps, f)).Median }
	server := func(s Step) float64 { return float64(s.Costs().Server) }
	driver := func(s Step) float64 { return float64(s.Costs().Driver) }
	sb, sa := median(before, server), median(after, server)
	db, da := median(before, driver), median(after, driver)
	rise := func(b, a float64) float64 {
		if b <= 0 || a <= 0 {
			return math.NaN()
		}
		return a/b - 1
	}
	rs, rd := rise(sb, sa), rise(db, da)
	switch {
	case math.IsNaN(rs) && math.IsNaN(rd):
		return ""
	case math.IsNaN(rd) || (!math.IsNaN(rs) && rs >= rd):
		return fmt.Sprintf("the server's CPU per request rose %+.0f%% (%s -> %s): each request costs more with more connections", 100*rs,
			units.Micros(sb), units.Micros(sa))
	}
	return fmt.Sprintf("the driver's CPU per request rose %+.0f%% (%s -> %s)", 100*rd, units.Micros(db), units.Micros(da))
}

// InDoubt lists the client counts that need another trial, by a rule
// fixed before any data is seen: a level that did not break, whose
// throughput moved more than NoiseMargin from the level it is compared
// with but not significantly, is in doubt, and so is that other level
// (more samples on both sides may decide it). Breaks need no more trials:
// their evidence is absolute.
func InDoubt(levels []Level) []int {
	doubt := map[int]bool{}
	for _, l := range levels {
		v := l.Versus
		if v == nil || l.State == Dropped || v.Claim == ClaimSignificant || math.Abs(v.Delta) <= NoiseMargin {
			continue
		}
		doubt[l.Clients], doubt[v.Clients] = true, true
	}
	var out []int
	for _, l := range levels {
		if doubt[l.Clients] {
			out = append(out, l.Clients)
		}
	}
	return out
}
