//go:build linux

package gnet

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
)

// The fd-limit scenario runs the server in a child process (this test
// binary again) whose RLIMIT_NOFILE is low, so that only the child runs out
// of descriptors.
const (
	childEnv   = "SCALELAB_FDLIMIT_CHILD" // stats socket path for the child
	childLimit = 64                       // the child's RLIMIT_NOFILE
	fdClients  = 2 * childLimit
)

// TestFDLimitChild is the child's side; it does nothing in a normal run.
func TestFDLimitChild(t *testing.T) {
	statsPath := os.Getenv(childEnv)
	if statsPath == "" {
		t.Skip("runs only as the child of TestFDLimit")
	}
	lim := unix.Rlimit{Cur: childLimit, Max: childLimit}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	cfg := servers.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	st := servers.NewStats()
	srv, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	ch, err := servers.ServeStats(statsPath, "gnet", st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	fmt.Printf("ADDR %s\n", srv.Addrs()[0])
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// TestFDLimit shows what gnet does when accept(2) fails with EMFILE: it
// counts the error (through its logger) and the whole engine stops, so
// after the clients let go, new connections are refused.
func TestFDLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	statsPath := filepath.Join(t.TempDir(), "stats.sock")
	addr, stop := startChild(t, statsPath)
	defer stop()

	answered, unanswered := holdClients(t, addr)
	t.Logf("%d clients: %d answered, %d not", fdClients, answered, unanswered)
	if unanswered == 0 {
		t.Fatalf("all %d clients answered at RLIMIT_NOFILE %d: the limit was not reached", fdClients, childLimit)
	}
	// Every client has let go: gnet closed its connections when the
	// engine stopped, so the stats channel can accept again.
	snap, err := servers.NewStatsClient(statsPath).Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.AcceptErrors["EMFILE"] == 0 {
		t.Errorf("accept errors %v, want EMFILE counted", snap.AcceptErrors)
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("a new connection was accepted after EMFILE; gnet v2.9.7 stops the engine")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after EMFILE: %v, want connection refused", err)
	}
}

// startChild runs TestFDLimitChild and returns the address it serves on.
func startChild(t *testing.T, statsPath string) (string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDLimitChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+statsPath)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // the library's own logs, shown when the test fails
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("child's stderr:\n%s", stderr.String())
		}
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return addr, stop
		}
	}
	stop()
	t.Fatal("the child did not report its address")
	return "", nil
}

// holdClients opens fdClients connections, each sending one request, keeps
// them open until every answer has had a second to come, then closes them
// all.
func holdClients(t *testing.T, addr string) (answered, unanswered int) {
	t.Helper()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		time.Sleep(200 * time.Millisecond) // let the server see the closes
	}()
	for range fdClients {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			unanswered++
			continue
		}
		conns = append(conns, c)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	deadline := time.Now().Add(time.Second)
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		if line, err := bufio.NewReader(c).ReadString('\n'); err == nil && strings.HasPrefix(line, "HTTP/1.1 200") {
			answered++
		} else {
			unanswered++
		}
	}
	return answered, unanswered
}
