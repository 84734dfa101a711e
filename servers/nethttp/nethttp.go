// Package nethttp is a placeholder until the nethttp variant lands.
package nethttp

import (
	"errors"

	"github.com/scalelab/scalelab/servers"
)

// New is not implemented yet.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	return nil, errors.New("nethttp: not implemented yet")
}
