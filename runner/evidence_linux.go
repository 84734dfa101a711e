//go:build linux

package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/probe"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/units"
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

// portRangeSize is the size of the ephemeral port range the step ran with
// (0: unknown).
func portRangeSize(m *measured) int64 { return portRangeOf(m.PortRange) }

// measuredStep is the scorecard's record of what a step measured, filled
// straight from the driver's summary, the server's stats and the probes.
func measuredStep(m *measured) attrib.Step {
	d := m.Driver
	st := attrib.Step{
		Clients:          m.Clients,
		Trial:            m.Trial,
		DurationS:        units.Seconds(d.DurationS),
		Requests:         int64(d.Requests),
		OK:               int64(d.OK),
		SuccessRate:      units.Ratio(d.SuccessRate),
		RPS:              units.PerSecond(d.RPS),
		LatencyMS:        latencyOf(d.LatencyMS),
		ConnectMS:        attrib.Latency{P50: units.Millis(d.ConnectMS.P50), P99: units.Millis(d.ConnectMS.P99), Max: units.Millis(d.ConnectMS.Max)},
		Connects:         int64(d.ConnectsAttempted),
		Errors:           nonZero(d.Errors),
		Histogram:        d.Histogram,
		ConnectHistogram: d.ConnectHistogram,
		ClientsStarved:   d.ClientsStarved,
		Server:           serverEvidence(m),
		Driver: attrib.DriverEvidence{CPUPct: units.Percent(d.Driver.CPUPct), RSSMB: units.MB(d.Driver.RSSPeakMB),
			CPUs: d.Driver.CPUs, NoFile: d.Driver.NoFile,
			CPUQuotaPct: units.Percent(m.DriverCPU.quotaPct), CPUThrottledPct: units.Percent(m.DriverCPU.throttledPct)},
		Kernel: kernelEvidence(m),
	}
	st.Driver.H2 = h2Evidence(d)
	for _, s := range d.Timeline {
		st.Timeline = append(st.Timeline, attrib.Second{T: s.T, RPS: units.PerSecond(s.RPS), Errors: int64(s.Errors), P99MS: units.Millis(s.P99MS)})
	}
	st.Hosts = hostEvidence(m.Hosts)
	if len(st.Hosts) > 0 {
		st.Driver.Shards = len(st.Hosts)
	}
	return st
}

// h2Evidence is the HTTP/2 part of the driver's summary (nil over
// HTTP/1.1).
func h2Evidence(d *driver.Summary) *attrib.H2Evidence {
	h := d.H2
	if h == nil {
		return nil
	}
	refused := h.RSTStream["REFUSED_STREAM"] + h.RSTStream["PROTOCOL_ERROR"]
	return &attrib.H2Evidence{
		Connections: d.Clients, Streams: h.Streams, ServerMaxStreams: h.ServerMaxStreams, StreamsLimit: h.StreamsLimit,
		InFlightMean: units.Ratio(h.StreamsInFlightMean), InFlightMax: h.StreamsInFlightMax,
		Refused: int64(refused), GoAway: int64(h.GoAway),
		Waited: int64(h.StreamWaited), WaitP99MS: units.Millis(h.StreamWaitMS.P99), FlowBlockedMS: units.Millis(h.FlowControlBlockedMS),
	}
}

// hostEvidence is each client host's record: its shard's numbers, its
// driver's CPU and its own ports.
func hostEvidence(runs []hostRun) []attrib.Host {
	var out []attrib.Host
	for _, r := range runs {
		h := attrib.Host{Addr: r.addr, TimeWaitMax: r.twMax, PortRangeSize: r.portRange}
		if s := r.sum; s != nil {
			h.Clients, h.Requests, h.OK, h.Connects = s.Clients, int64(s.Requests), int64(s.OK), int64(s.ConnectsAttempted)
			h.Errors, h.CPUPct = nonZero(s.Errors), units.Percent(s.Driver.CPUPct)
		}
		out = append(out, h)
	}
	return out
}

func latencyOf(l driver.Latency) attrib.Latency {
	return attrib.Latency{P50: units.Millis(l.P50), P90: units.Millis(l.P90), P99: units.Millis(l.P99),
		P999: units.Millis(l.P999), Max: units.Millis(l.Max), Mean: units.Millis(l.Mean)}
}

