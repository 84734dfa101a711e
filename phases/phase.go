// Package phases reads the lab's phase files: one server variant, the OS
// limits it runs under, the load the driver applies, a sweep of client counts
// and the hypothesis the run is meant to confirm or refute.
//
// A phase file is YAML with schema scalelab/phase/v1. Decoding is strict:
// unknown or mistyped fields and impossible values are errors that name the
// file, the line and the field. The default ladder (NN-*.yaml) is embedded
// in the binary; any other file can be loaded from a path.
//
// The package is pure data and file I/O: it applies no limit and starts no
// process. The runner does that.
package phases

import (
	"time"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/driver"
)

// Schema is the value every phase file carries in its schema field.
const Schema = "scalelab/phase/v1"

// Defaults filled in after decoding when a field is absent from the file.
// A field present in the file is never replaced, even when its value is zero
// (warmup: 0s stays zero).
const (
	DefaultTrials           = 1                      // sweep.trials
	DefaultSuccessThreshold = 0.99                   // success_threshold
	DefaultWarmup           = 500 * time.Millisecond // driver.warmup
	DefaultDuration         = 3 * time.Second        // driver.duration, when requests_per_client is absent or 0
	DefaultTimeout          = 2 * time.Second        // driver.timeout (per request, connect included)
	DefaultPath             = "/"                    // driver.path
	DefaultKeepAlive        = true                   // server.keepalive (except naive) and driver.keepalive
	DefaultPipeline         = 1                      // driver.pipeline: requests in flight per connection
	DefaultBacklog          = 1024                   // server.backlog
	DefaultListeners        = 1                      // server.listeners
	DefaultPoolWorkers      = 16                     // server.workers, pool only
	DefaultPoolQueue        = 64                     // server.queue, pool only
	DefaultDriverNoFile     = 20000                  // limits.driver_nofile
	DefaultVerifyHosts      = 4                      // verify.hosts, with verify.port: hosts
	// driver.connect_timeout defaults to driver.timeout.
	// server.keepalive defaults to false for naive, which serves one request per connection.
	// limits.nofile, somaxconn, port_range, tcp_tw_reuse and syn_cookies have no default:
	// absent means "leave the system's value as it is".
)

// StepOverhead is the time the runner is assumed to spend around each
// measured step (snapshots, process checks); Estimate counts it per step.
const StepOverhead = time.Second

// Variant names a server implementation.
type Variant string

// The server variants the lab knows.
const (
	VariantNaive    Variant = "naive"    // one goroutine: accept, read one request, write, close
	VariantPool     Variant = "pool"     // N workers fed by a bounded queue of accepted connections
	VariantNetHTTP  Variant = "nethttp"  // net/http, a goroutine per connection
	VariantFastHTTP Variant = "fasthttp" // valyala/fasthttp, worker pool, zero allocation
	VariantGnet     Variant = "gnet"     // panjf2000/gnet v2 event loops
)

// Variants lists every known variant in ladder order.
var Variants = []Variant{VariantNaive, VariantPool, VariantNetHTTP, VariantFastHTTP, VariantGnet}

// HasWorkers reports whether the variant takes the workers and queue knobs.
func (v Variant) HasWorkers() bool { return v == VariantPool }

// Known reports whether v is one of Variants.
func (v Variant) Known() bool {
	for _, k := range Variants {
		if v == k {
			return true
		}
	}
	return false
}

// Phase is one decoded, defaulted and validated phase file.
type Phase struct {
	Schema           string     `yaml:"schema"`
	Number           int        `yaml:"number"`
	Name             string     `yaml:"name"`              // short slug, e.g. pool-keepalive
	Title            string     `yaml:"title"`             // one line for humans; defaults to Name
	Hypothesis       Hypothesis `yaml:"hypothesis"`        // what the run is expected to show
	Server           Server     `yaml:"server"`            // the variant and its knobs
	Limits           Limits     `yaml:"limits"`            // OS limits for the phase's namespace and processes
	Driver           Driver     `yaml:"driver"`            // the load applied at each step
	Sweep            Sweep      `yaml:"sweep"`             // client counts and trials
	SuccessThreshold float64    `yaml:"success_threshold"` // below this success rate a step is a drop
	Verify           Verify     `yaml:"verify,omitempty"`  // prove the verdict by lifting its limit
	// Thresholds are pass/fail criteria ("success>=99.9%", "p99<10ms",
	// "rps>=50000"; see package driver/threshold), checked against each
	// client count's median over its trials; `scalelab run` exits 1 when
	// one fails.
	Thresholds []string `yaml:"thresholds,omitempty"`

	// Source records where the phase came from: the path given to Load, the
	// name given to Parse, or "builtin:NN". It is not part of the file.
	Source string `yaml:"-"`
}

