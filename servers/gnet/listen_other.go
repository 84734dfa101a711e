//go:build !linux

package gnet

import (
	"errors"
	"fmt"
)

// errListen says why the variant does not start here.
var errListen = fmt.Errorf("%w (the listen backlog is set and read back through listen(2) and TCP_INFO: Linux only)", errors.ErrUnsupported)

// reservation is empty: nothing is reserved off Linux.
type reservation struct{ addrs []string }

// reservePorts fails: Start stops here, with a clear error, off Linux.
func reservePorts([]string, bool) (*reservation, error) { return nil, errListen }

func (r *reservation) release() {}

func setBacklog(int, int) error { return errListen }

func adoptListeners([]string, int, []int) ([]int, error) { return nil, errListen }

func stopListening([]int) {}
