//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/probe"
	"github.com/scalelab/scalelab/servers"
)

// The server's first port inside a fresh namespace (any port is free there).
const nsBasePort = 8080

// sampleEvery is the period of the in-step sampler (fds, accept queue,
// TIME_WAIT, server CPU).
const sampleEvery = 100 * time.Millisecond

// measured is everything one step produced, before it is judged.
type measured struct {
	Clients, Trial int
	Driver         *driver.Summary
	Change         *probe.Change
	Peaks          probe.Peaks
	Stats          *servers.Snapshot
	// StatsBefore is the server's stats when the measurement began: its
	// counters count from the server's start. StatsAtWindow is taken as
	// the driver's measured window opens (after warmup and ramp).
	StatsBefore, StatsAtWindow *servers.Snapshot
	// Listeners are read through sock_diag after the run (with backlog).
	Listeners []probe.ListenQueue
	NoFile    int // server soft RLIMIT_NOFILE read back (0: unknown)
	// ServerCores is the number of CPUs the server was pinned to.
	ServerCores int
	// PortRange is ip_local_port_range as the step's namespace read it.
	PortRange string
	// ServerCoreUse and DriverCoreUse are how the pinned CPUs were used during
	// the step, by every task (not only ours).
	ServerCoreUse, DriverCoreUse probe.CoreUse
	// Mid is the socket table read once in the middle of the measured
	// period (states, client and server socket queues).
	Mid      *probe.SocketSummary
	Warnings []string
	// ServerCPU and DriverCPU are the CPU caps the processes ran under.
	ServerCPU, DriverCPU cpuUse
	// Err is set when the step could not be measured in full: the server
	// died, the driver failed.
	Err error
	// Interrupted is set when the run was cancelled during the step.
	Interrupted bool
	// Hosts are the client hosts' own measurements (driver.hosts), in
	// order; Driver is then their merge.
	Hosts []hostRun
}

func (m *measured) warn(format string, a ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, a...))
}

// fail records the first reason the step could not be measured in full.
func (m *measured) fail(err error) {
	if m.Err == nil {
		m.Err = err
	}
}

// stepEnv is what a step needs from the run.
type stepEnv struct {
	step       int // the step's index in the run, from 1
	exe        string
	phase      *phases.Phase
	serverCPUs []int
	driverCPUs []int
	hostNet    bool // no namespace: run in the caller's
	out        *outDir
	applied    *appliedLimits
}

// runStep measures one client count in a fresh namespace.
func runStep(ctx context.Context, env *stepEnv, clients, trial, index int, logs io.Writer) *measured {
	env.step = index
	m := &measured{Clients: clients, Trial: trial, ServerCores: len(env.serverCPUs)}
	ns, addr, err := stepNamespace(env, m)
	if err != nil {
		m.fail(err)
		return m
	}
	if ns != nil {
		defer ns.Close()
	}
	var hosts *hostNet
	if n := env.phase.Driver.Hosts; n > 0 {
		if ns == nil {
			m.fail(errors.New("driver.hosts needs network namespaces of its own (run as root): the client hosts are namespaces joined to the server's"))
			return m
		}
		if hosts, err = newHostNet(env, ns, n); err != nil {
			m.fail(err)
			return m
		}
		defer hosts.close() // before ns closes: the hosts' links go, then the bridge
		addr = hosts.serverAddr()
	}
	statsPath := env.out.socket(fmt.Sprintf("stats-%d.sock", index))
	srv, err := startServer(ctx, env, ns, addr, statsPath, logs)
	if err != nil {
		m.fail(fmt.Errorf("start server: %w", err))
		m.Interrupted = ctx.Err() != nil
		return m
	}
	defer func() {
		if srv != nil {
			srv.forceStop()
		}
	}()
	m.NoFile = env.applied.serverNoFile(srv.proc.Pid(), env.phase.Limits.NoFile)
	measureStep(ctx, env, m, ns, hosts, srv, statsPath, logs)
	if err := srv.stop(); err != nil {
		m.fail(err)
	}
	srv = nil
	if m.Driver == nil && m.Err == nil {
		m.Err = errors.New("no driver summary")
	}
	return m
}

// stepNamespace makes the step's fresh namespace with the phase's sysctls
// (nil and the host's loopback when the run uses the host's network), and
// returns the server's first address in it.
func stepNamespace(env *stepEnv, m *measured) (*netns.NS, string, error) {
	if env.hostNet {
		if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
			m.PortRange = strings.TrimSpace(string(b)) // the host's: the phase's was not applied
		}
		return nil, "127.0.0.1:0", nil
	}
	ns, err := netns.New()
	if err != nil {
		return nil, "", fmt.Errorf("create network namespace: %w", err)
	}
	env.applied.applySysctls(ns, env.phase.Limits)
	if pr, err := ns.Sysctl("net.ipv4.ip_local_port_range"); err == nil {
		m.PortRange = pr
	}
	return ns, "127.0.0.1:" + strconv.Itoa(nsBasePort), nil
}

