// Package naive is a placeholder until the naive variant lands.
package naive

import (
	"errors"

	"github.com/scalelab/scalelab/servers"
)

// New is not implemented yet.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	return nil, errors.New("naive: not implemented yet")
}
