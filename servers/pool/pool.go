// Package pool is the thread-pool rung: --workers worker goroutines fed by
// a bounded queue (capacity --queue) of accepted connections, with one
// acceptor goroutine per listener.
//
// Backpressure: when the queue is full the acceptor blocks on it and stops
// calling accept(2). New connections then wait in the kernel's accept queue
// (the listen backlog); once that is full too, the kernel drops SYNs
// (ListenOverflows) and clients retransmit them after 1 s, 2 s, ... The
// lab's backlog phase shows exactly that, so the acceptor never drops or
// rejects a connection itself. With --queue 0 the hand-off is direct: a
// connection is accepted only when a worker takes it.
//
// Keep-alive on: a worker serves one connection until the client closes it
// or asks to ("Connection: close", or HTTP/1.0 without keep-alive), the
// read timeout passes, or an error; pipelined requests are answered in
// order, all answers to one read in one write. Keep-alive off: a worker
// answers one request with "Connection: close" and closes.
//
// Accept errors are counted by errno (EMFILE at the fd limit); after each
// one the acceptor waits 5 ms, doubling up to 1 s, as net/http does,
// instead of spinning on a listener that stays readable.
//
// Stats: open connections count from accept to close (queued ones are
// open descriptors too); the queue length counts accepted connections
// waiting for a worker, including the one an acceptor holds while it is
// blocked on a full queue, so it can reach --queue plus the number of
// listeners. The queue wait (Snapshot.QueueWaitMs) is the time from a
// connection's accept to a worker taking it, the same span. Answers whose
// write fails because the client reset the connection are counted as
// abandoned (see servers.ClientGone for what a plain close hides).
package pool

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/http1"
	"github.com/scalelab/scalelab/servers/internal/lifecycle"
)

type server struct {
	cfg servers.Config
	st  *servers.Stats

	ls    []*servers.Listener
	queue chan queued
	// holding counts acceptors holding a connection they wait to queue.
	holding atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	conns   map[*net.TCPConn]struct{}
	closing bool

	started      bool
	began        time.Time // the start, from which accept stalls are timed
	shutdownOnce sync.Once
}

var _ servers.Server = (*server)(nil)

// queued is an accepted connection waiting for a worker.
type queued struct {
	c *net.TCPConn
	// accepted is when it was accepted: its wait for a worker starts then.
	accepted time.Time
}

// New returns the pool variant for cfg, reporting to st.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	if err := servers.CheckNew("pool", cfg, st); err != nil {
		return nil, err
	}
	return &server{cfg: cfg, st: st, conns: make(map[*net.TCPConn]struct{})}, nil
}

// Start opens the listeners, starts the workers and one acceptor per
// listener.
func (s *server) Start() error {
	if s.started {
		return errors.New("pool: already started")
	}
	ls, err := servers.ListenAll(s.cfg)
	if err != nil {
		return fmt.Errorf("pool: %w", err)
	}
	s.started = true
	s.began = time.Now()
	s.ls = ls
	s.queue = make(chan queued, s.cfg.Queue)
	s.stop = make(chan struct{})
	s.st.SetPool(s.cfg.Workers, s.cfg.Queue)
	for range s.cfg.Workers {
		s.wg.Add(1)
		go s.work()
	}
	for _, l := range ls {
		s.wg.Add(1)
		go s.accept(l)
	}
	return nil
}

// Addrs returns the listening addresses.
func (s *server) Addrs() []string { return servers.Addrs(s.ls) }

// ListenerFDs returns the inspection handles of the listening sockets.
func (s *server) ListenerFDs() []int { return servers.ListenerFDs(s.ls) }

// Shutdown closes the listeners and every open connection (queued ones
// included), cuts /sleep handlers short and waits for the goroutines.
func (s *server) Shutdown(ctx context.Context) error {
	if !s.started {
		return nil
	}
	s.shutdownOnce.Do(func() {
		close(s.stop)
		for _, l := range s.ls {
			l.Close()
		}
		s.mu.Lock()
		s.closing = true
		for c := range s.conns {
			c.Close()
			s.st.ConnClosed()
		}
		clear(s.conns)
		s.mu.Unlock()
	})
	if err := lifecycle.Wait(ctx, &s.wg); err != nil {
		return fmt.Errorf("pool: shutdown: %w", err)
	}
	for {
		select {
		case <-s.queue: // closed above; only the gauge is left to settle
		default:
			s.st.QueueLength(s.waiting())
			return nil
		}
	}
}

// accept is the acceptor of one listener.
func (s *server) accept(l *servers.Listener) {
	defer s.wg.Done()
	var backoff lifecycle.Backoff
	for {
		c, err := l.AcceptTCP()
		if err != nil {
			if s.stopping() || errors.Is(err, net.ErrClosed) {
				return
			}
			s.st.AcceptError(err)
			if !s.pause(backoff.Next()) {
				return
			}
			continue
		}
		backoff.Reset()
		if !s.stall() {
			c.Close()
			return
		}
		accepted := time.Now()
		s.st.Accepted()
		if !s.track(c) {
			c.Close()
			return
		}
		s.holding.Add(1)
		s.st.QueueLength(s.waiting())
		select {
		case s.queue <- queued{c, accepted}:
			s.holding.Add(-1)
			s.st.QueueLength(s.waiting())
		case <-s.stop:
			s.holding.Add(-1)
			s.st.QueueLength(s.waiting())
			s.release(c)
			return
		}
	}
}

// work is one worker: it serves queued connections one after the other
// with buffers it keeps.
func (s *server) work() {
	defer s.wg.Done()
	cs := http1.NewConnServer(s.cfg, s.st, s.stop)
	for {
		select {
		case <-s.stop:
			return
		case q := <-s.queue:
			s.st.QueueLength(s.waiting())
			s.st.QueueWaited(time.Since(q.accepted))
			s.st.WorkerBusy()
			_ = cs.Serve(q.c)
			s.release(q.c)
			s.st.WorkerIdle()
		}
	}
}

// stall sleeps out the accept stall window the acceptor is in, if any
// (Config.AcceptStall): windows open every AcceptStallEvery from the
// server's start. It reports false when the server stopped meanwhile.
func (s *server) stall() bool {
	stall, every := s.cfg.AcceptStall, s.cfg.AcceptStallEvery
	if stall <= 0 || every <= 0 {
		return true
	}
	into := time.Since(s.began) % every
	if into >= stall {
		return true
	}
	return s.pause(stall - into)
}

// waiting is the number of accepted connections waiting for a worker:
// those in the queue, and those an acceptor holds while the queue is full.
func (s *server) waiting() int { return len(s.queue) + int(s.holding.Load()) }

// stopping reports whether Shutdown was called.
func (s *server) stopping() bool { return lifecycle.Closed(s.stop) }

// pause waits d before the next accept after an error. It reports false
// on shutdown.
func (s *server) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

// track records an accepted connection as open; false when shutting down.
func (s *server) track(c *net.TCPConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	s.st.ConnOpened()
	return true
}

// release closes a connection once and counts it closed.
func (s *server) release(c *net.TCPConn) {
	s.mu.Lock()
	_, open := s.conns[c]
	delete(s.conns, c)
	s.mu.Unlock()
	if open {
		c.Close()
		s.st.ConnClosed()
	}
}
