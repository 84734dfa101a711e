//go:build !linux

package naive

import (
	"errors"
	"fmt"

	"github.com/scalelab/scalelab/servers"
)

// New needs Linux: the naive server blocks in poll(2), accept4(2) and an
// eventfd on raw descriptors.
func New(servers.Config, *servers.Stats) (servers.Server, error) {
	return nil, fmt.Errorf("naive: %w (poll, accept4 and eventfd on raw descriptors: Linux only)", errors.ErrUnsupported)
}
