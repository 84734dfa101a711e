// Package servers holds what every HTTP server variant of the lab shares:
// the knobs (Config), the contract (Server), the handlers, the listener setup
// with a real listen(2) backlog, checked socket options and the statistics
// side channel. The variants live in subpackages (naive, pool, nethttp,
// fasthttp, gnet); package variants maps their names to constructors.
package servers

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// Defaults of the knobs every variant accepts.
const (
	DefaultAddr           = "127.0.0.1:8080"
	DefaultBacklog        = 1024
	DefaultWorkers        = 16
	DefaultQueue          = 64
	DefaultListeners      = 1
	DefaultReadTimeout    = 30 * time.Second
	DefaultMaxHeaderBytes = 8 << 10
)

// Config is the set of knobs shared by all variants. A variant that has no
// use for a knob (workers for gnet, say) ignores it and says so in its doc.
type Config struct {
	// Addr is the first listen address, host:port; port 0 picks free ports.
	Addr string
	// Backlog is the listen(2) backlog asked for; the kernel caps it at
	// net.core.somaxconn.
	Backlog int
	// Workers is the number of workers of a fixed pool (pool variant).
	Workers int
	// Queue is the capacity of the queue of accepted connections waiting
	// for a worker (pool variant).
	Queue int
	// KeepAlive keeps connections open between requests (HTTP/1.1
	// persistent connections). Off, the server closes after each answer.
	KeepAlive bool
	// Listeners is the number of ports to listen on: Addr's port and the
	// ones after it (or as many free ports when Addr's port is 0).
	Listeners int
	// ReusePort sets SO_REUSEPORT on the listening sockets, so variants
	// with several accept loops may open one socket per loop on a port.
	ReusePort bool
	// ReadTimeout bounds the wait for a request (idle keep-alive
	// connections and slow senders are closed after it). 0 disables it.
	ReadTimeout time.Duration
	// MaxHeaderBytes bounds the request line plus headers; larger requests
	// are answered 431.
	MaxHeaderBytes int
}

// DefaultConfig returns the knobs with their default values.
func DefaultConfig() Config {
	return Config{
		Addr:           DefaultAddr,
		Backlog:        DefaultBacklog,
		Workers:        DefaultWorkers,
		Queue:          DefaultQueue,
		KeepAlive:      true,
		Listeners:      DefaultListeners,
		ReadTimeout:    DefaultReadTimeout,
		MaxHeaderBytes: DefaultMaxHeaderBytes,
	}
}

// Validate reports the first knob that has no sensible value, naming it as
// the command line does.
func (c Config) Validate() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	if ip := net.ParseIP(host); host != "" && ip == nil {
		return fmt.Errorf("--addr %q: host must be an IP address", c.Addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("--addr %q: port must be 0..65535", c.Addr)
	}
	switch {
	case c.Backlog < 1:
		return errors.New("--backlog must be at least 1")
	case c.Workers < 1:
		return errors.New("--workers must be at least 1")
	case c.Queue < 0:
		return errors.New("--queue must not be negative")
	case c.Listeners < 1 || c.Listeners > 64:
		return errors.New("--listeners must be 1..64")
	case p != 0 && p+c.Listeners-1 > 65535:
		return fmt.Errorf("--listeners %d from port %d runs past 65535", c.Listeners, p)
	case c.ReadTimeout < 0:
		return errors.New("--read-timeout must not be negative")
	case c.MaxHeaderBytes < 256:
		return errors.New("--max-header-bytes must be at least 256")
	}
	return nil
}

// ListenAddrs returns the addresses of the Listeners ports: Addr's port and
// the ones after it, or Listeners copies of Addr when its port is 0.
func (c Config) ListenAddrs() ([]string, error) {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: %w", c.Addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("--addr %q: bad port: %w", c.Addr, err)
	}
	addrs := make([]string, c.Listeners)
	for i := range addrs {
		q := p
		if p != 0 {
			q = p + i
		}
		addrs[i] = net.JoinHostPort(host, strconv.Itoa(q))
	}
	return addrs, nil
}
