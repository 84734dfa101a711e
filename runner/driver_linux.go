//go:build linux

package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
)

// driverSlack is added to a step's planned length before the runner gives
// up on the driver.
const driverSlack = 20 * time.Second

// driverBudget is how long a step's driver may run before it is stopped.
func driverBudget(p *phases.Phase) time.Duration {
	d := p.Driver
	b := d.Warmup.D() + d.Ramp.D() + d.Timeout.D() + driverSlack
	if d.Duration > 0 {
		b += d.Duration.D()
	} else {
		b += driver.DefaultCountTimeLimit
	}
	return b
}

// cpuUse is the CPU cap a child ran under and how often it bit.
type cpuUse struct{ quotaPct, throttledPct float64 }

// runDriver runs `scalelab load --config -` inside ns, pinned to the
// driver's CPUs, hands it the step's driver.Config as JSON on its standard
// input (after its RLIMIT_NOFILE is set, so no socket opens before), and
// decodes the JSON summary it prints. The targets are the phase's own
// driver.targets, or the server's addresses. When ctx ends first, the
// driver is asked to stop (SIGTERM) and the partial summary it prints is
// returned with ctx's error.
func runDriver(ctx context.Context, env *stepEnv, ns *netns.NS, addrs []string, clients int, logFile io.Writer) (*driver.Summary, cpuUse, error) {
	d, err := startDriver(env, ns, env.driverConfig(clients, addrs), env.driverCPUs, fmt.Sprintf("driver-%d", env.step), env.phase.Limits.DriverCPU, logFile)
	if err != nil {
		return nil, cpuUse{}, err
	}
	expired, stop := expiry(driverBudget(env.phase))
	defer stop()
	return d.wait(ctx, expired, driverBudget(env.phase))
}

// expiry returns a channel closed after d, for every waiter at once, and a
// function that stops the timer.
func expiry(d time.Duration) (<-chan struct{}, func()) {
	c := make(chan struct{})
	t := time.AfterFunc(d, func() { close(c) })
	return c, func() { t.Stop() }
}

// driverProc is a running `scalelab load --config -` child.
type driverProc struct {
	proc   *netns.Process
	capped *cpuCap
	stdin  io.WriteCloser
	stdout bytes.Buffer
	tail   *tailBuffer
}

// startDriver starts the driver with cfg in ns, pinned to cpus, capped at
// cpuShare of a core (0: no cap) in the CPU group name, and hands it cfg.
func startDriver(env *stepEnv, ns *netns.NS, cfg driver.Config, cpus []int, name string, cpuShare float64, logFile io.Writer) (*driverProc, error) {
	d, err := spawnDriver(env, ns, cpus, name, cpuShare, logFile)
	if err != nil {
		return nil, err
	}
	if err := d.handOver(cfg); err != nil {
		return nil, err
	}
	return d, nil
}

// spawnDriver starts the driver in ns, pinned to cpus, capped at cpuShare
// of a core (0: no cap) in the CPU group name, with its RLIMIT_NOFILE set;
// it waits for its configuration on its standard input (handOver).
func spawnDriver(env *stepEnv, ns *netns.NS, cpus []int, name string, cpuShare float64, logFile io.Writer) (*driverProc, error) {
	cmd := exec.Command(env.exe, "load", "--config", "-", "--quiet")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	d := &driverProc{stdin: stdin, tail: newTailBuffer(8 << 10)}
	cmd.Stdout = &d.stdout
	cmd.Stderr = io.MultiWriter(d.tail, logFile)
	d.proc, err = netns.Spawn(ns, cmd, cpus)
	if err != nil {
		return nil, fmt.Errorf("start driver: %w", err)
	}
	d.capped = env.applied.capCPU("driver_cpu", "driver", name, cpuShare, d.proc.Pid())
	if n := env.applied.noFileFor("driver_nofile", "driver", env.phase.Limits.DriverNoFile); n > 0 {
		if err := setNoFile(d.proc.Pid(), n); err != nil {
			env.applied.fail(fmt.Sprintf("driver_nofile=%d", env.phase.Limits.DriverNoFile), err.Error())
		}
	}
	return d, nil
}

// handOver writes cfg to the driver's standard input, which starts its
// run; on failure the driver is killed.
func (d *driverProc) handOver(cfg driver.Config) error {
	input, err := json.Marshal(cfg)
	if err == nil {
		_, err = d.stdin.Write(input)
	}
	d.stdin.Close()
	if err != nil {
		d.kill()
		return fmt.Errorf("hand the driver its config: %w (driver: %s)", err, d.tail.String())
	}
	return nil
}

// kill ends a driver at once and removes its CPU group.
func (d *driverProc) kill() {
	d.proc.Kill()
	_ = d.capped.remove()
}

// wait waits for the driver to end (stopping it when ctx ends or expired
// fires first), removes its CPU group and decodes its summary; a stop's
// reason comes back as the error, with the partial summary it printed.
func (d *driverProc) wait(ctx context.Context, expired <-chan struct{}, budget time.Duration) (*driver.Summary, cpuUse, error) {
	defer func() { _ = d.capped.remove() }()
	var use cpuUse
	var stopReason error
	select {
	case <-d.proc.Done():
	case <-ctx.Done():
		stopReason = ctx.Err()
		_ = d.proc.Stop(5 * time.Second)
	case <-expired:
		stopReason = fmt.Errorf("driver still running after %s: stopped", budget)
		_ = d.proc.Stop(5 * time.Second)
	}
	use.quotaPct, use.throttledPct = d.capped.throttled()
	waitErr := d.proc.Wait()
	if d.stdout.Len() == 0 {
		if stopReason != nil {
			return nil, use, stopReason
		}
		return nil, use, fmt.Errorf("driver printed no summary (%s): %s", exitText(waitErr), d.tail.String())
	}
	var sum driver.Summary
	if err := json.Unmarshal(d.stdout.Bytes(), &sum); err != nil {
		return nil, use, fmt.Errorf("decode driver summary: %w (driver: %s %s)", err, exitText(waitErr), d.tail.String())
	}
	return &sum, use, stopReason
}

// driverConfig is the step's driver.Config as the phase gives it, with the
// per-second histograms the step's latency interval log is written from.
func (env *stepEnv) driverConfig(clients int, addrs []string) driver.Config {
	cfg := env.phase.DriverConfig(clients, addrs)
	cfg.SecondHistograms = true
	return cfg
}

// setNoFile sets a child's RLIMIT_NOFILE, soft and hard, to n.
func setNoFile(pid, n int) error {
	lim := unix.Rlimit{Cur: uint64(n), Max: uint64(n)}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		return fmt.Errorf("prlimit(%d, RLIMIT_NOFILE, %d): %w", pid, n, err)
	}
	return nil
}
