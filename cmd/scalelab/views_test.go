package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/glossary"
	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/scorecards"
)

// TestExplain: a limit with its proof, evidence and rung; a counter with
// the limit it is evidence of; a near miss suggested; every term
// explainable.
func TestExplain(t *testing.T) {
	checkCLI(t, "explain-backlog", 0, false, "explain", "backlog")
	checkCLI(t, "explain-listenoverflows", 0, false, "explain", "listenoverflows")
	checkCLI(t, "error-explain-unknown", exitUsage, false, "explain", "backlgo")
	list := cli(t, "explain")
	for _, e := range glossary.All() {
		if !strings.Contains(list.stdout, "  "+e.Name+" ") {
			t.Errorf("the list lacks %s", e.Name)
		}
		if r := cli(t, "explain", e.Name); r.code != 0 || !strings.HasPrefix(r.stdout, e.Name+" ("+e.Kind+")") {
			t.Errorf("explain %s: exit %d\n%s", e.Name, r.code, r.stdout)
		}
	}
	for limit, phase := range map[string]string{"port": "phase 1 ", "fd": "phase 4 ", "backlog": "phase 5 ", "client": "phase 10 "} {
		if r := cli(t, "explain", limit); !strings.Contains(r.stdout, phase) {
			t.Errorf("explain %s does not point to %s:\n%s", limit, phase, r.stdout)
		}
	}
}

// copyCard puts a reference card into a fresh run directory.
func copyCard(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(src), ".yaml"))
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runner.ScorecardFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReport: the report, charts and CSV rendered again from the card
// alone are what the scorecards package renders; --print writes nothing.
func TestReport(t *testing.T) {
	dir := copyCard(t, "../../scorecards/reference/2026-11-25/phase-05.yaml")
	r := cli(t, "report", "--print", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "# Phase 5") {
		t.Fatalf("report --print: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, runner.ReportFile)); !os.IsNotExist(err) {
		t.Errorf("--print wrote %s: %v", runner.ReportFile, err)
	}
	if r := cli(t, "report", dir); r.code != 0 {
		t.Fatalf("report: exit %d\n%s", r.code, r.stderr)
	}
	md, err := os.ReadFile(filepath.Join(dir, runner.ReportFile))
	if err != nil || string(md) != r.stdout {
		t.Errorf("report.md differs from --print (%v)", err)
	}
	want := []string{scorecards.CSVFile}
	for _, c := range scorecards.ChartNames {
		want = append(want, c+".svg", c+".png")
	}
	for _, f := range want {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if r := cli(t, "report", filepath.Join(t.TempDir(), "nothing")); r.code != exitUsage {
		t.Errorf("report of a missing run: exit %d", r.code)
	}
}

// TestLadderCommand: the ladder of the reference runs, printed and written.
func TestLadderCommand(t *testing.T) {
	files, err := filepath.Glob("../../scorecards/reference/2026-11-25/phase-*.yaml")
	if err != nil || len(files) < 9 {
		t.Fatalf("reference cards: %v %v", files, err)
	}
	out := t.TempDir()
	r := cli(t, append([]string{"ladder", "--out", out}, files...)...)
	if r.code != 0 {
		t.Fatalf("ladder: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"| Phase |", "| 1 | naive |", "| 9 | gnet-c10k |"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("ladder lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, f := range []string{"ladder.md", "ladder.svg", "ladder.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if r := cli(t, "ladder", "--results", t.TempDir()); r.code != exitUsage || !strings.Contains(r.stderr, "no run under") {
		t.Errorf("ladder with no runs: exit %d %s", r.code, r.stderr)
	}
}
