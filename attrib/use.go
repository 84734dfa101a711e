package attrib

import (
	"fmt"
	"math"

	"github.com/scalelab/scalelab/units"
)

// Resource is one thing a step can run out of, on one side of the
// connection.
type Resource string

// The resources the lab watches.
const (
	ServerCPU   Resource = "server CPU"
	DriverCPU   Resource = "driver CPU"
	ServerFDs   Resource = "server fds"
	DriverFDs   Resource = "driver fds"
	Ports       Resource = "ephemeral ports"
	AcceptQueue Resource = "accept queue"
	Loopback    Resource = "loopback queues"
	Workers     Resource = "workers"
	PoolQueue   Resource = "pool queue"
	// StreamSlots are the HTTP/2 streams the server lets a connection
	// open at once (SETTINGS_MAX_CONCURRENT_STREAMS): requests beyond wait
	// at the client for a free slot.
	StreamSlots Resource = "h2 stream slots"
)

// Resources lists every resource in the order the USE table shows them.
var Resources = []Resource{ServerCPU, DriverCPU, ServerFDs, DriverFDs, Ports, AcceptQueue, Loopback, Workers, PoolQueue, StreamSlots}

// Limit is the limit a resource running out stands for.
func (r Resource) Limit() Limit {
	switch r {
	case ServerCPU:
		return CPU
	case DriverCPU:
		return Client
	case ServerFDs, DriverFDs:
		return FD
	case Ports:
		return Port
	case AcceptQueue, Loopback:
		return Backlog
	case Workers, PoolQueue, StreamSlots:
		return Queueing
	}
	return None
}

// Driver reports whether the resource belongs to the load generator.
func (r Resource) Driver() bool { return r == DriverCPU || r == DriverFDs || r == Ports }

// Use is the USE method's reading of one resource during one step:
// utilization, the sign of saturation, and errors.
type Use struct {
	Resource Resource
	// Utilization is the share in use at the peak (0..1; a queue can
	// read slightly above 1); NaN when it was not measured.
	Utilization float64
	// Used says what was used of what: "256 of 256", "99% of 1 core".
	Used string
	// Saturation is the sign that work waited for the resource, or "".
	Saturation string
	// Errors counts what failed for want of it (EMFILE, EADDRNOTAVAIL,
	// ListenOverflows, ...), with ErrorText saying which.
	Errors    int64
	ErrorText string
	// Saturated says the resource ran out: it is a candidate bottleneck.
	Saturated bool
}

// Thresholds of saturation.
const (
	// FullQueue is the share of a queue's capacity taken as full.
	FullQueue = 0.95
)

// USE reads every resource of the step, in the order of Resources. A
// resource the step has no number for (no pool, no port range) is left
// out.
func (s Step) USE() []Use {
	var out []Use
	for _, r := range Resources {
		if u, ok := s.use(r); ok {
			u.Resource = r
			out = append(out, u)
		}
	}
	return out
}

// Use reads one resource; ok is false when the step has no number for it.
func (s Step) Use(r Resource) (Use, bool) {
	u, ok := s.use(r)
	u.Resource = r
	return u, ok
}

func (s Step) use(r Resource) (Use, bool) {
	switch r {
	case ServerCPU:
		return s.serverCPUUse(), s.Server.CPUPct > 0 || s.Kernel.ServerCPUsTasksPct != nil
	case DriverCPU:
		return s.driverCPUUse(), s.Driver.CPUPct > 0
	case ServerFDs:
		return s.serverFDUse(), s.Server.NoFile > 0
	case DriverFDs:
		return s.driverFDUse(), s.Driver.NoFile > 0 || s.Errors["too_many_open_files"] > 0
	case Ports:
		_, size, _ := s.portsHeld()
		return s.portUse(), size > 0 || s.Errors["addr_unavailable"] > 0
	case AcceptQueue:
		return s.acceptQueueUse(), s.Server.Backlog > 0 || s.Kernel.ListenOverflows != nil
	case Loopback:
		return s.loopbackUse(), s.Kernel.LoopbackDrops != nil || s.Kernel.SoftnetDropped != nil
	case Workers:
		return s.workerUse(), s.Server.Workers > 0
	case PoolQueue:
		return s.poolQueueUse(), s.Server.QueueCap > 0
	case StreamSlots:
		if h := s.Driver.H2; h == nil || h.StreamsLimit <= 0 {
			return Use{}, false
		}
		return s.streamSlotUse(), true
	}
	return Use{}, false
}

func ratio(used, of float64) float64 {
	if of <= 0 {
		return math.NaN()
	}
	return used / of
}

