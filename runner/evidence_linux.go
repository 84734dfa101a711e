//go:build linux

package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

const mib = 1 << 20

// attribStep gathers the numbers the attribution rules read.
func attribStep(m *measured, p *phases.Phase) attrib.Step {
	d := m.Driver
	s := attrib.Step{
		Clients:     m.Clients,
		DurationS:   d.DurationS,
		Requests:    int64(d.Requests),
		OK:          int64(d.OK),
		SuccessRate: d.SuccessRate,
		RPS:         d.RPS,
		Latency:     attrib.Percentiles{P50: d.LatencyMs.P50, P99: d.LatencyMs.P99, Mean: d.LatencyMs.Mean, Max: d.LatencyMs.Max},
		Connect:     attrib.Percentiles{P50: d.ConnectMs.P50, P99: d.ConnectMs.P99, Max: d.ConnectMs.Max},
		Errors:      map[string]int64{},
		Driver:      attrib.DriverEvidence{CPUPct: d.Driver.CPUPct, Cores: d.Driver.CPUs},
	}
	// PENDING s.ClientsStarved = d.ClientsStarved
	for k, v := range d.Errors {
		if v > 0 {
			s.Errors[k] = int64(v)
		}
	}
	sv := &s.Server
	if m.Change != nil {
		sv.CPUPct = m.Change.CPUPercent
		s.Kernel.ListenOverflows = m.Change.TCPExt.ListenOverflows
		s.Kernel.ListenDrops = m.Change.TCPExt.ListenDrops
		s.Kernel.ReqQFullDrop = m.Change.TCPExt.TCPReqQFullDrop
		s.Kernel.SyncookiesSent = m.Change.TCPExt.SyncookiesSent
		s.Kernel.TimeWait = max(m.Change.Sockstat.TimeWait, m.Peaks.TimeWait)
		if mid := m.Mid; mid != nil {
			s.Driver.RecvQBytes = mid.Client.RecvQ
		}
	}
	s.Kernel.PortRangeSize = portRangeSize(m, p)
	sv.FDsPeak = m.Peaks.OpenFDs
	if m.Change != nil {
		sv.FDsPeak = max(sv.FDsPeak, m.Change.Process.OpenFDs)
	}
	sv.NoFile = m.NoFile
	sv.ListenQueuePeak = m.Peaks.ListenQueue
	sv.Backlog = backlog(m)
	if st := m.Stats; st != nil {
		sv.AcceptErrors = map[string]int64{}
		for k, v := range st.AcceptErrors {
			sv.AcceptErrors[k] = int64(v)
		}
		sv.Workers, sv.BusyPeak = int(st.Workers), int(st.BusyPeak)
		sv.QueueCap, sv.QueuePeak = int(st.QueueCap), int(st.QueuePeak)
		sv.Handler = attrib.Percentiles{P50: st.HandlerMs.P50, P99: st.HandlerMs.P99, Mean: st.HandlerMs.Mean, Max: st.HandlerMs.Max}
		for _, q := range st.Listeners {
			sv.ListenQueuePeak = max(sv.ListenQueuePeak, q.Queue)
		}
	}
	sv.Cores = m.ServerCores
	return s
}

// backlog is the effective backlog of the server's listeners, read from
// the kernel (sock_diag), or from the server's own TCP_INFO read-back.
func backlog(m *measured) int {
	b := 0
	for _, q := range m.Listeners {
		b = max(b, q.Backlog)
	}
	if b <= 0 && m.Stats != nil {
		for _, q := range m.Stats.Listeners {
			b = max(b, q.Backlog)
		}
	}
	return max(b, 0)
}

func portRangeSize(m *measured, p *phases.Phase) int {
	if m.PortRange != "" {
		f := strings.Fields(m.PortRange)
		if len(f) == 2 {
			lo, err1 := strconv.Atoi(f[0])
			hi, err2 := strconv.Atoi(f[1])
			if err1 == nil && err2 == nil && hi >= lo {
				return hi - lo + 1
			}
		}
	}
	return p.Limits.PortRange.Size()
}

// cardStep turns a measured, judged step into its scorecard entry.
func cardStep(m *measured, as attrib.Step, v attrib.Verdict) scorecards.Step {
	d := m.Driver
	st := scorecards.Step{
		Clients:     m.Clients,
		Trial:       m.Trial,
		DurationS:   d.DurationS,
		Requests:    int64(d.Requests),
		OK:          int64(d.OK),
		SuccessRate: d.SuccessRate,
		RPS:         d.RPS,
		LatencyMS: scorecards.Latency{P50: d.LatencyMs.P50, P90: d.LatencyMs.P90, P99: d.LatencyMs.P99,
			P999: d.LatencyMs.P999, Max: d.LatencyMs.Max, Mean: d.LatencyMs.Mean},
		ConnectMS:        scorecards.Latency{P50: d.ConnectMs.P50, P99: d.ConnectMs.P99, Max: d.ConnectMs.Max},
		Connects:         int64(d.ConnectsAttempted),
		Errors:           as.Errors,
		Histogram:        d.Histogram,
		ConnectHistogram: d.ConnectHistogram,
		// PENDING ClientsStarved: d.ClientsStarved,
		State: string(v.State),
		Driver: scorecards.DriverStats{CPUPct: d.Driver.CPUPct, RSSMB: d.Driver.RSSPeakMB, CPUs: d.Driver.CPUs,
			NoFile: m.DriverNoFile},
		Warnings: m.Warnings,
	}
	if len(st.Errors) == 0 {
		st.Errors = nil
	}
	for _, s := range d.Timeline {
		st.Timeline = append(st.Timeline, scorecards.Second{T: s.T, RPS: float64(s.RPS), Errors: int64(s.Errors), P99MS: s.P99Ms})
	}
	sv := as.Server
	st.Server = scorecards.ServerStats{
		CPUPct:         sv.CPUPct,
		FDsMax:         sv.FDsPeak,
		NoFile:         sv.NoFile,
		AcceptErrors:   sv.AcceptErrors,
		Workers:        sv.Workers,
		BusyWorkersMax: sv.BusyPeak,
		QueueCap:       sv.QueueCap,
		QueueMax:       sv.QueuePeak,
		HandlerMS:      scorecards.Latency{P50: sv.Handler.P50, P99: sv.Handler.P99, Max: sv.Handler.Max},
		ListenQueueMax: sv.ListenQueuePeak,
		Backlog:        sv.Backlog,
	}
	if len(st.Server.AcceptErrors) == 0 {
		st.Server.AcceptErrors = nil
	}
	st.Server.RSSMB = float64(m.Peaks.RSSBytes) / mib
	if s := m.Stats; s != nil {
		st.Server.Accepted = int64(s.Accepted)
		st.Server.OpenConnsMax = int(s.OpenConnsPeak)
		st.Server.Requests = int64(s.Requests)
	}
	st.Kernel = kernelMap(m, as)
	st.Verdict = scorecards.Verdict{Limit: phases.Limit(v.Limit), Evidence: v.Evidence}
	for _, f := range v.Also {
		st.Verdict.Also = append(st.Verdict.Also, scorecards.Finding{Limit: phases.Limit(f.Limit), Evidence: f.Evidence})
	}
	return st
}

