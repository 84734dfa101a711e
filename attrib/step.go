package attrib

import (
	"reflect"
	"strings"

	"github.com/scalelab/scalelab/units"
)

// Step is what was measured during one step of a phase: the driver's view
// of the load, the server's own statistics, the kernel's counters and the
// processes' usage. It is the measured part of a scorecard step, written
// with the scorecard's keys, and what the rules judge.
type Step struct {
	Clients     int             `yaml:"clients"`
	Trial       int             `yaml:"trial"`        // 1-based
	DurationS   units.Seconds   `yaml:"duration_s"`   // measured window
	Requests    int64           `yaml:"requests"`     // requests attempted in the window: ok + failed
	OK          int64           `yaml:"ok"`           // requests answered 2xx/3xx
	SuccessRate units.Ratio     `yaml:"success_rate"` // ok / requests
	RPS         units.PerSecond `yaml:"rps"`          // ok / duration: successful responses per second

	LatencyMS Latency `yaml:"latency_ms,omitempty"` // response time of successful requests; left out when none succeeded
	ConnectMS Latency `yaml:"connect_ms,omitempty"` // connect time (p50, p99, max); left out when no connect completed
	// Connects counts connections opened in the window.
	Connects int64 `yaml:"connects,omitempty"`
	// Errors counts failed requests by driver class (addr_unavailable,
	// connect_timeout, read_timeout, too_many_open_files, ...).
	Errors map[string]int64 `yaml:"errors,omitempty"`
	// Timeline has one entry per measured second.
	Timeline []Second `yaml:"timeline,omitempty"`

	Server ServerEvidence `yaml:"server"`
	Driver DriverEvidence `yaml:"driver"`
	Kernel KernelEvidence `yaml:"kernel,omitempty"`

	// Histogram and ConnectHistogram are HdrHistograms (µs) of the
	// response and connect times in the standard compressed form
	// (HISTFAAA...; older cards hold them base64-encoded once more, and
	// still load: internal/hist).
	Histogram        string `yaml:"histogram,omitempty"`
	ConnectHistogram string `yaml:"connect_histogram,omitempty"`

	// ClientsStarved counts clients that got no answer at all in the
	// measured window (a pool that ties workers to connections starves
	// the rest).
	ClientsStarved int `yaml:"clients_starved,omitempty"`

	// Hosts are the client hosts of a step whose driver ran as several
	// (driver.hosts), one entry each; their ports are their own, so the
	// port limit is read per host.
	Hosts []Host `yaml:"hosts,omitempty"`
}

// Host is one client host of a step: a network namespace of its own, with
// its own address on the lab's bridge, its own ephemeral ports and its own
// share of the driver's CPUs, running one shard of the clients.
type Host struct {
	Addr     string           `yaml:"addr"`               // its address on the lab's bridge
	Clients  int              `yaml:"clients"`            // connections it ran (its shard)
	Requests int64            `yaml:"requests"`           // requests it attempted in the window
	OK       int64            `yaml:"ok"`                 // of which answered 2xx/3xx
	Connects int64            `yaml:"connects,omitempty"` // connections it opened in the window
	Errors   map[string]int64 `yaml:"errors,omitempty"`   // its failed requests by class
	CPUPct   units.Percent    `yaml:"cpu_pct"`            // its driver's CPU, of one core
	// TimeWaitMax is the most TIME_WAIT sockets seen in its namespace,
	// PortRangeSize its ephemeral ports (ip_local_port_range).
	TimeWaitMax   int64 `yaml:"tw_max"`
	PortRangeSize int64 `yaml:"port_range_size"`
}

// portFill is the share of its ports a host holds in TIME_WAIT (NaN when
// its range is unknown).
func (h Host) portFill() float64 { return ratio(float64(h.TimeWaitMax), float64(h.PortRangeSize)) }

// Latency summarizes a distribution in milliseconds. Connect and handler
// times fill p50, p99 and max (and mean) only.
type Latency struct {
	P50  units.Millis `yaml:"p50"`
	P90  units.Millis `yaml:"p90,omitempty"`
	P99  units.Millis `yaml:"p99"`
	P999 units.Millis `yaml:"p999,omitempty"`
	Max  units.Millis `yaml:"max"`
	Mean units.Millis `yaml:"mean,omitempty"`
}

