package fasthttp

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
)

func start(t *testing.T, cfg servers.Config) (*Server, *servers.Stats) {
	t.Helper()
	st := servers.NewStats()
	srv, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return srv.(*Server), st
}

func testConfig() servers.Config {
	cfg := servers.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.ReadTimeout = 5 * time.Second
	return cfg
}

// roundTrip sends raw request bytes on a new connection and reads one answer.
func roundTrip(t *testing.T, addr, req string) (*http.Response, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

func TestServeAndStats(t *testing.T) {
	srv, st := start(t, testConfig())
	addrs := srv.Addrs()
	if len(addrs) != 1 || strings.HasSuffix(addrs[0], ":0") {
		t.Fatalf("Addrs() = %v, want one resolved address", addrs)
	}
	q, err := servers.QueueOf(srv.ListenerFDs()[0])
	if err != nil {
		t.Fatal(err)
	}
	if q.Backlog != min(servers.DefaultBacklog, somaxconn(t)) {
		t.Errorf("listener backlog %d, want %d capped at somaxconn", q.Backlog, servers.DefaultBacklog)
	}
	tests := []struct {
		target, body string
		status       int
	}{
		{"/", "ok", 200},
		{"/json", `{"message":"ok","server":"scalelab"}`, 200},
		{"/cpu?us=10", "ok", 200},
		{"/sleep?ms=1", "ok", 200},
		{"/nope", "not found\n", 404},
		{"/cpu?us=x", "bad request\n", 400},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			resp, body := roundTrip(t, addrs[0], "GET "+tc.target+" HTTP/1.1\r\nHost: x\r\n\r\n")
			if resp.StatusCode != tc.status || body != tc.body {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
			}
		})
	}
	snap := st.Snapshot()
	if snap.Accepted != uint64(len(tests)) || snap.Requests != uint64(len(tests)) {
		t.Errorf("accepted %d requests %d, want %d each", snap.Accepted, snap.Requests, len(tests))
	}
	if snap.Responses["4xx"] != 2 || snap.HandlerMs.Count != int64(len(tests)) {
		t.Errorf("responses %v, handler latency count %d", snap.Responses, snap.HandlerMs.Count)
	}
	if snap.OpenConnsPeak < 1 {
		t.Errorf("open connections peak %d, want >= 1", snap.OpenConnsPeak)
	}
}

// TestHeaderLimit checks that the 431 threshold is the knob itself: a
// request of exactly MaxHeaderBytes bytes is served, one byte more is not.
func TestHeaderLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxHeaderBytes = 8192
	srv, _ := start(t, cfg)
	request := func(size int) string {
		head := "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: "
		pad := size - len(head) - len("\r\n\r\n")
		return head + strings.Repeat("a", pad) + "\r\n\r\n"
	}
	for _, tc := range []struct {
		size, status int
	}{
		{cfg.MaxHeaderBytes, 200},
		{cfg.MaxHeaderBytes + 1, 431},
	} {
		resp, _ := roundTrip(t, srv.Addrs()[0], request(tc.size))
		if resp.StatusCode != tc.status {
			t.Errorf("request of %d bytes: status %d, want %d", tc.size, resp.StatusCode, tc.status)
		}
	}
}

func somaxconn(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Skipf("somaxconn: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("somaxconn: %v", err)
	}
	return n
}
