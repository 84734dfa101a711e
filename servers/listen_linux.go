//go:build linux

package servers

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
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

// Listen opens a TCP listening socket on addr ("127.0.0.1:8080") through
// socket/bind/listen with the real backlog; options are set at their own
// level and read back.
func Listen(addr string, opts ListenOptions) (*Listener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	family := unix.AF_INET
	var sa unix.Sockaddr
	if ap.Addr().Is4() || ap.Addr().Is4In6() {
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return nil, fmt.Errorf("listen %s: socket: %w", addr, err)
	}
	fail := func(step string, err error) (*Listener, error) {
		unix.Close(fd)
		return nil, fmt.Errorf("listen %s: %s: %w", addr, step, err)
	}
	if err := OptReuseAddr.SetBool(fd, true); err != nil {
		return fail("options", err)
	}
	if opts.ReusePort {
		if err := OptReusePort.SetBool(fd, true); err != nil {
			return fail("options", err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	backlog := opts.Backlog
	if backlog < 1 {
		backlog = DefaultBacklog
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	f := os.NewFile(uintptr(fd), "listener "+addr)
	ln, err := net.FileListener(f) // dups the socket
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	tl := ln.(*net.TCPListener)
	l := &Listener{TCPListener: tl, Backlog: backlog}
	dup := -1
	rc, err := tl.SyscallConn()
	if err == nil {
		err = rc.Control(func(s uintptr) { dup, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) })
	}
	l.fd.Store(int64(dup))
	if err != nil || dup < 0 {
		tl.Close()
		return nil, fmt.Errorf("listen %s: keep a handle on the socket: %w", addr, err)
	}
	return l, nil
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
		unix.Close(int(fd))
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

// QueueOf reads the accept queue of listening socket fd through TCP_INFO
// (for a listener, tcpi_unacked is the queue length and tcpi_sacked its
// maximum).
func QueueOf(fd int) (ListenQueue, error) {
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return ListenQueue{}, fmt.Errorf("TCP_INFO of listener: %w", err)
	}
	if info.State != unix.BPF_TCP_LISTEN {
		return ListenQueue{}, errors.New("TCP_INFO: socket is not listening")
	}
	q := ListenQueue{Queue: int(info.Unacked), Backlog: int(info.Sacked)}
	if sa, err := unix.Getsockname(fd); err == nil {
		q.Addr = sockaddrString(sa)
	}
	return q, nil
}

func sockaddrString(sa unix.Sockaddr) string {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String()
	}
	return ""
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
