//go:build linux

package probe

import (
	"fmt"

	"github.com/scalelab/scalelab/internal/netns"
)

// liveListenQueues opens a sock_diag socket in pid's network namespace and
// returns a function dumping its listeners, and one closing the socket.
func liveListenQueues(pid int) (func() ([]ListenQueue, error), func() error, error) {
	ns, err := netns.FromPID(pid)
	if err != nil {
		return nil, nil, fmt.Errorf("probe: sampler: %w", err)
	}
	c, err := openDiag(ns)
	ns.Close() // the socket keeps the namespace it was made in
	if err != nil {
		return nil, nil, fmt.Errorf("probe: sampler: %w", err)
	}
	dump := func() ([]ListenQueue, error) {
		socks, err := c.dumpListeners(nil)
		if err != nil {
			return nil, fmt.Errorf("probe: listen queues of pid %d: %w", pid, err)
		}
		return listenQueuesFrom(socks), nil
	}
	return dump, c.Close, nil
}
