//go:build linux

package naive

import (
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
)

// rawConn is an accepted socket used with plain system calls: a read or
// write that would block waits in poll(2) for the socket, its deadline or
// the shutdown eventfd. It implements http1.Conn.
type rawConn struct {
	fd, wake   int
	rdl, wdl   time.Time
	pollEvents [2]unix.PollFd
}

// Read reads into p, waiting until data, EOF, the read deadline or shutdown.
func (c *rawConn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(c.fd, p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case err == unix.EINTR:
			continue
		case err != unix.EAGAIN:
			return 0, os.NewSyscallError("read", err)
		}
		if err := c.wait(unix.POLLIN, c.rdl); err != nil {
			return 0, err
		}
	}
}

// Write writes all of p, waiting for room until the write deadline or
// shutdown.
func (c *rawConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Write(c.fd, p[done:])
		switch {
		case err == nil:
			done += n
			continue
		case err == unix.EINTR:
			continue
		case err != unix.EAGAIN:
			return done, os.NewSyscallError("write", err)
		}
		if err := c.wait(unix.POLLOUT, c.wdl); err != nil {
			return done, err
		}
	}
	return done, nil
}

// wait polls the socket for events until deadline (zero: none) or until the
// server shuts down.
func (c *rawConn) wait(events int16, deadline time.Time) error {
	c.pollEvents[0] = unix.PollFd{Fd: int32(c.fd), Events: events}
	c.pollEvents[1] = unix.PollFd{Fd: int32(c.wake), Events: unix.POLLIN}
	for {
		timeout := -1
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			timeout = msCeil(left)
		}
		_, err := unix.Poll(c.pollEvents[:], timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("poll", err)
		}
		if c.pollEvents[1].Revents != 0 {
			return servers.ErrServerClosed
		}
		if c.pollEvents[0].Revents != 0 {
			return nil // ready, or an error the next call reports
		}
	}
}

// SetDeadline sets the read and the write deadline.
func (c *rawConn) SetDeadline(t time.Time) error {
	c.rdl, c.wdl = t, t
	return nil
}

// SetReadDeadline sets the read deadline.
func (c *rawConn) SetReadDeadline(t time.Time) error {
	c.rdl = t
	return nil
}

// CloseWrite shuts the sending side down (FIN after the answer).
func (c *rawConn) CloseWrite() error {
	if err := unix.Shutdown(c.fd, unix.SHUT_WR); err != nil {
		return os.NewSyscallError("shutdown", err)
	}
	return nil
}