// nonZero copies the non-zero counts of m (nil when there are none).
func nonZero(m map[string]uint64) map[string]int64 {
	var out map[string]int64
	for k, v := range m {
		if v > 0 {
			if out == nil {
				out = map[string]int64{}
			}
			out[k] = int64(v)
		}
	}
	return out
}

// serverEvidence is what the server's process, its stats channel and the
// sampler showed.
func serverEvidence(m *measured) attrib.ServerEvidence {
	sv := attrib.ServerEvidence{
		NoFile:          m.NoFile,
		RSSMB:           units.MB(float64(m.Peaks.RSSBytes) / mib),
		FDsMax:          m.Peaks.OpenFDs,
		ListenQueueMax:  m.Peaks.ListenQueue,
		Backlog:         backlog(m),
		Cores:           m.ServerCores,
		CPUQuotaPct:     units.Percent(m.ServerCPU.quotaPct),
		CPUThrottledPct: units.Percent(m.ServerCPU.throttledPct),
	}
	if c := m.Change; c != nil {
		sv.CPUPct = units.Percent(c.CPUPercent)
		sv.CPUWaitPct = units.Percent(c.WaitPercent)
		sv.FDsMax = max(sv.FDsMax, c.Process.OpenFDs)
	}
	if s := m.Stats; s != nil {
		sv.Accepted = int64(s.Accepted)
		sv.OpenConnsMax = int(s.OpenConnsPeak)
		sv.Requests = int64(s.Requests)
		all := sv.Requests // over the whole run of the driver, warmup included
		if b := m.StatsBefore; b != nil {
			all -= int64(b.Requests)
			sv.Requests = all
			sv.Accepted -= int64(b.Accepted) // the readiness probe's connection came before
			sv.Abandoned = int64(s.AbandonedResponses - b.AbandonedResponses)
			if window := s.UptimeS - b.UptimeS; s.Workers > 0 && window > 0 {
				sv.WorkersBusyPct = units.Percent(100 * (s.BusyWorkerSeconds - b.BusyWorkerSeconds) / (float64(s.Workers) * window))
			}
		}
		if w := m.StatsAtWindow; w != nil {
			sv.Requests = int64(s.Requests - w.Requests) // over the clients' measured window
			sv.Abandoned = int64(s.AbandonedResponses - w.AbandonedResponses)
		}
		if c := m.Change; c != nil && all > 0 {
			sv.CPUPerRequest = units.Micros(c.CPUSeconds * 1e6 / float64(all))
		}
		sv.Workers, sv.BusyWorkersMax = int(s.Workers), int(s.BusyPeak)
		sv.QueueCap, sv.QueueMax = int(s.QueueCap), int(s.QueuePeak)
		sv.HandlerMS = handlerLatency(s.HandlerMs)
		sv.AcceptErrors = nonZero(s.AcceptErrors)
		for _, q := range s.Listeners {
			sv.ListenQueueMax = max(sv.ListenQueueMax, q.Queue)
		}
	}
	return sv
}

func handlerLatency(l servers.Latency) attrib.Latency {
	return attrib.Latency{P50: units.Millis(l.P50), P99: units.Millis(l.P99), Max: units.Millis(l.Max), Mean: units.Millis(l.Mean)}
}

