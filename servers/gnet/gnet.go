// Package gnet is the lab's event-loop variant: github.com/panjf2000/gnet/v2
// with one event loop per CPU, requests parsed by servers/http1 and answered
// with canned responses.
//
// What it teaches: the event loop. A few goroutines (one per CPU in the
// process's affinity mask, gnet's multicore mode) each wait in epoll_wait
// for any of their connections to become readable, then run the handler for
// all the bytes that arrived: every complete request in the buffer is parsed
// and answered, the answers of a pipelined batch leave in one write(2). No
// goroutine, stack or bufio pair per connection, so 10,000 idle connections
// cost little. The price: whatever a handler does runs on the loop and
// stalls every other connection of that loop. /cpu?us=N spins on the loop on
// purpose, to show it; /sleep?ms=N would stall the loop for nothing, so it is
// handed to a goroutine that answers through Conn.AsyncWrite, and later
// requests of that connection wait behind it to keep answers in order.
//
// The knobs: gnet opens its own listening sockets (Rotate with tcp://
// addresses, WithReuseAddr, WithReusePort from --reuseport, WithTCPNoDelay).
// gnet listens with the backlog net.core.somaxconn; to honour --backlog the
// server calls listen(2) again on each listening socket with the asked
// backlog (Linux updates the backlog of a listening socket) and reads it
// back through TCP_INFO. With --reuseport and several loops gnet opens one
// socket per loop and port, after OnBoot; those are found among the
// process's descriptors and given the backlog too. --keepalive,
// --read-timeout (connections idle, or slow to send a whole request, are
// closed by a gnet ticker sweep, since gnet's Conn has no deadlines) and
// --max-header-bytes (431 from the parser) apply as in the other variants;
// --workers and --queue are ignored. Busy workers count the event loops
// inside a handler; there is no pool (no connection holds a loop), so no
// pool size is reported.
//
// Edge cases, per gnet's documentation: OnTraffic must not keep the slices
// Peek returns (answers are built into a per-connection buffer and written
// before it returns), Conn methods other than AsyncWrite, Wake and Close are
// used on the connection's own loop only, and Discard is never called with
// 0 (gnet reads n <= 0 as "everything"). gnet closes a connection as soon
// as the client half-closes it, so a client that shuts down its sending side
// while its /sleep answer is pending does not get that answer; requests
// answered on the loop are not affected.
//
// Abandoned answers (Snapshot.AbandonedResponses): an answer written on the
// loop counts when its write fails with EPIPE or ECONNRESET (the client
// reset the connection); a /sleep answer counts when its connection is gone
// by the time it is ready, which includes a client that merely closed (gnet
// closes on the client's FIN at once, so its answer is never written).
//
// At the fd limit: accept(2) fails with EMFILE and gnet v2.9.7 treats every
// accept error but EINTR, EAGAIN, ECONNRESET and ECONNABORTED as fatal: it
// logs "Accept() failed due to error: ..." and returns ErrAcceptSocket
// (acceptor_unix.go, accept0 and accept), the poller stops on that error
// (pkg/netpoll/poller_epoll_default.go, Polling), the reactor exits and shuts
// the whole engine down (reactor_default.go, rotate/run -> engine.shutdown),
// closing every connection and listener: the server stops serving
// altogether, while the process lives on. The variant counts the error
// through its gnet logger (Stats.AcceptError by errno) and logs that the
// engine stopped on its own.
package gnet

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
)

// startTimeout bounds the wait for gnet to boot and start its loops.
const startTimeout = 10 * time.Second

// Server is the gnet variant. Build it with New.
type Server struct {
	cfg   servers.Config
	st    *servers.Stats
	h     *handler
	loops int

	mu       sync.Mutex
	started  bool
	stopping atomic.Bool
	addrs    []string

	fdMu   sync.Mutex // apart from mu: the engine goroutine takes it
	fds    []int
	done   chan struct{} // closed when gnet.Rotate has returned
	runErr error         // what Rotate returned, readable once done is closed
	logger *logger
}

var _ servers.Server = (*Server)(nil)

// New builds the gnet variant from the shared knobs; it reports to st. It is
// a servers.Factory.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	if err := servers.CheckNew("gnet", cfg, st); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, st: st, loops: runtime.NumCPU(), done: make(chan struct{})}
	s.h = newHandler(cfg, st)
	s.logger = &logger{st: st, out: log.New(os.Stderr, "gnet: ", log.LstdFlags)}
	return s, nil
}

