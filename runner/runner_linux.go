//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/internal/atomicfile"
	"github.com/scalelab/scalelab/internal/buildinfo"
	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/scorecards/reference"
	"github.com/scalelab/scalelab/units"
)

// Run runs phase p and returns its scorecard, also written to
// OutDir/scorecard.yaml with report.md beside it after every step. When ctx
// ends, the step under way is stopped, kept as a partial step that is not
// judged, and the card is written with status interrupted; a step whose
// server died is kept as failed and ends the run with status failed. No
// process or namespace is left behind.
func Run(ctx context.Context, p *phases.Phase, opt Options) (*scorecards.Scorecard, error) {
	r, err := newRun(p, opt)
	if err != nil {
		return nil, err
	}
	defer r.out.close()
	if err := r.save(); err != nil {
		return r.card, err
	}
	for _, w := range r.applied.lines() {
		fmt.Fprintln(r.log, "WARNING: not applied:", w)
	}
	r.sweep(ctx)
	if r.err == nil && (opt.Verify || p.Verify.Enabled) {
		r.verify(ctx)
		r.summarize()
	}
	return r.card, r.finish(ctx)
}

// run is one phase run in progress.
type run struct {
	phase   *phases.Phase
	opt     Options
	out     *outDir
	log     io.Writer
	env     *stepEnv
	applied *appliedLimits
	card    *scorecards.Scorecard
	// judged and judgments are the steps measured to their end, in order.
	judged    []attrib.Step
	judgments []attrib.Judgment
	// err is why the run stopped early (failed or interrupted).
	err error
}

// newRun prepares a run: the output directory (locked, cleared), the CPUs,
// the namespaces and the card.
func newRun(p *phases.Phase, opt Options) (*run, error) {
	if opt.OutDir == "" {
		return nil, errors.New("runner: no output directory")
	}
	if opt.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("runner: find own executable: %w", err)
		}
		opt.Exe = exe
	}
	r := &run{phase: p, opt: opt, log: opt.Log, applied: newApplied()}
	if r.log == nil {
		r.log = io.Discard
	}
	env := &stepEnv{exe: opt.Exe, phase: p, hostNet: opt.HostNetwork, applied: r.applied,
		serverCPUs: opt.ServerCPUs, driverCPUs: opt.DriverCPUs}
	if env.serverCPUs == nil || env.driverCPUs == nil {
		s, d, shared, err := SplitCPUs()
		if err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
		env.serverCPUs, env.driverCPUs = s, d
		if shared {
			r.applied.fail("separate CPUs for server and driver", "only one CPU available: they share it")
		}
	}
	if env.hostNet {
		r.applied.hostNetwork("asked to run in the host's network namespace", p.Limits)
	} else if err := netns.Available(); err != nil {
		env.hostNet = true
		r.applied.hostNetwork(err.Error(), p.Limits)
	}
	r.applied.NetNS = !env.hostNet
	if p.Limits.ServerCPU > 0 || p.Limits.DriverCPU > 0 {
		cleanCgroups(func(s string) { fmt.Fprintln(r.log, s) })
	}
	out, err := openOutDir(opt.OutDir)
	if err != nil {
		return nil, err
	}
	r.out, env.out, r.env = out, out, env
	r.card = scorecards.New(p)
	r.card.Environment = environment()
	r.card.Owner, _ = scorecards.Self()
	return r, nil
}

