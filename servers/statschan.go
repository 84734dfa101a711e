package servers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// StatsChannel serves a server's statistics on a unix socket, apart from the
// measured listeners: GET /stats answers a Snapshot as JSON, POST /reset
// starts a new measuring period (peaks and latency histogram).
type StatsChannel struct {
	path string
	ln   net.Listener
	srv  *http.Server
}

// ServeStats starts the side channel on the unix socket path. queues, when
// not nil, is called on each request to fill in the listener queues.
func ServeStats(path, variant string, st *Stats, queues func() []ListenQueue) (*StatsChannel, error) {
	_ = os.Remove(path)
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
	c := &StatsChannel{path: path, ln: ln, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

// Close stops the side channel and removes its socket file.
func (c *StatsChannel) Close() error {
	err := c.srv.Close()
	_ = os.Remove(c.path)
	return err
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
