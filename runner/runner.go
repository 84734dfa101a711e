// Package runner runs one phase of the lab: for every client count of the
// sweep it creates a fresh network namespace, applies the phase's sysctls,
// starts the server variant pinned to its CPUs, drives load from the other
// CPUs, reads the kernel's and the processes' evidence before, during and
// after, judges the step (package attrib) and writes the scorecard and its
// report atomically after every step, so an interrupted or crashed run
// still leaves a valid, truthful, partial card.
//
// The runner needs Linux (network namespaces, /proc, CPU affinity); on
// other systems Run returns ErrUnsupported.
package runner

import (
	"errors"
	"io"
)

// File names inside a run's output directory.
const (
	ScorecardFile = "scorecard.yaml"
	ReportFile    = "report.md"
	LogDir        = "logs"
	// HlogDir holds each step's latency as an HdrHistogram interval log,
	// one interval per measured second (step-NN-cC-tT.hlog).
	HlogDir = "hlog"
	// RunDir holds what only lives while the run does (the servers' stats
	// sockets); it is removed at the end.
	RunDir = "run"
	// LockFile keeps a second run out of the same directory.
	LockFile = ".lock"
)

// ErrUnsupported is returned by Run on systems other than Linux.
var ErrUnsupported = errors.New("runner: running a phase needs Linux (network namespaces, /proc, CPU affinity)")

// ErrWrite is wrapped by errors about output files that could not be
// written (a full disk): the card and report on disk are then from the
// last step that could be written, and agree with each other.
var ErrWrite = errors.New("runner: output not written")

// ErrBusy is returned when another run writes to the same output directory.
var ErrBusy = errors.New("runner: output directory in use")

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
	// Verify proves the deciding verdict by intervention after the sweep
	// (as the phase's verify.enabled does).
	Verify bool
}