// sweep runs the steps of the sweep until one fails or ctx ends. Trials
// are interleaved: every client count once, then every count again, so
// that a drift of the machine does not look like an effect of clients.
// After sweep.trials rounds, up to sweep.max_trials, another round runs
// the client counts whose relative verdict is in doubt (attrib.InDoubt, a
// rule fixed before the data).
func (r *run) sweep(ctx context.Context) {
	sw := r.phase.Sweep
	index, counts := 0, sw.Clients
	for round := 1; round <= max(sw.Trials, sw.MaxTrials) && len(counts) > 0; round++ {
		if round > sw.Trials {
			counts = attrib.InDoubt(r.card.Levels)
			if len(counts) > 0 {
				fmt.Fprintf(r.log, "  another trial where the verdict is in doubt: %s clients\n", intList(counts))
			}
		}
		for _, clients := range counts {
			if ctx.Err() != nil {
				r.stop(scorecards.StatusInterrupted, fmt.Errorf("interrupted before %s", units.Clients(clients)))
				return
			}
			index++
			if !r.step(ctx, clients, round, index) {
				return
			}
		}
	}
}

func intList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = units.Int(n)
	}
	return strings.Join(parts, ", ")
}

// step measures and records one step; it reports whether the sweep goes on.
func (r *run) step(ctx context.Context, clients, trial, index int) bool {
	logName := fmt.Sprintf("step-%02d-c%d-t%d.log", index, clients, trial)
	logFile, err := os.Create(r.out.file(LogDir + "/" + logName))
	if err != nil {
		r.stop(scorecards.StatusFailed, fmt.Errorf("step log: %w", err))
		return false
	}
	fmt.Fprintf(r.log, "  %6d %-7s (trial %d) ... ", clients, map[bool]string{true: "client", false: "clients"}[clients == 1], trial)
	m := runStep(ctx, r.env, clients, trial, index, logFile)
	logFile.Close()
	if m.Driver != nil {
		hlog := r.out.file(HlogDir + "/" + strings.TrimSuffix(logName, ".log") + ".hlog")
		if err := atomicfile.Write(hlog, 0o644, func(w io.Writer) error { return driver.WriteIntervalLog(w, m.Driver) }); err != nil {
			m.Warnings = append(m.Warnings, "latency interval log not written: "+err.Error())
		}
	}
	goOn := r.record(ctx, m)
	if err := r.save(); err != nil && r.err == nil {
		r.stop(scorecards.StatusFailed, err)
		return false
	}
	return goOn
}

// record adds a measured step to the card: judged when it ran to its end,
// kept as interrupted or failed otherwise. It reports whether the sweep
// goes on.
func (r *run) record(ctx context.Context, m *measured) bool {
	interrupted := m.Interrupted || ctx.Err() != nil
	if m.Driver == nil {
		fmt.Fprintln(r.log, "no measurement")
		if interrupted {
			r.stop(scorecards.StatusInterrupted, fmt.Errorf("interrupted during the step at %s", units.Clients(m.Clients)))
		} else {
			r.stop(scorecards.StatusFailed, fmt.Errorf("step at %s: %w", units.Clients(m.Clients), m.Err))
		}
		return false
	}
	r.applied.checkNoFile("driver_nofile", "driver", r.phase.Limits.DriverNoFile, m.Driver.Driver.NoFile)
	step := scorecards.Step{Step: measuredStep(m), Warnings: m.Warnings}
	switch {
	case interrupted:
		step.Ended = scorecards.StepInterrupted
		fmt.Fprintln(r.log, "interrupted (kept, not judged)")
		r.stop(scorecards.StatusInterrupted, fmt.Errorf("interrupted during the step at %s", units.Clients(m.Clients)))
	case m.Err != nil:
		step.Ended, step.Failure = scorecards.StepFailed, m.Err.Error()
		fmt.Fprintln(r.log, "failed:", m.Err)
		r.stop(scorecards.StatusFailed, fmt.Errorf("step at %s failed: %w", units.Clients(m.Clients), m.Err))
	default:
		j := judge(&step, r.phase.SuccessThreshold)
		r.judged = append(r.judged, step.Step)
		r.judgments = append(r.judgments, j)
		fmt.Fprintln(r.log, stepLine(step, j))
	}
	r.card.Steps = append(r.card.Steps, step)
	r.summarize()
	return r.err == nil
}

