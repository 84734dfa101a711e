// Package servers holds what every HTTP server variant of the lab shares:
// the knobs (Config), the contract (Server), the handlers, the listener setup
// with a real listen(2) backlog, checked socket options and the statistics
// side channel. The variants live in subpackages (naive, pool, nethttp,
// fasthttp, gnet); package variants maps their names to constructors.
package servers

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
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
	// MaxMaxStreams bounds MaxStreams.
	MaxMaxStreams = 1 << 20
)

// H2CVariants names the variants that serve h2c (Config.H2C); the others
// speak HTTP/1.1 only and refuse the knob.
var H2CVariants = []string{"nethttp"}

// Config is the set of knobs shared by all variants. A variant that has no
// use for a knob (workers for gnet, say) ignores it and says so in its doc.
type Config struct {
	// Addr is the first listen address, host:port; port 0 picks free ports.
	Addr string `json:"addr"`
	// Backlog is the listen(2) backlog asked for; the kernel caps it at
	// net.core.somaxconn.
	Backlog int `json:"backlog"`
	// Workers is the number of workers of a fixed pool (pool variant).
	Workers int `json:"workers"`
	// Queue is the capacity of the queue of accepted connections waiting
	// for a worker (pool variant).
	Queue int `json:"queue"`
	// KeepAlive keeps connections open between requests (HTTP/1.1
	// persistent connections). Off, the server closes after each answer.
	KeepAlive bool `json:"keepalive"`
	// Listeners is the number of ports to listen on: Addr's port and the
	// ones after it (or as many free ports when Addr's port is 0).
	Listeners int `json:"listeners"`
	// ReusePort sets SO_REUSEPORT on the listening sockets, so variants
	// with several accept loops may open one socket per loop on a port.
	ReusePort bool `json:"reuseport"`
	// ReadTimeout bounds the wait for a request (idle keep-alive
	// connections and slow senders are closed after it). 0 disables it.
	// In JSON it is an integer of nanoseconds.
	ReadTimeout time.Duration `json:"read_timeout"`
	// MaxHeaderBytes bounds the request line plus headers; larger requests
	// are answered 431.
	MaxHeaderBytes int `json:"max_header_bytes"`
	// AcceptStall stops the pool's acceptors for this long every
	// AcceptStallEvery (pool only; 0: never), as a stop-the-world pause or
	// a blocked accept loop would: connections keep arriving and wait in
	// the kernel's accept queue, while workers and CPU have room to spare.
	AcceptStall      time.Duration `json:"accept_stall,omitempty"`
	AcceptStallEvery time.Duration `json:"accept_stall_every,omitempty"`
	// H2C serves HTTP/2 over cleartext TCP to clients that open with the
	// HTTP/2 connection preface (prior knowledge, RFC 9113 §3.3; no
	// Upgrade), beside HTTP/1.1 on the same listeners. Only the variants
	// in H2CVariants serve it.
	H2C bool `json:"h2c,omitempty"`
	// MaxStreams is the SETTINGS_MAX_CONCURRENT_STREAMS the server
	// announces on each h2c connection: streams a client may have open at
	// once (0: the library's default, 250 for net/http). Needs H2C.
	MaxStreams int `json:"max_streams,omitempty"`
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

// ConfigError is a knob without a sensible value. Field is the knob's JSON
// name ("backlog"); the command line maps it to its flag.
type ConfigError struct {
	Field string
	Msg   string
}

// Error reads "backlog: must be at least 1".
func (e *ConfigError) Error() string { return e.Field + ": " + e.Msg }

func configErr(field, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate reports the first knob that has no sensible value as a
// *ConfigError.
func (c Config) Validate() error {
	p, err := c.port()
	if err != nil {
		return err
	}
	switch {
	case c.Backlog < 1:
		return configErr("backlog", "must be at least 1")
	case c.Workers < 1:
		return configErr("workers", "must be at least 1")
	case c.Queue < 0:
		return configErr("queue", "must not be negative")
	case c.Listeners < 1 || c.Listeners > 64:
		return configErr("listeners", "must be 1..64, not %d", c.Listeners)
	case p != 0 && p+c.Listeners-1 > 65535:
		return configErr("listeners", "%d ports from port %d run past 65535", c.Listeners, p)
	case c.ReadTimeout < 0:
		return configErr("read_timeout", "must not be negative")
	case c.MaxHeaderBytes < 256:
		return configErr("max_header_bytes", "must be at least 256")
	case c.AcceptStall < 0:
		return configErr("accept_stall", "must not be negative")
	case c.AcceptStall > 0 && c.AcceptStallEvery <= c.AcceptStall:
		return configErr("accept_stall_every", "must be longer than accept_stall (%v), got %v", c.AcceptStall, c.AcceptStallEvery)
	case c.MaxStreams < 0 || c.MaxStreams > MaxMaxStreams:
		return configErr("max_streams", "must be 0..%d (0: the library's default), not %d", MaxMaxStreams, c.MaxStreams)
	case c.MaxStreams > 0 && !c.H2C:
		return configErr("max_streams", "is HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS; it needs h2c")
	}
	return nil
}

// CheckVariant reports, as a *ConfigError on "h2c", knobs the named
// variant cannot honour: h2c from a variant that speaks HTTP/1.1 only.
func (c Config) CheckVariant(variant string) error {
	if c.H2C && !slices.Contains(H2CVariants, variant) {
		return configErr("h2c", "the %s variant speaks HTTP/1.1 only; h2c (HTTP/2 over cleartext TCP) is served by %s",
			variant, strings.Join(H2CVariants, ", "))
	}
	return nil
}

// port checks Addr (an IP address and a port) and returns its port.
func (c Config) port() (int, error) {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return 0, configErr("addr", "%q: %v", c.Addr, err)
	}
	if ip := net.ParseIP(host); host != "" && ip == nil {
		return 0, configErr("addr", "%q: host must be an IP address", c.Addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return 0, configErr("addr", "%q: port must be 0..65535", c.Addr)
	}
	return p, nil
}

// ListenAddrs returns the addresses of the Listeners ports: Addr's port and
// the ones after it, or Listeners copies of Addr when its port is 0.
func (c Config) ListenAddrs() ([]string, error) {
	p, err := c.port()
	if err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	addrs := make([]string, max(c.Listeners, 0))
	for i := range addrs {
		q := p
		if p != 0 {
			q = p + i
		}
		addrs[i] = net.JoinHostPort(host, strconv.Itoa(q))
	}
	return addrs, nil
}
