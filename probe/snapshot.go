package probe

import (
	"fmt"
	"time"
)

// Snapshot is the evidence about one server process and its network
// namespace at one moment.
type Snapshot struct {
	// PID is the process the snapshot is about.
	PID int
	// Time is when the process's CPU time was read.
	Time time.Time
	// NetStat is /proc/PID/net/netstat (TcpExt, IpExt, ...).
	NetStat Counters
	// SNMP is /proc/PID/net/snmp (Ip, Tcp, Udp, ...).
	SNMP Counters
	// Sockstat holds the socket gauges of the namespace.
	Sockstat Sockstat
	// Sockets summarizes /proc/PID/net/tcp and tcp6.
	Sockets SocketSummary
	// NetDev holds the interface counters of the namespace
	// (/proc/PID/net/dev); Softnet the host's per-CPU packet queues.
	NetDev  NetDev
	Softnet Softnet
	// Listeners are the namespace's listening sockets with their accept
	// queues: from sock_diag (with Backlog) when Take read it, otherwise
	// from /proc/PID/net/tcp (Backlog -1).
	Listeners []ListenQueue
	// Process is the server's fds, limits, CPU and memory.
	Process Process
	// Warnings name every file or field that could not be read.
	Warnings []string
}

// Snapshot reads every file-based source for pid: the network files of its
// namespace and its own /proc entries. Nothing is fatal: what could not be
// read is named in Warnings. Listener backlogs need sock_diag (see Take).
func (fs FS) Snapshot(pid int) *Snapshot {
	s := &Snapshot{PID: pid}
	warn := func(ws ...string) { s.Warnings = append(s.Warnings, ws...) }
	s.Time = time.Now()
	var pw []string
	s.Process, pw = fs.Process(pid)
	warn(pw...)

	var err error
	if s.NetStat, err = fs.NetStat(pid); err != nil {
		warn(err.Error())
	} else if _, missing := s.NetStat.TCPExt(); len(missing) > 0 {
		warn(fmt.Sprintf("%s: no field %v", fs.path(pid, "net", "netstat"), missing))
	}
	if s.SNMP, err = fs.SNMP(pid); err != nil {
		warn(err.Error())
	} else if _, missing := s.SNMP.TCP(); len(missing) > 0 {
		warn(fmt.Sprintf("%s: no field %v", fs.path(pid, "net", "snmp"), missing))
	}
	var w []string
	s.Sockstat, w, err = fs.Sockstat(pid)
	warn(w...)
	if err != nil {
		warn(err.Error())
	}
	s.Sockets, w, err = fs.Sockets(pid)
	warn(w...)
	if err != nil {
		warn(err.Error())
	}
	if s.NetDev, err = fs.NetDev(pid); err != nil {
		warn(err.Error())
	}
	if s.Softnet, err = fs.Softnet(pid); err != nil {
		warn(err.Error())
	}
	s.Listeners = append([]ListenQueue(nil), s.Sockets.Listeners...)
	return s
}

// Change is what happened between two snapshots of the same process.
type Change struct {
	// PID is the process both snapshots are about.
	PID int
	// Start and End are the snapshots' times; Wall is End minus Start.
	Start, End time.Time
	Wall       time.Duration
	// NetStat and SNMP hold after minus before for counters; gauges
	// (CurrEstab, RtoMin, ...) keep their after-value.
	NetStat, SNMP Counters
	// TCPExt and TCP are the typed deltas of the counters the lab uses.
	TCPExt TCPExt
	TCP    TCP
	// Loopback is the change of the lo interface's counters (NetDevRead
	// false when either snapshot lacks it); Softnet the change of the
	// host's per-CPU packet queues.
	Loopback   Iface
	NetDevRead bool
	Softnet    Softnet
	// Sockstat, Sockets, Listeners and Process are gauges: after-values.
	Sockstat  Sockstat
	Sockets   SocketSummary
	Listeners []ListenQueue
	Process   Process
	// CPUSeconds is the CPU time (user + system) the process used.
	CPUSeconds float64
	// CPUPercent is CPUSeconds over Wall: 100 is one core busy. The
	// resolution is one clock tick (10 ms) over Wall.
	CPUPercent float64
	// RunDelay is the time the process's threads waited runnable for a
	// CPU; WaitPercent is it over Wall (100: one thread always waiting).
	RunDelay    time.Duration
	WaitPercent float64
	// Warnings carries both snapshots' warnings and the delta's own.
	Warnings []string
}

// Delta compares two snapshots of the same process taken in order.
func Delta(before, after *Snapshot) *Change {
	c := &Change{
		PID: after.PID, Start: before.Time, End: after.Time, Wall: after.Time.Sub(before.Time),
		Sockstat: after.Sockstat, Sockets: after.Sockets, Listeners: after.Listeners, Process: after.Process,
	}
	for _, w := range before.Warnings {
		c.Warnings = append(c.Warnings, "before: "+w)
	}
	for _, w := range after.Warnings {
		c.Warnings = append(c.Warnings, "after: "+w)
	}
	var w []string
	if before.NetStat != nil && after.NetStat != nil {
		c.NetStat, w = DeltaCounters(before.NetStat, after.NetStat)
		c.Warnings = append(c.Warnings, prefix("netstat: ", w)...)
		c.TCPExt, _ = c.NetStat.TCPExt()
	}
	if before.SNMP != nil && after.SNMP != nil {
		c.SNMP, w = DeltaCounters(before.SNMP, after.SNMP)
		c.Warnings = append(c.Warnings, prefix("snmp: ", w)...)
		c.TCP, _ = c.SNMP.TCP()
	}
	if b, ok := before.NetDev["lo"]; ok {
		if a, ok := after.NetDev["lo"]; ok {
			c.NetDevRead = true
			c.Loopback = Iface{
				RxBytes: a.RxBytes - b.RxBytes, RxPackets: a.RxPackets - b.RxPackets, RxErrs: a.RxErrs - b.RxErrs, RxDrop: a.RxDrop - b.RxDrop,
				TxBytes: a.TxBytes - b.TxBytes, TxPackets: a.TxPackets - b.TxPackets, TxErrs: a.TxErrs - b.TxErrs, TxDrop: a.TxDrop - b.TxDrop,
			}
		}
	}
	c.Softnet = Softnet{
		Processed:   after.Softnet.Processed - before.Softnet.Processed,
		Dropped:     after.Softnet.Dropped - before.Softnet.Dropped,
		TimeSqueeze: after.Softnet.TimeSqueeze - before.Softnet.TimeSqueeze,
	}
	switch {
	case before.PID != after.PID:
		c.Warnings = append(c.Warnings, fmt.Sprintf("snapshots of different processes (%d, %d): no CPU delta", before.PID, after.PID))
	case before.Process.StartTime != after.Process.StartTime:
		c.Warnings = append(c.Warnings, fmt.Sprintf("process %d restarted between snapshots: no CPU delta", after.PID))
	case c.Wall <= 0:
		c.Warnings = append(c.Warnings, fmt.Sprintf("snapshots not in order (wall %v): no CPU delta", c.Wall))
	default:
		c.CPUSeconds = after.Process.CPUSeconds() - before.Process.CPUSeconds()
		c.CPUPercent = 100 * c.CPUSeconds / c.Wall.Seconds()
		if d := after.Process.RunDelay - before.Process.RunDelay; d >= 0 {
			c.RunDelay = d
			c.WaitPercent = 100 * d.Seconds() / c.Wall.Seconds()
		}
	}
	return c
}

func prefix(p string, ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = p + w
	}
	return out
}