// kernelEvidence is what the kernel showed: the typed counter deltas of the
// step's namespace, its socket gauges, the mid-step socket table and how
// busy the pinned CPUs were.
func kernelEvidence(m *measured) attrib.KernelEvidence {
	var k attrib.KernelEvidence
	if c := m.Change; c != nil {
		if c.NetStat != nil {
			x := c.TCPExt
			k.ListenOverflows, k.ListenDrops = attrib.Of(x.ListenOverflows), attrib.Of(x.ListenDrops)
			k.TCPReqQFullDrop, k.TCPReqQFullDoCookies = attrib.Of(x.TCPReqQFullDrop), attrib.Of(x.TCPReqQFullDoCookies)
			k.SyncookiesSent, k.SyncookiesFailed = attrib.Of(x.SyncookiesSent), attrib.Of(x.SyncookiesFailed)
			k.TCPTimeouts, k.TCPAbortOnData = attrib.Of(x.TCPTimeouts), attrib.Of(x.TCPAbortOnData)
			k.TCPAbortOnClose, k.TCPAbortOnTimeout = attrib.Of(x.TCPAbortOnClose), attrib.Of(x.TCPAbortOnTimeout)
			k.TW = attrib.Of(x.TW)
		}
		if c.SNMP != nil {
			t := c.TCP
			k.ActiveOpens, k.PassiveOpens = attrib.Of(t.ActiveOpens), attrib.Of(t.PassiveOpens)
			k.AttemptFails, k.EstabResets = attrib.Of(t.AttemptFails), attrib.Of(t.EstabResets)
			k.RetransSegs, k.OutRsts = attrib.Of(t.RetransSegs), attrib.Of(t.OutRsts)
		}
		k.TimeWait, k.InUse = attrib.Of(c.Sockstat.TimeWait), attrib.Of(c.Sockstat.TCPInUse)
		if c.NetDevRead {
			k.LoopbackDrops = attrib.Of(c.Loopback.RxDrop + c.Loopback.TxDrop)
		}
		k.SoftnetDropped, k.SoftnetSqueezed = attrib.Of(c.Softnet.Dropped), attrib.Of(c.Softnet.TimeSqueeze)
		k.TimeWaitMax = attrib.Of(max(c.Sockstat.TimeWait, m.Peaks.TimeWait))
	}
	if n := portRangeSize(m); n > 0 {
		k.PortRangeSize = attrib.Of(n)
	}
	if u := m.ServerCoreUse; u != (probe.CoreUse{}) {
		k.ServerCPUsTasksPct, k.ServerCPUsSoftIRQPct, k.ServerCPUsStealPct = pct(u.Tasks), pct(u.SoftIRQ), pct(u.Steal)
	}
	if u := m.DriverCoreUse; u != (probe.CoreUse{}) {
		k.DriverCPUsTasksPct, k.DriverCPUsSoftIRQPct, k.DriverCPUsStealPct = pct(u.Tasks), pct(u.SoftIRQ), pct(u.Steal)
	}
	if mid := m.Mid; mid != nil {
		k.EstablishedMid = attrib.Of(int64(mid.States["ESTABLISHED"]))
		k.ClientRecvQBytesMid, k.ServerSendQBytesMid = attrib.Of(mid.Client.RecvQ), attrib.Of(mid.Server.SendQ)
	}
	return k
}

// pct rounds a CPU share to a whole percent.
func pct(p float64) *int64 { return attrib.Of(int64(p + 0.5)) }

// judge attributes a step by its own evidence and records the verdict on
// the card's step.
func judge(st *scorecards.Step, threshold float64) attrib.Judgment {
	j := attrib.Judge(st.Step, threshold)
	st.State, st.Verdict = j.State, j.Verdict
	return j
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
	ap.ServerCPU, _ = strconv.ParseFloat(a.Values["server_cpu"], 64)
	ap.DriverCPU, _ = strconv.ParseFloat(a.Values["driver_cpu"], 64)
	for _, n := range a.NotApplied {
		ap.NotApplied = append(ap.NotApplied, scorecards.NotApplied{What: n.What, Why: n.Why})
	}
	card.Applied = ap
}

// stepLine is the one-line progress report of a step.
func stepLine(s scorecards.Step, j attrib.Judgment) string {
	line := fmt.Sprintf("%s rps, %s ok, p99 %s", units.Rate(float64(s.RPS)), units.Pct(float64(s.SuccessRate)), s.LatencyMS.P99)
	if j.State != attrib.Clean {
		line += fmt.Sprintf(" [%s: %s]", j.State, j.Limit)
	}
	if len(s.Hosts) > 0 {
		tw := make([]string, len(s.Hosts))
		for i, h := range s.Hosts {
			tw[i] = units.Int(h.TimeWaitMax)
		}
		line += fmt.Sprintf(" (%s client hosts, TIME_WAIT %s)", units.Int(len(s.Hosts)), strings.Join(tw, " / "))
	}
	return line
}