// stop ends the run early with status and err (the first reason wins).
func (r *run) stop(status scorecards.Status, err error) {
	if r.err != nil {
		return
	}
	r.err = err
	r.card.Status, r.card.Error = status, err.Error()
}

// summarize judges each client count over its trials and recomputes the
// phase summary. A run cut short cannot decide its hypothesis.
func (r *run) summarize() {
	r.card.Rules = attrib.RulesVersion
	r.card.Levels = attrib.Levels(r.judged, r.judgments)
	setup := attrib.Setup{Variant: string(r.phase.Server.Variant), KeepAlive: r.phase.Driver.KeepAlive}
	sum := attrib.Summarize(r.card.Levels, r.phase.Hypothesis.Limit, setup)
	switch r.card.Status {
	case scorecards.StatusInterrupted:
		sum.Hypothesis = attrib.Inconclusive
		sum.Note = "The run was interrupted before its sweep finished, so the hypothesis is not judged; " +
			"the steps measured to their end are judged one by one."
	case scorecards.StatusFailed:
		sum.Hypothesis = attrib.Inconclusive
		sum.Note = "The run failed before its sweep finished (" + r.card.Error + "), so the hypothesis is not judged."
	case scorecards.StatusRunning:
		sum.Hypothesis, sum.Note = "", ""
	}
	for _, v := range r.card.Verification {
		if v.Limit == sum.Limit {
			sum.Verified = v.Outcome
		}
	}
	r.card.Summary = sum
}

// finish writes the card in its final state and returns why the run
// stopped early, if it did.
func (r *run) finish(ctx context.Context) error {
	if r.card.Status == scorecards.StatusRunning {
		r.card.Status = scorecards.StatusComplete
	}
	r.summarize()
	r.card.Owner = nil
	if r.card.Status == scorecards.StatusComplete {
		r.card.Reference, _ = reference.Compare(r.card)
	}
	saveErr := r.save()
	if saveErr == nil {
		if _, err := scorecards.WriteCharts(r.out.path, r.card); err != nil {
			fmt.Fprintln(r.log, "WARNING: charts:", err)
		}
		if err := scorecards.WriteCSVFile(r.out.file(scorecards.CSVFile), r.card); err != nil {
			saveErr = fmt.Errorf("%w: %w", ErrWrite, err)
		}
	}
	switch {
	case r.card.Status == scorecards.StatusInterrupted:
		return errors.Join(fmt.Errorf("runner: %w: %w", context.Canceled, r.err), saveErr)
	case r.err != nil:
		return errors.Join(fmt.Errorf("runner: %w", r.err), saveErr)
	}
	return saveErr
}

// save writes the card, then the report rendered from that same card. When
// the card cannot be written both stay as they were (they agree); when the
// report cannot be written the stale one is removed, so no report ever
// disagrees with the card beside it.
func (r *run) save() error {
	fillApplied(r.card, r.applied, r.env)
	if err := scorecards.WriteFile(r.out.file(ScorecardFile), r.card); err != nil {
		return fmt.Errorf("%w: could not write %s: %w", ErrWrite, ScorecardFile, err)
	}
	if err := scorecards.WriteReport(r.out.file(ReportFile), r.card); err != nil {
		_ = os.Remove(r.out.file(ReportFile))
		return fmt.Errorf("%w: could not write %s (removed, so it cannot disagree with the card): %w", ErrWrite, ReportFile, err)
	}
	return nil
}

// environment describes this machine and build.
func environment() scorecards.Environment {
	e := scorecards.Environment{
		Date: time.Now().UTC().Truncate(time.Second),
		CPUs: runtime.NumCPU(),
		Go:   runtime.Version(),
	}
	e.Host, _ = os.Hostname()
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		e.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	e.Commit = commit()
	return e
}

// commit returns the lab's VCS revision from the build, or from git.
func commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if rev, dirty := buildinfo.Revision(bi); rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := buildinfo.Short(strings.TrimSpace(string(out)))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += "+dirty"
	}
	return rev
}
