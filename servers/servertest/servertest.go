// Package servertest starts the lab's server variants in tests: by name, on
// loopback ports picked by the kernel, shut down when the test ends.
package servertest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/variants"
)

// ShutdownTimeout bounds the shutdown at the end of a test; a server that
// takes longer fails the test.
const ShutdownTimeout = 5 * time.Second

// Config returns the knobs tests start from: the defaults, on 127.0.0.1
// with free ports, a read timeout of 5 s.
func Config() servers.Config {
	cfg := servers.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.ReadTimeout = 5 * time.Second
	return cfg
}

// Running is a variant serving for a test.
type Running struct {
	// Variant is the variant's name.
	Variant string
	// Config holds the knobs it was started with.
	Config servers.Config
	// Server is the variant itself.
	Server servers.Server
	// Stats receives what it does.
	Stats *servers.Stats

	t            testing.TB
	shutdownOnce sync.Once
	shutdownErr  error
}

// Start builds and starts the named variant with cfg. The server is shut
// down when the test ends; a shutdown that fails or takes longer than
// ShutdownTimeout fails the test.
func Start(t testing.TB, variant string, cfg servers.Config) *Running {
	t.Helper()
	st := servers.NewStats()
	srv, err := variants.New(variant, cfg, st)
	if err != nil {
		t.Fatalf("build %s: %v", variant, err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start %s: %v", variant, err)
	}
	r := &Running{Variant: variant, Config: cfg, Server: srv, Stats: st, t: t}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("shutdown %s: %v", variant, err)
		}
	})
	return r
}

// Addr returns the first listening address.
func (r *Running) Addr() string { return r.Server.Addrs()[0] }

// Addrs returns every listening address.
func (r *Running) Addrs() []string { return r.Server.Addrs() }

// Shutdown shuts the server down once; later calls (the test's cleanup
// among them) return the first call's result.
func (r *Running) Shutdown(ctx context.Context) error {
	r.shutdownOnce.Do(func() { r.shutdownErr = r.Server.Shutdown(ctx) })
	return r.shutdownErr
}

// ServeStats serves the server's statistics on a unix socket, as
// `scalelab serve --stats` does (listener queues included), until the test
// ends, and returns the socket's path.
func (r *Running) ServeStats() string {
	r.t.Helper()
	// A short directory: unix socket paths are limited to 107 bytes.
	dir, err := os.MkdirTemp("", "servertest")
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "stats.sock")
	ch, err := servers.ServeStats(path, r.Variant, r.Stats, func() []servers.ListenQueue {
		qs, err := servers.ListenQueues(r.Server.ListenerFDs())
		if err != nil {
			r.t.Errorf("listener queues: %v", err)
		}
		return qs
	})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { ch.Close() })
	return path
}

// WaitStats polls the statistics until cond holds or within passes, and
// returns the last snapshot and whether cond held. Servers count an answer
// after writing it, so a client may read it a moment before it is counted.
func (r *Running) WaitStats(within time.Duration, cond func(servers.Snapshot) bool) (servers.Snapshot, bool) {
	deadline := time.Now().Add(within)
	for {
		snap := r.Stats.Snapshot()
		if cond(snap) {
			return snap, true
		}
		if time.Now().After(deadline) {
			return snap, false
		}
		time.Sleep(5 * time.Millisecond)
	}
}
