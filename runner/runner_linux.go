//go:build linux

// Package runner runs one phase of the lab: for every client count of the
// sweep it creates a fresh network namespace, applies the phase's sysctls,
// starts the server variant pinned to its CPUs, drives load from the other
// CPUs, reads the kernel's and the processes' evidence before, during and
// after, judges the step (package attrib) and writes the scorecard
// atomically, so an interrupted run still leaves a valid partial card.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

// File names inside a run's output directory.
const (
	ScorecardFile = "scorecard.yaml"
	ReportFile    = "report.md"
	LogDir        = "logs"
)

// Options configure a run.
type Options struct {
	// Exe is the scalelab binary started as server and as driver
	// (default: this executable).
	Exe string
	// OutDir receives scorecard.yaml, report.md and logs/ (required).
	OutDir string
	// Log receives one progress line per step (nil: none).
	Log io.Writer
	// ServerCPUs and DriverCPUs pin the processes (default: SplitCPUs).
	ServerCPUs, DriverCPUs []int
	// HostNetwork runs in the caller's network namespace instead of a
	// fresh one per step; the phase's sysctls are then not applied (and
	// recorded as such). It is chosen automatically when namespaces
	// cannot be created.
	HostNetwork bool
}

// Run runs phase p and returns its scorecard, also written to
// OutDir/scorecard.yaml after every step, with report.md beside it at the
// end. When ctx ends, the step under way is stopped, kept as a partial step,
// and the card is written with status interrupted; no process or namespace
// is left behind.
func Run(ctx context.Context, p *phases.Phase, opt Options) (card *scorecards.Scorecard, err error) {
	if opt.OutDir == "" {
		return nil, errors.New("runner: no output directory")
	}
	logw := opt.Log
	if logw == nil {
		logw = io.Discard
	}
	if opt.Exe == "" {
		if opt.Exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("runner: find own executable: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(opt.OutDir, LogDir), 0o755); err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	workDir, err := os.MkdirTemp("", "scalelab-run-")
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	defer os.RemoveAll(workDir)

	applied := newApplied()
	env := &stepEnv{exe: opt.Exe, phase: p, hostNet: opt.HostNetwork, workDir: workDir, applied: applied}
	env.serverCPUs, env.driverCPUs = opt.ServerCPUs, opt.DriverCPUs
	if env.serverCPUs == nil || env.driverCPUs == nil {
		s, d, shared, err := SplitCPUs()
		if err != nil {
			return nil, fmt.Errorf("runner: %w", err)
		}
		env.serverCPUs, env.driverCPUs = s, d
		if shared {
			applied.fail("separate CPUs for server and driver", "only one CPU available: they share it")
		}
	}
	if !env.hostNet {
		if err := netns.Available(); err != nil {
			env.hostNet = true
			applied.hostNetwork(err.Error(), p.Limits)
		}
	} else {
		applied.hostNetwork("asked to run in the host's network namespace", p.Limits)
	}
	applied.NetNS = !env.hostNet

	card = scorecards.New(p)
	card.Environment = environment()
	path := filepath.Join(opt.OutDir, ScorecardFile)
	save := func() error {
		fillApplied(card, applied, env)
		if err := scorecards.WriteFile(path, card); err != nil {
			return fmt.Errorf("runner: write scorecard: %w", err)
		}
		return nil
	}
	if err := save(); err != nil {
		return nil, err
	}
	for _, w := range notAppliedLines(applied) {
		fmt.Fprintln(logw, "WARNING: not applied:", w)
	}

	var judged []attrib.Step
	var judgments []attrib.Judgment
	index := 0
	defer func() {
		// Whatever happened, the card on disk ends in a final state.
		if card.Status == scorecards.StatusRunning {
			card.Status = scorecards.StatusFailed
		}
		if werr := save(); werr != nil && err == nil {
			err = werr
		}
		if rerr := writeReport(opt.OutDir, card); rerr != nil && err == nil {
			err = rerr
		}
	}()
sweep:
	for _, clients := range p.Sweep.Clients {
		for trial := 1; trial <= p.Sweep.Trials; trial++ {
			if ctx.Err() != nil {
				card.Status, card.Error = scorecards.StatusInterrupted, "interrupted before "+fmt.Sprint(clients)+" clients"
				break sweep
			}
			index++
			logFile, err := os.Create(filepath.Join(opt.OutDir, LogDir, fmt.Sprintf("step-%02d-c%d-t%d.log", index, clients, trial)))
			if err != nil {
				return card, fmt.Errorf("runner: %w", err)
			}
			env.logs = logFile
			word := "clients"
			if clients == 1 {
				word = "client "
			}
			fmt.Fprintf(logw, "  %6d %s (trial %d) ... ", clients, word, trial)
			m := runStep(ctx, env, clients, trial, index)
			logFile.Close()

			if m.Driver != nil {
				step := scorecards.Step{Step: measuredStep(m), Warnings: m.Warnings}
				j := judge(&step, earlierThan(judged, clients), p.SuccessThreshold)
				if m.Interrupted {
					step.Warnings = append(step.Warnings, "interrupted: the step was cut short and is partial")
				}
				applied.checkNoFile("driver_nofile", "driver", p.Limits.DriverNoFile, m.Driver.Driver.NoFile)
				card.Steps = append(card.Steps, step)
				judged = append(judged, step.Step)
				judgments = append(judgments, j)
				card.Summary = attrib.Summarize(judged, judgments, p.Hypothesis.Limit)
				fmt.Fprintln(logw, stepLine(step, j))
			} else {
				fmt.Fprintln(logw, "failed")
			}
			if m.Interrupted || ctx.Err() != nil {
				card.Status, card.Error = scorecards.StatusInterrupted, fmt.Sprintf("interrupted during the step at %d clients", clients)
				break sweep
			}
			if m.Err != nil && m.Driver == nil {
				card.Status, card.Error = scorecards.StatusFailed, m.Err.Error()
				return card, fmt.Errorf("runner: step at %d clients: %w", clients, m.Err)
			}
			if m.Err != nil {
				card.Steps[len(card.Steps)-1].Warnings = append(card.Steps[len(card.Steps)-1].Warnings, m.Err.Error())
			}
			if err := save(); err != nil {
				return card, err
			}
		}
	}
	if card.Status == scorecards.StatusRunning {
		card.Status = scorecards.StatusComplete
	}
	if card.Status == scorecards.StatusInterrupted {
		return card, ctx.Err()
	}
	return card, nil
}

// earlierThan returns the judged steps with fewer clients than c.
func earlierThan(steps []attrib.Step, c int) []attrib.Step {
	var out []attrib.Step
	for _, s := range steps {
		if s.Clients < c {
			out = append(out, s)
		}
	}
	return out
}

func writeReport(dir string, card *scorecards.Scorecard) error {
	tmp := filepath.Join(dir, ReportFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("runner: report: %w", err)
	}
	if err := scorecards.RenderReport(f, card); err != nil {
		f.Close()
		return fmt.Errorf("runner: report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("runner: report: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dir, ReportFile))
}

func notAppliedLines(a *appliedLimits) []string {
	var out []string
	for _, n := range a.NotApplied {
		out = append(out, n.What+": "+n.Why)
	}
	return out
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
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "+dirty"
				}
			}
		}
		if rev != "" {
			return shortRev(rev) + dirty
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := shortRev(strings.TrimSpace(string(out)))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += "+dirty"
	}
	return rev
}

func shortRev(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}
