//go:build linux

package naive

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/http1"
	"github.com/scalelab/scalelab/servers/internal/lifecycle"
)

type server struct {
	cfg servers.Config
	st  *servers.Stats

	ls   []*servers.Listener
	wake int // eventfd: readable once Shutdown is called
	stop chan struct{}
	done chan struct{}

	shutdownOnce sync.Once
}

var _ servers.Server = (*server)(nil)

// New returns the naive variant for cfg, reporting to st.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	if err := servers.CheckNew("naive", cfg, st); err != nil {
		return nil, err
	}
	return &server{cfg: cfg, st: st, wake: -1}, nil
}

// Start opens the listeners and starts the serving goroutine.
func (s *server) Start() error {
	if s.done != nil {
		return errors.New("naive: already started")
	}
	ls, err := servers.ListenAll(s.cfg)
	if err != nil {
		return fmt.Errorf("naive: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		for _, l := range ls {
			l.Close()
		}
		return fmt.Errorf("naive: eventfd: %w", err)
	}
	s.ls, s.wake = ls, wake
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	s.st.SetPool(1, 0)
	go s.run()
	return nil
}

// Addrs returns the listening addresses.
func (s *server) Addrs() []string { return servers.Addrs(s.ls) }

// ListenerFDs returns the listening sockets (the serving goroutine polls
// and accepts on these same descriptors).
func (s *server) ListenerFDs() []int { return servers.ListenerFDs(s.ls) }

// Shutdown wakes the serving goroutine (a /sleep in progress ends, a read
// in progress is abandoned) and waits for it; the goroutine closes the
// listeners and the connection it holds on its way out.
func (s *server) Shutdown(ctx context.Context) error {
	if s.done == nil {
		return nil
	}
	s.shutdownOnce.Do(func() {
		close(s.stop)
		one := [8]byte{1}
		_, _ = unix.Write(s.wake, one[:])
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("naive: shutdown: %w", ctx.Err())
	}
}

// run is the one serving goroutine.
func (s *server) run() {
	defer close(s.done)
	defer func() {
		for _, l := range s.ls {
			l.Close()
		}
		unix.Close(s.wake)
	}()
	cs := http1.NewConnServer(s.cfg, s.st, s.stop)
	cs.KeepAlive = false
	conn := &rawConn{wake: s.wake} // reused for every connection
	fds := make([]unix.PollFd, 1+len(s.ls))
	fds[0] = unix.PollFd{Fd: int32(s.wake), Events: unix.POLLIN}
	for i, l := range s.ls {
		fds[1+i] = unix.PollFd{Fd: int32(l.FD()), Events: unix.POLLIN}
	}
	next := 0 // listener to look at first
	var backoff lifecycle.Backoff
	for {
		for i := range fds {
			fds[i].Revents = 0
		}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			s.st.AcceptError(err)
			if !s.pause(backoff.Next()) {
				return
			}
			continue
		}
		if fds[0].Revents != 0 {
			<-s.stop // Shutdown closed it before waking us: orders its writes before ours
			return
		}
		for k := range s.ls {
			i := (next + k) % len(s.ls)
			if fds[1+i].Revents == 0 {
				continue
			}
			next = (i + 1) % len(s.ls)
			fd, _, err := unix.Accept4(s.ls[i].FD(), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			switch {
			case err == unix.EAGAIN || err == unix.EINTR || err == unix.ECONNABORTED:
				continue
			case err != nil:
				s.st.AcceptError(err)
				if !s.pause(backoff.Next()) {
					return
				}
			default:
				backoff.Reset()
				s.serve(cs, conn, fd)
			}
			break
		}
	}
}

// serve answers one connection and closes it.
func (s *server) serve(cs *http1.ConnServer, conn *rawConn, fd int) {
	s.st.Accepted()
	s.st.ConnOpened()
	s.st.WorkerBusy()
	*conn = rawConn{fd: fd, wake: s.wake}
	_ = cs.Serve(conn)
	unix.Close(fd)
	s.st.ConnClosed()
	s.st.WorkerIdle()
}

// pause waits d before the next accept after an error. It reports false
// when woken for shutdown.
func (s *server) pause(d time.Duration) bool {
	fds := []unix.PollFd{{Fd: int32(s.wake), Events: unix.POLLIN}}
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return true
		}
		n, err := unix.Poll(fds, msCeil(left))
		if err == nil && n > 0 {
			<-s.stop
			return false
		}
	}
}

// msCeil rounds d up to whole milliseconds for poll(2).
func msCeil(d time.Duration) int {
	return int((d + time.Millisecond - 1) / time.Millisecond)
}
