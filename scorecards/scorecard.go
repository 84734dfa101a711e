// Package scorecards holds the record of one phase run: the scorecard
// (schema scalelab/scorecard/v1), its atomic writer and strict loader, and
// the Markdown report rendered from it.
//
// A scorecard states, step by step, what was measured and which limit
// stopped the server, with the measured facts that prove it. The runner
// fills it and calls WriteFile after every step, so an interrupted run
// always leaves a valid, partial card behind.
//
// The package is pure data and file I/O; it measures nothing itself.
package scorecards

import (
	"time"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/units"
)

// Schema is the value every scorecard carries in its schema field.
const Schema = "scalelab/scorecard/v1"

// Status says how far a run got.
type Status string

// The states of a run. The runner writes running after every step, then
// complete, interrupted or failed. Load turns a running card whose runner
// is gone into abandoned.
const (
	StatusRunning     Status = "running"     // steps are still being measured
	StatusComplete    Status = "complete"    // every step of the sweep ran
	StatusInterrupted Status = "interrupted" // stopped early (signal, deadline); steps are partial
	StatusFailed      Status = "failed"      // stopped by an error, in Scorecard.Error
	StatusAbandoned   Status = "abandoned"   // still running on disk, but its runner is gone (killed)
)

// Known reports whether s is one of the states.
func (s Status) Known() bool {
	switch s {
	case StatusRunning, StatusComplete, StatusInterrupted, StatusFailed, StatusAbandoned:
		return true
	}
	return false
}

// Scorecard is the full record of one phase run.
type Scorecard struct {
	Schema string `yaml:"schema"`          // always Schema
	Status Status `yaml:"status"`          // running, complete, interrupted, failed (or abandoned)
	Error  string `yaml:"error,omitempty"` // why the run failed or was interrupted
	// Owner names the runner process while the card is written, so that a
	// reader can tell a run in progress from one whose runner was killed.
	Owner       *Owner      `yaml:"owner,omitempty"`
	Phase       PhaseInfo   `yaml:"phase"`
	Environment Environment `yaml:"environment"`
	Applied     Applied     `yaml:"applied"` // limits as read back, and those not applied
	Config      Config      `yaml:"config"`  // the phase's settings, as run
	Steps       []Step      `yaml:"steps"`   // in the order they ran
	// Levels judges each client count over its trials (steps measured
	// to their end).
	Levels  []attrib.Level `yaml:"levels,omitempty"`
	Summary attrib.Summary `yaml:"summary"`
	// Reference sets the run against the latest committed reference run of
	// its phase.
	Reference *ReferenceComparison `yaml:"reference,omitempty"`
	// Verification proves (or refutes) the deciding verdict by running its
	// step again with only its limit lifted or its side squeezed.
	Verification []Verification `yaml:"verification,omitempty"`
	// Rules is the version of the rules that judged the card
	// (attrib.RulesVersion); 0 or absent for the first rules.
	Rules int `yaml:"rules,omitempty"`
}

// PhaseInfo identifies the phase that ran and its hypothesis.
type PhaseInfo struct {
	Number     int               `yaml:"number"`
	Name       string            `yaml:"name"`
	Title      string            `yaml:"title"`
	Source     string            `yaml:"source"` // path or builtin:NN
	Hypothesis phases.Hypothesis `yaml:"hypothesis"`
}

// Environment describes the machine and build that produced the card.
type Environment struct {
	Date   time.Time `yaml:"date"`             // start of the run, UTC, whole seconds
	Host   string    `yaml:"host"`             // hostname
	Kernel string    `yaml:"kernel"`           // uname -r
	CPUs   int       `yaml:"cpus"`             // online CPUs
	Go     string    `yaml:"go"`               // runtime.Version()
	Commit string    `yaml:"commit,omitempty"` // the lab's VCS revision, "+dirty" when modified
}

// Applied records the limits as the runner read them back after setting
// them, and every limit it could not apply. Zero or nil means "not read".
type Applied struct {
	NoFile       int          `yaml:"nofile"`                 // server RLIMIT_NOFILE
	DriverNoFile int          `yaml:"driver_nofile"`          // driver RLIMIT_NOFILE
	SoMaxConn    int          `yaml:"somaxconn"`              // net.core.somaxconn in the namespace
	PortRange    [2]int       `yaml:"port_range,flow"`        // net.ipv4.ip_local_port_range
	TCPTwReuse   *int         `yaml:"tcp_tw_reuse,omitempty"` // net.ipv4.tcp_tw_reuse
	SynCookies   *int         `yaml:"syn_cookies,omitempty"`  // net.ipv4.tcp_syncookies
	ServerCPU    float64      `yaml:"server_cpu,omitempty"`   // the server's CPU cap, a share of one core, as read back
	DriverCPU    float64      `yaml:"driver_cpu,omitempty"`   // the driver's CPU cap, a share of one core, as read back
	NetNS        bool         `yaml:"netns"`                  // ran in its own network namespace
	Pinned       Pinning      `yaml:"pinned"`
	NotApplied   []NotApplied `yaml:"not_applied,omitempty"`
}

