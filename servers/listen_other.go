//go:build !linux

package servers

import (
	"errors"
	"fmt"
)

// Listen needs Linux: socket/bind/listen with the backlog asked for and
// TCP_INFO to read the accept queue back.
func Listen(addr string, opts ListenOptions) (*Listener, error) {
	return nil, fmt.Errorf("listen %s with a backlog of %d: %w (the lab's listeners need Linux)", addr, opts.Backlog, errors.ErrUnsupported)
}

// QueueOf needs Linux: it reads the accept queue through TCP_INFO.
func QueueOf(fd int) (ListenQueue, error) {
	return ListenQueue{}, fmt.Errorf("accept queue of listener %d: %w (TCP_INFO of a listener is Linux only)", fd, errors.ErrUnsupported)
}

// closeFD is never called: Listen hands out no descriptors here.
func closeFD(int) {}
