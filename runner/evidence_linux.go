//go:build linux

package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/probe"
	"github.com/scalelab/scalelab/scorecards"
)

const mib = 1 << 20

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

// portRangeSize is the size of the ephemeral port range the step ran with.
func portRangeSize(m *measured) int {
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
	return 0 // unknown: the phase's range may not have been applied
}

// cardStep turns a measured step into its scorecard entry, not judged yet
// (see judge).
func cardStep(m *measured) scorecards.Step {
	d := m.Driver
	st := scorecards.Step{
		Clients:     m.Clients,
		Trial:       m.Trial,
		DurationS:   d.DurationS,
		Requests:    int64(d.Requests),
		OK:          int64(d.OK),
		SuccessRate: d.SuccessRate,
		RPS:         d.RPS,
		LatencyMS: scorecards.Latency{P50: d.LatencyMS.P50, P90: d.LatencyMS.P90, P99: d.LatencyMS.P99,
			P999: d.LatencyMS.P999, Max: d.LatencyMS.Max, Mean: d.LatencyMS.Mean},
		ConnectMS:        scorecards.Latency{P50: d.ConnectMS.P50, P99: d.ConnectMS.P99, Max: d.ConnectMS.Max},
		Connects:         int64(d.ConnectsAttempted),
		Histogram:        d.Histogram,
		ConnectHistogram: d.ConnectHistogram,
		ClientsStarved:   d.ClientsStarved,
		Driver: scorecards.DriverStats{CPUPct: d.Driver.CPUPct, RSSMB: d.Driver.RSSPeakMB, CPUs: d.Driver.CPUs,
			NoFile: d.Driver.NoFile},
		Warnings: m.Warnings,
	}
	for class, n := range d.Errors {
		if n > 0 {
			if st.Errors == nil {
				st.Errors = map[string]int64{}
			}
			st.Errors[class] = int64(n)
		}
	}
	for _, s := range d.Timeline {
		st.Timeline = append(st.Timeline, scorecards.Second{T: s.T, RPS: float64(s.RPS), Errors: int64(s.Errors), P99MS: s.P99MS})
	}

	sv := &st.Server
	sv.NoFile = m.NoFile
	sv.RSSMB = float64(m.Peaks.RSSBytes) / mib
	sv.FDsMax = m.Peaks.OpenFDs
	sv.ListenQueueMax = m.Peaks.ListenQueue
	sv.Backlog = backlog(m)
	if c := m.Change; c != nil {
		sv.CPUPct = c.CPUPercent
		sv.FDsMax = max(sv.FDsMax, c.Process.OpenFDs)
	}
	if s := m.Stats; s != nil {
		sv.Accepted = int64(s.Accepted)
		sv.OpenConnsMax = int(s.OpenConnsPeak)
		sv.Requests = int64(s.Requests)
		sv.Workers, sv.BusyWorkersMax = int(s.Workers), int(s.BusyPeak)
		sv.QueueCap, sv.QueueMax = int(s.QueueCap), int(s.QueuePeak)
		sv.HandlerMS = scorecards.Latency{P50: s.HandlerMs.P50, P99: s.HandlerMs.P99, Max: s.HandlerMs.Max, Mean: s.HandlerMs.Mean}
		for name, n := range s.AcceptErrors {
			if sv.AcceptErrors == nil {
				sv.AcceptErrors = map[string]int64{}
			}
			sv.AcceptErrors[name] = int64(n)
		}
		for _, q := range s.Listeners {
			sv.ListenQueueMax = max(sv.ListenQueueMax, q.Queue)
		}
	}
	st.Kernel = kernelMap(m)
	return st
}

// judge attributes st against the earlier steps and records the verdict.
func judge(st *scorecards.Step, earlier []attrib.Step, serverCores int, threshold float64) (attrib.Step, attrib.Verdict) {
	as := st.Evidence(serverCores)
	v := attrib.Judge(as, earlier, threshold)
	st.State = string(v.State)
	st.Verdict = scorecards.Verdict{Limit: phases.Limit(v.Limit), Evidence: v.Evidence}
	for _, f := range v.Also {
		st.Verdict.Also = append(st.Verdict.Also, scorecards.Finding{Limit: phases.Limit(f.Limit), Evidence: f.Evidence})
	}
	return as, v
}

// kernelMap lists the kernel's counter deltas and gauges of a step.
func kernelMap(m *measured) map[string]int64 {
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
		k[scorecards.KernelTimeWait] = c.Sockstat.TimeWait
		k["inuse"] = c.Sockstat.TCPInUse
		k[scorecards.KernelTimeWaitMax] = max(c.Sockstat.TimeWait, m.Peaks.TimeWait)
	}
	if n := portRangeSize(m); n > 0 {
		k[scorecards.KernelPortRangeSize] = int64(n)
	}
	if u := m.ServerCoreUse; u != (probe.CoreUse{}) {
		k[scorecards.KernelServerCPUsTasks] = int64(u.Tasks + 0.5)
		k[scorecards.KernelServerCPUsSoftIRQ] = int64(u.SoftIRQ + 0.5)
		k[scorecards.KernelServerCPUsSteal] = int64(u.Steal + 0.5)
	}
	if u := m.DriverCoreUse; u != (probe.CoreUse{}) {
		k[scorecards.KernelDriverCPUsTasks] = int64(u.Tasks + 0.5)
		k[scorecards.KernelDriverCPUsSoftIRQ] = int64(u.SoftIRQ + 0.5)
		k[scorecards.KernelDriverCPUsSteal] = int64(u.Steal + 0.5)
	}
	if mid := m.Mid; mid != nil {
		k[scorecards.KernelEstablished] = int64(mid.States["ESTABLISHED"])
		k[scorecards.KernelClientRecvQ] = mid.Client.RecvQ
		k[scorecards.KernelServerSendQ] = mid.Server.SendQ
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
