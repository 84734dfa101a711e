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

	"github.com/scalelab/scalelab/phases"
)

// Schema is the value every scorecard carries in its schema field.
const Schema = "scalelab/scorecard/v1"

// Status says how far a run got.
type Status string

// The states of a run. The runner writes running after every step, then
// one of the other three.
const (
	StatusRunning     Status = "running"     // steps are still being measured
	StatusComplete    Status = "complete"    // every step of the sweep ran
	StatusInterrupted Status = "interrupted" // stopped early (signal, deadline); steps are partial
	StatusFailed      Status = "failed"      // stopped by an error, in Scorecard.Error
)

// Known reports whether s is one of the four states.
func (s Status) Known() bool {
	switch s {
	case StatusRunning, StatusComplete, StatusInterrupted, StatusFailed:
		return true
	}
	return false
}

// Outcome is what the run says about the phase's hypothesis.
type Outcome string

// The outcomes of a hypothesis.
const (
	Confirmed    Outcome = "confirmed"    // the limit expected is the limit found
	Refuted      Outcome = "refuted"      // another limit, or none, was found
	Inconclusive Outcome = "inconclusive" // the evidence does not decide (too few steps, noise)
)

// Known reports whether o is one of the three outcomes.
func (o Outcome) Known() bool { return o == Confirmed || o == Refuted || o == Inconclusive }

