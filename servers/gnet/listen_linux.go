//go:build linux

package gnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
)

// reservation holds sockets bound (not listening) to the ports picked for
// addresses with port 0, until gnet has bound its own sockets to them.
type reservation struct {
	addrs []string
	fds   []int
}

// reservePorts resolves port 0 in addrs to free ports. Each is held by a
// bound socket with SO_REUSEADDR (and SO_REUSEPORT when gnet will use it), so
// gnet's sockets can bind it too while no other program can take it.
func reservePorts(addrs []string, reusePort bool) (*reservation, error) {
	r := &reservation{addrs: append([]string(nil), addrs...)}
	for i, a := range addrs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			r.release()
			return nil, fmt.Errorf("listen %s: %w", a, err)
		}
		if ap.Port() != 0 {
			continue
		}
		fd, port, err := reserve(ap.Addr(), reusePort)
		if err != nil {
			r.release()
			return nil, fmt.Errorf("reserve a port on %s: %w", ap.Addr(), err)
		}
		r.fds = append(r.fds, fd)
		r.addrs[i] = netip.AddrPortFrom(ap.Addr(), uint16(port)).String()
	}
	return r, nil
}

// reserve binds a socket to a free port of addr and returns it and the port.
func reserve(addr netip.Addr, reusePort bool) (int, int, error) {
	family := unix.AF_INET
	var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: addr.Unmap().As4()}
	if !addr.Is4() && !addr.Is4In6() {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Addr: addr.As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %w", err)
	}
	err = servers.OptReuseAddr.SetBool(fd, true)
	if err == nil && reusePort {
		err = servers.OptReusePort.SetBool(fd, true)
	}
	if err == nil {
		err = unix.Bind(fd, sa)
	}
	var port int
	if err == nil {
		var got unix.Sockaddr
		got, err = unix.Getsockname(fd)
		switch g := got.(type) {
		case *unix.SockaddrInet4:
			port = g.Port
		case *unix.SockaddrInet6:
			port = g.Port
		}
	}
	if err != nil || port == 0 {
		unix.Close(fd)
		if err == nil {
			err = errors.New("no port assigned")
		}
		return -1, 0, err
	}
	return fd, port, nil
}

// release closes the reserving sockets.
func (r *reservation) release() {
	closeFDs(r.fds)
	r.fds = nil
}

// setBacklog calls listen(2) again on the listening socket fd with backlog
// (Linux then updates the socket's backlog) and checks through TCP_INFO that
// the kernel holds the backlog asked for, capped at net.core.somaxconn.
func setBacklog(fd, backlog int) error {
	if err := unix.Listen(fd, backlog); err != nil {
		return fmt.Errorf("listen(2) with backlog %d: %w", backlog, err)
	}
	q, err := servers.QueueOf(fd)
	if err != nil {
		return err
	}
	want := backlog
	if max, err := somaxconn(); err == nil && max < want {
		want = max
	}
	if q.Backlog != want {
		return fmt.Errorf("listener %s: backlog %d asked, kernel reports %d", q.Addr, want, q.Backlog)
	}
	return nil
}

// somaxconn reads net.core.somaxconn of the process's network namespace.
func somaxconn() (int, error) {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// adoptListeners finds the listening sockets on addrs that gnet opened after
// OnBoot (one per extra event loop with SO_REUSEPORT), gives each the
// backlog and returns duplicates of them. known are duplicates of sockets
// already handled.
func adoptListeners(addrs []string, backlog int, known []int) ([]int, error) {
	want := make(map[string]bool, len(addrs))
	for _, a := range addrs {
		want[a] = true
	}
	seen := make(map[uint64]bool)
	for _, fd := range known {
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err == nil {
			seen[st.Ino] = true
		}
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, fmt.Errorf("find gnet's listening sockets: %w", err)
	}
	var found []int
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// Work on a duplicate: the number may be closed and reused meanwhile.
		fd, err := unix.FcntlInt(uintptr(n), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		keep := unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK && !seen[st.Ino]
		if keep {
			q, err := servers.QueueOf(fd) // fails unless a TCP listener
			keep = err == nil && want[q.Addr]
		}
		if !keep {
			unix.Close(fd)
			continue
		}
		seen[st.Ino] = true
		if err := setBacklog(fd, backlog); err != nil {
			unix.Close(fd)
			closeFDs(found)
			return nil, err
		}
		found = append(found, fd)
	}
	return found, nil
}

// stopListening ends the listening state of the sockets behind fds, which
// refuses new connections and drops those in the accept queue, while the
// descriptors stay valid (shutdown(2) on a listening socket).
func stopListening(fds []int) {
	for _, fd := range fds {
		_ = unix.Shutdown(fd, unix.SHUT_RDWR)
	}
}
