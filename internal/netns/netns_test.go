//go:build linux

package netns

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func newOrSkip(t *testing.T) *NS {
	t.Helper()
	ns, err := New()
	if errors.Is(err, ErrNotPermitted) {
		t.Skip("network namespaces need root")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

func TestSysctlIsPerNamespace(t *testing.T) {
	ns := newOrSkip(t)
	host, err := readSysctl("net.ipv4.ip_local_port_range")
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.SetSysctl("net.ipv4.ip_local_port_range", "40000 40099"); err != nil {
		t.Fatal(err)
	}
	got, err := ns.Sysctl("net.ipv4.ip_local_port_range")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(strings.Fields(got), " ") != "40000 40099" {
		t.Fatalf("namespace port range = %q", got)
	}
	after, _ := readSysctl("net.ipv4.ip_local_port_range")
	if after != host {
		t.Fatalf("host port range changed from %q to %q", host, after)
	}
}

func TestLoopbackUpAndIsolated(t *testing.T) {
	ns := newOrSkip(t)
	var addr string
	var ln net.Listener
	err := ns.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr = ln.Addr().String()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// From the host namespace the listener must not be reachable.
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("listener %s in the namespace answered from the host namespace", addr)
	}
}

func TestStartRunsInsideNamespace(t *testing.T) {
	ns := newOrSkip(t)
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "readlink /proc/self/ns/net; cat /proc/self/status | grep Cpus_allowed_list")
	var out strings.Builder
	cmd.Stdout = &out
	if err := ns.Start(cmd, []int{0}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("unexpected output %q", out.String())
	}
	if lines[0] == self {
		t.Fatalf("child ran in the host namespace %s", self)
	}
	if !strings.HasSuffix(strings.TrimSpace(lines[1]), "\t0") && !strings.HasSuffix(lines[1], " 0") {
		t.Fatalf("child not pinned to cpu 0: %q", lines[1])
	}
}

func TestSpawnWaitsAndStops(t *testing.T) {
	ns := newOrSkip(t)
	p, err := Spawn(ns, exec.Command("/bin/sleep", "30"), []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if p.Exited() {
		t.Fatal("sleep exited at once")
	}
	if err := p.Stop(2 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if !p.Exited() {
		t.Fatal("not exited after Stop")
	}
	if err := syscall.Kill(p.Pid(), 0); err == nil {
		t.Fatalf("pid %d still alive", p.Pid())
	}
}