// Scorecard is the full record of one phase run.
type Scorecard struct {
	Schema      string      `yaml:"schema"`          // always Schema
	Status      Status      `yaml:"status"`          // running, complete, interrupted or failed
	Error       string      `yaml:"error,omitempty"` // why the run failed or was interrupted
	Phase       PhaseInfo   `yaml:"phase"`
	Environment Environment `yaml:"environment"`
	Applied     Applied     `yaml:"applied"` // limits as read back, and those not applied
	Config      Config      `yaml:"config"`  // the phase's settings, as run
	Steps       []Step      `yaml:"steps"`   // in the order they ran
	Summary     Summary     `yaml:"summary"`
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

// Step is one measured run at one client count (one trial).
type Step struct {
	Clients     int     `yaml:"clients"`
	Trial       int     `yaml:"trial"`        // 1-based
	DurationS   float64 `yaml:"duration_s"`   // measured window, seconds
	Requests    int64   `yaml:"requests"`     // requests attempted in the window: ok + failed
	OK          int64   `yaml:"ok"`           // requests answered 2xx
	SuccessRate float64 `yaml:"success_rate"` // ok / requests, 0..1
	RPS         float64 `yaml:"rps"`          // ok / duration_s: successful responses per second

	LatencyMS Latency          `yaml:"latency_ms"`         // response time of successful requests
	ConnectMS Latency          `yaml:"connect_ms"`         // connect time (p50, p99, max)
	Connects  int64            `yaml:"connects,omitempty"` // connections opened in the window
	Errors    map[string]int64 `yaml:"errors,omitempty"`   // failed requests by class, e.g. connect_timeout, addr_unavailable
	Timeline  []Second         `yaml:"timeline,omitempty"` // one entry per second of the window

	Server ServerStats      `yaml:"server"`
	Driver DriverStats      `yaml:"driver"`
	Kernel map[string]int64 `yaml:"kernel,omitempty"` // counter deltas over the step and gauges: ListenOverflows, tw, tw_max, ...

	Histogram        string `yaml:"histogram,omitempty"`         // base64 HdrHistogram of response time, µs
	ConnectHistogram string `yaml:"connect_histogram,omitempty"` // base64 HdrHistogram of connect time, µs

	// ClientsStarved counts clients that got no answer at all in the
	// measured window (a pool that ties workers to connections starves
	// the rest).
	ClientsStarved int `yaml:"clients_starved,omitempty"`
	// State is how the step compares with the earlier ones: clean,
	// saturated (throughput flat while latency grew) or dropped (success
	// below the threshold, clients starved, or throughput fell).
	State string `yaml:"state,omitempty"`

	Verdict  Verdict  `yaml:"verdict"`
	Warnings []string `yaml:"warnings,omitempty"` // what may make the step less trustworthy (TIME_WAIT not drained, ...)
}

// Latency summarizes a distribution in milliseconds. connect_ms and
// handler_ms fill p50, p99 and max only.
type Latency struct {
	P50  float64 `yaml:"p50"`
	P90  float64 `yaml:"p90,omitempty"`
	P99  float64 `yaml:"p99"`
	P999 float64 `yaml:"p999,omitempty"`
	Max  float64 `yaml:"max"`
	Mean float64 `yaml:"mean,omitempty"`
}

// Second is one point of a step's per-second timeline.
type Second struct {
	T      int     `yaml:"t"`      // seconds since the measured window began
	RPS    float64 `yaml:"rps"`    // successful responses in that second
	Errors int64   `yaml:"errors"` // failed requests in that second
	P99MS  float64 `yaml:"p99_ms"` // p99 response time in that second
}

// ServerStats is what the server process and its stats channel reported
// during a step. Fields that do not apply to a variant (workers for
// nethttp) are zero.
type ServerStats struct {
	CPUPct         float64          `yaml:"cpu_pct"`                    // of one core; 100 × cores is saturation
	RSSMB          float64          `yaml:"rss_mb"`                     // peak resident memory
	FDsMax         int              `yaml:"fds_max"`                    // most open descriptors seen
	NoFile         int              `yaml:"nofile"`                     // RLIMIT_NOFILE as read from /proc/PID/limits
	Accepted       int64            `yaml:"accepted"`                   // connections accepted in the step
	AcceptErrors   map[string]int64 `yaml:"accept_errors,omitempty"`    // by errno name: EMFILE, ENFILE, ...
	OpenConnsMax   int              `yaml:"open_conns_max"`             // most connections open at once
	BusyWorkersMax int              `yaml:"busy_workers_max,omitempty"` // pool: most workers busy at once
	Workers        int              `yaml:"workers,omitempty"`          // pool size
	QueueMax       int              `yaml:"queue_max,omitempty"`        // longest queue seen
	QueueCap       int              `yaml:"queue_cap,omitempty"`        // queue capacity
	Requests       int64            `yaml:"requests"`                   // requests the server answered
	HandlerMS      Latency          `yaml:"handler_ms"`                 // time inside the server per request
	ListenQueueMax int              `yaml:"listen_queue_max"`           // longest accept queue (Recv-Q) seen
	Backlog        int              `yaml:"backlog"`                    // the listener's effective backlog (Send-Q)
}

// DriverStats is what the load driver reported about itself.
type DriverStats struct {
	CPUPct float64 `yaml:"cpu_pct"`           // of one core
	RSSMB  float64 `yaml:"rss_mb"`            // peak resident memory
	CPUs   int     `yaml:"cpus"`              // cores the driver may use; 100 × cpus is saturation
	FDsMax int     `yaml:"fds_max,omitempty"` // most open descriptors
	NoFile int     `yaml:"nofile,omitempty"`  // its RLIMIT_NOFILE
	Shards int     `yaml:"shards,omitempty"`  // driver shards merged into this step
}

// Verdict names the limit that stopped a step, with the facts that prove it.
type Verdict struct {
	Limit    phases.Limit `yaml:"limit"`          // none, fd, backlog, port, queueing, cpu or client
	Evidence []string     `yaml:"evidence"`       // measured facts, e.g. "server accept EMFILE 340"
	Also     []Finding    `yaml:"also,omitempty"` // other limits whose evidence moved
}

// Finding is a limit whose evidence moved, though it was not the verdict.
type Finding struct {
	Limit    phases.Limit `yaml:"limit"`
	Evidence []string     `yaml:"evidence"`
}

// Summary is the run's conclusion.
type Summary struct {
	SweetSpot      *Point  `yaml:"sweet_spot"`                // highest throughput at or above the threshold; nil: none
	BreakingPoint  *Point  `yaml:"breaking_point"`            // first drop; nil: none
	Hypothesis     Outcome `yaml:"hypothesis,omitempty"`      // confirmed, refuted or inconclusive; empty while running
	HypothesisNote string  `yaml:"hypothesis_note,omitempty"` // why, in one or two sentences
	// Limit is what capped the phase: the verdict at the breaking point,
	// else at the first saturated step; none when nothing did.
	Limit phases.Limit `yaml:"limit,omitempty"`
	Next  string       `yaml:"next,omitempty"` // suggested next rung; empty: the report derives one from the verdict
}

// Point is one step singled out by the summary.
type Point struct {
	Clients     int     `yaml:"clients"`
	RPS         float64 `yaml:"rps"`
	SuccessRate float64 `yaml:"success_rate"`
	Reason      string  `yaml:"reason,omitempty"` // breaking point: what dropped, e.g. "success 64.08% < 99%"
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
