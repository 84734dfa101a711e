package attrib_test

import (
	"path/filepath"
	"testing"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/scorecards"
)

// TestRecordedSteps judges every step of the reference scorecards (real
// runs of the ladder) that were judged by the current rules again from
// its recorded evidence, and expects the recorded verdict and state of
// each step, each level and the phase. Cards judged by earlier rules are
// kept as history (their dated reference runs) but not judged again.
func TestRecordedSteps(t *testing.T) {
	files, err := filepath.Glob("../scorecards/reference/*/phase-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference scorecards (%v)", err)
	}
	judgedAny := false
	for _, f := range files {
		card, err := scorecards.Load(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if card.Rules != attrib.RulesVersion {
			continue
		}
		judgedAny = true
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			var steps []attrib.Step
			var judgments []attrib.Judgment
			for i, st := range card.Steps {
				if !st.Judged() {
					continue
				}
				j := attrib.Judge(st.Step, card.Config.SuccessThreshold)
				if j.State != st.State || j.Limit != st.Verdict.Limit {
					t.Errorf("step %d (%d clients, trial %d): judged %s/%s, recorded %s/%s\nevidence now: %q\nrecorded: %q",
						i+1, st.Clients, st.Trial, j.State, j.Limit, st.State, st.Verdict.Limit, j.Evidence, st.Verdict.Evidence)
				}
				steps = append(steps, st.Step)
				judgments = append(judgments, j)
			}
			levels := attrib.Levels(steps, judgments)
			for i, l := range levels {
				if i >= len(card.Levels) || l.State != card.Levels[i].State || l.Limit != card.Levels[i].Limit {
					t.Errorf("level %d clients: judged %s/%s, recorded %+v", l.Clients, l.State, l.Limit, card.Levels)
				}
			}
			setup := attrib.Setup{Variant: string(card.Config.Server.Variant), KeepAlive: card.Config.Driver.KeepAlive}
			sum := attrib.Summarize(levels, card.Phase.Hypothesis.Limit, setup)
			if sum.Hypothesis != card.Summary.Hypothesis {
				t.Errorf("hypothesis %s: judged %s (%s), recorded %s", card.Phase.Hypothesis.Limit, sum.Hypothesis, sum.Note, card.Summary.Hypothesis)
			}
		})
	}
	if !judgedAny {
		t.Fatalf("no reference card was judged by rules version %d: measure the ladder again (make ladder) and commit it under scorecards/reference/<date>/", attrib.RulesVersion)
	}
}
