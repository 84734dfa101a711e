package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/scalelab/scalelab/compare"
	"github.com/scalelab/scalelab/internal/atomicfile"
	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/scorecards"
)

func init() {
	commands["compare"] = command{summary: "compare two runs (before/after): deltas per client count with significance over trials", run: runCompare}
}

// runCompare compares run B with run A: each is a run directory (holding
// scorecard.yaml) or a scorecard file.
func runCompare(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("compare", "A B [--format md|benchfmt] [--out FILE]\n\n"+
		"A and B are run directories (holding "+runner.ScorecardFile+") or scorecard files; A is the baseline.\n"+
		"Labels are the run directories' names. benchfmt writes A's trials, then B's, for\n"+
		"`benchstat -table \"\" -col label -row /clients FILE`.", stderr)
	format := fs.String("format", "md", "output format: md (a Markdown report) or benchfmt (Go benchmark format, one line per trial)")
	out := fs.String("out", "", "write to FILE instead of standard output")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("compare: want two runs, A and B, got %d argument(s)", len(pos))
	}
	if *format != "md" && *format != "benchfmt" {
		return fmt.Errorf("compare: --format %q: want md or benchfmt", *format)
	}
	a, labelA, err := loadRun(pos[0])
	if err != nil {
		return fmt.Errorf("compare: A: %w", err)
	}
	b, labelB, err := loadRun(pos[1])
	if err != nil {
		return fmt.Errorf("compare: B: %w", err)
	}
	if labelA == labelB {
		labelA, labelB = labelA+" (A)", labelB+" (B)"
	}
	res := compare.Runs(a, b, labelA, labelB)
	write := func(w io.Writer) error {
		if *format == "benchfmt" {
			if err := res.WriteBenchfmt(w, "a"); err != nil {
				return err
			}
			return res.WriteBenchfmt(w, "b")
		}
		return res.WriteMarkdown(w)
	}
	if *out == "" {
		return write(stdout)
	}
	if err := atomicfile.Write(*out, 0o644, write); err != nil {
		return fmt.Errorf("compare: --out: %w", err)
	}
	return nil
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