// measureStep runs the driver against a ready server and reads every probe
// around it: snapshots before and after, the sampler, the mid-step socket
// table, the per-CPU times and the server's stats.
func measureStep(ctx context.Context, env *stepEnv, m *measured, ns *netns.NS, hosts *hostNet, srv *serverProc, statsPath string, logs io.Writer) {
	pid := srv.proc.Pid()
	fs := probe.FS{}
	stats := servers.NewStatsClient(statsPath)
	defer stats.Close()
	if err := stats.Reset(ctx); err != nil {
		m.warn("server stats: %v", err)
	}
	if snap, err := stats.Snapshot(ctx); err == nil {
		m.StatsBefore = &snap
	}
	before := fs.Snapshot(pid)
	cpuBefore, cpuErr := fs.CPUStat()
	sampler := probe.NewSampler(fs, pid, sampleEvery)
	stopSampling := background(func(ctx context.Context) { _ = sampler.Run(ctx) })
	d := env.phase.Driver
	var drivers *hostDrivers
	if hosts != nil {
		var err error
		if drivers, err = spawnHosts(env, hosts, logs); err != nil {
			m.fail(err)
			stopSampling()
			return
		}
	}
	start := time.Now() // when the driver begins its warmup
	if hosts != nil {
		start = start.Add(hostStartLead) // the hosts' common start: every one has its configuration by then
	}
	stopMid := background(func(ctx context.Context) {
		select {
		case <-time.After(time.Until(start) + d.Warmup.D() + d.Ramp.D() + d.Duration.D()/2):
			if sum, _, err := fs.Sockets(pid); err == nil {
				m.Mid = &sum
			}
		case <-ctx.Done():
		}
	})
	stopWindow := background(func(ctx context.Context) {
		// The server's counters as the measured window opens (after the
		// warmup and the ramp), so that its work is counted over the
		// window the clients' answers are. Without either, the window is
		// the whole run and the counters from before it serve.
		if d.Warmup+d.Ramp == 0 {
			return
		}
		select {
		case <-time.After(time.Until(start) + d.Warmup.D() + d.Ramp.D()):
			if snap, err := stats.Snapshot(ctx); err == nil {
				m.StatsAtWindow = &snap
			}
		case <-ctx.Done():
		}
	})
	sum, driverCPU, derr := stepDriver(ctx, env, m, ns, drivers, srv.addrs, start, logs)
	stopWindow()
	m.Driver, m.DriverCPU = sum, driverCPU
	m.ServerCPU.quotaPct, m.ServerCPU.throttledPct = srv.cpu.throttled()
	if derr != nil {
		m.Interrupted = ctx.Err() != nil
		m.fail(fmt.Errorf("driver: %w", derr))
	}
	stopMid()
	stopSampling()
	m.Peaks = sampler.Peaks()
	after := fs.Snapshot(pid)
	if cpuAfter, err := fs.CPUStat(); err == nil && cpuErr == nil {
		m.ServerCoreUse = probe.Use(cpuBefore, cpuAfter, env.serverCPUs)
		m.DriverCoreUse = probe.Use(cpuBefore, cpuAfter, env.driverCPUs)
	}
	m.Change = probe.Delta(before, after)
	if snap, err := stats.Snapshot(context.Background()); err == nil {
		m.Stats = &snap
	} else if !srv.proc.Exited() {
		m.warn("server stats: %v", err)
	}
	m.Listeners = listenQueues(ns, pid, m)
	m.Warnings = append(m.Warnings, sharedCores(m, env)...)
	if srv.proc.Exited() {
		return // the probes of a dead server only say that it is gone: the failure says so once
	}
	for _, w := range m.Change.Warnings {
		m.warn("probe: %s", w)
	}
	for _, w := range m.Peaks.Warnings {
		m.warn("sampler: %s", w)
	}
}

// stepDriver runs the step's driver: from the client hosts, all starting
// at start (their runs recorded in m.Hosts), or as one process in ns.
func stepDriver(ctx context.Context, env *stepEnv, m *measured, ns *netns.NS, drivers *hostDrivers, addrs []string, start time.Time, logs io.Writer) (*driver.Summary, cpuUse, error) {
	if drivers == nil {
		return runDriver(ctx, env, ns, addrs, m.Clients, logs)
	}
	sum, use, runs, err := drivers.run(ctx, env, addrs, m.Clients, start)
	m.Hosts = runs
	return sum, use, err
}

// background runs fn until the returned stop function is called; stop
// waits for fn to return.
func background(fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	return func() { cancel(); <-done }
}

// listenQueues reads the listeners with their backlog through sock_diag.
func listenQueues(ns *netns.NS, pid int, m *measured) []probe.ListenQueue {
	if ns == nil {
		qs, _ := probe.ListenQueues(pid)
		return qs
	}
	qs, err := probe.ListenQueuesIn(ns)
	if err != nil {
		m.warn("sock_diag: %v", err)
	}
	return qs
}

// Shares of a pinned CPU that other work may take before a step says its
// numbers are suspect.
const (
	otherTasksWarn = 20.0 // percent of the CPUs' time
	stealWarn      = 5.0
)

// sharedCores warns when the pinned CPUs ran other tasks, or lost time to
// the hypervisor, during the step: the server's or the driver's numbers
// then say less about them.
func sharedCores(m *measured, env *stepEnv) []string {
	var out []string
	check := func(who string, cpus []int, use probe.CoreUse, own float64) {
		if use == (probe.CoreUse{}) {
			return
		}
		if other := use.Tasks - own; other > otherTasksWarn*float64(len(cpus)) {
			out = append(out, fmt.Sprintf("CPU %v ran other tasks for %.0f%% of the step besides the %s (%.0f%%): the %s shared its core, so its numbers understate it",
				cpus, other, who, own, who))
		}
		if use.Steal > stealWarn*float64(len(cpus)) {
			out = append(out, fmt.Sprintf("the hypervisor took %.0f%% of CPU %v (steal) during the step", use.Steal, cpus))
		}
	}
	if m.Change != nil && m.Change.CPUPercent > 0 {
		check("server", env.serverCPUs, m.ServerCoreUse, m.Change.CPUPercent)
	}
	if m.Driver != nil && !sameCPUs(env.serverCPUs, env.driverCPUs) {
		check("driver", env.driverCPUs, m.DriverCoreUse, m.Driver.Driver.CPUPct)
	}
	return out
}

func sameCPUs(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
