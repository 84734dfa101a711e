package attrib

import (
	"fmt"
	"sort"
)

// Finding is one limit whose evidence moved, with the facts.
type Finding struct {
	Limit    Limit    `yaml:"limit" json:"limit"`
	Evidence []string `yaml:"evidence" json:"evidence"`
}

// Thresholds of the rules.
const (
	// BusyCPU is the share of its cores (percent) above which a process is
	// taken as CPU-bound.
	BusyCPU = 85.0
	// IdleCPU is the server CPU (percent of its cores) below which it has
	// room to spare.
	IdleCPU = 70.0
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

func fdEvidence(s Step) []string {
	var ev []string
	sv := s.Server
	for _, name := range sortedKeys(sv.AcceptErrors) {
		if name == "EMFILE" || name == "ENFILE" {
			if n := sv.AcceptErrors[name]; n > 0 {
				ev = append(ev, fmt.Sprintf("server accept %s: %s", name, Int(n)))
			}
		}
	}
	atLimit := sv.NoFile > 0 && float64(sv.FDsPeak) >= NearFull*float64(sv.NoFile)
	if atLimit {
		ev = append(ev, fmt.Sprintf("server open fds %s of nofile %s", Int(sv.FDsPeak), Int(sv.NoFile)))
	} else if len(ev) > 0 && sv.NoFile > 0 {
		ev = append(ev, fmt.Sprintf("server open fds peaked at %s of nofile %s", Int(sv.FDsPeak), Int(sv.NoFile)))
	}
	if n := s.Errors["too_many_open_files"]; n > 0 {
		ev = append(ev, fmt.Sprintf("driver could not open sockets, EMFILE (too_many_open_files): %s", Int(n)))
	}
	return ev
}

func portEvidence(s Step) []string {
	n := s.Errors["addr_unavailable"]
	k := s.Kernel
	filling := k.PortRangeSize > 0 && float64(k.TimeWait) >= PortsFilling*float64(k.PortRangeSize)
	if n == 0 && !filling {
		return nil
	}
	var ev []string
	if n > 0 {
		ev = append(ev, fmt.Sprintf("driver connect EADDRNOTAVAIL (addr_unavailable): %s", Int(n)))
	}
	if k.PortRangeSize > 0 {
		ev = append(ev, fmt.Sprintf("TIME_WAIT %s of %s ephemeral ports (%.0f%%)",
			Int(k.TimeWait), Int(k.PortRangeSize), 100*float64(k.TimeWait)/float64(k.PortRangeSize)))
	} else if k.TimeWait > 0 {
		ev = append(ev, fmt.Sprintf("TIME_WAIT sockets: %s", Int(k.TimeWait)))
	}
	if filling && s.Connect.P50 > 0 {
		ev = append(ev, fmt.Sprintf("connect p50 %s, p99 %s: connect() searches the range for a free port", Ms(s.Connect.P50), Ms(s.Connect.P99)))
	}
	return ev
}

func backlogEvidence(s Step) []string {
	k := s.Kernel
	if k.ListenOverflows == 0 && k.ListenDrops == 0 && k.ReqQFullDrop == 0 {
		return nil
	}
	var ev []string
	if k.ListenOverflows > 0 {
		ev = append(ev, "TcpExt ListenOverflows +"+Int(k.ListenOverflows))
	}
	if k.ListenDrops > 0 {
		ev = append(ev, "TcpExt ListenDrops +"+Int(k.ListenDrops))
	}
	if k.ReqQFullDrop > 0 {
		ev = append(ev, "TcpExt TCPReqQFullDrop +"+Int(k.ReqQFullDrop))
	}
	if sv := s.Server; sv.Backlog > 0 {
		ev = append(ev, fmt.Sprintf("listen queue peaked at %s of backlog %s", Int(sv.ListenQueuePeak), Int(sv.Backlog)))
	}
	if s.Connect.Max >= SynRetransmitMs {
		ev = append(ev, fmt.Sprintf("connect time p99 %s, max %s: SYNs retransmitted after ~1 s", Ms(s.Connect.P99), Ms(s.Connect.Max)))
	}
	if n := s.Errors["connect_timeout"]; n > 0 {
		ev = append(ev, "connect timeouts: "+Int(n))
	}
	return ev
}

func queueingEvidence(s Step) []string {
	sv := s.Server
	if sv.Workers == 0 || sv.BusyPeak < sv.Workers || (sv.QueuePeak == 0 && sv.ListenQueuePeak == 0) {
		return nil
	}
	// Workers all busy on a full CPU are the CPU's limit, not the pool's,
	// unless the pool leaves clients with no answer at all.
	if max(sv.CPUPct, sv.CoreBusyPct) >= BusyCPU*float64(max(sv.Cores, 1)) && s.ClientsStarved == 0 {
		return nil
	}
	ev := []string{fmt.Sprintf("workers busy %d/%d", sv.BusyPeak, sv.Workers)}
	if sv.QueueCap > 0 || sv.QueuePeak > 0 {
		ev = append(ev, fmt.Sprintf("queue %s/%s", Int(sv.QueuePeak), Int(sv.QueueCap)))
	}
	if sv.ListenQueuePeak > 0 {
		ev = append(ev, fmt.Sprintf("%s connections waiting in the kernel's accept queue", Int(sv.ListenQueuePeak)))
	}
	if served := s.Clients - s.ClientsStarved; s.RPS > 0 && s.Latency.Mean > 0 && served > 0 {
		// Little's law over the clients that were served: the starved
		// ones hold no request that completes.
		who := Int(s.Clients) + " clients"
		if s.ClientsStarved > 0 {
			who = Int(served) + " served clients"
		}
		little := float64(served) / s.RPS * 1000
		ev = append(ev, fmt.Sprintf("latency %s ≈ %s / %s rps = %s (Little's law)",
			Ms(s.Latency.Mean), who, Int(int64(s.RPS+0.5)), Ms(little)))
	}
	if s.ClientsStarved > 0 {
		ev = append(ev, fmt.Sprintf("%s of %s clients got no answer", Int(s.ClientsStarved), Int(s.Clients)))
	}
	if n := s.Errors["read_timeout"]; n > 0 {
		ev = append(ev, "requests timed out waiting: "+Int(n))
	}
	return ev
}

func cpuEvidence(s Step) []string {
	sv := s.Server
	c := max(sv.Cores, 1)
	full := BusyCPU * float64(c)
	switch {
	case sv.CPUPct >= full:
		return []string{fmt.Sprintf("server CPU %.0f%% of %s", sv.CPUPct, cores(c))}
	case sv.CoreBusyPct >= full:
		return []string{fmt.Sprintf("server's %s busy %.0f%%, the server itself %.0f%%: the core was full, shared with other work",
			cores(c), sv.CoreBusyPct, sv.CPUPct)}
	}
	return nil
}

func clientEvidence(s Step) []string {
	var ev []string
	d := s.Driver
	c := max(d.Cores, 1)
	if d.CPUPct >= BusyCPU*float64(c) {
		ev = append(ev, fmt.Sprintf("driver CPU %.0f%% of %s", d.CPUPct, cores(c)))
	}
	sv := s.Server
	serverIdle := sv.CPUPct > 0 && max(sv.CPUPct, sv.CoreBusyPct) < IdleCPU*float64(max(sv.Cores, 1))
	nobodyWaits := (sv.Workers == 0 || sv.BusyPeak < sv.Workers) && sv.ListenQueuePeak == 0
	if serverIdle && nobodyWaits && sv.Handler.P99 > 0 &&
		s.Latency.P99 > ClientLatencyFactor*sv.Handler.P99 && s.Latency.P99-sv.Handler.P99 > ClientLatencyGapMs {
		ev = append(ev, fmt.Sprintf("driver p99 %s vs server handler p99 %s while the server used %.0f%% CPU",
			Ms(s.Latency.P99), Ms(sv.Handler.P99), sv.CPUPct))
	}
	if len(ev) > 0 && d.RecvQBytes > 0 {
		ev = append(ev, fmt.Sprintf("%s bytes unread in client sockets' Recv-Q", Int(d.RecvQBytes)))
	}
	return ev
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