// kernelMap lists the kernel's counter deltas and gauges of a step.
func kernelMap(m *measured, as attrib.Step) map[string]int64 {
	k := map[string]int64{}
	if c := m.Change; c != nil {
		for _, name := range []string{"ListenOverflows", "ListenDrops", "TCPReqQFullDrop", "TCPReqQFullDoCookies",
			"SyncookiesSent", "SyncookiesFailed", "TCPTimeouts", "TCPAbortOnData", "TCPAbortOnClose", "TCPAbortOnTimeout", "TW"} {
			if v, ok := c.NetStat.Get("TcpExt", name); ok {
				k[name] = v
			}
		}
		for _, name := range []string{"ActiveOpens", "PassiveOpens", "AttemptFails", "EstabResets", "RetransSegs", "OutRsts"} {
			if v, ok := c.SNMP.Get("Tcp", name); ok {
				k[name] = v
			}
		}
		k["tw"] = c.Sockstat.TimeWait
		k["inuse"] = c.Sockstat.TCPInUse
	}
	k["tw_max"] = as.Kernel.TimeWait
	if as.Kernel.PortRangeSize > 0 {
		k["port_range_size"] = int64(as.Kernel.PortRangeSize)
	}
	if mid := m.Mid; mid != nil {
		k["established_mid"] = int64(mid.States["ESTABLISHED"])
		k["client_recvq_bytes_mid"] = mid.Client.RecvQ
		k["server_sendq_bytes_mid"] = mid.Server.SendQ
	}
	return k
}

// fillSummary recomputes the phase summary from the steps so far.
func fillSummary(card *scorecards.Scorecard, steps []attrib.Step, verdicts []attrib.Verdict, p *phases.Phase) {
	sum := attrib.Summarize(steps, verdicts, attrib.Limit(p.Hypothesis.Limit))
	point := func(pt *attrib.Point) *scorecards.Point {
		if pt == nil {
			return nil
		}
		return &scorecards.Point{Clients: pt.Clients, RPS: pt.RPS, SuccessRate: pt.SuccessRate, Reason: pt.Reason}
	}
	card.Summary = scorecards.Summary{
		SweetSpot:      point(sum.SweetSpot),
		BreakingPoint:  point(sum.BreakingPoint),
		Hypothesis:     scorecards.Outcome(sum.Hypothesis),
		HypothesisNote: sum.Note,
		Next:           sum.Next,
		Limit:          phases.Limit(sum.Limit),
	}
}

// fillApplied copies what the run applied into the card.
func fillApplied(card *scorecards.Scorecard, a *appliedLimits, env *stepEnv) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ap := scorecards.Applied{NetNS: a.NetNS, Pinned: scorecards.Pinning{Server: env.serverCPUs, Driver: env.driverCPUs}}
	atoi := func(k string) (int, bool) {
		v, ok := a.Values[k]
		if !ok {
			return 0, false
		}
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	ap.NoFile, _ = atoi("nofile")
	ap.DriverNoFile, _ = atoi("driver_nofile")
	ap.SoMaxConn, _ = atoi("net.core.somaxconn")
	if f := strings.Fields(a.Values["net.ipv4.ip_local_port_range"]); len(f) == 2 {
		ap.PortRange[0], _ = strconv.Atoi(f[0])
		ap.PortRange[1], _ = strconv.Atoi(f[1])
	}
	if n, ok := atoi("net.ipv4.tcp_tw_reuse"); ok {
		ap.TCPTwReuse = &n
	}
	if n, ok := atoi("net.ipv4.tcp_syncookies"); ok {
		ap.SynCookies = &n
	}
	for _, n := range a.NotApplied {
		ap.NotApplied = append(ap.NotApplied, scorecards.NotApplied{What: n.What, Why: n.Why})
	}
	card.Applied = ap
}

// stepLine is the one-line progress report of a step.
func stepLine(s scorecards.Step, v attrib.Verdict) string {
	line := fmt.Sprintf("%s rps, %s ok, p99 %s", attrib.Int(int64(s.RPS+0.5)), attrib.Pct(s.SuccessRate), attrib.Ms(s.LatencyMS.P99))
	if v.State != attrib.Clean {
		line += fmt.Sprintf(" [%s: %s]", v.State, v.Limit)
	}
	return line
}