// Start reserves the ports, starts the gnet engine and returns once every
// listening socket has the asked backlog and the event loops are running.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("gnet: already started")
	}
	addrs, err := s.cfg.ListenAddrs()
	if err != nil {
		return fmt.Errorf("gnet: %w", err)
	}
	// Port 0: pick the ports first, so that gnet's sockets (one per loop
	// with --reuseport) all bind the same one.
	reserved, err := reservePorts(addrs, s.cfg.ReusePort)
	if err != nil {
		return fmt.Errorf("gnet: %w", err)
	}
	defer reserved.release()
	addrs = reserved.addrs
	s.h.addrs = addrs
	s.h.backlog = s.cfg.Backlog

	protoAddrs := make([]string, len(addrs))
	for i, a := range addrs {
		protoAddrs[i] = "tcp://" + a
	}
	opts := []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithReuseAddr(true),
		gnet.WithReusePort(s.cfg.ReusePort),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithTicker(true),
		gnet.WithLogger(s.logger),
	}
	s.started = true
	go func() {
		s.runErr = gnet.Rotate(s.h, protoAddrs, opts...)
		if !s.stopping.Load() && s.h.isBooted() {
			// gnet closed its listening sockets; our duplicates would keep
			// them listening, so stop them (the descriptors stay valid).
			s.fdMu.Lock()
			stopListening(s.fds)
			s.fdMu.Unlock()
			s.logger.out.Printf("engine stopped on its own (Rotate: %v): the server no longer serves", s.runErr)
		}
		close(s.done)
	}()

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	// OnBoot runs before the loops start; the ticker starts after them.
	for _, step := range []chan error{s.h.booted, s.h.ticking} {
		select {
		case err := <-step:
			if err != nil { // OnBoot failed and asked the engine to stop
				<-s.done
				return fmt.Errorf("gnet: %w", err)
			}
		case <-s.done:
			closeFDs(s.h.bootFDs)
			return fmt.Errorf("gnet: engine ended while starting: %v", s.runErr)
		case <-timer.C:
			s.stopLocked()
			closeFDs(s.h.bootFDs)
			return fmt.Errorf("gnet: engine did not start within %v", startTimeout)
		}
	}
	fds := s.h.bootFDs
	if s.cfg.ReusePort && s.loops > 1 {
		extra, err := adoptListeners(addrs, s.cfg.Backlog, fds)
		if err != nil {
			s.stopLocked()
			closeFDs(fds)
			return fmt.Errorf("gnet: %w", err)
		}
		fds = append(fds, extra...)
	}
	s.addrs = addrs
	s.fdMu.Lock()
	s.fds = fds
	s.fdMu.Unlock()
	return nil
}

// Addrs returns the bound addresses, one per port.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.addrs...)
}

// ListenerFDs returns duplicates of the listening sockets: one per port, or
// one per loop and port with --reuseport (each has its own accept queue).
func (s *Server) ListenerFDs() []int {
	s.fdMu.Lock()
	defer s.fdMu.Unlock()
	return append([]int(nil), s.fds...)
}

// Shutdown stops the engine (gnet closes the listeners and every
// connection), cuts /sleep handlers short and returns when the engine has
// ended or ctx expires.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return nil
	}
	s.stopLocked()
	s.mu.Unlock()

	var err error
	select {
	case <-s.done:
	case <-ctx.Done():
		err = fmt.Errorf("gnet: shutdown: %w", ctx.Err())
	}
	if werr := s.h.waitSleepers(ctx); werr != nil && err == nil {
		err = fmt.Errorf("gnet: shutdown: %w", werr)
	}
	s.fdMu.Lock()
	closeFDs(s.fds)
	s.fds = nil
	s.fdMu.Unlock()
	return err
}

// stopLocked asks the engine to stop, once; s.mu is held.
func (s *Server) stopLocked() {
	if s.stopping.Swap(true) {
		return
	}
	s.h.stop()
	if eng, ok := s.h.engine(); ok {
		// Engine.Stop polls for the end every 500 ms; Shutdown waits for
		// Rotate to return instead, which follows the end at once.
		go func() { _ = eng.Stop(context.Background()) }()
	}
}

// closeFDs closes descriptors.
func closeFDs(fds []int) {
	for _, fd := range fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}
