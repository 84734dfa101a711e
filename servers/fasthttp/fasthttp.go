// Package fasthttp is the lab's fasthttp variant: github.com/valyala/fasthttp
// serving the lab's listeners, used the way its documentation recommends for
// speed.
//
// What it teaches: zero-allocation serving with a worker pool. fasthttp keeps
// a pool of worker goroutines (one per connection being served, reused
// between connections), reuses its RequestCtx, buffers and header structures
// from connection to connection, and gives the handler byte slices into its
// read buffer instead of strings. The handler follows the documented advice:
// no allocation, no copy (the canned bodies are handed over with
// SetBodyRaw), the request time fasthttp already took (RequestCtx.Time) as
// the start of the handler latency.
//
// The knobs: the listeners come from servers.ListenAll (real listen(2)
// backlog, SO_REUSEPORT when asked), one Server.Serve per listener;
// --keepalive maps to DisableKeepalive, --read-timeout to ReadTimeout and
// IdleTimeout, --max-header-bytes to ReadBufferSize: fasthttp reads the
// request line and headers into that buffer and answers 431 ("Too big request
// header", its default ErrorHandler on ErrSmallBuffer) when they do not fit,
// so the threshold is the knob itself. --workers and --queue are ignored
// (fasthttp sizes its pool up to Concurrency, 256k connections).
//
// Statistics: accepts and accept errors come from a listener wrapper, open
// connections from the ConnState hook, busy workers are handlers running.
// Requests that fasthttp refuses itself (400, 431, 408 through ErrorHandler)
// never reach the handler and are not counted as served.
//
// Abandoned answers: fasthttp writes the answer after the handler returns
// and hands the handler no way to learn how the write went, so the handler
// counts every answer as served. What can be seen is the connection's
// write: a wrapper counts each write that fails with EPIPE or ECONNRESET
// (the client reset the connection) as one abandoned answer. What cannot be
// seen: which answers were in it (fasthttp flushes the answers to pipelined
// requests together, one failed write may hold several, and each was
// counted as served too), and a client that merely closed (the write after
// its FIN succeeds).
//
// At the fd limit: accept(2) fails with EMFILE; fasthttp's acceptConn only
// retries errors that report Timeout(), so it logs "Permanent error when
// accepting new connections: ... too many open files" and Serve returns the
// error (fasthttp v1.78.0 server.go, acceptConn and Serve). That listener is
// never accepted from again: connections already open keep being served,
// new ones complete the handshake into the kernel's accept queue and wait
// there unanswered until it overflows. The failed accept is counted in
// Stats.AcceptError by errno before fasthttp sees it.
package fasthttp

import (
	"context"
	"errors"
	"log"
	"net"
	"os"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/scalelab/scalelab/servers"
)

// Server is the fasthttp variant. Build it with New.
type Server struct {
	*servers.Served
	cfg servers.Config
	st  *servers.Stats
	fs  *fasthttp.Server

	// conns holds the open connections, so that Shutdown can close the ones
	// still busy when its context expires (fasthttp closes only idle ones).
	connMu sync.Mutex
	conns  map[net.Conn]struct{}
}

var _ servers.Server = (*Server)(nil)

// New builds the fasthttp variant from the shared knobs; it reports to st.
// It is a servers.Factory.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	if err := servers.CheckNew("fasthttp", cfg, st); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, st: st, conns: make(map[net.Conn]struct{})}
	s.fs = &fasthttp.Server{
		Handler:                       s.handle,
		Name:                          "scalelab",
		ReadBufferSize:                cfg.MaxHeaderBytes,
		ReadTimeout:                   cfg.ReadTimeout,
		IdleTimeout:                   cfg.ReadTimeout,
		DisableKeepalive:              !cfg.KeepAlive,
		ErrorHandler:                  errorHandler,
		Logger:                        log.New(os.Stderr, "fasthttp: ", log.LstdFlags),
		ConnState:                     s.connState,
		CloseOnShutdown:               true,
		DisablePreParseMultipartForm:  true,
		DisableHeaderNamesNormalizing: true,
	}
	// A listener fasthttp abandons (EMFILE, see the package doc) is logged
	// by fasthttp and closed at Shutdown.
	serve := func(l net.Listener) error { return s.fs.Serve(writeWatcher{Listener: l, st: st}) }
	s.Served = servers.NewServed("fasthttp", cfg, st, serve, s.stop)
	return s, nil
}

