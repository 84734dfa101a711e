//go:build linux

package servers

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SockOpt is a socket option bound to its protocol level. The level and the
// option number never travel apart, so an option cannot be set at the wrong
// level (seed 002: SO_KEEPALIVE set at IPPROTO_TCP silently became another
// option).
type SockOpt struct {
	Name  string
	Level int
	Opt   int
	// Bool options read back as 0 or 1 whatever non-zero value was set.
	Bool bool
}

// The socket options the lab sets.
var (
	OptReuseAddr = SockOpt{Name: "SO_REUSEADDR", Level: unix.SOL_SOCKET, Opt: unix.SO_REUSEADDR, Bool: true}
	OptReusePort = SockOpt{Name: "SO_REUSEPORT", Level: unix.SOL_SOCKET, Opt: unix.SO_REUSEPORT, Bool: true}
	OptKeepAlive = SockOpt{Name: "SO_KEEPALIVE", Level: unix.SOL_SOCKET, Opt: unix.SO_KEEPALIVE, Bool: true}
	OptNoDelay   = SockOpt{Name: "TCP_NODELAY", Level: unix.IPPROTO_TCP, Opt: unix.TCP_NODELAY, Bool: true}
	// OptDeferAccept shares its number with SO_KEEPALIVE at the other level;
	// tests read it to prove SO_KEEPALIVE went to SOL_SOCKET.
	OptDeferAccept = SockOpt{Name: "TCP_DEFER_ACCEPT", Level: unix.IPPROTO_TCP, Opt: unix.TCP_DEFER_ACCEPT}
)

// Get reads the option's value from socket fd.
func (o SockOpt) Get(fd int) (int, error) {
	v, err := unix.GetsockoptInt(fd, o.Level, o.Opt)
	if err != nil {
		return 0, fmt.Errorf("getsockopt %s: %w", o.Name, err)
	}
	return v, nil
}

// Set sets the option on socket fd and reads it back, failing when the
// kernel did not keep the value.
func (o SockOpt) Set(fd, value int) error {
	if err := unix.SetsockoptInt(fd, o.Level, o.Opt, value); err != nil {
		return fmt.Errorf("setsockopt %s=%d: %w", o.Name, value, err)
	}
	got, err := o.Get(fd)
	if err != nil {
		return err
	}
	want := value
	if o.Bool && want != 0 {
		want = 1
	}
	if o.Bool && got != 0 {
		got = 1
	}
	if got != want {
		return fmt.Errorf("setsockopt %s=%d did not take effect: kernel reports %d", o.Name, value, got)
	}
	return nil
}

// SetBool sets a boolean option on or off, checked.
func (o SockOpt) SetBool(fd int, on bool) error {
	v := 0
	if on {
		v = 1
	}
	return o.Set(fd, v)
}
