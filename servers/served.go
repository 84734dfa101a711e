package servers

import (
	"errors"
	"net"
	"sync"
)

// ServedListeners is the listening side of a variant built on a library
// that serves a net.Listener (net/http, fasthttp): it opens the listeners
// of a configuration, runs the library's serve function on each in its own
// goroutine with accepts counted, and answers Addrs and ListenerFDs.
type ServedListeners struct {
	mu      sync.Mutex
	lns     []*Listener
	started bool
	closed  bool
	serving sync.WaitGroup
}

// Start opens cfg's listeners and calls serve on each, counting accepts and
// accept errors in st. serve's error is dropped: the library has logged it
// (and a listener it abandons is closed by Close).
func (s *ServedListeners) Start(cfg Config, st *Stats, serve func(net.Listener) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("already started")
	}
	lns, err := ListenAll(cfg)
	if err != nil {
		return err
	}
	s.started, s.lns = true, lns
	for _, ln := range lns {
		s.serving.Add(1)
		go func(l net.Listener) {
			defer s.serving.Done()
			_ = serve(l)
		}(CountAccepts(ln, st))
	}
	return nil
}

// Started reports whether Start succeeded.
func (s *ServedListeners) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// Addrs returns the bound addresses, one per listener.
func (s *ServedListeners) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Addrs(s.lns)
}

// ListenerFDs returns the inspection handles of the listening sockets;
// none once closed.
func (s *ServedListeners) ListenerFDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return ListenerFDs(s.lns)
}

// Close closes every listener with its inspection handle (the library may
// have closed some already, or left one it gave up on open).
func (s *ServedListeners) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ln := range s.lns {
		_ = ln.Close()
	}
	s.closed = true
}

// Wait waits until every serve call has returned.
func (s *ServedListeners) Wait() { s.serving.Wait() }
