package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
)

// buildScalelab builds the command into a temporary directory.
func buildScalelab(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go tool to build the binary with")
		}
	}
	bin := filepath.Join(t.TempDir(), "scalelab")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestServeCLI runs `scalelab serve pool` as a process: it reports its
// addresses, answers on them, reports through its stats socket, and on
// SIGTERM shuts down cleanly with "stopped" and exit status 0.
func TestServeCLI(t *testing.T) {
	bin := buildScalelab(t)
	sock := filepath.Join(t.TempDir(), "s.sock")
	cmd := exec.Command(bin, "serve", "pool", "--addr", "127.0.0.1:0", "--listeners", "2",
		"--workers", "2", "--stats", sock)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	// Read the banner up to "ready:", then the rest in the background.
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()
	var addrs []string
	sawStats := false
	timeout := time.After(20 * time.Second)
banner:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before it was ready; stderr:\n%s", stderr.String())
			}
			switch {
			case strings.HasPrefix(line, "listening on "):
				addrs = append(addrs, strings.TrimPrefix(line, "listening on "))
			case line == "stats on "+sock:
				sawStats = true
			case strings.HasPrefix(line, "ready: pool"):
				break banner
			}
		case <-timeout:
			t.Fatalf("no ready line in 20 s; stderr:\n%s", stderr.String())
		}
	}
	if len(addrs) != 2 || !sawStats {
		t.Fatalf("banner listed addresses %v, stats line %v; want 2 addresses and the stats socket", addrs, sawStats)
	}

	for _, addr := range addrs {
		if got := serveGet(t, addr, "/json"); !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, `{"message":"ok","server":"scalelab"}`) {
			t.Errorf("GET /json on %s answered %q", addr, got)
		}
	}

	sc := servers.NewStatsClient(sock)
	snap, err := sc.Snapshot(context.Background())
	sc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if snap.Variant != "pool" || snap.PID != cmd.Process.Pid || snap.Accepted != 2 || snap.Workers != 2 || len(snap.Listeners) != 2 {
		t.Errorf("stats of the process: variant %q pid %d accepted %d workers %d listeners %d; want pool, %d, 2, 2, 2",
			snap.Variant, snap.PID, snap.Accepted, snap.Workers, len(snap.Listeners), cmd.Process.Pid)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for line := range lines {
		rest = append(rest, line)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not exit within 10 s of SIGTERM")
	}
	if len(rest) == 0 || rest[len(rest)-1] != "stopped: pool" {
		t.Errorf("output after SIGTERM %q, want it to end with \"stopped: pool\"", rest)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stats socket left behind: %v", err)
	}
	for _, addr := range addrs {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the exit", addr)
		}
	}
}

// serveGet sends one request with Connection: close and returns the raw
// answer.
func serveGet(t *testing.T, addr, target string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read answer from %s: %v", addr, err)
	}
	return string(b)
}

// TestServeFlagErrors checks the refusals that happen before anything
// listens.
func TestServeFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, "unknown server variant"},
		{[]string{"pool", "--workers", "0"}, "--workers"},
		{[]string{"pool", "--addr", "localhost:1"}, "--addr"},
		{[]string{"pool", "--nofile", "-1"}, "--nofile"},
		{[]string{"pool", "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		r := cli(t, append([]string{"serve"}, tt.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("serve %v: exit %d %q, want an error mentioning %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	if r := cli(t, "serve"); r.code != exitUsage || !strings.Contains(r.stderr, "no variant given") || !strings.Contains(r.stderr, "scalelab serve -h") {
		t.Errorf("serve without a variant: exit %d, %q", r.code, r.stderr)
	}
}
