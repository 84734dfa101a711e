//go:build linux

package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"time"

	"github.com/scalelab/scalelab/driver"
	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
)

// driverSlack is added to a step's planned length before the runner gives
// up on the driver.
const driverSlack = 20 * time.Second

// driverArgs builds the command line of `scalelab load` for one step;
// nofile is the RLIMIT_NOFILE to ask for (0: leave it).
func driverArgs(p *phases.Phase, clients int, targets []string, nofile int) []string {
	d := p.Driver
	args := []string{"load", "--json", "--quiet",
		"--clients", strconv.Itoa(clients),
		"--keepalive=" + strconv.FormatBool(d.KeepAlive),
		"--timeout", d.Timeout.String(),
		"--warmup", d.Warmup.String(),
		"--pipeline", strconv.Itoa(max(d.Pipeline, 1)),
	}
	if d.ConnectTimeout > 0 {
		args = append(args, "--connect-timeout", d.ConnectTimeout.String())
	}
	if d.RequestsPerClient > 0 {
		args = append(args, "--requests-per-client", strconv.Itoa(d.RequestsPerClient))
	}
	if d.Duration > 0 {
		args = append(args, "--duration", d.Duration.String())
	}
	if d.Ramp > 0 {
		args = append(args, "--ramp", d.Ramp.String())
	}
	if d.Rate > 0 {
		args = append(args, "--rate", strconv.Itoa(d.Rate))
	}
	if nofile > 0 {
		args = append(args, "--nofile", strconv.Itoa(nofile))
	}
	path := d.Path
	if path == "" {
		path = "/"
	}
	for _, t := range targets {
		args = append(args, "http://"+t+path)
	}
	return args
}

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

// runDriver runs the driver inside ns pinned to the driver's CPUs against
// the server's addresses (or the phase's own targets) and decodes its JSON
// summary. When ctx ends first, the driver is asked to stop (SIGTERM) and
// the partial summary it prints is returned with ctx's error.
func runDriver(ctx context.Context, env *stepEnv, ns *netns.NS, addrs []string, clients int, logFile io.Writer) (*driver.Summary, error) {
	if len(env.phase.Driver.Targets) > 0 {
		addrs = env.phase.Driver.Targets
	}
	nofile := env.applied.noFileFor("driver_nofile", "driver", env.phase.Limits.DriverNoFile)
	cmd := exec.Command(env.exe, driverArgs(env.phase, clients, addrs, nofile)...)
	budget := driverBudget(env.phase)
	cpus := env.driverCPUs
	var stdout bytes.Buffer
	tail := newTailBuffer(8 << 10)
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(tail, logFile)
	proc, err := netns.Spawn(ns, cmd, cpus)
	if err != nil {
		return nil, fmt.Errorf("start driver: %w", err)
	}
	timer := time.NewTimer(budget)
	defer timer.Stop()
	var stopReason error
	select {
	case <-proc.Done():
	case <-ctx.Done():
		stopReason = ctx.Err()
		_ = proc.Stop(5 * time.Second)
	case <-timer.C:
		stopReason = fmt.Errorf("driver still running after %s: stopped", budget)
		_ = proc.Stop(5 * time.Second)
	}
	waitErr := proc.Wait()
	if stdout.Len() == 0 {
		if stopReason != nil {
			return nil, stopReason
		}
		return nil, fmt.Errorf("driver printed no summary (%v): %s", waitErr, tail.String())
	}
	var sum driver.Summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		return nil, fmt.Errorf("decode driver summary: %w (driver: %v %s)", err, waitErr, tail.String())
	}
	return &sum, stopReason
}
