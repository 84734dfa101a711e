package attrib

import (
	"fmt"
	"sort"

	"github.com/scalelab/scalelab/units"
)

// Thresholds of the rules.
const (
	// BusyCPU is the share of its cores (percent) above which a process is
	// taken as CPU-bound.
	BusyCPU = 85.0
	// IdleCPU is the server CPU (percent of its cores) below which it has
	// room to spare.
	IdleCPU = 70.0
	// CPUWait is the time (percent of the step) the server's threads must
	// have waited for a CPU before a core full of other work counts as the
	// server's limit: a light server on a busy core is hardly delayed. It
	// must also have wanted a full core: the time it ran and the time it
	// waited to run together at least BusyCPU.
	CPUWait = 25.0
	// NearFull is the share of a limit (fds of nofile, TIME_WAIT of the
	// port range) taken as having reached it.
	NearFull = 0.95
	// PortsFilling is the share of the ephemeral port range held in
	// TIME_WAIT that counts as the port limit even before connects fail.
	PortsFilling = 0.80
	// SynRetransmitMs is the connect time that betrays a dropped SYN
	// (the first retransmit comes after about one second).
	SynRetransmitMs = 900.0
	// ClientLatencyFactor: the driver's p99 this many times the server's
	// handler p99 (and more than ClientLatencyGapMs above it) points at the
	// load generator when the server is idle.
	ClientLatencyFactor = 10.0
	ClientLatencyGapMs  = 5.0
)

// rule inspects a step for one limit and returns its evidence, or nil when
// the limit's evidence did not move.
type rule func(s Step) []string

var rules = map[Limit]rule{
	FD:       fdEvidence,
	Port:     portEvidence,
	Backlog:  backlogEvidence,
	Queueing: queueingEvidence,
	CPU:      cpuEvidence,
	Client:   clientEvidence,
}

// Findings applies every rule in Order and returns the limits whose
// evidence moved.
func Findings(s Step) []Finding {
	var out []Finding
	for _, l := range Order {
		if ev := rules[l](s); len(ev) > 0 {
			out = append(out, Finding{Limit: l, Evidence: ev})
		}
	}
	return out
}

// serverCores is the number of CPUs the server may use, at least 1.
func (s Step) serverCores() int { return max(s.Server.Cores, 1) }

// serverBusyPct is the larger of the server's own CPU and how busy its
// CPUs were with any work.
func (s Step) serverBusyPct() float64 {
	return max(float64(s.Server.CPUPct), s.Kernel.ServerCPUsBusyPct())
}

func fdEvidence(s Step) []string {
	var ev []string
	sv := s.Server
	for _, name := range sortedKeys(sv.AcceptErrors) {
		if name == "EMFILE" || name == "ENFILE" {
			if n := sv.AcceptErrors[name]; n > 0 {
				ev = append(ev, fmt.Sprintf("server accept %s: %s", name, units.Int(n)))
			}
		}
	}
	atLimit := sv.NoFile > 0 && float64(sv.FDsMax) >= NearFull*float64(sv.NoFile)
	if atLimit {
		ev = append(ev, fmt.Sprintf("server open fds %s of nofile %s", units.Int(sv.FDsMax), units.Int(sv.NoFile)))
	} else if len(ev) > 0 && sv.NoFile > 0 {
		ev = append(ev, fmt.Sprintf("server open fds peaked at %s of nofile %s", units.Int(sv.FDsMax), units.Int(sv.NoFile)))
	}
	if n := s.Errors["too_many_open_files"]; n > 0 {
		ev = append(ev, fmt.Sprintf("driver could not open sockets, EMFILE (too_many_open_files): %s", units.Int(n)))
	}
	return ev
}

func portEvidence(s Step) []string {
	n := s.Errors["addr_unavailable"]
	tw, ports, _ := s.portsHeld()
	filling := ports > 0 && float64(tw) >= PortsFilling*float64(ports)
	if n == 0 && !filling {
		return nil
	}
	var ev []string
	if n > 0 {
		ev = append(ev, fmt.Sprintf("driver connect EADDRNOTAVAIL (addr_unavailable): %s", units.Int(n)))
	}
	if len(s.Hosts) > 0 {
		ev = append(ev, HostLines(s.Hosts)...)
	} else if ports > 0 {
		ev = append(ev, fmt.Sprintf("TIME_WAIT %s of %s ephemeral ports (%.0f%%)",
			units.Int(tw), units.Int(ports), 100*float64(tw)/float64(ports)))
	} else if tw > 0 {
		ev = append(ev, fmt.Sprintf("TIME_WAIT sockets: %s", units.Int(tw)))
	}
	if filling && s.ConnectMS.P50 > 0 {
		ev = append(ev, fmt.Sprintf("connect p50 %s, p99 %s: connect() searches the range for a free port", s.ConnectMS.P50, s.ConnectMS.P99))
	}
	return ev
}

