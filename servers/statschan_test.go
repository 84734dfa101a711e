package servers

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
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
	staleSocket(t, sock)
	queues := []ListenQueue{{Addr: "127.0.0.1:8080", Queue: 3, Backlog: 16}}
	ch, err := ServeStats(sock, "pool", st, func() []ListenQueue { return queues })
	if err != nil {
		t.Fatalf("ServeStats over a stale socket: %v", err)
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

// staleSocket leaves a unix socket file at path that nobody listens on, as
// a killed server does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
}

// TestServeStatsPath: ServeStats takes a free path or a stale socket's,
// and refuses to remove anything else.
func TestServeStatsPath(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr string // "" = served
		kept    bool   // what was at path must still be there
	}{
		{name: "free", prepare: func(*testing.T, string) {}},
		{name: "stale socket", prepare: staleSocket},
		{name: "regular file", wantErr: "a regular file is in the way (not a socket)", kept: true,
			prepare: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "empty directory", wantErr: "a directory is in the way (not a socket)", kept: true,
			prepare: func(t *testing.T, path string) {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "symbolic link to a stale socket", wantErr: "a symbolic link is in the way", kept: true,
			prepare: func(t *testing.T, path string) {
				target := path + ".target"
				staleSocket(t, target)
				if err := os.Symlink(target, path); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "socket in use", wantErr: "socket in use: another server listens on it", kept: true,
			prepare: func(t *testing.T, path string) {
				ln, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { ln.Close() })
			}},
		{name: "missing directory", wantErr: "no such file or directory",
			prepare: func(t *testing.T, path string) {
				if err := os.Remove(filepath.Dir(path)); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "stats.sock")
			tt.prepare(t, path)
			before, _ := os.Lstat(path)
			ch, err := ServeStats(path, "x", NewStats(), nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ServeStats: %v", err)
				}
				sc := NewStatsClient(path)
				defer sc.Close()
				if _, err := sc.Snapshot(context.Background()); err != nil {
					t.Errorf("snapshot through the new channel: %v", err)
				}
				if err := ch.Close(); err != nil {
					t.Errorf("close: %v", err)
				}
				return
			}
			if err == nil {
				ch.Close()
				t.Fatalf("ServeStats succeeded, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Errorf("ServeStats = %q, want an error naming %s and containing %q", err, path, tt.wantErr)
			}
			if after, err := os.Lstat(path); tt.kept && (err != nil || !os.SameFile(before, after)) {
				t.Errorf("what was at the path is gone or replaced: %v", err)
			}
		})
	}
}