// Second is one point of a step's per-second timeline.
type Second struct {
	T      int             `yaml:"t"`      // seconds since the measured window began
	RPS    units.PerSecond `yaml:"rps"`    // successful responses in that second
	Errors int64           `yaml:"errors"` // failed requests in that second
	P99MS  units.Millis    `yaml:"p99_ms"` // p99 response time in that second
}

// ServerEvidence is what the server process and its stats channel showed
// during a step. Fields that do not apply to a variant (workers for
// nethttp) are zero.
type ServerEvidence struct {
	CPUPct         units.Percent    `yaml:"cpu_pct"`                    // of one core; 100 × cores is saturation
	RSSMB          units.MB         `yaml:"rss_mb"`                     // peak resident memory
	FDsMax         int              `yaml:"fds_max"`                    // most open descriptors seen
	NoFile         int              `yaml:"nofile"`                     // soft RLIMIT_NOFILE as read from /proc/PID/limits (0: unknown)
	Accepted       int64            `yaml:"accepted"`                   // connections accepted in the step
	AcceptErrors   map[string]int64 `yaml:"accept_errors,omitempty"`    // failed accepts by errno name: EMFILE, ENFILE, ...
	OpenConnsMax   int              `yaml:"open_conns_max"`             // most connections open at once
	BusyWorkersMax int              `yaml:"busy_workers_max,omitempty"` // pool: most workers busy at once
	// WorkersBusyPct is the pool's utilization over the step: busy
	// workers integrated over time, in percent of all of them (0: not
	// measured, older cards).
	WorkersBusyPct units.Percent `yaml:"workers_busy_pct,omitempty"`
	Workers        int           `yaml:"workers,omitempty"`   // pool size (0: no pool)
	QueueMax       int           `yaml:"queue_max,omitempty"` // longest queue of accepted connections seen
	QueueCap       int           `yaml:"queue_cap,omitempty"` // its capacity
	Requests       int64         `yaml:"requests"`            // requests the server answered
	HandlerMS      Latency       `yaml:"handler_ms"`          // request complete to answer written
	ListenQueueMax int           `yaml:"listen_queue_max"`    // longest accept queue (Recv-Q) seen
	Backlog        int           `yaml:"backlog"`             // the listener's effective backlog (Send-Q; 0: unknown)
	Cores          int           `yaml:"cores,omitempty"`     // CPUs the server may run on (0: unknown, taken as 1)
	// CPUPerRequest is the server's CPU time per request it handled over
	// the step (the utilization law, D = U / X), in microseconds.
	CPUPerRequest units.Micros `yaml:"cpu_us_per_request,omitempty"`
	// CPUQuotaPct is the CPU cap the server ran under (percent of one
	// core; 0: none), CPUThrottledPct the share of the cap's periods in
	// which it used its quota up.
	CPUQuotaPct     units.Percent `yaml:"cpu_quota_pct,omitempty"`
	CPUThrottledPct units.Percent `yaml:"cpu_throttled_pct,omitempty"`
	// CPUWaitPct is the time the server's threads were runnable but
	// waited for a CPU, in percent of the step (run-queue delay from
	// schedstat): the USE method's saturation of the CPU.
	CPUWaitPct units.Percent `yaml:"cpu_wait_pct,omitempty"`
	// Abandoned counts answers the server made for clients that had gone
	// (the write failed with EPIPE or ECONNRESET): work nobody received.
	Abandoned int64 `yaml:"abandoned,omitempty"`
	// QueueWaitMS is how long accepted connections waited in the pool's
	// queue for a worker (pool only).
	QueueWaitMS Latency `yaml:"queue_wait_ms,omitempty"`
}

// DriverEvidence is what the load driver reported about itself.
type DriverEvidence struct {
	CPUPct units.Percent `yaml:"cpu_pct"`           // of one core
	RSSMB  units.MB      `yaml:"rss_mb"`            // peak resident memory
	CPUs   int           `yaml:"cpus"`              // cores the driver may use; 100 × cpus is saturation
	FDsMax int           `yaml:"fds_max,omitempty"` // most open descriptors
	NoFile int           `yaml:"nofile,omitempty"`  // its RLIMIT_NOFILE
	Shards int           `yaml:"shards,omitempty"`  // driver shards merged into this step
	// CPUQuotaPct is the CPU cap the driver ran under (percent of one
	// core; 0: none), CPUThrottledPct the share of the cap's periods in
	// which it used its quota up.
	CPUQuotaPct     units.Percent `yaml:"cpu_quota_pct,omitempty"`
	CPUThrottledPct units.Percent `yaml:"cpu_throttled_pct,omitempty"`
	// H2 is the HTTP/2 evidence of an h2c step (nil over HTTP/1.1).
	H2 *H2Evidence `yaml:"h2,omitempty"`
}