// HostLines describes each client host's ports, one line each: its
// address, TIME_WAIT against its range, its EADDRNOTAVAIL and its
// requests.
func HostLines(hosts []Host) []string {
	out := make([]string, 0, len(hosts))
	for i, h := range hosts {
		line := fmt.Sprintf("client host %d (%s): TIME_WAIT %s", i+1, h.Addr, units.Int(h.TimeWaitMax))
		if h.PortRangeSize > 0 {
			line += fmt.Sprintf(" of %s ephemeral ports (%.0f%%)", units.Int(h.PortRangeSize), 100*h.portFill())
		}
		line += fmt.Sprintf(", EADDRNOTAVAIL %s, %s ok of %s requests from %s",
			units.Int(h.Errors["addr_unavailable"]), units.Int(h.OK), units.Int(h.Requests), units.Clients(h.Clients))
		out = append(out, line)
	}
	return out
}

func backlogEvidence(s Step) []string {
	k := s.Kernel
	overflows, drops, synDrops := N(k.ListenOverflows), N(k.ListenDrops), N(k.TCPReqQFullDrop)
	if overflows == 0 && drops == 0 && synDrops == 0 {
		return nil
	}
	var ev []string
	if overflows > 0 {
		ev = append(ev, "TcpExt ListenOverflows +"+units.Int(overflows))
	}
	if drops > 0 {
		ev = append(ev, "TcpExt ListenDrops +"+units.Int(drops))
	}
	if synDrops > 0 {
		ev = append(ev, "TcpExt TCPReqQFullDrop +"+units.Int(synDrops))
	}
	if sv := s.Server; sv.Backlog > 0 {
		ev = append(ev, fmt.Sprintf("listen queue peaked at %s of backlog %s", units.Int(sv.ListenQueueMax), units.Int(sv.Backlog)))
	}
	if s.ConnectMS.Max >= SynRetransmitMs {
		ev = append(ev, fmt.Sprintf("connect time p99 %s, max %s: SYNs retransmitted after ~1 s", s.ConnectMS.P99, s.ConnectMS.Max))
	}
	if n := s.Errors["connect_timeout"]; n > 0 {
		ev = append(ev, "connect timeouts: "+units.Int(n))
	}
	return ev
}

func queueingEvidence(s Step) []string {
	sv := s.Server
	if sv.Workers == 0 || sv.BusyWorkersMax < sv.Workers || (sv.QueueMax == 0 && sv.ListenQueueMax == 0) {
		return nil
	}
	// Workers all busy on a full CPU are the CPU's limit, not the pool's,
	// unless the pool leaves clients with no answer at all.
	if len(cpuEvidence(s)) > 0 && s.ClientsStarved == 0 {
		return nil
	}
	ev := []string{fmt.Sprintf("workers busy %d/%d", sv.BusyWorkersMax, sv.Workers)}
	if sv.QueueCap > 0 || sv.QueueMax > 0 {
		ev = append(ev, fmt.Sprintf("queue %s/%s", units.Int(sv.QueueMax), units.Int(sv.QueueCap)))
	}
	if sv.ListenQueueMax > 0 {
		ev = append(ev, fmt.Sprintf("%s connections waiting in the kernel's accept queue", units.Int(sv.ListenQueueMax)))
	}
	if served := s.Clients - s.ClientsStarved; s.RPS > 0 && s.LatencyMS.Mean > 0 && served > 0 {
		// Little's law over the clients that were served: the starved
		// ones hold no request that completes.
		who := units.Clients(s.Clients)
		if s.ClientsStarved > 0 {
			who = units.Plural(served, "served client", "served clients")
		}
		little := float64(served) / float64(s.RPS) * 1000
		ev = append(ev, fmt.Sprintf("latency %s ≈ %s / %s rps = %s (Little's law)",
			s.LatencyMS.Mean, who, units.Rate(float64(s.RPS)), units.MS(little)))
	}
	if s.ClientsStarved > 0 {
		ev = append(ev, fmt.Sprintf("%s of %s clients got no answer", units.Int(s.ClientsStarved), units.Int(s.Clients)))
	}
	if n := s.Errors["read_timeout"]; n > 0 {
		ev = append(ev, "requests timed out waiting: "+units.Int(n))
	}
	return ev
}

