// Package pool is a placeholder until the pool variant lands.
package pool

import (
	"errors"

	"github.com/scalelab/scalelab/servers"
)

// New is not implemented yet.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	return nil, errors.New("pool: not implemented yet")
}