// Hypothesis is the limit a phase expects to hit, and why.
type Hypothesis struct {
	Limit attrib.Limit `yaml:"limit"`
	Note  string       `yaml:"note,omitempty"`
}

// Server configures the server variant (the flags of lab.md §4).
type Server struct {
	Variant        Variant  `yaml:"variant"`
	Workers        int      `yaml:"workers,omitempty"`          // pool only
	Queue          int      `yaml:"queue,omitempty"`            // pool only: accepted connections waiting for a worker
	KeepAlive      bool     `yaml:"keepalive"`                  // serve several requests per connection
	Backlog        int      `yaml:"backlog"`                    // listen(2) backlog asked for; the kernel caps it at somaxconn
	Listeners      int      `yaml:"listeners"`                  // listening sockets; the driver spreads clients over them
	ReusePort      bool     `yaml:"reuseport,omitempty"`        // SO_REUSEPORT on each listening socket
	ReadTimeout    Duration `yaml:"read_timeout,omitempty"`     // 0: none
	MaxHeaderBytes int      `yaml:"max_header_bytes,omitempty"` // 0: the variant's default
	// AcceptStall stops the pool's acceptors this long every
	// AcceptStallEvery (pool only): a pause while connects keep arriving.
	AcceptStall      Duration `yaml:"accept_stall,omitempty"`
	AcceptStallEvery Duration `yaml:"accept_stall_every,omitempty"`
	// H2C serves HTTP/2 over cleartext TCP (prior knowledge) beside
	// HTTP/1.1 (nethttp only); MaxStreams is the
	// SETTINGS_MAX_CONCURRENT_STREAMS it announces (0: the library's
	// default, 250 for net/http; needs h2c).
	H2C        bool `yaml:"h2c,omitempty"`
	MaxStreams int  `yaml:"max_streams,omitempty"`
}

// Limits are the OS limits applied inside the phase's network namespace and
// to its processes. A zero or nil field means "leave the system's value".
type Limits struct {
	NoFile       int       `yaml:"nofile,omitempty"`       // server RLIMIT_NOFILE
	SoMaxConn    int       `yaml:"somaxconn,omitempty"`    // net.core.somaxconn
	PortRange    PortRange `yaml:"port_range,omitempty"`   // net.ipv4.ip_local_port_range
	TCPTwReuse   *int      `yaml:"tcp_tw_reuse,omitempty"` // net.ipv4.tcp_tw_reuse: 0, 1 or 2
	SynCookies   *int      `yaml:"syn_cookies,omitempty"`  // net.ipv4.tcp_syncookies: 0, 1 or 2
	DriverNoFile int       `yaml:"driver_nofile"`          // driver RLIMIT_NOFILE
	// ServerCPU and DriverCPU cap each process at a share of one core
	// (0.2: 20 ms of every 100 ms) with the kernel's CPU controller; 0:
	// no cap.
	ServerCPU float64 `yaml:"server_cpu,omitempty"`
	DriverCPU float64 `yaml:"driver_cpu,omitempty"`
}

