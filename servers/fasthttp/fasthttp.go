// Package fasthttp is a placeholder until the fasthttp variant lands.
package fasthttp

import (
	"errors"

	"github.com/scalelab/scalelab/servers"
)

// New is not implemented yet.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	return nil, errors.New("fasthttp: not implemented yet")
}
