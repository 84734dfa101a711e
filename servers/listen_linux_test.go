//go:build linux

package servers

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// somaxconn is the kernel's cap on listen backlogs in this namespace.
func somaxconn(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ssListen returns the Recv-Q and Send-Q that ss -ltn prints for the
// listener on addr; ok is false when ss is not installed.
func ssListen(t *testing.T, addr string) (recvQ, sendQ int, ok bool) {
	t.Helper()
	path, err := exec.LookPath("ss")
	if err != nil {
		t.Log("ss not installed: the independent check is skipped")
		return 0, 0, false
	}
	out, err := exec.Command(path, "-ltn").Output()
	if err != nil {
		t.Fatalf("ss -ltn: %v", err)
	}
	recvQ, sendQ, err = parseSSListen(string(out), addr)
	if err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	return recvQ, sendQ, true
}

// parseSSListen finds addr's LISTEN line in ss -ltn output: State, Recv-Q,
// Send-Q, Local Address:Port, Peer Address:Port.
func parseSSListen(out, addr string) (recvQ, sendQ int, err error) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "LISTEN" || f[3] != addr {
			continue
		}
		if recvQ, err = strconv.Atoi(f[1]); err != nil {
			return 0, 0, err
		}
		if sendQ, err = strconv.Atoi(f[2]); err != nil {
			return 0, 0, err
		}
		return recvQ, sendQ, nil
	}
	return 0, 0, errors.New("ss lists no listener on " + addr)
}

func TestParseSSListen(t *testing.T) {
	out := "State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n" +
		"LISTEN 0      4096       127.0.0.1:8080       0.0.0.0:*\n" +
		"LISTEN 17     16         127.0.0.1:41001      0.0.0.0:*\n" +
		"LISTEN 0      128            [::1]:41001         [::]:*\n"
	r, s, err := parseSSListen(out, "127.0.0.1:41001")
	if err != nil || r != 17 || s != 16 {
		t.Errorf("got %d, %d, %v; want 17, 16", r, s, err)
	}
	if _, _, err := parseSSListen(out, "127.0.0.1:1"); err == nil {
		t.Error("found a listener that is not there")
	}
}

// TestBacklogIsReal listens with backlog 16 and reads it back from the
// kernel (TCP_INFO, and ss -ltn's Send-Q), then fills the accept queue with
// connections nobody accepts: it grows one by one up to backlog+1 (Linux
// admits one more than the backlog), then the next SYN is dropped.
func TestBacklogIsReal(t *testing.T) {
	const backlog = 16
	want := min(backlog, somaxconn(t))
	l, err := Listen("127.0.0.1:0", ListenOptions{Backlog: backlog})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	q, err := QueueOf(l.FD())
	if err != nil {
		t.Fatal(err)
	}
	if q.Backlog != want || q.Queue != 0 || q.Addr != addr || l.Backlog != backlog {
		t.Fatalf("QueueOf = %+v (Listener.Backlog %d), want %s, backlog %d, empty", q, l.Backlog, addr, want)
	}
	if _, sendQ, ok := ssListen(t, addr); ok && sendQ != want {
		t.Errorf("ss -ltn Send-Q = %d, want %d", sendQ, want)
	}

	// waitQueue waits (bounded) for the queue to reach n.
	waitQueue := func(n int) int {
		var q ListenQueue
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if q, err = QueueOf(l.FD()); err != nil {
				t.Fatal(err)
			}
			if q.Queue == n {
				break
			}
		}
		return q.Queue
	}
	for i := 1; i <= want+1; i++ {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("connect %d of %d: %v", i, want+1, err)
		}
		defer c.Close()
		if got := waitQueue(i); got != i {
			t.Fatalf("after %d connects the accept queue holds %d", i, got)
		}
	}
	if recvQ, _, ok := ssListen(t, addr); ok && recvQ != want+1 {
		t.Errorf("ss -ltn Recv-Q = %d, want %d", recvQ, want+1)
	}
	// The queue is full: the kernel drops the next SYN (the client would
	// retransmit it after about a second).
	if c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
		c.Close()
		t.Errorf("a connect beyond backlog+1 completed")
	}
	// Accepting one makes room again.
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	sc.Close()
	if got := waitQueue(want); got > want {
		t.Errorf("after one accept the queue holds %d, want at most %d", got, want)
	}
}

func TestListenErrors(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"localhost:80", "listen localhost:80"},
		{"127.0.0.1", "listen 127.0.0.1"},
		{"192.0.2.1:0", "bind"}, // TEST-NET-1: not an address of this host
	}
	for _, tt := range tests {
		l, err := Listen(tt.addr, ListenOptions{Backlog: 16})
		if err == nil {
			l.Close()
			t.Errorf("Listen(%s) succeeded", tt.addr)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Listen(%s) = %v, want it to mention %q", tt.addr, err, tt.want)
		}
	}
}

func TestListenIPv6AndDefaults(t *testing.T) {
	l, err := Listen("[::1]:0", ListenOptions{})
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer l.Close()
	q, err := QueueOf(l.FD())
	if err != nil {
		t.Fatal(err)
	}
	if q.Backlog != min(DefaultBacklog, somaxconn(t)) || !strings.HasPrefix(q.Addr, "[::1]:") {
		t.Errorf("QueueOf = %+v, want [::1] with the default backlog", q)
	}
}

func TestListenAllAndClose(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Listeners = 3
	ls, err := ListenAll(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addrs, fds := Addrs(ls), ListenerFDs(ls)
	if len(addrs) != 3 || len(fds) != 3 || addrs[0] == addrs[1] || addrs[1] == addrs[2] {
		t.Fatalf("addresses %v, fds %v", addrs, fds)
	}
	for _, l := range ls {
		if err := l.Close(); err != nil {
			t.Error(err)
		}
		if l.FD() != -1 {
			t.Errorf("FD() = %d after Close, want -1", l.FD())
		}
	}
	for _, fd := range fds {
		if _, err := QueueOf(fd); err == nil {
			t.Errorf("QueueOf(%d) still works after Close: the duplicate leaked", fd)
		}
	}
	// A listener that cannot open closes the ones already open.
	cfg.Addr = "192.0.2.1:0"
	if _, err := ListenAll(cfg); err == nil {
		t.Error("ListenAll on a foreign address succeeded")
	}
}

func TestQueueOfNotListening(t *testing.T) {
	fd := scratchSocket(t)
	if _, err := QueueOf(fd); err == nil {
		t.Error("QueueOf accepted a socket that is not listening")
	}
}