func (s Step) serverCPUUse() Use {
	c := s.serverCores()
	own, busy := float64(s.Server.CPUPct), s.Kernel.ServerCPUsBusyPct()
	u := Use{Utilization: ratio(own, 100*float64(c))}
	u.Used = fmt.Sprintf("%.0f%% of %s", own, units.Cores(c))
	if q := float64(s.Server.CPUQuotaPct); q > 0 {
		u.Utilization = ratio(own, q)
		u.Used += quotaText(s.Server.CPUQuotaPct, s.Server.CPUThrottledPct)
	}
	if busy > own+otherTasksShown*float64(c) {
		u.Used += fmt.Sprintf(" (the %s busy %.0f%% with other work too)", coreWord(c), busy)
	}
	if wait := float64(s.Server.CPUWaitPct); wait > 0 {
		u.Saturation = fmt.Sprintf("its threads waited for a CPU %.0f%% of the time", wait)
	}
	u.Saturated = len(cpuEvidence(s)) > 0
	if l := s.Little(); u.Saturated && u.Saturation == "" && l.Measured > 0 && s.Server.HandlerMS.Mean > 0 && float64(l.Measured) > 2*float64(s.Server.HandlerMS.Mean) {
		u.Saturation = fmt.Sprintf("requests spent %s against %s in the handler", l.Measured, s.Server.HandlerMS.Mean)
	}
	return u
}

// otherTasksShown is the share of a core other work must take before the
// USE table mentions it.
const otherTasksShown = 10.0

func coreWord(c int) string {
	if c == 1 {
		return "core"
	}
	return "cores"
}

func (s Step) driverCPUUse() Use {
	c := max(s.Driver.CPUs, 1)
	u := Use{Utilization: ratio(float64(s.Driver.CPUPct), 100*float64(c)), Used: fmt.Sprintf("%.0f%% of %s", float64(s.Driver.CPUPct), units.Cores(c))}
	if q := float64(s.Driver.CPUQuotaPct); q > 0 {
		u.Utilization = ratio(float64(s.Driver.CPUPct), q)
		u.Used += quotaText(s.Driver.CPUQuotaPct, s.Driver.CPUThrottledPct)
	}
	if q := N(s.Kernel.ClientRecvQBytesMid); q > 0 {
		u.Saturation = fmt.Sprintf("%s bytes unread in client sockets", units.Int(q))
	}
	// Full, or the signature of seed 000: an idle server answering fast
	// while the driver sees its answers late.
	u.Saturated = u.Utilization >= BusyCPU/100 || len(clientEvidence(s)) > 0
	return u
}

func (s Step) serverFDUse() Use {
	sv := s.Server
	u := Use{Utilization: ratio(float64(sv.FDsMax), float64(sv.NoFile)), Used: fmt.Sprintf("%s of %s", units.Int(sv.FDsMax), units.Int(sv.NoFile))}
	u.Errors = sv.AcceptErrors["EMFILE"] + sv.AcceptErrors["ENFILE"]
	if u.Errors > 0 {
		u.ErrorText = "accept EMFILE/ENFILE"
	}
	u.Saturated = u.Errors > 0 || u.Utilization >= NearFull
	return u
}

func (s Step) driverFDUse() Use {
	d := s.Driver
	u := Use{Utilization: ratio(float64(d.FDsMax), float64(d.NoFile))}
	if d.NoFile > 0 {
		u.Used = fmt.Sprintf("%s of %s", units.Int(d.FDsMax), units.Int(d.NoFile))
	}
	if n := s.Errors["too_many_open_files"]; n > 0 {
		u.Errors, u.ErrorText = n, "socket() EMFILE"
	}
	u.Saturated = u.Errors > 0 || u.Utilization >= NearFull
	return u
}

func (s Step) portUse() Use {
	tw, size, of := s.portsHeld()
	u := Use{Utilization: ratio(float64(tw), float64(size))}
	if size > 0 {
		u.Used = fmt.Sprintf("%s of %s in TIME_WAIT", units.Int(tw), units.Int(size))
		if of > 1 {
			u.Used += fmt.Sprintf(" on the fullest of %s client hosts", units.Int(of))
		}
	}
	if n := s.Errors["addr_unavailable"]; n > 0 {
		u.Errors, u.ErrorText = n, "connect EADDRNOTAVAIL"
	}
	if u.Utilization >= PortsFilling && s.ConnectMS.P50 > 0 {
		u.Saturation = fmt.Sprintf("connect p50 %s: connect() searches the range for a free port", s.ConnectMS.P50)
	}
	u.Saturated = u.Errors > 0 || u.Utilization >= PortsFilling
	return u
}

