package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

func init() {
	register(&command{
		name:    "run",
		summary: "run one phase (a ladder number or a phase file) and write its scorecard and report",
		usage:   []string{"[flags] N|FILE.yaml", "--list [-q]"},
		about: `Runs a phase of the ladder (1-9) or a phase file: for each client count of
its sweep, a fresh network namespace, the server, the load, the probes; then
the verdicts, the sweet spot, the breaking point and whether the phase's
hypothesis held. Writes scorecard.yaml and report.md.

A phase file's thresholds (thresholds: ["success>=99.9%", "p99<10ms"]) are
checked against each client count's median over its trials.`,
		footer: `Exit status: 0 ok; 1 the hypothesis was refuted or a threshold failed;
2 usage error or a bad phase file; 3 the run could not happen or the server
crashed; 4 interrupted, or the hypothesis is inconclusive.`,
		setup: setupRun,
	})
}

func setupRun(fs *pflag.FlagSet) runFunc {
	out := fs.String("out", "", "output `DIR` (default results/<time>-phase-NN)")
	list := fs.Bool("list", false, "list the phases of the ladder")
	quiet := fs.BoolP("quiet", "q", false, "with --list: print only the numbers")
	hostNet := fs.Bool("host-network", false, "run in this network namespace instead of a fresh one per step (the phase's sysctls are then not applied)")
	verify := fs.Bool("verify", false, "after the sweep, re-run the deciding step with its limit lifted to prove the verdict (on already where the phase file says verify: {enabled: true})")
	return func(ctx context.Context, o streams, pos []string) error {
		if *list || len(pos) == 0 {
			return listLadder(o.stdout, *quiet)
		}
		if len(pos) > 1 {
			return usageError("run", "one phase at a time, got %q", pos)
		}
		p, err := phases.Resolve(pos[0])
		if err != nil {
			return configError(err)
		}
		return runPhase(ctx, o.stdout, p, runner.Options{OutDir: *out, HostNetwork: *hostNet, Verify: *verify})
	}
}

// runPhase runs p and maps how it went to the exit status.
func runPhase(ctx context.Context, stdout io.Writer, p *phases.Phase, opt runner.Options) error {
	dir := opt.OutDir
	if dir == "" {
		dir = filepath.Join("results", fmt.Sprintf("%s-phase-%02d", time.Now().Format("20060102-150405"), p.Number))
	}
	fmt.Fprintf(stdout, "phase %d: %s\n", p.Number, p.Title)
	fmt.Fprintf(stdout, "hypothesis: %s — %s\n", p.Hypothesis.Limit, p.Hypothesis.Note)
	fmt.Fprintf(stdout, "sweep: %v clients x %d trial(s), about %s; writing %s\n", p.Sweep.Clients, p.Sweep.Trials, p.Estimate().Round(time.Second), dir)
	opt.OutDir, opt.Log = dir, stdout
	card, err := runner.Run(ctx, p, opt)
	if card != nil {
		printOutcome(stdout, card)
	}
	switch {
	case errors.Is(err, runner.ErrWrite):
		return runtimeError(fmt.Errorf("%w; %s and %s in %s are from the last step that could be written", err, runner.ScorecardFile, runner.ReportFile, dir))
	case card != nil:
		printFiles(stdout, dir)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return inconclusiveError("interrupted; the partial scorecard is in %s", dir)
	case err != nil:
		return runtimeError(err)
	}
	return phaseOutcome(stdout, p, card)
}

// phaseOutcome checks the phase's thresholds and reads the hypothesis:
// 1 when a threshold failed or the hypothesis was refuted, 4 when it is
// inconclusive.
func phaseOutcome(w io.Writer, p *phases.Phase, card *scorecards.Scorecard) error {
	failed, err := checkPhaseThresholds(w, p.Thresholds, card.Steps)
	if err != nil {
		return configError(err)
	}
	hyp := card.Summary.Hypothesis
	switch {
	case failed > 0 && hyp == attrib.Refuted:
		return failedError("hypothesis %s refuted, and %s failed", card.Phase.Hypothesis.Limit, units.Plural(failed, "threshold", "thresholds"))
	case failed > 0:
		return failedError("%s failed", units.Plural(failed, "threshold", "thresholds"))
	case hyp == attrib.Refuted:
		return failedError("hypothesis %s refuted: %s", card.Phase.Hypothesis.Limit, card.Summary.Note)
	case hyp == attrib.Inconclusive:
		return inconclusiveError("hypothesis %s inconclusive: %s", card.Phase.Hypothesis.Limit, card.Summary.Note)
	}
	return nil
}

// printOutcome prints the short summary of a run.
func printOutcome(w io.Writer, card *scorecards.Scorecard) {
	s := card.Summary
	fmt.Fprintf(w, "\nstatus: %s\n", card.Status)
	if card.Error != "" {
		fmt.Fprintf(w, "why:            %s\n", card.Error)
	}
	if sp := s.SweetSpot; sp != nil {
		fmt.Fprintf(w, "sweet spot:     %s, %s rps, %s success\n", units.Clients(sp.Clients), units.Rate(float64(sp.RPS)), units.Pct(float64(sp.SuccessRate)))
	} else {
		fmt.Fprintln(w, "sweet spot:     none (no clean step)")
	}
	if bp := s.BreakingPoint; bp != nil {
		fmt.Fprintf(w, "breaking point: %s, %s rps, %s success: %s\n", units.Clients(bp.Clients), units.Rate(float64(bp.RPS)), units.Pct(float64(bp.SuccessRate)), bp.Reason)
	} else {
		fmt.Fprintln(w, "breaking point: none within the sweep")
	}
	if s.Hypothesis != "" {
		fmt.Fprintf(w, "hypothesis %s: %s. %s\n", card.Phase.Hypothesis.Limit, s.Hypothesis, s.Note)
	}
	for _, v := range card.Verification {
		fmt.Fprintf(w, "verification:   %s (%s at %s): %s\n", v.Outcome, v.Limit, units.Clients(v.Clients), v.Why)
	}
	if s.Next != "" {
		fmt.Fprintf(w, "next:           %s\n", s.Next)
	}
	for _, n := range card.Applied.NotApplied {
		fmt.Fprintf(w, "WARNING not applied: %s: %s\n", n.What, n.Why)
	}
}

// printFiles says where the card and the report are.
func printFiles(w io.Writer, dir string) {
	fmt.Fprintf(w, "scorecard:      %s\nreport:         %s\n", filepath.Join(dir, runner.ScorecardFile), filepath.Join(dir, runner.ReportFile))
}

// listLadder prints the builtin phases.
func listLadder(w io.Writer, quiet bool) error {
	ladder, err := phases.Ladder()
	if err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintln(w, "The ladder (make phase N runs one):")
	}
	for _, p := range ladder {
		if quiet {
			fmt.Fprintln(w, p.Number)
			continue
		}
		fmt.Fprintf(w, "  %d  %-66s expects: %s\n", p.Number, p.Title, p.Hypothesis.Limit)
	}
	return nil
}
