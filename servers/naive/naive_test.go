//go:build linux

package naive_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/race"
	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/servertest"
)

func config() servers.Config {
	cfg := servertest.Config()
	cfg.ReadTimeout = 2 * time.Second
	return cfg
}

// TestOneGoroutine: the server runs exactly one goroutine, whatever the
// number of listeners, and it goes away on shutdown.
func TestOneGoroutine(t *testing.T) {
	for _, listeners := range []int{1, 3} {
		cfg := config()
		cfg.Listeners = listeners
		r := servertest.Start(t, "naive", cfg)
		if got := naiveGoroutines(); got != 1 {
			t.Errorf("%d listeners: the server runs %d goroutines, want 1", listeners, got)
		}
		if err := r.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The goroutine has signalled its end; give it a moment to return.
		left := naiveGoroutines()
		for deadline := time.Now().Add(time.Second); left != 0 && time.Now().Before(deadline); left = naiveGoroutines() {
			time.Sleep(time.Millisecond)
		}
		if left != 0 {
			t.Errorf("%d goroutines left after shutdown", left)
		}
	}
}

// naiveGoroutines counts the goroutines running code of the naive server
// (counting all goroutines would count the ones other packages start and
// end meanwhile).
func naiveGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "servers/naive.(*server)") {
			n++
		}
	}
	return n
}

// TestOneAtATime: while a client holds the server (it sent half a request
// and went quiet), the next one waits in the kernel's accept queue, and is
// answered only when the first times out.
func TestOneAtATime(t *testing.T) {
	race.Skip(t) // the second client is answered after the first's read timeout
	cfg := config()
	cfg.ReadTimeout = time.Second // long enough for the checks below on a busy machine
	r := servertest.Start(t, "naive", cfg)
	st := r.Stats
	addr, fd := r.Addr(), r.Server.ListenerFDs()[0]
	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	io.WriteString(slow, "GET / HTTP/1.1\r\n")
	for deadline := time.Now().Add(2 * time.Second); st.Snapshot().Busy != 1 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	started := time.Now()
	next, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	io.WriteString(next, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(50 * time.Millisecond)
	if q, err := servers.QueueOf(fd); err != nil || q.Queue != 1 {
		t.Errorf("while the server is busy the kernel queue holds %+v (%v), want 1", q, err)
	}
	next.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(next), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if waited := time.Since(started); waited < 100*time.Millisecond {
		t.Errorf("the second client was answered after %v, while the first still held the server", waited)
	}
	if !resp.Close || resp.StatusCode != 200 {
		t.Errorf("answer %d, close %v; want 200 with Connection: close", resp.StatusCode, resp.Close)
	}
}

// TestRoundRobin: with two listeners and clients waiting on both, the one
// goroutine alternates between them.
func TestRoundRobin(t *testing.T) {
	race.Skip(t) // the order of arrival is set by short pauses
	cfg := config()
	cfg.Listeners = 2
	r := servertest.Start(t, "naive", cfg)
	st := r.Stats
	a, b := r.Addrs()[0], r.Addrs()[1]

	// Hold the server with a client on a; queue two on each port meanwhile.
	hold, err := net.Dial("tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	io.WriteString(hold, "GET /sleep?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
	for deadline := time.Now().Add(2 * time.Second); st.Snapshot().Busy != 1 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}

	type done struct {
		name string
		at   time.Time
	}
	var mu sync.Mutex
	var order []done
	var wg sync.WaitGroup
	for _, c := range []struct{ name, addr string }{{"a1", a}, {"b1", b}, {"a2", a}, {"b2", b}} {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /sleep?ms=20 HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(5 * time.Millisecond) // keep the arrival order within a port
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil {
				t.Errorf("%s: %v", c.name, err)
				return
			}
			mu.Lock()
			order = append(order, done{c.name, time.Now()})
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(order, func(i, j int) bool { return order[i].at.Before(order[j].at) })
	var names []string
	for _, d := range order {
		names = append(names, d.name)
	}
	// The holding client came from a, so b is looked at first.
	if got := strings.Join(names, " "); got != "b1 a1 b2 a2" {
		t.Errorf("served in the order %s, want b1 a1 b2 a2 (alternating, b first)", got)
	}
}

// TestShutdownWhileBusy: shutdown ends a long /sleep and a pending read.
func TestShutdownWhileBusy(t *testing.T) {
	for _, req := range []string{"GET /sleep?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\r\n"} {
		cfg := config()
		cfg.ReadTimeout = 0 // the read would wait forever
		r := servertest.Start(t, "naive", cfg)
		st := r.Stats
		c, err := net.Dial("tcp", r.Addr())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, req)
		for deadline := time.Now().Add(2 * time.Second); st.Snapshot().Busy != 1 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown during %q: %v", req, err)
		}
		cancel()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadAll(c); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("connection still open after shutdown during %q", req)
			}
		}
		c.Close()
		if s := st.Snapshot(); s.OpenConns != 0 || s.Busy != 0 {
			t.Errorf("after shutdown: open %d, busy %d", s.OpenConns, s.Busy)
		}
	}
}
