package variants_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/servertest"
)

// somaxconn is the kernel's cap on listen backlogs in this namespace.
func somaxconn(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		t.Fatalf("read somaxconn: %v", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("parse somaxconn %q: %v", b, err)
	}
	return n
}

// TestStatsChannel makes a few requests and reads them back through the
// side channel: accepted connections, requests, response classes, handler
// latencies and the listener's queue.
func TestStatsChannel(t *testing.T) {
	eachVariant(t, func(t *testing.T, name string) {
		cfg := baseConfig(true)
		srv := servertest.Start(t, name, cfg)
		sock := srv.ServeStats()

		wants := []answer{withClose(ansOK), withClose(ansJSON), withClose(ansNotFound)}
		for i, target := range []string{"/", "/json", "/nope"} {
			c := dial(t, srv.Addr())
			c.write(get(target, "Connection: close"))
			g, err := c.read(false, 5*time.Second)
			if err != nil {
				t.Fatalf("%s: %v", target, err)
			}
			wants[i].check(t, target, g)
			c.expectClosed(5 * time.Second)
		}

		sc := servers.NewStatsClient(sock)
		defer sc.Close()
		// The client may read its answer a moment before the server counts
		// it; wait (bounded) for the counts to settle.
		var snap servers.Snapshot
		for deadline := time.Now().Add(5 * time.Second); ; {
			var err error
			snap, err = sc.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if (snap.Requests >= 3 && snap.OpenConns == 0 && snap.Busy == 0) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		checks := []struct {
			what      string
			got, want any
		}{
			{"variant", snap.Variant, name},
			{"pid", snap.PID, os.Getpid()},
			{"accepted", snap.Accepted, uint64(3)},
			{"accept errors", len(snap.AcceptErrors), 0},
			{"requests", snap.Requests, uint64(3)},
			{"2xx", snap.Responses["2xx"], uint64(2)},
			{"4xx", snap.Responses["4xx"], uint64(1)},
			{"handler latencies", snap.HandlerMs.Count, int64(3)},
			{"open connections", snap.OpenConns, int64(0)},
			{"listeners", len(snap.Listeners), 1},
		}
		for _, c := range checks {
			if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
				t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
			}
		}
		if snap.OpenConnsPeak < 1 {
			t.Errorf("open connections peak %d, want at least 1", snap.OpenConnsPeak)
		}
		if snap.HandlerHistogram == "" || snap.HandlerMs.Max <= 0 {
			t.Errorf("handler histogram empty: %+v", snap.HandlerMs)
		}
		if len(snap.Listeners) == 1 {
			l := snap.Listeners[0]
			if want := min(cfg.Backlog, somaxconn(t)); l.Backlog != want || l.Queue != 0 || l.Addr != srv.Addr() {
				t.Errorf("listener %+v, want %s with backlog %d and an empty queue", l, srv.Addr(), want)
			}
		}
		if shape, ok := poolShape[name]; ok {
			if snap.Workers != shape[0] || snap.QueueCap != shape[1] || snap.BusyPeak < 1 || snap.Busy != 0 {
				t.Errorf("workers %d (busy %d, peak %d), queue cap %d; want %d workers, none busy now but some before, queue cap %d",
					snap.Workers, snap.Busy, snap.BusyPeak, snap.QueueCap, shape[0], shape[1])
			}
		}
	})
}

// poolShape is the (workers, queue capacity) the worker-based variants
// report under baseConfig.
var poolShape = map[string][2]int64{
	"naive": {1, 0},
	"pool":  {4, 8},
}

// TestBacklog proves that --backlog 16 yields a listen queue of 16 on every
// listener, read back from the kernel twice: TCP_INFO through QueueOf, and
// the Send-Q column of ss -ltn.
func TestBacklog(t *testing.T) {
	eachVariant(t, func(t *testing.T, name string) {
		cfg := baseConfig(true)
		cfg.Backlog = 16
		cfg.Listeners = 2
		srv := servertest.Start(t, name, cfg)
		want := min(16, somaxconn(t))
		addrs := srv.Addrs()
		fds := srv.Server.ListenerFDs()
		if len(addrs) != 2 || len(fds) != 2 {
			t.Fatalf("%d addresses, %d listener fds; want 2 of each", len(addrs), len(fds))
		}
		for i, fd := range fds {
			q, err := servers.QueueOf(fd)
			if err != nil {
				t.Fatal(err)
			}
			if q.Backlog != want || q.Addr != addrs[i] {
				t.Errorf("QueueOf(listener %d) = %+v, want %s with backlog %d", i, q, addrs[i], want)
			}
			sendQ, ok := ssSendQ(t, addrs[i])
			if ok && sendQ != want {
				t.Errorf("ss -ltn shows Send-Q %d for %s, want %d", sendQ, addrs[i], want)
			}
		}
	})
}

// ssSendQ returns the Send-Q (the backlog) ss -ltn prints for the listener
// on addr; ok is false when ss is not installed.
func ssSendQ(t *testing.T, addr string) (int, bool) {
	t.Helper()
	path, err := exec.LookPath("ss")
	if err != nil {
		t.Logf("ss not installed, backlog checked through TCP_INFO only")
		return 0, false
	}
	out, err := exec.Command(path, "-ltn").Output()
	if err != nil {
		t.Fatalf("ss -ltn: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		// State Recv-Q Send-Q Local-Address:Port Peer-Address:Port
		if len(f) >= 4 && f[0] == "LISTEN" && f[3] == addr {
			n, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatalf("ss line %q: Send-Q: %v", line, err)
			}
			return n, true
		}
	}
	t.Fatalf("ss -ltn does not list %s:\n%s", addr, out)
	return 0, false
}

// TestSeveralListeners serves a request on every port of --listeners 3,
// with and without SO_REUSEPORT.
func TestSeveralListeners(t *testing.T) {
	eachVariant(t, func(t *testing.T, name string) {
		for _, reuse := range []bool{false, true} {
			t.Run(fmt.Sprintf("reuseport=%v", reuse), func(t *testing.T) {
				cfg := baseConfig(true)
				cfg.Listeners = 3
				cfg.ReusePort = reuse
				srv := servertest.Start(t, name, cfg)
				addrs := srv.Addrs()
				if len(addrs) != 3 {
					t.Fatalf("addresses %v, want 3", addrs)
				}
				want := ansJSON
				want.closeAny = true // naive closes whatever the knob says
				seen := map[string]bool{}
				for round := range 2 {
					for _, a := range addrs {
						seen[a] = true
						c := dial(t, a)
						c.write(get("/json"))
						g, err := c.read(false, 5*time.Second)
						if err != nil {
							t.Fatalf("round %d, %s: %v", round, a, err)
						}
						want.check(t, a, g)
						c.conn.Close()
					}
				}
				if len(seen) != 3 {
					t.Errorf("addresses %v are not distinct", addrs)
				}
				if got := srv.Stats.Snapshot().Accepted; got != 6 {
					t.Errorf("accepted %d connections, want 6", got)
				}
			})
		}
	})
}