// quotaText describes a CPU cap: " of its 20% quota (throttled in 95% of
// its periods)", or "" with no cap.
func quotaText(quota, throttled units.Percent) string {
	if quota <= 0 {
		return ""
	}
	t := fmt.Sprintf(" of its %.0f%% quota", float64(quota))
	if throttled > 0 {
		t += fmt.Sprintf(" (throttled in %.0f%% of its periods)", float64(throttled))
	}
	return t
}

func cpuEvidence(s Step) []string {
	c := s.serverCores()
	full := BusyCPU * float64(c)
	own, busy := float64(s.Server.CPUPct), s.Kernel.ServerCPUsBusyPct()
	if q := float64(s.Server.CPUQuotaPct); q > 0 && q < 100*float64(c) {
		if own >= BusyCPU/100*q {
			return []string{fmt.Sprintf("server CPU %.0f%%%s", own, quotaText(s.Server.CPUQuotaPct, s.Server.CPUThrottledPct))}
		}
		return nil
	}
	perRequest := ""
	if d := s.Server.CPUPerRequest; d > 0 {
		perRequest = fmt.Sprintf(", %s of CPU per request", d)
	}
	soft := float64(N(s.Kernel.ServerCPUsSoftIRQPct))
	switch {
	case own >= full:
		return []string{fmt.Sprintf("server CPU %.0f%% of %s%s", own, units.Cores(c), perRequest)}
	case own+soft >= full:
		return []string{fmt.Sprintf("server CPU %.0f%% of %s and %.0f%% softirq on its %s (packet work for its connections)%s",
			own, units.Cores(c), soft, coreWord(c), perRequest)}
	case busy >= full && float64(s.Server.CPUWaitPct) >= CPUWait && own+float64(s.Server.CPUWaitPct) >= full:
		// It wanted a full core (ran + waited to run) and did not get it.
		return []string{fmt.Sprintf("server's %s busy %.0f%%, the server itself %.0f%%, waiting for a CPU %.0f%% of the time: the core was full, shared with other work",
			units.Cores(c), busy, own, float64(s.Server.CPUWaitPct))}
	}
	return nil
}

func clientEvidence(s Step) []string {
	var ev []string
	d := s.Driver
	c := max(d.CPUs, 1)
	capacity := 100 * float64(c)
	if q := float64(d.CPUQuotaPct); q > 0 && q < capacity {
		capacity = q
	}
	if float64(d.CPUPct) >= BusyCPU/100*capacity {
		ev = append(ev, fmt.Sprintf("driver CPU %.0f%% of %s%s", float64(d.CPUPct), units.Cores(c), quotaText(d.CPUQuotaPct, d.CPUThrottledPct)))
	}
	sv := s.Server
	serverIdle := sv.CPUPct > 0 && s.serverBusyPct() < IdleCPU*float64(s.serverCores())
	nobodyWaits := (sv.Workers == 0 || sv.BusyWorkersMax < sv.Workers) && sv.ListenQueueMax == 0 && !s.waitedForStreams()
	if serverIdle && nobodyWaits && sv.HandlerMS.P99 > 0 &&
		s.LatencyMS.P99 > ClientLatencyFactor*sv.HandlerMS.P99 && s.LatencyMS.P99-sv.HandlerMS.P99 > ClientLatencyGapMs {
		ev = append(ev, fmt.Sprintf("driver p99 %s vs server handler p99 %s while the server used %.0f%% CPU",
			s.LatencyMS.P99, sv.HandlerMS.P99, float64(sv.CPUPct)))
	}
	if recvQ := N(s.Kernel.ClientRecvQBytesMid); len(ev) > 0 && recvQ > 0 {
		ev = append(ev, fmt.Sprintf("%s bytes unread in client sockets' Recv-Q", units.Int(recvQ)))
	}
	return ev
}

// waitedForStreams says whether requests queued at the client for HTTP/2
// stream slots: their latency is that wait, not a slow driver.
func (s Step) waitedForStreams() bool {
	h := s.Driver.H2
	return h != nil && s.Requests > 0 && float64(h.Waited) >= WaitedShare*float64(s.Requests)
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
