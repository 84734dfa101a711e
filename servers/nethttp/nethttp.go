// Package nethttp is the lab's net/http variant: the standard library's
// http.Server, one goroutine per connection.
//
// What it teaches: goroutine per connection. Every accepted connection gets
// its own goroutine that reads a request, runs the handler and writes the
// answer; the Go scheduler multiplexes thousands of them on a few threads, so
// a slow request (/sleep) only holds its own goroutine. The price is a
// goroutine stack, a bufio reader and writer per connection and the
// allocations of http.Request and its header map on every request.
//
// The knobs: the listeners come from servers.ListenAll (the real listen(2)
// backlog, SO_REUSEPORT when asked), --keepalive maps to
// SetKeepAlivesEnabled, --read-timeout to ReadTimeout and IdleTimeout, and
// --max-header-bytes to MaxHeaderBytes minus 4096 (see MaxHeaderBytes).
// --workers and --queue have no meaning here and are ignored.
//
// h2c (--h2c): the server also speaks HTTP/2 over cleartext TCP to clients
// that open with the HTTP/2 connection preface (prior knowledge, no
// Upgrade), on the same listeners as HTTP/1.1: http.Server.Protocols with
// UnencryptedHTTP2. Each stream runs the handler on its own goroutine; the
// connection's own goroutine reads frames and a frame writer serializes the
// answers. --max-streams sets HTTP2Config.MaxConcurrentStreams, the
// SETTINGS_MAX_CONCURRENT_STREAMS announced in the server's first SETTINGS
// frame (250 by default). A client that opens a stream beyond it gets
// RST_STREAM: with REFUSED_STREAM while the server's SETTINGS are not yet
// acknowledged (the client may simply not have read them: a race), and
// with PROTOCOL_ERROR once they are (the client broke the rule it was
// told), net/http/h2_bundle.go, processHeaders, Go 1.26. HTTP2Config's
// CountError counts the library's HTTP/2 errors by name in the statistics,
// and the two over-the-limit ones as refused streams. Over HTTP/2 the
// handler does not flush its answer itself: each flush is handed to the
// connection's frame writer and waited for, and would split the answer
// into HEADERS, DATA and an empty DATA that ends the stream; so an answer
// over HTTP/2 counts as served once the handler returns, and an abandoned
// one (a reset stream) is not seen.
//
// Statistics: accepts and accept errors come from a listener wrapper, open
// connections from the ConnState hook, busy workers are handlers running.
// Requests that net/http refuses itself (400, 431) never reach the handler
// and are not counted as served. The handler flushes its answer itself
// (ResponseWriter's FlushError), so it sees the write fail: with EPIPE or
// ECONNRESET (the client reset the connection) the answer counts as
// abandoned. A client that merely closed is not seen (the write after its
// FIN succeeds).
//
// At the fd limit: accept(2) fails with EMFILE; http.Server.Serve treats the
// error as temporary (syscall.Errno.Temporary is true for EMFILE and ENFILE)
// and retries after a backoff that doubles from 5 ms up to 1 s, logging
// "http: Accept error: ...; retrying in ..." (net/http/server.go, Serve, Go
// 1.26). Connections wait in the accept queue meanwhile; the server serves
// again as soon as descriptors are freed. Each failed accept is counted in
// Stats.AcceptError by errno.
package nethttp

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scalelab/scalelab/servers"
)

// headerSlack is what net/http adds to Server.MaxHeaderBytes before it
// stops reading a request ("bufio slop", net/http/server.go
// initialReadLimitSize).
const headerSlack = 4096

// MaxHeaderBytes returns the http.Server.MaxHeaderBytes that makes net/http
// answer 431 once a request line plus headers exceed knob bytes. net/http
// reads up to MaxHeaderBytes+4096 bytes before it gives up, so the knob is
// lowered by 4096; knobs of 4096 and below cannot be honoured (MaxHeaderBytes
// must stay positive) and give a threshold of 4097 bytes.
func MaxHeaderBytes(knob int) int {
	return max(knob-headerSlack, 1)
}

// Server is the net/http variant. Build it with New.
type Server struct {
	*servers.Served
	cfg servers.Config
	st  *servers.Stats
	hs  *http.Server
}

var _ servers.Server = (*Server)(nil)

