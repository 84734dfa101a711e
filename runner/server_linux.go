//go:build linux

package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/servers"
)

// How long a server may take to come up and to go down.
const (
	serverStartTimeout = 10 * time.Second
	serverStopGrace    = 5 * time.Second
)

// serverProc is a running `scalelab serve` child.
type serverProc struct {
	cpu   *cpuCap // its CPU cap, nil when none
	proc  *netns.Process
	addrs []string
	stats string // unix socket of its stats channel
	log   *tailBuffer
}

// startServer starts `scalelab serve --config -` inside ns (nil: here),
// pinned to the server's CPUs, sets its RLIMIT_NOFILE, hands it the
// phase's servers.Spec as JSON on its standard input, and returns once it
// printed its JSON ready line and answered a request on every listener.
func startServer(ctx context.Context, env *stepEnv, ns *netns.NS, addr, statsPath string, logFile io.Writer) (*serverProc, error) {
	input, err := json.Marshal(env.phase.ServerSpec(addr, statsPath))
	if err != nil {
		return nil, fmt.Errorf("encode server spec: %w", err)
	}
	cmd := exec.Command(env.exe, "serve", "--config", "-")
	cmd.Env = append(os.Environ(), "GOTRACEBACK=single")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	tail := newTailBuffer(8 << 10)
	cmd.Stderr = io.MultiWriter(tail, logFile)
	proc, err := netns.Spawn(ns, cmd, env.serverCPUs)
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	s := &serverProc{proc: proc, log: tail, stats: statsPath}
	s.cpu = env.applied.capCPU("server_cpu", "server", fmt.Sprintf("server-%d", env.step), env.phase.Limits.ServerCPU, proc.Pid())
	if n := env.applied.noFileFor("nofile", "server", env.phase.Limits.NoFile); n > 0 {
		if err := setNoFile(proc.Pid(), n); err != nil {
			env.applied.fail(fmt.Sprintf("nofile=%d", env.phase.Limits.NoFile), err.Error())
		}
	}
	_, werr := stdin.Write(input)
	stdin.Close()
	ready := make(chan error, 1)
	go s.readReady(stdout, logFile, ready)
	err = werr
	if err == nil {
		err = s.waitReady(ctx, ready)
	}
	if err == nil {
		err = s.probe(ns)
	}
	if err != nil {
		proc.Kill()
		_ = s.cpu.remove()
		return nil, fmt.Errorf("%w%s", err, s.stderrNote())
	}
	return s, nil
}

// readReady logs what the server prints and sends on ready once its JSON
// ready line came (or an error when it ended without one).
func (s *serverProc) readReady(stdout io.Reader, logFile io.Writer, ready chan<- error) {
	sc := bufio.NewScanner(stdout)
	signalled := false
	for sc.Scan() {
		line := sc.Bytes()
		fmt.Fprintf(logFile, "%s\n", line)
		var r servers.Ready
		if !signalled && json.Unmarshal(line, &r) == nil && r.Ready {
			signalled = true
			s.addrs = r.Addrs
			ready <- nil
		}
	}
	if !signalled {
		ready <- errors.New("server exited before it was ready")
	}
}

// waitReady waits for the ready line, at most serverStartTimeout.
func (s *serverProc) waitReady(ctx context.Context, ready <-chan error) error {
	timer := time.NewTimer(serverStartTimeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-ready:
	case <-timer.C:
		err = fmt.Errorf("server not ready after %s", serverStartTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil && len(s.addrs) == 0 {
		err = errors.New("server announced no listening address")
	}
	return err
}

// probe sends one GET / to every listener from inside the namespace and
// checks for a 200 answer.
func (s *serverProc) probe(ns *netns.NS) error {
	check := func() error {
		for _, a := range s.addrs {
			if err := getOK(a); err != nil {
				return err
			}
		}
		return nil
	}
	var err error
	deadline := time.Now().Add(3 * time.Second)
	for {
		if ns != nil {
			err = ns.Do(check)
		} else {
			err = check()
		}
		if err == nil || time.Now().After(deadline) || s.proc.Exited() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("server does not answer: %w", err)
	}
	return nil
}

// getOK does one HTTP/1.1 GET / on a fresh connection to addr.
func getOK(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: scalelab\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read answer from %s: %w", addr, err)
	}
	if !strings.HasPrefix(line, "HTTP/1.1 200") {
		return fmt.Errorf("%s answered %q", addr, strings.TrimSpace(line))
	}
	return nil
}

// stop ends the server and reports how it ended: nil when it stopped on
// request, an error naming its exit when it had died before. Its CPU
// group, if any, goes with it.
func (s *serverProc) stop() error {
	defer func() { _ = s.cpu.remove() }()
	if s.proc.Exited() {
		return fmt.Errorf("server exited during the step (%s)%s", exitText(s.proc.Wait()), s.stderrNote())
	}
	if err := s.proc.Stop(serverStopGrace); err != nil {
		return fmt.Errorf("server did not stop cleanly (%s)%s", exitText(err), s.stderrNote())
	}
	return nil
}

// forceStop ends the server without asking why (a step that failed before
// it could be stopped in order).
func (s *serverProc) forceStop() {
	_ = s.proc.Stop(serverStopGrace)
	_ = s.cpu.remove()
}

// exitText describes how a child ended: "signal 9 (killed)", "exit status 2".
func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("signal %d (%s)", int(ws.Signal()), ws.Signal())
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (s *serverProc) stderrNote() string {
	if s == nil || s.log == nil {
		return ""
	}
	t := strings.TrimSpace(s.log.String())
	if t == "" {
		return ""
	}
	lines := strings.Split(t, "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return ": " + strings.Join(lines, " | ")
}

// tailBuffer keeps the last n bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	n   int
	buf []byte
}

func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = bytes.Clone(t.buf[len(t.buf)-t.n:])
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
