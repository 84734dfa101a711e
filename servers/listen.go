package servers

import (
	"errors"
	"net"
	"sync/atomic"
)

// Listener is a TCP listener opened with the listen(2) backlog asked for
// (Go's net.Listen takes net.core.somaxconn instead), plus a duplicate of its
// socket to read the accept queue back from the kernel.
type Listener struct {
	*net.TCPListener
	// Backlog is the backlog passed to listen(2).
	Backlog int
	// fd is the inspection duplicate, -1 once closed; atomic because the
	// stats channel reads it while a shutdown may close it.
	fd atomic.Int64
}

// ListenOptions are the socket settings of a listening socket.
type ListenOptions struct {
	Backlog   int
	ReusePort bool
}

// ListenAll opens the cfg.Listeners listening sockets of a configuration.
func ListenAll(cfg Config) ([]*Listener, error) {
	addrs, err := cfg.ListenAddrs()
	if err != nil {
		return nil, err
	}
	var ls []*Listener
	for _, a := range addrs {
		l, err := Listen(a, ListenOptions{Backlog: cfg.Backlog, ReusePort: cfg.ReusePort})
		if err != nil {
			for _, o := range ls {
				o.Close()
			}
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// FD returns the duplicate of the socket kept for inspection.
func (l *Listener) FD() int { return int(l.fd.Load()) }

// Close closes the listener and its duplicate.
func (l *Listener) Close() error {
	err := l.TCPListener.Close()
	if fd := l.fd.Swap(-1); fd >= 0 {
		closeFD(int(fd))
	}
	return err
}

// ListenQueue is a listening socket's accept queue as the kernel sees it:
// what ss -ltn prints as Recv-Q (Queue) and Send-Q (Backlog).
type ListenQueue struct {
	Addr string `json:"addr"`
	// Queue is the number of connections waiting to be accepted.
	Queue int `json:"queue"`
	// Backlog is the queue's capacity the kernel enforces (the listen(2)
	// backlog capped at somaxconn).
	Backlog int `json:"backlog"`
}

// ListenerFDs returns the inspection handles of ls.
func ListenerFDs(ls []*Listener) []int {
	fds := make([]int, len(ls))
	for i, l := range ls {
		fds[i] = l.FD()
	}
	return fds
}

// Addrs returns the bound addresses of ls.
func Addrs(ls []*Listener) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Addr().String()
	}
	return out
}

// CountAccepts wraps l so that every accepted connection and every failed
// accept (by errno) is counted in st. Errors are passed on unchanged, so
// the library serving l reacts to them as it would without the wrapper.
func CountAccepts(l net.Listener, st *Stats) net.Listener {
	return &countingListener{Listener: l, st: st}
}

type countingListener struct {
	net.Listener
	st *Stats
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		if !errors.Is(err, net.ErrClosed) {
			l.st.AcceptError(err)
		}
		return nil, err
	}
	l.st.Accepted()
	return c, nil
}

// ListenQueues reads the accept queues of the listening sockets fds (a
// Server's ListenerFDs), skipping the ones that cannot be read; the error
// says which.
func ListenQueues(fds []int) ([]ListenQueue, error) {
	qs := make([]ListenQueue, 0, len(fds))
	var errs []error
	for _, fd := range fds {
		q, err := QueueOf(fd)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		qs = append(qs, q)
	}
	return qs, errors.Join(errs...)
}