// Driver configures the load generator for every step of the sweep.
type Driver struct {
	Path              string   `yaml:"path"`                          // request target, e.g. / or /cpu?us=50
	KeepAlive         bool     `yaml:"keepalive"`                     // false: one request per connection, the client closes first
	Duration          Duration `yaml:"duration"`                      // measured time per step (after warmup)
	RequestsPerClient int      `yaml:"requests_per_client,omitempty"` // stop each client after this many requests (0: by duration)
	Warmup            Duration `yaml:"warmup"`                        // unmeasured load before each step
	Timeout           Duration `yaml:"timeout"`                       // per request, connect included
	ConnectTimeout    Duration `yaml:"connect_timeout"`               // connect alone; defaults to Timeout
	Ramp              Duration `yaml:"ramp,omitempty"`                // spread client starts over this long (0: all at once)
	Rate              int      `yaml:"rate,omitempty"`                // 0: closed loop; > 0: open loop at this many requests/s
	Pipeline          int      `yaml:"pipeline"`                      // requests in flight per connection
	Targets           []string `yaml:"targets,omitempty"`             // host:port list; empty: the server's listeners
	Method            string   `yaml:"method,omitempty"`              // request method (default GET)
	Headers           []string `yaml:"headers,omitempty"`             // extra request headers, "Name: value"
	Body              string   `yaml:"body,omitempty"`                // request body, sent with its Content-Length
	// H2C speaks HTTP/2 with prior knowledge: sweep.clients are then
	// connections, each with up to Streams requests in flight as streams
	// (default 1; the server's max_streams caps them).
	H2C     bool `yaml:"h2c,omitempty"`
	Streams int  `yaml:"streams,omitempty"`
	// Hosts runs the driver as this many shards, each in a network
	// namespace of its own (a client host with its own address, port
	// range and sysctls) joined to the server's by a veth pair on a
	// bridge; the runner merges their summaries into the step. 0 (or
	// absent): one driver in the server's namespace, over loopback.
	Hosts int `yaml:"hosts,omitempty"`
}

// Verify asks the runner to prove the phase's verdict by intervention:
// the deciding step runs again with only its limit lifted (or its side
// squeezed), and the card says whether the verdict held.
type Verify struct {
	Enabled bool `yaml:"enabled"`
	// Port says how a port limit is lifted: "tw_reuse" (default: let the
	// kernel reuse TIME_WAIT ports), "range" (the widest port range) or
	// "hosts" (the same load from Hosts client hosts: the 4-tuple spread
	// over client addresses).
	Port string `yaml:"port,omitempty"`
	// Hosts is the number of client hosts the "hosts" lift runs the step
	// from (default DefaultVerifyHosts).
	Hosts int `yaml:"hosts,omitempty"`
}

// Sweep lists the client counts to run, each Trials times.
type Sweep struct {
	// Clients are the client counts, in increasing order.
	Clients []int `yaml:"clients,flow"`
	// Trials is how many times every client count runs (each a sample: a
	// fresh namespace and server), interleaved across the counts.
	Trials int `yaml:"trials"`
	// MaxTrials (default Trials) lets the runner add trials where a
	// relative verdict is in doubt, by a rule fixed before any data is
	// seen (attrib.InDoubt), up to this many per client count.
	MaxTrials int `yaml:"max_trials,omitempty"`
}

// Steps returns the number of measured steps the sweep runs at least.
func (s Sweep) Steps() int { return len(s.Clients) * s.Trials }

// MaxSteps returns the number of measured steps the sweep runs at most.
func (s Sweep) MaxSteps() int { return len(s.Clients) * max(s.Trials, s.MaxTrials) }

// Estimate returns how long the phase should take with its minimum trials:
// for every step, warmup plus duration plus StepOverhead. Steps bounded by
// requests_per_client are counted at the driver's time limit for them, an
// upper bound.
func (p *Phase) Estimate() time.Duration {
	return p.stepTime() * time.Duration(p.Sweep.Steps())
}

// EstimateMax is Estimate with every trial MaxTrials allows.
func (p *Phase) EstimateMax() time.Duration {
	return p.stepTime() * time.Duration(p.Sweep.MaxSteps())
}

func (p *Phase) stepTime() time.Duration {
	per := p.Driver.Warmup.D() + StepOverhead
	if p.Driver.Duration > 0 {
		return per + p.Driver.Duration.D()
	}
	return per + driver.DefaultCountTimeLimit
}