func (s Step) acceptQueueUse() Use {
	sv, k := s.Server, s.Kernel
	u := Use{Utilization: ratio(float64(sv.ListenQueueMax), float64(sv.Backlog))}
	if sv.Backlog > 0 {
		u.Used = fmt.Sprintf("%s of %s", units.Int(sv.ListenQueueMax), units.Int(sv.Backlog))
	}
	u.Errors = max(N(k.ListenOverflows), N(k.ListenDrops)) + N(k.TCPReqQFullDrop)
	if u.Errors > 0 {
		u.ErrorText = "ListenOverflows/ListenDrops"
	}
	if s.ConnectMS.Max >= SynRetransmitMs {
		u.Saturation = fmt.Sprintf("connects took up to %s (SYN retransmits)", s.ConnectMS.Max)
	}
	u.Saturated = u.Errors > 0 || u.Utilization >= FullQueue
	return u
}

func (s Step) loopbackUse() Use {
	k := s.Kernel
	u := Use{Utilization: math.NaN()}
	u.Errors = N(k.LoopbackDrops) + N(k.SoftnetDropped)
	if u.Errors > 0 {
		u.ErrorText = "packets dropped (lo, softnet backlog)"
	}
	if n := N(k.SoftnetSqueezed); n > 0 {
		u.Saturation = fmt.Sprintf("packet processing ran out of budget %s times", units.Int(n))
	}
	u.Saturated = u.Errors > 0
	return u
}

func (s Step) workerUse() Use {
	sv := s.Server
	u := Use{Utilization: ratio(float64(sv.BusyWorkersMax), float64(sv.Workers)), Used: fmt.Sprintf("%d of %d busy", sv.BusyWorkersMax, sv.Workers)}
	// Busy over the step, not only at a peak: a pool that catches up
	// after a pause is full for a moment, not its limit.
	busy := s.workersBusy()
	if sv.WorkersBusyPct > 0 {
		u.Utilization = float64(sv.WorkersBusyPct) / 100
		u.Used = fmt.Sprintf("%.0f%% busy over the step, up to %d of %d at once", float64(sv.WorkersBusyPct), sv.BusyWorkersMax, sv.Workers)
	}
	waiting := sv.QueueMax > 0 || sv.ListenQueueMax > 0
	if waiting {
		u.Saturation = fmt.Sprintf("connections waited: pool queue up to %s, accept queue up to %s", units.Int(sv.QueueMax), units.Int(sv.ListenQueueMax))
		if sv.QueueWaitMS.P99 > 0 {
			u.Saturation += fmt.Sprintf(", queue wait p99 %s", sv.QueueWaitMS.P99)
		}
	}
	if s.ClientsStarved > 0 {
		u.Errors, u.ErrorText = int64(s.ClientsStarved), "clients with no answer"
	}
	u.Saturated = busy && (waiting || s.ClientsStarved > 0)
	return u
}

func (s Step) poolQueueUse() Use {
	sv := s.Server
	u := Use{Utilization: ratio(float64(sv.QueueMax), float64(sv.QueueCap)), Used: fmt.Sprintf("%s of %s", units.Int(sv.QueueMax), units.Int(sv.QueueCap))}
	// A queue waits for busy workers: full while the workers were idle
	// most of the step, it only caught a burst (after a pause, say).
	u.Saturated = u.Utilization >= FullQueue && s.workersBusy()
	return u
}

// WaitedShare is the share of requests that must have waited for a stream
// slot before the slots count as the limit (a few waits at a connection's
// start, before the server's SETTINGS arrive, are not).
const WaitedShare = 0.05

// streamSlotUse reads the HTTP/2 stream slots: how full the connections'
// allowance of streams was, the requests that waited at the client for a
// free one, and the streams the server refused.
func (s Step) streamSlotUse() Use {
	h := s.Driver.H2
	u := Use{Utilization: ratio(float64(h.InFlightMean), float64(h.StreamsLimit)),
		Used: fmt.Sprintf("%s of %s streams per connection on average, up to %s", units.Float(float64(h.InFlightMean), 1), units.Int(h.StreamsLimit), units.Int(h.InFlightMax))}
	if h.Waited > 0 {
		u.Saturation = fmt.Sprintf("%s requests waited at the client for a stream slot, p99 %s", units.Int(h.Waited), h.WaitP99MS)
	}
	if h.Refused > 0 {
		u.Errors, u.ErrorText = h.Refused, "streams refused by the server"
	}
	u.Saturated = u.Utilization >= FullQueue && s.waitedForStreams()
	return u
}

// workersBusy says whether the pool's workers were busy: over the step
// when that was measured, else at their peak.
func (s Step) workersBusy() bool {
	sv := s.Server
	if sv.WorkersBusyPct > 0 {
		return float64(sv.WorkersBusyPct) >= BusyCPU
	}
	return sv.Workers > 0 && sv.BusyWorkersMax >= sv.Workers
}
