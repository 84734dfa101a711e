//go:build !linux

package probe

import "errors"

// liveListenQueues needs sock_diag, which only Linux has.
func liveListenQueues(int) (func() ([]ListenQueue, error), func() error, error) {
	return nil, nil, errors.New("probe: sock_diag needs Linux")
}
