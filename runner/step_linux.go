//go:build linux

package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	// Err is set when the step could not be measured in full.
	Err error
	// Interrupted is set when the run was cancelled during the step.
	Interrupted bool
}

// stepEnv is what a step needs from the run.
type stepEnv struct {
	exe        string
	phase      *phases.Phase
	serverCPUs []int
	driverCPUs []int
	hostNet    bool // no namespace: run in the caller's
	workDir    string
	logs       io.Writer
	applied    *appliedLimits
}

// runStep measures one client count in a fresh namespace.
func runStep(ctx context.Context, env *stepEnv, clients, trial, index int) *measured {
	m := &measured{Clients: clients, Trial: trial, ServerCores: len(env.serverCPUs)}
	warn := func(format string, a ...any) { m.Warnings = append(m.Warnings, fmt.Sprintf(format, a...)) }

	var ns *netns.NS
	addr := "127.0.0.1:0"
	if !env.hostNet {
		var err error
		ns, err = netns.New()
		if err != nil {
			m.Err = fmt.Errorf("create network namespace: %w", err)
			return m
		}
		defer ns.Close()
		env.applied.applySysctls(ns, env.phase.Limits)
		if pr, err := ns.Sysctl("net.ipv4.ip_local_port_range"); err == nil {
			m.PortRange = pr
		}
		addr = "127.0.0.1:" + strconv.Itoa(nsBasePort)
	} else if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		m.PortRange = strings.TrimSpace(string(b)) // the host's: the phase's was not applied
	}

	statsPath := filepath.Join(env.workDir, fmt.Sprintf("stats-%d.sock", index))
	srv, err := startServer(ctx, env.exe, ns, env.serverCPUs, serverArgs(env.phase, addr, statsPath), env.logs)
	if err != nil {
		m.Err = fmt.Errorf("start server: %w", err)
		m.Interrupted = ctx.Err() != nil
		return m
	}
	stopServer := func() {
		if err := srv.stop(); err != nil {
			warn("%v", err)
			if m.Err == nil {
				m.Err = err
			}
		}
	}
	defer func() {
		if srv != nil {
			stopServer()
		}
	}()
	pid := srv.proc.Pid()
	fs := probe.FS{}
	if lim, err := fs.Limits(pid); err == nil {
		if nf, ok := lim.NoFile(); ok {
			m.NoFile = int(nf.Soft)
		}
	}
	env.applied.checkNoFile("nofile", "server", env.phase.Limits.NoFile, m.NoFile)

	stats := servers.NewStatsClient(statsPath)
	defer stats.Close()
	if err := stats.Reset(ctx); err != nil {
		warn("server stats: %v", err)
	}

	before := fs.Snapshot(pid)
	cpuBefore, cpuErr := fs.CPUStat()
	sampler := probe.NewSampler(fs, pid, sampleEvery)
	sctx, stopSampling := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() { _ = sampler.Run(sctx); close(sampled) }()

	midCtx, stopMid := context.WithCancel(ctx)
	midDone := make(chan struct{})
	go func() {
		defer close(midDone)
		d := env.phase.Driver
		wait := d.Warmup.D() + d.Ramp.D() + d.Duration.D()/2
		select {
		case <-time.After(wait):
			if sum, _, err := fs.Sockets(pid); err == nil {
				m.Mid = &sum
			}
		case <-midCtx.Done():
		}
	}()
	sum, derr := runDriver(ctx, env.exe, ns, env.driverCPUs, driverArgs(env.phase, clients, srv.addrs), driverBudget(env.phase), env.logs)
	m.Driver = sum
	if derr != nil {
		if ctx.Err() != nil {
			m.Interrupted = true
		}
		m.Err = fmt.Errorf("driver: %w", derr)
	}

	stopMid()
	<-midDone
	stopSampling()
	<-sampled
	m.Peaks = sampler.Peaks()
	after := fs.Snapshot(pid)
	if cpuAfter, err := fs.CPUStat(); err == nil && cpuErr == nil {
		m.ServerCoreUse = probe.Use(cpuBefore, cpuAfter, env.serverCPUs)
		m.DriverCoreUse = probe.Use(cpuBefore, cpuAfter, env.driverCPUs)
	}
	m.Change = probe.Delta(before, after)
	if snap, err := stats.Snapshot(context.Background()); err == nil {
		m.Stats = &snap
	} else {
		warn("server stats: %v", err)
	}
	if ns != nil {
		if qs, err := probe.ListenQueuesIn(ns); err == nil {
			m.Listeners = qs
		} else {
			warn("sock_diag: %v", err)
		}
	} else if qs, err := probe.ListenQueues(pid); err == nil {
		m.Listeners = qs
	}
	stopServer()
	srv = nil
	m.Warnings = append(m.Warnings, sharedCores(m, env)...)
	for _, w := range m.Change.Warnings {
		warn("probe: %s", w)
	}
	for _, w := range m.Peaks.Warnings {
		warn("sampler: %s", w)
	}
	if m.Driver == nil && m.Err == nil {
		m.Err = errors.New("no driver summary")
	}
	return m
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
