//go:build linux

package probe

import (
	"fmt"
	"time"

	"github.com/scalelab/scalelab/internal/netns"
	"golang.org/x/sys/unix"
)

// diagRecvTimeout bounds each wait for the kernel's answer.
const diagRecvTimeout = 2 * time.Second

// maxDiagDatagrams bounds one dump (each datagram holds dozens of sockets).
const maxDiagDatagrams = 1 << 16

// ListenQueues asks the kernel (NETLINK_SOCK_DIAG) for every TCP listener,
// IPv4 and IPv6, in the network namespace of process pid, with its accept
// queue length and maximum: what `ss -ltn` shows as Recv-Q and Send-Q.
func ListenQueues(pid int) ([]ListenQueue, error) {
	ns, err := netns.FromPID(pid)
	if err != nil {
		return nil, fmt.Errorf("probe: listen queues of pid %d: %w", pid, err)
	}
	defer ns.Close()
	qs, err := ListenQueuesIn(ns)
	if err != nil {
		return nil, fmt.Errorf("probe: listen queues of pid %d: %w", pid, err)
	}
	return qs, nil
}

// ListenQueuesIn is ListenQueues for a namespace the caller holds open.
func ListenQueuesIn(ns *netns.NS) ([]ListenQueue, error) {
	c, err := openDiag(ns)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	socks, err := c.dumpListeners(nil)
	if err != nil {
		return nil, err
	}
	return listenQueuesFrom(socks), nil
}

// diagConn is a NETLINK_SOCK_DIAG socket bound to one network namespace: a
// socket keeps the namespace it was created in, so it can be reused from
// any thread (the Sampler keeps one for a whole run).
type diagConn struct {
	fd  int
	buf []byte
	seq uint32
}

// openDiag opens a sock_diag socket inside ns (the current namespace when
// ns is nil).
func openDiag(ns *netns.NS) (*diagConn, error) {
	c := &diagConn{fd: -1, buf: make([]byte, 1<<16)}
	open := func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
		if err != nil {
			return fmt.Errorf("sock_diag: socket(AF_NETLINK, NETLINK_SOCK_DIAG): %w", err)
		}
		tv := unix.NsecToTimeval(diagRecvTimeout.Nanoseconds())
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			unix.Close(fd)
			return fmt.Errorf("sock_diag: set SO_RCVTIMEO: %w", err)
		}
		c.fd = fd
		return nil
	}
	var err error
	if ns == nil {
		err = open()
	} else {
		err = ns.Do(open)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close closes the socket.
func (c *diagConn) Close() error { return unix.Close(c.fd) }

// dumpListeners dumps the TCP listeners (IPv4, then IPv6) of the socket's
// namespace. The kernel walks only its listening hash for a LISTEN-only
// request, never the established one. raw, when not nil, sees every
// datagram received (fixture capture).
func (c *diagConn) dumpListeners(raw func(seq uint32, datagram []byte)) ([]diagSocket, error) {
	fd, buf := c.fd, c.buf
	var all []diagSocket
	for _, family := range []uint8{afInet, afInet6} {
		c.seq++
		seq := c.seq
		req := inetDiagRequest(family, tcpfListen, seq)
		if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
			return nil, fmt.Errorf("sock_diag: send dump request (family %d): %w", family, err)
		}
		done := false
		for n := 0; !done; n++ {
			if n == maxDiagDatagrams {
				return nil, fmt.Errorf("sock_diag: dump (family %d) did not end after %d datagrams", family, n)
			}
			m, _, err := unix.Recvfrom(fd, buf, unix.MSG_TRUNC)
			if err != nil {
				return nil, fmt.Errorf("sock_diag: receive dump (family %d): %w", family, err)
			}
			if m > len(buf) { // MSG_TRUNC returns the real length
				return nil, fmt.Errorf("sock_diag: datagram of %d bytes truncated to %d", m, len(buf))
			}
			if raw != nil {
				raw(seq, buf[:m])
			}
			var socks []diagSocket
			socks, done, err = parseInetDiag(buf[:m], seq)
			if err != nil {
				return nil, fmt.Errorf("sock_diag: dump (family %d): %w", family, err)
			}
			all = append(all, socks...)
		}
	}
	return all, nil
}
