package reference

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/internal/golden"
)

func TestAll(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	phases := map[int]bool{}
	for _, e := range all {
		phases[e.Card.Phase.Number] = true
		if e.Date == "" || e.Card.Summary.Hypothesis == "" {
			t.Errorf("%s: date %q, hypothesis %q", e.Path, e.Date, e.Card.Summary.Hypothesis)
		}
	}
	for n := 1; n <= 9; n++ {
		if !phases[n] {
			t.Errorf("no reference run of phase %d", n)
		}
	}
}

func TestCompare(t *testing.T) {
	e, ok := Latest(6)
	if !ok {
		t.Fatal("no reference of phase 6")
	}
	cmp, ok := Compare(e.Card)
	if !ok || cmp.Ratio != 1 || !cmp.WithinNoise || cmp.Date != e.Date {
		t.Errorf("a reference against itself: %+v %v", cmp, ok)
	}
	slow := *e.Card
	sp := *slow.Summary.SweetSpot
	sp.RPS /= 3
	slow.Summary.SweetSpot = &sp
	if cmp, ok := Compare(&slow); !ok || cmp.WithinNoise || cmp.Ratio > 0.34 {
		t.Errorf("a third of the reference: %+v", cmp)
	}
}

func TestHistory(t *testing.T) {
	var out bytes.Buffer
	if err := WriteHistory(&out, 0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| 1 naive | 2026-11-25 | `port` |") {
		t.Errorf("history lacks phase 1's row:\n%s", out.String())
	}
	golden.Check(t, filepath.Join("testdata", "history.golden.md"), out.Bytes())
}
