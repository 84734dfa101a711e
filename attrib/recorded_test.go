package attrib_test

import (
	"path/filepath"
	"testing"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/scorecards"
)

// TestRecordedSteps judges every step of the reference scorecards (real
// runs of the ladder) again from its recorded evidence, and expects the
// recorded verdict, state and phase outcome.
func TestRecordedSteps(t *testing.T) {
	files, err := filepath.Glob("../scorecards/reference/*/phase-*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference scorecards (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			card, err := scorecards.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			var judged []attrib.Step
			var judgments []attrib.Judgment
			for i, st := range card.Steps {
				var earlier []attrib.Step
				for _, e := range judged {
					if e.Clients < st.Clients {
						earlier = append(earlier, e)
					}
				}
				j := attrib.Judge(st.Step, earlier, card.Config.SuccessThreshold)
				if j.State != st.State || j.Limit != st.Verdict.Limit {
					t.Errorf("step %d (%d clients): judged %s/%s, recorded %s/%s\nevidence now: %q\nrecorded: %q",
						i+1, st.Clients, j.State, j.Limit, st.State, st.Verdict.Limit, j.Evidence, st.Verdict.Evidence)
				}
				judged = append(judged, st.Step)
				judgments = append(judgments, j)
			}
			sum := attrib.Summarize(judged, judgments, card.Phase.Hypothesis.Limit)
			if sum.Hypothesis != card.Summary.Hypothesis {
				t.Errorf("hypothesis %s: judged %s (%s), recorded %s", card.Phase.Hypothesis.Limit, sum.Hypothesis, sum.Note, card.Summary.Hypothesis)
			}
		})
	}
}