// Pinning lists the CPUs each process was pinned to (nil: not pinned).
type Pinning struct {
	Server []int `yaml:"server,flow,omitempty"`
	Driver []int `yaml:"driver,flow,omitempty"`
}

// NotApplied is one setting the phase asked for that the run did not get.
type NotApplied struct {
	What string `yaml:"what"` // e.g. "somaxconn 128"
	Why  string `yaml:"why"`  // e.g. "no network namespace: not root"
}

// Config is the phase's settings, as run (after defaults).
type Config struct {
	Server           phases.Server `yaml:"server"`
	Driver           phases.Driver `yaml:"driver"`
	Limits           phases.Limits `yaml:"limits"` // as asked by the phase; Applied holds what was got
	Sweep            phases.Sweep  `yaml:"sweep"`
	SuccessThreshold float64       `yaml:"success_threshold"`
}

// Step is one measured run at one client count (one trial): what was
// measured (attrib.Step, with its typed server, driver and kernel evidence)
// and how it was judged. A step that did not run to its end (Ended) is kept
// for the record and never judged.
type Step struct {
	attrib.Step `yaml:",inline"`
	// Ended is empty for a step measured to its end; interrupted or
	// failed otherwise, with Failure saying what failed.
	Ended   StepEnd `yaml:"ended,omitempty"`
	Failure string  `yaml:"failure,omitempty"`
	// State is how the step compares with the earlier ones: clean,
	// saturated (throughput flat while latency grew) or dropped (success
	// below the threshold, clients starved, or throughput fell).
	State    attrib.State   `yaml:"state,omitempty"`
	Verdict  attrib.Verdict `yaml:"verdict"`
	Warnings []string       `yaml:"warnings,omitempty"` // what may make the step less trustworthy (TIME_WAIT not drained, ...)
}

// ReferenceComparison sets a run's best throughput against the latest
// reference run of its phase (scorecards/reference/<date>).
type ReferenceComparison struct {
	Date   string          `yaml:"date"`
	Commit string          `yaml:"commit,omitempty"`
	RPS    units.PerSecond `yaml:"rps"`   // the reference's best throughput
	Ratio  float64         `yaml:"ratio"` // this run's / the reference's
	// WithinNoise says the ratio is inside the machine's run-to-run
	// spread (attrib.SingleTrialMargin).
	WithinNoise bool         `yaml:"within_noise"`
	Limit       attrib.Limit `yaml:"limit"` // the reference's limit
}

// Verification is one intervention on the deciding step and what it
// showed.
type Verification struct {
	Clients  int             `yaml:"clients"`  // the step verified
	Limit    attrib.Limit    `yaml:"limit"`    // the verdict put to the test
	Resource attrib.Resource `yaml:"resource"` // its bottleneck
	// Kind is "lift" (the limit raised) or "squeeze" (a side's CPU capped
	// at half a core, since no core can be added).
	Kind string `yaml:"kind"`
	// Runs are the re-runs, each with what changed.
	Runs    []VerifyRun          `yaml:"runs,omitempty"`
	Outcome attrib.VerifyOutcome `yaml:"outcome"`
	Why     string               `yaml:"why"`
}

// VerifyRun is one re-run of a verification: what was changed, and what
// was measured and judged.
type VerifyRun struct {
	Change      string `yaml:"change"`
	attrib.Step `yaml:",inline"`
	State       attrib.State   `yaml:"state,omitempty"`
	Verdict     attrib.Verdict `yaml:"verdict"`
	Warnings    []string       `yaml:"warnings,omitempty"`
}

// StepEnd says how a step that did not run to its end ended.
type StepEnd string

// The ends of a step cut short.
const (
	StepInterrupted StepEnd = "interrupted" // a signal cut it short: its numbers cover part of the window
	StepFailed      StepEnd = "failed"      // the server or the driver failed during it
)

// Judged reports whether the step ran to its end, so that its numbers may
// be judged.
func (s Step) Judged() bool { return s.Ended == "" }

// Owner identifies a process on one boot of one machine.
type Owner struct {
	PID int `yaml:"pid"`
	// StartTime is the process's start in clock ticks since boot
	// (/proc/PID/stat field 22): a reused pid has another.
	StartTime uint64 `yaml:"start_time"`
	// BootID is /proc/sys/kernel/random/boot_id.
	BootID string `yaml:"boot_id"`
}

// New starts a scorecard for phase p with status running: the phase
// identity, its hypothesis and its settings are filled in.
func New(p *phases.Phase) *Scorecard {
	return &Scorecard{
		Schema: Schema,
		Status: StatusRunning,
		Phase: PhaseInfo{
			Number: p.Number, Name: p.Name, Title: p.Title, Source: p.Source,
			Hypothesis: p.Hypothesis,
		},
		Config: Config{
			Server: p.Server, Driver: p.Driver, Limits: p.Limits, Sweep: p.Sweep,
			SuccessThreshold: p.SuccessThreshold,
		},
	}
}
