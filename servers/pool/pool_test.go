package pool_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/race"
	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/pool"
	"github.com/scalelab/scalelab/servers/servertest"
)

// waitFor polls cond (bounded) and reports whether it came true.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestBackpressureIntoTheKernel fills the pool: one worker busy with a
// keep-alive connection, one connection in the queue, one held by the
// blocked acceptor; then the kernel's accept queue fills up to backlog+1
// and the next SYN is dropped. Nothing is refused by the server itself.
func TestBackpressureIntoTheKernel(t *testing.T) {
	cfg := servertest.Config()
	cfg.Workers, cfg.Queue, cfg.Backlog = 1, 1, 4
	cfg.ReadTimeout = 10 * time.Second
	r := servertest.Start(t, "pool", cfg)
	st := r.Stats
	addr := r.Addr()
	fd := r.Server.ListenerFDs()[0]
	backlog, err := servers.QueueOf(fd)
	if err != nil {
		t.Fatal(err)
	}

	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// The first connection keeps the only worker busy (keep-alive).
	first := dial()
	br := bufio.NewReader(first)
	ask := func() {
		if _, err := io.WriteString(first, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	ask()
	// The second waits in the queue, the third in the acceptor's hand.
	dial()
	dial()
	if !waitFor(func() bool { s := st.Snapshot(); return s.Accepted == 3 && s.QueueLen == 2 }) {
		s := st.Snapshot()
		t.Fatalf("accepted %d, queue %d; want 3 accepted, 2 waiting (1 queued + 1 held by the acceptor)", s.Accepted, s.QueueLen)
	}
	// The rest wait in the kernel's accept queue, up to backlog+1.
	for i := 1; i <= backlog.Backlog+1; i++ {
		dial()
		if !waitFor(func() bool { q, _ := servers.QueueOf(fd); return q.Queue == i }) {
			q, _ := servers.QueueOf(fd)
			t.Fatalf("after %d more connects the kernel queue holds %d", i, q.Queue)
		}
	}
	if c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond); err == nil {
		c.Close()
		t.Error("a connect completed although the kernel's accept queue was full")
	}
	s := st.Snapshot()
	if s.Accepted != 3 || s.Busy != 1 || s.BusyPeak != 1 || s.QueuePeak != 2 || len(s.AcceptErrors) != 0 {
		t.Errorf("while full: accepted %d, busy %d (peak %d), queue peak %d, accept errors %v; want 3, 1 (1), 2, none",
			s.Accepted, s.Busy, s.BusyPeak, s.QueuePeak, s.AcceptErrors)
	}
	ask() // the busy connection is still served

	// Freeing the worker moves the line on by one: the worker takes the
	// queued connection (idle, so it keeps the worker), the acceptor's
	// connection enters the queue, and one more leaves the kernel's queue.
	first.Close()
	if !waitFor(func() bool {
		q, _ := servers.QueueOf(fd)
		return st.Snapshot().Accepted == 4 && q.Queue == backlog.Backlog
	}) {
		q, _ := servers.QueueOf(fd)
		t.Errorf("after the worker was freed: accepted %d, kernel queue %d; want 4 and %d",
			st.Snapshot().Accepted, q.Queue, backlog.Backlog)
	}
}

// TestShutdownClosesEverything shuts down with connections busy, queued and
// held: Shutdown returns, every connection is closed, the gauges settle.
func TestShutdownClosesEverything(t *testing.T) {
	cfg := servertest.Config()
	cfg.Workers, cfg.Queue = 1, 1
	r := servertest.Start(t, "pool", cfg)
	st := r.Stats
	addr := r.Addr()
	var conns []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// The first one sleeps in a handler.
	if _, err := io.WriteString(conns[0], "GET /sleep?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(func() bool { return st.Snapshot().Accepted == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("shutdown took %v with a 60 s sleep in progress", took)
	}
	for i, c := range conns[:3] {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("connection %d still open after shutdown", i)
			}
		}
	}
	s := st.Snapshot()
	if s.OpenConns != 0 || s.QueueLen != 0 || s.Busy != 0 {
		t.Errorf("after shutdown: open %d, queued %d, busy %d; want 0, 0, 0", s.OpenConns, s.QueueLen, s.Busy)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still accepting after shutdown")
	}
	if err := r.Server.Shutdown(ctx); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
}

func TestNewRejectsBadShape(t *testing.T) {
	cfg := servers.DefaultConfig()
	cfg.Workers = 0
	if _, err := pool.New(cfg, servers.NewStats()); err == nil {
		t.Error("New accepted 0 workers")
	}
	if _, err := pool.New(servers.DefaultConfig(), nil); err == nil {
		t.Error("New accepted nil stats")
	}
}

// TestQueueWait: with one worker held by a /sleep, the next connection
// waits in the queue until the sleep ends, and the queue-wait histogram
// says how long.
func TestQueueWait(t *testing.T) {
	race.Skip(t) // asserts a wait of a few hundred milliseconds
	cfg := servertest.Config()
	cfg.Workers, cfg.Queue = 1, 4
	cfg.KeepAlive = false
	r := servertest.Start(t, "pool", cfg)
	const sleep = 300 * time.Millisecond

	first, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := io.WriteString(first, "GET /sleep?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if !waitFor(func() bool { return r.Stats.Snapshot().Busy == 1 }) {
		t.Fatal("the worker never took the first connection")
	}
	second, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	// The second connection is accepted about now (the acceptor is idle,
	// waiting in accept); the worker is free once the sleep ends, sleep
	// after the first request was sent.
	minWait := sleep - time.Since(sent)
	if _, err := io.WriteString(second, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []net.Conn{first, second} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	snap, _ := r.WaitStats(2*time.Second, func(s servers.Snapshot) bool { return s.Requests == 2 })
	q := snap.QueueWaitMs
	t.Logf("queue wait: %+v (the second connection waited at least %v)", q, minWait)
	if q.Count != 2 {
		t.Errorf("%d queue waits recorded, want 2", q.Count)
	}
	if got := time.Duration(q.Max * float64(time.Millisecond)); got < minWait-50*time.Millisecond || got > 5*time.Second {
		t.Errorf("longest queue wait %v, want at least %v (the rest of the first request's sleep)", got, minWait)
	}
	if q.P50 > q.Max/2 {
		t.Errorf("queue wait p50 %.3f ms: the first connection found the worker free and should not have waited", q.P50)
	}
	if snap.QueueWaitHistogram == "" {
		t.Error("no queue-wait histogram in the snapshot")
	}
}

// TestAcceptStall: with the acceptors stopped for 1 s every 10 s from the
// server's start, a connection made just after the start is accepted, and
// answered, only when the window ends; the accept queue holds it meanwhile.
func TestAcceptStall(t *testing.T) {
	race.Skip(t)
	cfg := servertest.Config()
	cfg.AcceptStall, cfg.AcceptStallEvery = time.Second, 10*time.Second
	cfg.KeepAlive = false
	r := servertest.Start(t, "pool", cfg)
	start := time.Now()
	c, err := net.DialTimeout("tcp", r.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The server started well under 700 ms before the connect.
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("answered after %v, inside the 1 s stall that began at the start", took)
	}
}

func TestAcceptStallNeedsALongerPeriod(t *testing.T) {
	cfg := servertest.Config()
	cfg.AcceptStall, cfg.AcceptStallEvery = time.Second, time.Second
	if _, err := pool.New(cfg, servers.NewStats()); err == nil {
		t.Fatal("a stall as long as its period was accepted")
	}
}
