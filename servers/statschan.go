package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"
)

// StatsChannel serves a server's statistics on a unix socket, apart from the
// measured listeners: GET /stats answers a Snapshot as JSON, POST /reset
// starts a new measuring period (peaks and latency histogram).
type StatsChannel struct {
	ln  net.Listener
	srv *http.Server
}

// ServeStats starts the side channel on the unix socket path. queues, when
// not nil, is called on each request to fill in the listener queues.
//
// Whatever is at path stays unless it is a stale socket, one nobody listens
// on (left by a server that was killed): that one is removed. A socket in
// use, a regular file, a directory or anything else is an error.
func ServeStats(path, variant string, st *Stats, queues func() []ListenQueue) (*StatsChannel, error) {
	if err := removeStaleSocket(path); err != nil {
		return nil, fmt.Errorf("stats channel %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("stats channel %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		snap := st.Snapshot()
		snap.Variant = variant
		if queues != nil {
			snap.Listeners = queues()
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(snap)
	})
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, r *http.Request) {
		st.ResetPeaks()
		w.WriteHeader(http.StatusNoContent)
	})
	c := &StatsChannel{ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Close stops the side channel and removes its socket file.
func (c *StatsChannel) Close() error {
	err := c.srv.Close()
	_ = c.ln.Close() // removes the socket file, if Serve had not taken the listener yet
	return err
}

// staleDialTimeout bounds the connect that tells a stale socket from one in
// use: a listener accepts a unix connect at once (or refuses it when its
// queue is full, which still means someone listens).
const staleDialTimeout = time.Second

// removeStaleSocket makes way for a new socket at path: nothing there is
// fine, a socket nobody listens on is removed, anything else is refused.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("%s is in the way (not a socket): remove it or choose another path", describeMode(fi.Mode()))
	}
	c, err := net.DialTimeout("unix", path, staleDialTimeout)
	if err == nil {
		c.Close()
		return errors.New("socket in use: another server listens on it")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		// EAGAIN: a listener with a full queue; EACCES: not ours to judge.
		return fmt.Errorf("socket in use or not ours: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// describeMode names the kind of file a mode is, for errors.
func describeMode(m fs.FileMode) string {
	switch m.Type() {
	case 0:
		return "a regular file"
	case fs.ModeDir:
		return "a directory"
	case fs.ModeSymlink:
		return "a symbolic link"
	case fs.ModeNamedPipe:
		return "a named pipe"
	case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
		return "a device"
	}
	return "a file of mode " + m.Type().String()
}

// StatsClient reads a server's side channel.
type StatsClient struct {
	hc *http.Client
}

// NewStatsClient returns a client for the side channel at the unix socket path.
func NewStatsClient(path string) *StatsClient {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
		MaxIdleConns: 1,
	}
	return &StatsClient{hc: &http.Client{Transport: tr, Timeout: 5 * time.Second}}
}

// Snapshot fetches the current statistics.
func (c *StatsClient) Snapshot(ctx context.Context) (Snapshot, error) {
	var snap Snapshot
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://stats/stats", nil)
	if err != nil {
		return snap, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return snap, fmt.Errorf("read server stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return snap, fmt.Errorf("read server stats: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return snap, fmt.Errorf("decode server stats: %w", err)
	}
	return snap, nil
}

// Reset starts a new measuring period on the server.
func (c *StatsClient) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://stats/reset", nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("reset server stats: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return errors.New("reset server stats: " + resp.Status)
	}
	return nil
}

// Close releases the client's idle connection.
func (c *StatsClient) Close() { c.hc.CloseIdleConnections() }
