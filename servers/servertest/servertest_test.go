package servertest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
)

// TestStart starts a variant, asks it something, reads its statistics
// through the side channel and shuts it down twice.
func TestStart(t *testing.T) {
	cfg := Config()
	cfg.Listeners = 2
	r := Start(t, "pool", cfg)
	if len(r.Addrs()) != 2 || r.Addr() != r.Addrs()[0] {
		t.Fatalf("addresses %v", r.Addrs())
	}
	c, err := net.DialTimeout("tcp", r.Addr(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET /json HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	if _, ok := r.WaitStats(2*time.Second, func(s servers.Snapshot) bool { return s.Requests == 1 }); !ok {
		t.Errorf("the request was not counted")
	}

	sc := servers.NewStatsClient(r.ServeStats())
	defer sc.Close()
	snap, err := sc.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Variant != "pool" || len(snap.Listeners) != 2 || snap.Requests != 1 {
		t.Errorf("through the side channel: variant %q, %d listeners, %d requests; want pool, 2, 1",
			snap.Variant, len(snap.Listeners), snap.Requests)
	}

	ctx := context.Background()
	if err := r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if c, err := net.DialTimeout("tcp", r.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("still accepting after Shutdown")
	}
}
