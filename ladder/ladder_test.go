package ladder

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/internal/golden"
)

// TestReferenceLadder builds the ladder from the committed reference runs
// of 2026-11-25 and checks its story against the golden file.
func TestReferenceLadder(t *testing.T) {
	files, err := filepath.Glob("../scorecards/reference/2026-11-25/phase-*.yaml")
	if err != nil || len(files) != 9 {
		t.Fatalf("reference cards: %v %v", files, err)
	}
	l, err := Load(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Rungs) != 9 || l.Rungs[0].Card.Phase.Number != 1 || l.Rungs[8].Card.Phase.Number != 9 {
		t.Fatalf("rungs out of order: %d", len(l.Rungs))
	}
	var out bytes.Buffer
	if err := l.WriteMarkdown(&out, "ladder.svg"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 1 | naive |", "`port`", "![best throughput per rung](ladder.svg)", "| 9 | gnet-c10k |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("ladder lacks %q", want)
		}
	}
	golden.Check(t, filepath.Join("testdata", "reference.golden.md"), bytes.ReplaceAll(out.Bytes(), []byte("../scorecards/"), []byte("")))
	c, err := l.Chart()
	if err != nil {
		t.Fatal(err)
	}
	if svg, err := c.SVG(); err != nil || len(svg) < 1000 {
		t.Errorf("chart: %v, %d bytes", err, len(svg))
	}
}

func TestLatest(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"20261201-100000-phase-01", "20261201-110000-phase-01", "20261201-100500-phase-02", "20261201-120000-phase-03"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if d != "20261201-120000-phase-03" { // a run with no card is skipped
			if err := os.WriteFile(filepath.Join(dir, d, "scorecard.yaml"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || filepath.Base(got[0]) != "20261201-110000-phase-01" || filepath.Base(got[1]) != "20261201-100500-phase-02" {
		t.Errorf("latest = %v", got)
	}
	if _, err := Latest(t.TempDir()); err == nil {
		t.Error("an empty results directory gave runs")
	}
}
