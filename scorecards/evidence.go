package scorecards

import "github.com/scalelab/scalelab/attrib"

// Evidence returns what the attribution rules read from a recorded step,
// so a saved card can be judged again. serverCores is the number of CPUs
// the server was pinned to (Applied.Pinned.Server).
func (s Step) Evidence(serverCores int) attrib.Step {
	k := s.Kernel
	out := attrib.Step{
		Clients:        s.Clients,
		DurationS:      s.DurationS,
		Requests:       s.Requests,
		OK:             s.OK,
		SuccessRate:    s.SuccessRate,
		RPS:            s.RPS,
		Latency:        attrib.Percentiles{P50: s.LatencyMS.P50, P99: s.LatencyMS.P99, Mean: s.LatencyMS.Mean, Max: s.LatencyMS.Max},
		Connect:        attrib.Percentiles{P50: s.ConnectMS.P50, P99: s.ConnectMS.P99, Max: s.ConnectMS.Max},
		Errors:         copyCounts(s.Errors),
		ClientsStarved: s.ClientsStarved,
		Server: attrib.ServerEvidence{
			CPUPct:          s.Server.CPUPct,
			Cores:           serverCores,
			CoreBusyPct:     float64(k[KernelServerCPUsTasks] + k[KernelServerCPUsSoftIRQ] + k[KernelServerCPUsSteal]),
			FDsPeak:         s.Server.FDsMax,
			NoFile:          s.Server.NoFile,
			AcceptErrors:    copyCounts(s.Server.AcceptErrors),
			Workers:         s.Server.Workers,
			BusyPeak:        s.Server.BusyWorkersMax,
			QueueCap:        s.Server.QueueCap,
			QueuePeak:       s.Server.QueueMax,
			Handler:         attrib.Percentiles{P50: s.Server.HandlerMS.P50, P99: s.Server.HandlerMS.P99, Mean: s.Server.HandlerMS.Mean, Max: s.Server.HandlerMS.Max},
			ListenQueuePeak: s.Server.ListenQueueMax,
			Backlog:         s.Server.Backlog,
		},
		Driver: attrib.DriverEvidence{CPUPct: s.Driver.CPUPct, Cores: s.Driver.CPUs, RecvQBytes: k[KernelClientRecvQ]},
		Kernel: attrib.KernelEvidence{
			ListenOverflows: k["ListenOverflows"],
			ListenDrops:     k["ListenDrops"],
			ReqQFullDrop:    k["TCPReqQFullDrop"],
			SyncookiesSent:  k["SyncookiesSent"],
			TimeWait:        max(k[KernelTimeWaitMax], k["tw"]),
			PortRangeSize:   int(k[KernelPortRangeSize]),
		},
	}
	for _, sec := range s.Timeline {
		out.Timeline = append(out.Timeline, sec.RPS)
	}
	return out
}

// Keys of Step.Kernel that are the lab's own gauges rather than the
// kernel's counters.
const (
	KernelTimeWait      = "tw"                     // TIME_WAIT sockets at the end (sockstat)
	KernelTimeWaitMax   = "tw_max"                 // most TIME_WAIT sockets seen during the step
	KernelPortRangeSize = "port_range_size"        // ephemeral ports in the namespace
	KernelClientRecvQ   = "client_recvq_bytes_mid" // unread bytes on client sockets, mid-step
	KernelServerSendQ   = "server_sendq_bytes_mid" // unsent bytes on server sockets, mid-step
	KernelEstablished   = "established_mid"        // ESTABLISHED sockets, mid-step

	// How busy the server's and the driver's pinned CPUs were, with any
	// work, in percent of one CPU.
	KernelServerCPUsTasks   = "server_cpus_tasks_pct"
	KernelServerCPUsSoftIRQ = "server_cpus_softirq_pct"
	KernelServerCPUsSteal   = "server_cpus_steal_pct"
	KernelDriverCPUsTasks   = "driver_cpus_tasks_pct"
	KernelDriverCPUsSoftIRQ = "driver_cpus_softirq_pct"
	KernelDriverCPUsSteal   = "driver_cpus_steal_pct"
)