// H2Evidence is what the driver saw of HTTP/2's own limits during an h2c
// step: the streams a connection could carry, how full they were, and the
// requests that waited at the client for a free stream slot.
type H2Evidence struct {
	// Connections and Streams: the step's clients are connections, each
	// asking for Streams streams at once.
	Connections int `yaml:"connections"`
	Streams     int `yaml:"streams"`
	// ServerMaxStreams is the server's SETTINGS_MAX_CONCURRENT_STREAMS
	// (-1: it announced none); StreamsLimit the streams a connection could
	// open: Streams capped by it.
	ServerMaxStreams int64 `yaml:"server_max_streams"`
	StreamsLimit     int   `yaml:"streams_limit"`
	// InFlightMean and InFlightMax are the streams open on a connection,
	// averaged over the step, and at most.
	InFlightMean units.Ratio `yaml:"in_flight_mean"`
	InFlightMax  int         `yaml:"in_flight_max"`
	// Refused counts streams the server reset with REFUSED_STREAM or
	// PROTOCOL_ERROR (opened beyond its limit); GoAway the GOAWAY frames.
	Refused int64 `yaml:"refused,omitempty"`
	GoAway  int64 `yaml:"goaway,omitempty"`
	// Waited counts requests that waited at the client for a stream slot,
	// WaitP99MS their wait's p99: queueing at the client.
	Waited    int64        `yaml:"waited,omitempty"`
	WaitP99MS units.Millis `yaml:"wait_p99_ms,omitempty"`
	// FlowBlockedMS is the time request bodies waited for flow-control
	// window, summed over streams.
	FlowBlockedMS units.Millis `yaml:"flow_blocked_ms,omitempty"`
}

// KernelEvidence is what the kernel showed during a step: deltas of the
// TcpExt (/proc/net/netstat) and Tcp (/proc/net/snmp) counters of the
// step's network namespace, its socket gauges, a mid-step reading of the
// socket table, and how busy the pinned CPUs were (with any work, in
// percent of one CPU). A nil field was not read. Keys are the kernel's own
// names for its counters and the lab's lower-case names for its gauges, in
// the order a scorecard writes them.
type KernelEvidence struct {
	ActiveOpens          *int64 `yaml:"ActiveOpens,omitempty"`          // Tcp: connect()s
	AttemptFails         *int64 `yaml:"AttemptFails,omitempty"`         // Tcp: attempts reset or timed out in SYN_SENT/SYN_RECV
	EstabResets          *int64 `yaml:"EstabResets,omitempty"`          // Tcp: resets of established connections
	ListenDrops          *int64 `yaml:"ListenDrops,omitempty"`          // TcpExt: every drop at a listener
	ListenOverflows      *int64 `yaml:"ListenOverflows,omitempty"`      // TcpExt: SYNs or ACKs dropped, accept queue full
	OutRsts              *int64 `yaml:"OutRsts,omitempty"`              // Tcp: resets sent
	PassiveOpens         *int64 `yaml:"PassiveOpens,omitempty"`         // Tcp: connections the kernel accepted
	RetransSegs          *int64 `yaml:"RetransSegs,omitempty"`          // Tcp: segments retransmitted
	SyncookiesFailed     *int64 `yaml:"SyncookiesFailed,omitempty"`     // TcpExt: invalid syncookies received
	SyncookiesSent       *int64 `yaml:"SyncookiesSent,omitempty"`       // TcpExt: syncookies sent
	TCPAbortOnClose      *int64 `yaml:"TCPAbortOnClose,omitempty"`      // TcpExt: resets sent, data after close
	TCPAbortOnData       *int64 `yaml:"TCPAbortOnData,omitempty"`       // TcpExt: resets sent on close with unread data
	TCPAbortOnTimeout    *int64 `yaml:"TCPAbortOnTimeout,omitempty"`    // TcpExt: aborted after too many retransmits
	TCPReqQFullDoCookies *int64 `yaml:"TCPReqQFullDoCookies,omitempty"` // TcpExt: SYN queue full, answered with a cookie
	TCPReqQFullDrop      *int64 `yaml:"TCPReqQFullDrop,omitempty"`      // TcpExt: SYN queue full, SYN dropped
	TCPTimeouts          *int64 `yaml:"TCPTimeouts,omitempty"`          // TcpExt: retransmission timeouts
	TW                   *int64 `yaml:"TW,omitempty"`                   // TcpExt: sockets that entered TIME_WAIT

	ClientRecvQBytesMid  *int64 `yaml:"client_recvq_bytes_mid,omitempty"`  // unread bytes on client sockets, mid-step
	DriverCPUsSoftIRQPct *int64 `yaml:"driver_cpus_softirq_pct,omitempty"` // driver's CPUs: softirq
	DriverCPUsStealPct   *int64 `yaml:"driver_cpus_steal_pct,omitempty"`   // driver's CPUs: stolen by the hypervisor
	DriverCPUsTasksPct   *int64 `yaml:"driver_cpus_tasks_pct,omitempty"`   // driver's CPUs: any task
	EstablishedMid       *int64 `yaml:"established_mid,omitempty"`         // ESTABLISHED sockets, mid-step
	InUse                *int64 `yaml:"inuse,omitempty"`                   // TCP sockets in use at the end (sockstat)
	LoopbackDrops        *int64 `yaml:"lo_drops,omitempty"`                // packets the lo interface dropped (rx + tx)
	PortRangeSize        *int64 `yaml:"port_range_size,omitempty"`         // ephemeral ports in the namespace
	ServerCPUsSoftIRQPct *int64 `yaml:"server_cpus_softirq_pct,omitempty"` // server's CPUs: softirq
	ServerCPUsStealPct   *int64 `yaml:"server_cpus_steal_pct,omitempty"`   // server's CPUs: stolen by the hypervisor
	ServerCPUsTasksPct   *int64 `yaml:"server_cpus_tasks_pct,omitempty"`   // server's CPUs: any task
	ServerSendQBytesMid  *int64 `yaml:"server_sendq_bytes_mid,omitempty"`  // unsent bytes on server sockets, mid-step
	SoftnetDropped       *int64 `yaml:"softnet_dropped,omitempty"`         // host: packets dropped, a CPU's backlog queue full (netdev_max_backlog)
	SoftnetSqueezed      *int64 `yaml:"softnet_squeezed,omitempty"`        // host: times packet processing ran out of budget
	TimeWait             *int64 `yaml:"tw,omitempty"`                      // TIME_WAIT sockets at the end (sockstat)
	TimeWaitMax          *int64 `yaml:"tw_max,omitempty"`                  // most TIME_WAIT sockets seen during the step
}

