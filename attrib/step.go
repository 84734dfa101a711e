package attrib

// Step is what was measured during one step: the driver's view, the
// server's own statistics, the kernel's counters and the processes' usage.
// Zero values mean "not measured" where the field says so.
type Step struct {
	Clients     int
	DurationS   float64
	Requests    int64 // requests attempted in the measured period
	OK          int64 // answered 2xx/3xx
	SuccessRate float64
	RPS         float64 // successful requests per second
	Latency     Percentiles
	Connect     Percentiles
	// Errors counts failed requests by driver class (addr_unavailable,
	// connect_timeout, read_timeout, too_many_open_files, ...).
	Errors map[string]int64
	// ClientsStarved counts clients that got no answer at all.
	ClientsStarved int
	// Timeline is the successful requests of each measured second.
	Timeline []float64

	Server ServerEvidence
	Driver DriverEvidence
	Kernel KernelEvidence
}

// Percentiles of a latency distribution, in milliseconds.
type Percentiles struct {
	P50, P99, Mean, Max float64
}

// ServerEvidence is what the server process and its stats channel showed.
type ServerEvidence struct {
	// CPUPct is CPU time over wall time, in percent of one core.
	CPUPct float64
	// Cores is the number of CPUs the server may run on (0: unknown).
	Cores int
	// CoreBusyPct is how busy those CPUs were with anything (all tasks,
	// softirq, steal), in percent of one core; 0 when not measured.
	CoreBusyPct float64
	// FDsPeak is the most open file descriptors seen; NoFile its soft
	// RLIMIT_NOFILE (0: unknown).
	FDsPeak, NoFile int
	// AcceptErrors counts failed accepts by errno name (EMFILE, ENFILE...).
	AcceptErrors map[string]int64
	// Workers is the pool size (0: no pool); BusyPeak the most busy at once.
	Workers, BusyPeak int
	// QueueCap and QueuePeak describe the pool's queue of accepted
	// connections.
	QueueCap, QueuePeak int
	// Handler is the server-side latency, request complete to answer
	// written.
	Handler Percentiles
	// ListenQueuePeak is the longest accept queue seen; Backlog its
	// capacity in the kernel (0: unknown).
	ListenQueuePeak, Backlog int
}

// DriverEvidence is what the load generator measured of itself.
type DriverEvidence struct {
	CPUPct float64 // percent of one core
	Cores  int
	// RecvQBytes is the most unread data seen queued on client sockets.
	RecvQBytes int64
}

// KernelEvidence holds counter deltas over the step and gauges' peaks.
type KernelEvidence struct {
	ListenOverflows, ListenDrops, ReqQFullDrop, SyncookiesSent int64
	// TimeWait is the most TIME_WAIT sockets seen in the namespace.
	TimeWait int64
	// PortRangeSize is the number of ephemeral ports (0: unknown).
	PortRangeSize int
}

func sum(m map[string]int64, keys ...string) int64 {
	var n int64
	for _, k := range keys {
		n += m[k]
	}
	return n
}