// stop closes the listeners, lets requests in flight finish, closes idle
// connections, and closes the remaining ones when ctx expires.
func (s *Server) stop(ctx context.Context) error {
	err := s.fs.ShutdownWithContext(ctx)
	if err != nil {
		s.connMu.Lock()
		for c := range s.conns {
			_ = c.Close()
		}
		s.connMu.Unlock()
	}
	if errors.Is(err, net.ErrClosed) {
		// A listener whose Serve had returned (accept error) was closed
		// already; the others are closed, and so are the connections.
		return nil
	}
	return err
}

// Content types of the answers, as fasthttp wants them.
var (
	ctText = []byte(servers.TextPlain)
	ctJSON = []byte(servers.AppJSON)
)

// handle routes a request, does its work and answers it without
// allocating. The handler latency runs from RequestCtx.Time (taken by
// fasthttp right before the handler) to the answer handed to fasthttp, which
// writes it to the socket after the handler returns.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	s.st.WorkerBusy()
	a := servers.Route(ctx.Path(), ctx.URI().QueryString()).WithBody(len(ctx.PostBody()))
	a.Do()
	status := a.Status()
	ctx.SetStatusCode(status)
	if a.Kind == servers.KindJSON {
		ctx.SetContentTypeBytes(ctJSON)
	} else {
		ctx.SetContentTypeBytes(ctText)
	}
	if a.Kind == servers.KindEcho {
		var num [20]byte
		ctx.Response.SetBody(a.AppendBody(num[:0])) // copied: num is on the stack
	} else {
		ctx.Response.SetBodyRaw(a.Body())
	}
	s.st.WorkerIdle()
	s.st.Served(status, time.Since(ctx.Time()))
}

// errorHandler answers a request fasthttp could not read. It is fasthttp's
// default handler (431 for ErrSmallBuffer, 408 for a timeout, 400 for the
// rest) except that it finds the timeout inside the wrapped error: the
// default only looks at the outer error, so a request cut short by the read
// timeout got a 400.
func errorHandler(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	switch {
	case errors.As(err, &small):
		ctx.Error("Too big request header", fasthttp.StatusRequestHeaderFieldsTooLarge)
	case errors.As(err, &netErr) && netErr.Timeout():
		ctx.Error("Request timeout", fasthttp.StatusRequestTimeout)
	default:
		ctx.Error("Error when parsing request", fasthttp.StatusBadRequest)
	}
}

// connState keeps the open connection gauge and the set of open connections.
func (s *Server) connState(c net.Conn, state fasthttp.ConnState) {
	switch state {
	case fasthttp.StateNew:
		s.st.ConnOpened()
		s.connMu.Lock()
		s.conns[c] = struct{}{}
		s.connMu.Unlock()
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		s.st.ConnClosed()
		s.connMu.Lock()
		delete(s.conns, c)
		s.connMu.Unlock()
	}
}

// writeWatcher hands fasthttp connections whose failed writes are counted.
type writeWatcher struct {
	net.Listener
	st *servers.Stats
}

// Accept wraps the accepted connection.
func (w writeWatcher) Accept() (net.Conn, error) {
	c, err := w.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &watchedConn{Conn: c, st: w.st}, nil
}

// watchedConn counts a write that fails because the client is gone as one
// abandoned answer.
type watchedConn struct {
	net.Conn
	st *servers.Stats
}

// Write writes p and counts its failure when the client is gone.
func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && servers.ClientGone(err) {
		c.st.Abandoned(1)
	}
	return n, err
}
