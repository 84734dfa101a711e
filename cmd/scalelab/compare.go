package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/charts"
	"github.com/scalelab/scalelab/compare"
	"github.com/scalelab/scalelab/internal/atomicfile"
	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "compare two runs (before/after): deltas per client count with significance over trials",
		usage:   []string{"[flags] A B"},
		about: `A and B are run directories (holding ` + runner.ScorecardFile + `) or scorecard files; A is
the baseline. Labels are the run directories' names. benchfmt writes A's
trials, then B's, for ` + "`benchstat -table \"\" -col label -row /clients FILE`" + `.`,
		footer: `Exit status: 0 ok; 2 usage error or a run that cannot be read; 3 the output
could not be written.`,
		setup: setupCompare,
	})
}

func setupCompare(fs *pflag.FlagSet) runFunc {
	format := fs.StringP("format", "o", "md", "output `FORMAT`: md (a Markdown report) or benchfmt (Go benchmark format, one line per trial)")
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	return func(ctx context.Context, o streams, pos []string) error {
		if len(pos) != 2 {
			return usageError("compare", "want two runs, A and B, got %s", units.Plural(len(pos), "argument", "arguments"))
		}
		if *format != "md" && *format != "benchfmt" {
			return usageError("compare", "-o, --format %q: want md or benchfmt", *format)
		}
		return compareRuns(o.stdout, pos[0], pos[1], *format, *out)
	}
}

// compareRuns compares run B with run A and writes the result.
func compareRuns(stdout io.Writer, argA, argB, format, out string) error {
	a, labelA, err := loadRun(argA)
	if err != nil {
		return configError(fmt.Errorf("A: %w", err))
	}
	b, labelB, err := loadRun(argB)
	if err != nil {
		return configError(fmt.Errorf("B: %w", err))
	}
	if labelA == labelB {
		labelA, labelB = labelA+" (A)", labelB+" (B)"
	}
	res := compare.Runs(a, b, labelA, labelB)
	write := func(w io.Writer) error {
		if format == "benchfmt" {
			if err := res.WriteBenchfmt(w, "a"); err != nil {
				return err
			}
			return res.WriteBenchfmt(w, "b")
		}
		return res.WriteMarkdown(w)
	}
	if out == "" {
		if err := write(stdout); err != nil {
			return runtimeError(err)
		}
		return nil
	}
	if format == "md" { // written to a file, the report gets its charts beside it
		paths, err := writeCompareCharts(out, a, b, labelA, labelB)
		if err != nil {
			return runtimeError(fmt.Errorf("--out: %w", err))
		}
		res.Charts = paths
	}
	if err := atomicfile.Write(out, 0o644, write); err != nil {
		return runtimeError(fmt.Errorf("--out: %w", err))
	}
	return nil
}

// writeCompareCharts draws A and B on one throughput chart and one latency
// chart beside the report out (out's name without .md, then -throughput
// and -latency, as SVG and PNG) and returns the SVGs' paths relative to
// the report.
func writeCompareCharts(out string, a, b *scorecards.Scorecard, labelA, labelB string) ([]string, error) {
	sa, sb := scorecards.SweepChart(a), scorecards.SweepChart(b)
	sa.Label, sb.Label = labelA, labelB
	dir, base := filepath.Dir(out), strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: no such directory", dir)
	}
	var rel []string
	for _, c := range []struct {
		name string
		draw func(a, b charts.Sweep) (*charts.Chart, error)
	}{{"throughput", charts.CompareThroughputChart}, {"latency", charts.CompareLatencyChart}} {
		chart, err := c.draw(sa, sb)
		if err != nil {
			return nil, fmt.Errorf("%s chart: %w", c.name, err)
		}
		name := base + "-" + c.name
		if _, err := charts.Save(chart, dir, name); err != nil {
			return nil, err
		}
		rel = append(rel, name+".svg")
	}
	return rel, nil
}

// loadRun reads the scorecard of a run directory or a scorecard file and
// returns it with its label: the run directory's name, or the file's name
// without its extension when it is not called scorecard.yaml.
func loadRun(arg string) (*scorecards.Scorecard, string, error) {
	path := arg
	info, err := os.Stat(arg)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", arg, errors.Unwrap(err))
	}
	if info.IsDir() {
		path = filepath.Join(arg, runner.ScorecardFile)
		if _, err := os.Stat(path); err != nil {
			return nil, "", fmt.Errorf("%s: not a run directory: no %s in it", arg, runner.ScorecardFile)
		}
	}
	sc, err := scorecards.Load(path) // its errors name the file
	if err != nil {
		return nil, "", err
	}
	return sc, runLabel(path), nil
}

// runLabel names a run by its directory (results/20261125-180301-phase-01)
// or, for a scorecard file of another name, by the file (phase-06.yaml).
func runLabel(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if filepath.Base(abs) == runner.ScorecardFile {
		return filepath.Base(filepath.Dir(abs))
	}
	name := filepath.Base(abs)
	return strings.TrimSuffix(name, filepath.Ext(name))
}