// N returns the value of an optional count, 0 when it was not read.
func N(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Of returns a pointer to v: a count that was read.
func Of(v int64) *int64 { return &v }

// portsHeld is the TIME_WAIT count and the port range of the namespace
// whose ports were fullest: the step's own, or the fullest client host's,
// with the number of namespaces read (1 without client hosts).
func (s Step) portsHeld() (tw, size int64, of int) {
	if len(s.Hosts) == 0 {
		return s.Kernel.TimeWaitPeak(), N(s.Kernel.PortRangeSize), 1
	}
	best := s.Hosts[0]
	for _, h := range s.Hosts[1:] {
		if h.portFill() > best.portFill() || (best.PortRangeSize == 0 && h.PortRangeSize > 0) {
			best = h
		}
	}
	return best.TimeWaitMax, best.PortRangeSize, len(s.Hosts)
}

// TimeWaitPeak is the most TIME_WAIT sockets seen in the namespace.
func (k KernelEvidence) TimeWaitPeak() int64 { return max(N(k.TimeWaitMax), N(k.TimeWait)) }

// ServerCPUsBusyPct is how busy the server's pinned CPUs were with any work
// (tasks, softirq, steal), in percent of one CPU; 0 when not read.
func (k KernelEvidence) ServerCPUsBusyPct() float64 {
	return float64(N(k.ServerCPUsTasksPct) + N(k.ServerCPUsSoftIRQPct) + N(k.ServerCPUsStealPct))
}

// Count is one kernel value that was read, by its scorecard key.
type Count struct {
	Name  string
	Value int64
}

// Counts lists the values that were read, in the order a scorecard writes
// them.
func (k KernelEvidence) Counts() []Count {
	var out []Count
	v := reflect.ValueOf(k)
	t := v.Type()
	for i := range t.NumField() {
		p, ok := v.Field(i).Interface().(*int64)
		if !ok || p == nil {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		out = append(out, Count{Name: name, Value: *p})
	}
	return out
}
