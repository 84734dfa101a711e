package servers

import (
	"context"
	"errors"
)

// Server is the contract every variant implements.
type Server interface {
	// Start opens the listeners and begins serving in the background. When
	// it returns without error, every listener accepts connections.
	Start() error
	// Addrs returns the addresses listened on (after Start).
	Addrs() []string
	// ListenerFDs returns file descriptors of the listening sockets (or
	// duplicates of them), for reading their queues back from the kernel.
	// The server owns them; they stay valid until Shutdown.
	ListenerFDs() []int
	// Shutdown stops accepting, closes open connections and returns when
	// serving has ended or ctx expires.
	Shutdown(ctx context.Context) error
}

// Factory builds a variant from the shared knobs; the variant reports its
// activity to st.
type Factory func(cfg Config, st *Stats) (Server, error)

// ErrServerClosed is returned by operations on a server that was shut down.
var ErrServerClosed = errors.New("servers: server closed")
