//go:build linux

package servers

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

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

// closeFD closes a descriptor the package owns.
func closeFD(fd int) { _ = unix.Close(fd) }
