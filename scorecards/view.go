package scorecards

import "github.com/scalelab/scalelab/attrib"

// view is a card laid out by client count: its levels and, for each, the
// trials measured to their end (in order) and those cut short.
type view struct {
	card   *Scorecard
	levels []attrib.Level
	trials map[int][]Step // judged trials by client count
	cut    []Step         // steps not measured to their end
}

// newView groups the card's steps by client count. A card written by
// rules that kept no levels gets them from its recorded step verdicts.
func newView(sc *Scorecard) *view {
	v := &view{card: sc, levels: sc.Levels, trials: map[int][]Step{}}
	var steps []attrib.Step
	var judgments []attrib.Judgment
	for _, st := range sc.Steps {
		if !st.Judged() {
			v.cut = append(v.cut, st)
			continue
		}
		v.trials[st.Clients] = append(v.trials[st.Clients], st)
		steps = append(steps, st.Step)
		judgments = append(judgments, attrib.Judgment{State: st.State, Verdict: st.Verdict})
	}
	if len(v.levels) == 0 && len(steps) > 0 {
		v.levels = attrib.Levels(steps, judgments)
	}
	return v
}

// representative is the trial of a level whose verdict stands for it: the
// first that broke when the level broke, else the first whose state is the
// level's, else the first.
func (v *view) representative(l attrib.Level) (Step, bool) {
	trials := v.trials[l.Clients]
	if len(trials) == 0 {
		return Step{}, false
	}
	for _, st := range trials {
		if st.State == l.State {
			return st, true
		}
	}
	return trials[0], true
}

// level returns the level of n clients.
func (v *view) level(n int) (attrib.Level, bool) {
	for _, l := range v.levels {
		if l.Clients == n {
			return l, true
		}
	}
	return attrib.Level{}, false
}

// multiTrial reports whether any client count ran more than once.
func (v *view) multiTrial() bool {
	for _, l := range v.levels {
		if l.Trials > 1 {
			return true
		}
	}
	return false
}

// decisiveStep is the representative trial of the decisive level.
func (v *view) decisiveStep() (Step, bool) {
	l, ok := v.decisive()
	if !ok {
		return Step{}, false
	}
	return v.representative(l)
}

// decisive is the level that decides the phase: the breaking point, else
// the first saturated level, else the last.
func (v *view) decisive() (attrib.Level, bool) {
	sum := v.card.Summary
	if bp := sum.BreakingPoint; bp != nil {
		if l, ok := v.level(bp.Clients); ok {
			return l, true
		}
	}
	for _, l := range v.levels {
		if l.State == attrib.Saturated {
			return l, true
		}
	}
	if len(v.levels) > 0 {
		return v.levels[len(v.levels)-1], true
	}
	return attrib.Level{}, false
}

// JudgedLevels returns the card's levels: as written, or, for a card of
// rules that kept none, from its recorded step verdicts.
func (sc *Scorecard) JudgedLevels() []attrib.Level { return newView(sc).levels }

// BestRPS is the run's best throughput: its sweet spot's, else the best
// median of its levels (0 when none was measured).
func (sc *Scorecard) BestRPS() float64 {
	if sp := sc.Summary.SweetSpot; sp != nil {
		return float64(sp.RPS)
	}
	best := 0.0
	for _, l := range sc.JudgedLevels() {
		best = max(best, l.RPS.Median)
	}
	return best
}
