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
	var use cpuUse
	cfg := env.phase.DriverConfig(clients, addrs)
	cfg.SecondHistograms = true // for the step's latency interval log
	input, err := json.Marshal(cfg)
	if err != nil {
		return nil, use, fmt.Errorf("encode driver config: %w", err)
	}
	cmd := exec.Command(env.exe, "load", "--config", "-", "--quiet")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, use, err
	}
	var stdout bytes.Buffer
	tail := newTailBuffer(8 << 10)
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(tail, logFile)
	proc, err := netns.Spawn(ns, cmd, env.driverCPUs)
	if err != nil {
		return nil, use, fmt.Errorf("start driver: %w", err)
	}
	capped := env.applied.capCPU("driver_cpu", "driver", fmt.Sprintf("driver-%d", env.step), env.phase.Limits.DriverCPU, proc.Pid())
	defer func() { _ = capped.remove() }()
	if n := env.applied.noFileFor("driver_nofile", "driver", env.phase.Limits.DriverNoFile); n > 0 {
		if err := setNoFile(proc.Pid(), n); err != nil {
			env.applied.fail(fmt.Sprintf("driver_nofile=%d", env.phase.Limits.DriverNoFile), err.Error())
		}
	}
	_, werr := stdin.Write(input)
	stdin.Close()
	if werr != nil {
		proc.Kill()
		return nil, use, fmt.Errorf("hand the driver its config: %w (driver: %s)", werr, tail.String())
	}
	timer := time.NewTimer(driverBudget(env.phase))
	defer timer.Stop()
	var stopReason error
	select {
	case <-proc.Done():
	case <-ctx.Done():
		stopReason = ctx.Err()
		_ = proc.Stop(5 * time.Second)
	case <-timer.C:
		stopReason = fmt.Errorf("driver still running after %s: stopped", driverBudget(env.phase))
		_ = proc.Stop(5 * time.Second)
	}
	use.quotaPct, use.throttledPct = capped.throttled()
	waitErr := proc.Wait()
	if stdout.Len() == 0 {
		if stopReason != nil {
			return nil, use, stopReason
		}
		return nil, use, fmt.Errorf("driver printed no summary (%s): %s", exitText(waitErr), tail.String())
	}
	var sum driver.Summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		return nil, use, fmt.Errorf("decode driver summary: %w (driver: %s %s)", err, exitText(waitErr), tail.String())
	}
	return &sum, use, stopReason
}

// setNoFile sets a child's RLIMIT_NOFILE, soft and hard, to n.
func setNoFile(pid, n int) error {
	lim := unix.Rlimit{Cur: uint64(n), Max: uint64(n)}
	if err := unix.Prlimit(pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		return fmt.Errorf("prlimit(%d, RLIMIT_NOFILE, %d): %w", pid, n, err)
	}
	return nil
}
