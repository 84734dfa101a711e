//go:build linux

package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/probe"
)

// Client hosts (driver.hosts): the driver runs as one shard per host, each
// in a namespace of its own on a bridge in the server's namespace.
const (
	// hostPrefix is the lab's bridge network: the server is its first
	// address, host i the (i+2)-th.
	hostPrefix = "10.77.0.0/24"
	// hostStartLead is how far ahead of the drivers' start the runner
	// sets their common start time (driver.Config.StartAt), so that every
	// shard is up before it and their timelines line up.
	hostStartLead = 500 * time.Millisecond
	// hostSampleEvery is how often each host's TIME_WAIT is read.
	hostSampleEvery = 200 * time.Millisecond
)

// hostNet is the network of a step whose driver runs from client hosts.
type hostNet struct {
	lan *netns.LAN
	// mark is the token each host's namespace is marked with, and the
	// drivers' NamespaceMark: the driver's guard lets them load only the
	// addresses on their own link.
	mark string
}

// newHostNet joins n fresh client-host namespaces to the server's
// namespace ns, applies the phase's sysctls in each (the port range and
// tcp_tw_reuse are each host's own) and marks them as the lab's.
func newHostNet(env *stepEnv, ns *netns.NS, n int) (*hostNet, error) {
	lan, err := netns.NewLAN(ns, n, netip.MustParsePrefix(hostPrefix))
	if err != nil {
		return nil, fmt.Errorf("client hosts: %w", err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	h := &hostNet{lan: lan, mark: "step-" + hex.EncodeToString(b[:])}
	for i, host := range lan.Hosts {
		env.applied.applySysctls(host, env.phase.Limits)
		if err := host.Do(func() error { return driver.MarkNamespace(h.mark) }); err != nil {
			lan.Close()
			return nil, fmt.Errorf("client host %d: %w", i+1, err)
		}
	}
	return h, nil
}

// close removes the hosts' namespaces, and their links with them.
func (h *hostNet) close() {
	if h != nil {
		_ = h.lan.Close()
	}
}

// serverAddr is where the server listens: its address on the bridge.
func (h *hostNet) serverAddr() string {
	return net.JoinHostPort(h.lan.HubAddr.String(), strconv.Itoa(nsBasePort))
}

// hostRun is what one client host measured.
type hostRun struct {
	addr      string
	sum       *driver.Summary
	cpu       cpuUse
	twMax     int64
	portRange int64
}

// hostDrivers are the client hosts' drivers, started and waiting for
// their configuration.
type hostDrivers struct {
	net   *hostNet
	procs []*driverProc
}

// spawnHosts starts one driver per client host, each waiting for its
// configuration: starting a process takes longer on a busy machine than
// handing it its configuration, so the common start time is set after.
// The driver CPUs are dealt to the hosts in turn (hosts beyond them share
// them); a phase's driver_cpu cap is split evenly between them.
func spawnHosts(env *stepEnv, h *hostNet, logFile io.Writer) (*hostDrivers, error) {
	n := len(h.lan.Hosts)
	share := env.phase.Limits.DriverCPU / float64(n)
	hd := &hostDrivers{net: h}
	for i, host := range h.lan.Hosts {
		cpus := []int{env.driverCPUs[i%len(env.driverCPUs)]}
		d, err := spawnDriver(env, host, cpus, fmt.Sprintf("driver-%d-h%d", env.step, i+1), share, logFile)
		if err != nil {
			hd.kill()
			return nil, fmt.Errorf("client host %d: %w", i+1, err)
		}
		hd.procs = append(hd.procs, d)
	}
	if share > 0 {
		env.applied.set("driver_cpu", strconv.FormatFloat(env.phase.Limits.DriverCPU, 'f', -1, 64))
	}
	return hd, nil
}

// kill ends every host's driver at once.
func (hd *hostDrivers) kill() {
	for _, d := range hd.procs {
		d.kill()
	}
}

// run hands every host its shard of the step's load, all starting at
// start, waits for them, and returns their merged summary with each
// host's own.
func (hd *hostDrivers) run(ctx context.Context, env *stepEnv, addrs []string, clients int, start time.Time) (*driver.Summary, cpuUse, []hostRun, error) {
	n := len(hd.procs)
	cfg := env.driverConfig(clients, addrs)
	cfg.RunID = fmt.Sprintf("step-%d", env.step)
	cfg.NamespaceMark, cfg.StartAt = hd.net.mark, start
	for i, d := range hd.procs {
		c := cfg
		c.Shard = driver.Shard{Index: i, Count: n}
		if err := d.handOver(c); err != nil {
			hd.kill()
			return nil, cpuUse{}, nil, fmt.Errorf("client host %d: %w", i+1, err)
		}
	}
	runs := make([]hostRun, n)
	stopSampling := background(func(ctx context.Context) { sampleHosts(ctx, hd.procs, runs) })
	budget := driverBudget(env.phase) + time.Until(start)
	expired, stopTimer := expiry(budget)
	defer stopTimer()
	var errs []error
	for i, d := range hd.procs { // they run together; this waits for each in turn
		var err error
		if runs[i].sum, runs[i].cpu, err = d.wait(ctx, expired, budget); err != nil {
			errs = append(errs, fmt.Errorf("client host %d: %w", i+1, err))
		}
	}
	stopSampling()
	for i, host := range hd.net.lan.Hosts {
		runs[i].addr = hd.net.lan.Addrs[i].String()
		readHostPorts(host, &runs[i])
	}
	sum, use, err := mergeHosts(runs, env)
	return sum, use, runs, errors.Join(append(errs, err)...)
}

// sampleHosts reads each host's TIME_WAIT (through its driver's /proc
// entry, which shows the driver's namespace) until ctx ends, keeping the
// peak.
func sampleHosts(ctx context.Context, procs []*driverProc, runs []hostRun) {
	t := time.NewTicker(hostSampleEvery)
	defer t.Stop()
	for {
		for i, d := range procs {
			if st, _, err := (probe.FS{}).Sockstat(d.proc.Pid()); err == nil {
				runs[i].twMax = max(runs[i].twMax, st.TimeWait)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readHostPorts reads a host's TIME_WAIT once more after its driver ended,
// and its port range, from inside its namespace.
func readHostPorts(host *netns.NS, r *hostRun) {
	_ = host.Do(func() error {
		if st, _, err := (probe.FS{}).Sockstat(unix.Gettid()); err == nil {
			r.twMax = max(r.twMax, st.TimeWait)
		}
		return nil
	})
	if pr, err := host.Sysctl("net.ipv4.ip_local_port_range"); err == nil {
		r.portRange = portRangeOf(pr)
	}
}

// mergeHosts merges the hosts' summaries into the step's: exact sums and
// histograms (driver.Merge). The hosts share the driver CPUs, so the
// step's driver CPU is the sum of theirs over the CPUs they ran on, not
// the busiest host's.
func mergeHosts(runs []hostRun, env *stepEnv) (*driver.Summary, cpuUse, error) {
	parts := make([]*driver.Summary, 0, len(runs))
	var use cpuUse
	var cpu float64
	for _, r := range runs {
		if r.sum == nil {
			return nil, use, errors.New("a client host printed no summary")
		}
		parts = append(parts, r.sum)
		cpu += r.sum.Driver.CPUPct
		use.quotaPct += r.cpu.quotaPct
		use.throttledPct = max(use.throttledPct, r.cpu.throttledPct)
	}
	sum, err := driver.Merge(parts...)
	if err != nil {
		return nil, use, fmt.Errorf("merge the client hosts' summaries: %w", err)
	}
	sum.Driver.CPUPct = cpu
	sum.Driver.CPUs = min(len(runs), len(env.driverCPUs))
	return sum, use, nil
}

// portRangeOf is the size of an ip_local_port_range value "lo hi" (0:
// unreadable).
func portRangeOf(v string) int64 {
	f := strings.Fields(v)
	if len(f) != 2 {
		return 0
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || hi < lo {
		return 0
	}
	return int64(hi - lo + 1)
}
