package gnet_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/gnet"
	"github.com/scalelab/scalelab/servers/servertest"
)

func start(t *testing.T, cfg servers.Config) *servertest.Running {
	t.Helper()
	return servertest.Start(t, "gnet", cfg)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

// readAnswer reads one answer and its body from r.
func readAnswer(t *testing.T, r *bufio.Reader) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, string(body)
}

// TestPipelinedSleepKeepsOrder sends a /sleep between quick requests in one
// write: the quick ones behind it must wait, answers come in request order.
func TestPipelinedSleepKeepsOrder(t *testing.T) {
	srv := start(t, servertest.Config())
	c := dial(t, srv.Addr())
	targets := []string{"/", "/sleep?ms=50", "/json", "/nope", "/sleep?ms=1", "/"}
	var req strings.Builder
	for _, tg := range targets {
		req.WriteString("GET " + tg + " HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	if _, err := io.WriteString(c, req.String()); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	for i, tg := range targets {
		want := servers.RouteTarget(tg)
		status, body := readAnswer(t, r)
		if status != want.Status() || body != string(want.Body()) {
			t.Errorf("answer %d (%s): %d %q, want %d %q", i, tg, status, body, want.Status(), want.Body())
		}
	}
	snap, _ := srv.WaitStats(2*time.Second, func(s servers.Snapshot) bool { return s.Requests >= uint64(len(targets)) })
	if n := snap.Requests; n != uint64(len(targets)) {
		t.Errorf("requests served %d, want %d", n, len(targets))
	}
}

// TestReadTimeout checks that a silent connection and a half-sent request
// are closed once the read timeout has passed.
func TestReadTimeout(t *testing.T) {
	cfg := servertest.Config()
	cfg.ReadTimeout = 150 * time.Millisecond
	r := start(t, cfg)
	for _, tc := range []struct{ name, send string }{
		{"silent", ""},
		{"partial request", "GET / HTTP/1.1\r\nHost: x\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, r.Addr())
			if _, err := io.WriteString(c, tc.send); err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			n, err := c.Read(make([]byte, 64))
			if n != 0 || err == nil {
				t.Fatalf("read %d bytes, err %v: want the server to close", n, err)
			}
			if waited := time.Since(began); waited < cfg.ReadTimeout/2 {
				t.Errorf("closed after %v, before the read timeout %v", waited, cfg.ReadTimeout)
			}
		})
	}
}

// TestReusePortListeners checks that with --reuseport every loop's socket
// is found and given the backlog.
func TestReusePortListeners(t *testing.T) {
	cfg := servertest.Config()
	cfg.ReusePort = true
	cfg.Listeners = 2
	cfg.Backlog = 99
	r := start(t, cfg)
	loops := gnet.Loops(r.Server)
	fds := r.Server.ListenerFDs()
	if want := loops * cfg.Listeners; len(fds) != want {
		t.Fatalf("%d listening sockets, want %d (%d loops x %d ports)", len(fds), want, loops, cfg.Listeners)
	}
	perAddr := map[string]int{}
	for _, fd := range fds {
		q, err := servers.QueueOf(fd)
		if err != nil {
			t.Fatal(err)
		}
		if q.Backlog != 99 {
			t.Errorf("%s: backlog %d, want 99", q.Addr, q.Backlog)
		}
		perAddr[q.Addr]++
	}
	for _, a := range r.Addrs() {
		if perAddr[a] != loops {
			t.Errorf("%s: %d sockets, want %d", a, perAddr[a], loops)
		}
		c := dial(t, a)
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if status, _ := readAnswer(t, bufio.NewReader(c)); status != 200 {
			t.Errorf("%s: status %d", a, status)
		}
	}
}