// New builds the net/http variant from the shared knobs; it reports to st.
// It is a servers.Factory.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	if err := servers.CheckNew("nethttp", cfg, st); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, st: st}
	s.hs = &http.Server{
		Handler:                      http.HandlerFunc(s.serveHTTP),
		ReadTimeout:                  cfg.ReadTimeout,
		IdleTimeout:                  cfg.ReadTimeout,
		MaxHeaderBytes:               MaxHeaderBytes(cfg.MaxHeaderBytes),
		ConnState:                    s.connState,
		DisableGeneralOptionsHandler: true,
	}
	s.hs.SetKeepAlivesEnabled(cfg.KeepAlive)
	if cfg.H2C {
		s.hs.Protocols = new(http.Protocols)
		s.hs.Protocols.SetHTTP1(true)
		s.hs.Protocols.SetUnencryptedHTTP2(true)
		s.hs.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: cfg.MaxStreams, CountError: s.countH2Error}
	}
	// Serve returns http.ErrServerClosed on Shutdown.
	s.Served = servers.NewServed("nethttp", cfg, st, s.hs.Serve, s.stop)
	return s, nil
}

// stop closes the listeners and idle connections, waits for requests in
// flight, and closes what is left when ctx expires.
func (s *Server) stop(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if err != nil {
		_ = s.hs.Close()
	}
	return err
}

// Header values shared by every answer; net/http only reads them.
var (
	hdrServer = []string{"scalelab"}
	hdrClose  = []string{"close"}
	hdrText   = []string{servers.TextPlain}
	hdrJSON   = []string{servers.AppJSON}
	// hdrLength holds each kind's Content-Length: set before the flush,
	// it keeps net/http from choosing chunked encoding.
	hdrLength = func() (l [servers.KindBadRequest + 1][]string) {
		for k := range l {
			l[k] = []string{strconv.Itoa(len(servers.Action{Kind: servers.Kind(k)}.Body()))}
		}
		return l
	}()
)

// flushError is what net/http's ResponseWriter has to push its buffer to
// the socket and tell whether the write worked.
type flushError interface{ FlushError() error }

// serveHTTP routes a request, does its work and answers it. It flushes the
// answer itself, so that it sees the write fail when the client is gone
// (the answer is then abandoned, not served); the handler latency runs from
// its start to the answer written.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.ProtoMajor == 2 {
		s.st.StreamOpened()
	}
	s.st.WorkerBusy()
	a := servers.Route(r.URL.Path, r.URL.RawQuery)
	body := a.Body()
	if a.Kind == servers.KindEcho {
		n, _ := io.Copy(io.Discard, r.Body)
		a = a.WithBody(int(n))
		body = a.Body()
	}
	a.Do()
	h := w.Header()
	h["Server"] = hdrServer
	if !s.cfg.KeepAlive {
		// net/http would answer an HTTP/1.0 "Connection: keep-alive"
		// request with "Connection: keep-alive" and then close anyway
		// (net/http/server.go, chunkWriter.writeHeader, Go 1.26); saying
		// close keeps the answer true.
		h["Connection"] = hdrClose
	}
	if a.Kind == servers.KindJSON {
		h["Content-Type"] = hdrJSON
	} else {
		h["Content-Type"] = hdrText
	}
	if a.Kind == servers.KindEcho {
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	} else {
		h["Content-Length"] = hdrLength[a.Kind]
	}
	status := a.Status()
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	_, err := w.Write(body)
	if f, ok := w.(flushError); ok && err == nil && r.ProtoMajor < 2 {
		err = f.FlushError()
	}
	s.st.WorkerIdle()
	switch {
	case err == nil:
		s.st.Served(status, time.Since(start))
	case servers.ClientGone(err):
		s.st.Abandoned(1)
	}
}

// connState keeps the open connection gauge.
func (s *Server) connState(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.st.ConnOpened()
	case http.StateClosed, http.StateHijacked:
		s.st.ConnClosed()
	}
}

// Suffixes of the names net/http's HTTP/2 server gives a stream it resets
// for exceeding SETTINGS_MAX_CONCURRENT_STREAMS:
// "stream_PROTOCOL_ERROR_over_max_streams" once its SETTINGS are
// acknowledged, "stream_REFUSED_STREAM_over_max_streams_race" before.
const (
	overMaxStreams     = "_over_max_streams"
	overMaxStreamsRace = "_over_max_streams_race"
)

// countH2Error is HTTP2Config.CountError: every HTTP/2 error by name, and
// the streams refused over the limit.
func (s *Server) countH2Error(kind string) {
	s.st.H2Error(kind)
	if strings.HasSuffix(kind, overMaxStreams) || strings.HasSuffix(kind, overMaxStreamsRace) {
		s.st.StreamRefused()
	}
}
