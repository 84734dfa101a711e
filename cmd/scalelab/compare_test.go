package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/internal/golden"
)

// The runs under testdata/compare are the reference scorecards of phases 6
// (net/http) and 8 (gnet), as `scalelab run` wrote them.
const (
	runNetHTTP = "testdata/compare/nethttp"
	runGnet    = "testdata/compare/gnet"
)

// compareCLI runs `scalelab compare ARGS`; its error is what it printed
// on stderr when it failed.
func compareCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	r := cli(t, append([]string{"compare"}, args...)...)
	if r.code != 0 {
		return r.stdout, r.stderr, fmt.Errorf("exit %d: %s", r.code, r.stderr)
	}
	return r.stdout, r.stderr, nil
}

func TestCompareCLIGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"nethttp-vs-gnet.md", []string{runNetHTTP, runGnet}},
		{"nethttp-vs-gnet.bench.txt", []string{runNetHTTP, runGnet, "--format", "benchfmt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := compareCLI(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", "compare", tt.name), []byte(out))
		})
	}
}

func TestCompareCLIReport(t *testing.T) {
	out, _, err := compareCLI(t, runNetHTTP, runGnet)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# Comparison: nethttp vs gnet",
		"**What changed:** The same load on gnet instead of net/http.",
		"| `server.variant` | nethttp | gnet |",
		"| 50 | 72,914 | 141,955 | ~ (p=1.000 n=1) | +94.7%, but 1 trial each cannot tell it from noise |",
		"| A: nethttp, 1,000 clients, `cpu` | B: gnet, 200 clients, `cpu` |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not contain %q", want)
		}
	}
}

func TestCompareCLIOutAndLabels(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cmp.md")
	stdout, _, err := compareCLI(t, "--out", file, runNetHTTP, runGnet+"/scorecard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != "" {
		t.Errorf("with --out, stdout got %q", stdout)
	}
	written, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := compareCLI(t, runNetHTTP, runGnet)
	// Written to a file, the report gains its overlaid charts, drawn
	// beside it; the rest is the report printed without --out.
	charts := "\n## Charts\n\n![cmp-throughput](cmp-throughput.svg)\n\n![cmp-latency](cmp-latency.svg)\n"
	if !strings.Contains(string(written), charts) {
		t.Errorf("%s does not show its charts:\n%s", file, written)
	}
	if strings.Replace(string(written), charts, "", 1) != want {
		t.Errorf("%s differs from the report printed without --out (a scorecard file is labelled by its directory)", file)
	}
	for _, name := range []string{"cmp-throughput.svg", "cmp-throughput.png", "cmp-latency.svg", "cmp-latency.png"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() < 1000 {
			t.Errorf("chart %s: %v", name, err)
		}
	}

	// The same run twice: the labels are told apart.
	out, _, err := compareCLI(t, runGnet, runGnet+"/scorecard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "# Comparison: gnet (A) vs gnet (B)") || !strings.Contains(out, "Nothing in the configuration") {
		t.Errorf("same run twice:\n%s", out)
	}

	// A scorecard file of another name is labelled by its name.
	ref := filepath.Join(dir, "phase-08.yaml")
	data, err := os.ReadFile(filepath.Join(runGnet, "scorecard.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ref, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _, err = compareCLI(t, runNetHTTP, ref, "--format", "benchfmt"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\nlabel: phase-08\n") || !strings.Contains(out, "\nlabel: nethttp\n") {
		t.Errorf("benchfmt labels:\n%s", out)
	}
}

func TestCompareCLIErrorsNameTheArgument(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(broken, []byte("schema: scalelab/scorecard/v1\nstatus: complete\nsteps: [oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "no-such-run")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"A missing", []string{missing, runGnet}, []string{"compare: A:", missing, "no such file"}},
		{"B not a run directory", []string{runNetHTTP, empty}, []string{"compare: B:", empty, "no scorecard.yaml"}},
		{"B not a scorecard", []string{runNetHTTP, broken}, []string{"compare: B:", broken}},
		{"one run", []string{runNetHTTP}, []string{"want two runs"}},
		{"three runs", []string{runNetHTTP, runGnet, runGnet}, []string{"want two runs", "got 3"}},
		{"bad format", []string{runNetHTTP, runGnet, "--format", "html"}, []string{"--format", `"html"`}},
		{"bad out", []string{runNetHTTP, runGnet, "--out", filepath.Join(missing, "x.md")}, []string{"--out", missing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := compareCLI(t, tt.args...)
			if err == nil {
				t.Fatalf("no error; printed %d bytes", len(out))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCompareListedInUsage(t *testing.T) {
	if out := cli(t, "help").stdout; !strings.Contains(out, "compare ") {
		t.Errorf("usage does not list compare:\n%s", out)
	}
}
