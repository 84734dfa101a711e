package servers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// Served is the Server of a variant built on a library that serves a
// net.Listener (net/http, fasthttp). Start opens the listeners of the
// configuration and runs the library's serve function on each in its own
// goroutine, with accepts counted; Shutdown runs the library's shutdown,
// closes the listeners with their inspection handles and waits for every
// serve call to return. A variant embeds it and adds its handler.
type Served struct {
	name  string
	cfg   Config
	st    *Stats
	serve func(net.Listener) error
	stop  func(context.Context) error

	mu      sync.Mutex
	lns     []*Listener
	started bool
	closed  bool
	serving sync.WaitGroup
}

var _ Server = (*Served)(nil)

// NewServed returns the Server of variant name. serve is the library's
// serve function (its error is dropped: the library has logged it, and a
// listener it abandons is closed at Shutdown). stop is the library's
// shutdown: stop accepting and end the connections, the busy ones at the
// latest when ctx ends; its error is Shutdown's.
func NewServed(name string, cfg Config, st *Stats, serve func(net.Listener) error, stop func(context.Context) error) *Served {
	return &Served{name: name, cfg: cfg, st: st, serve: serve, stop: stop}
}

// Start opens the listeners and serves each in its own goroutine.
func (s *Served) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("%s: already started", s.name)
	}
	lns, err := ListenAll(s.cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.started, s.lns = true, lns
	for _, ln := range lns {
		s.serving.Add(1)
		go func(l net.Listener) {
			defer s.serving.Done()
			_ = s.serve(l)
		}(CountAccepts(ln, s.st))
	}
	return nil
}

// Addrs returns the bound addresses, one per listener.
func (s *Served) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Addrs(s.lns)
}

// ListenerFDs returns the inspection handles of the listening sockets;
// none once shut down.
func (s *Served) ListenerFDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return ListenerFDs(s.lns)
}

// Shutdown runs the library's shutdown, then closes every listener with its
// inspection handle (the library may have closed some already, or left one
// it gave up on open) and waits until every serve call has returned.
func (s *Served) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return nil
	}
	err := s.stop(ctx)
	s.mu.Lock()
	for _, ln := range s.lns {
		_ = ln.Close()
	}
	s.closed = true
	s.mu.Unlock()
	s.serving.Wait()
	if err != nil {
		return fmt.Errorf("%s: shutdown: %w", s.name, err)
	}
	return nil
}

// CheckNew checks what a Factory is given: knobs that validate, that the
// variant can honour (Config.CheckVariant), and statistics to report to.
// Errors name the variant.
func CheckNew(variant string, cfg Config, st *Stats) error {
	if st == nil {
		return fmt.Errorf("%s: %w", variant, errNilStats)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%s: %w", variant, err)
	}
	if err := cfg.CheckVariant(variant); err != nil {
		return fmt.Errorf("%s: %w", variant, err)
	}
	return nil
}

var errNilStats = errors.New("nil stats")
