package servers

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestStatsChannelRoundTrip serves statistics on a unix socket and reads
// them back with StatsClient: the snapshot, the listener queues, a reset.
func TestStatsChannelRoundTrip(t *testing.T) {
	st := NewStats()
	st.SetPool(4, 16)
	st.Accepted()
	st.ConnOpened()
	st.Served(200, 2*time.Millisecond)
	st.Served(404, time.Millisecond)
	st.AcceptError(os.NewSyscallError("accept4", syscall.EMFILE))

	sock := filepath.Join(t.TempDir(), "stats.sock")
	if err := os.WriteFile(sock, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	queues := []ListenQueue{{Addr: "127.0.0.1:8080", Queue: 3, Backlog: 16}}
	ch, err := ServeStats(sock, "pool", st, func() []ListenQueue { return queues })
	if err != nil {
		t.Fatalf("ServeStats over a stale file: %v", err)
	}
	sc := NewStatsClient(sock)
	defer sc.Close()
	ctx := context.Background()

	snap, err := sc.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Variant != "pool" || snap.Workers != 4 || snap.QueueCap != 16 || snap.Accepted != 1 ||
		snap.Requests != 2 || snap.Responses["2xx"] != 1 || snap.Responses["4xx"] != 1 ||
		snap.AcceptErrors["EMFILE"] != 1 || snap.HandlerMs.Count != 2 || snap.OpenConns != 1 {
		t.Errorf("snapshot through the channel: %+v", snap)
	}
	if len(snap.Listeners) != 1 || snap.Listeners[0] != queues[0] {
		t.Errorf("listeners %+v, want %+v", snap.Listeners, queues)
	}

	if err := sc.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if snap, err = sc.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	if snap.HandlerMs.Count != 0 || snap.Requests != 2 {
		t.Errorf("after reset: %d latencies, %d requests; want 0 and the 2 counted before", snap.HandlerMs.Count, snap.Requests)
	}

	if err := ch.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket file left behind: %v", err)
	}
	if _, err := sc.Snapshot(ctx); err == nil {
		t.Error("snapshot after close succeeded")
	}
}

func TestServeStatsBadPath(t *testing.T) {
	if _, err := ServeStats(filepath.Join(t.TempDir(), "missing", "s.sock"), "x", NewStats(), nil); err == nil {
		t.Error("ServeStats in a missing directory succeeded")
	}
}
