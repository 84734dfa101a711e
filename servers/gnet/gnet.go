// Package gnet is a placeholder until the gnet variant lands.
package gnet

import (
	"errors"

	"github.com/scalelab/scalelab/servers"
)

// New is not implemented yet.
func New(cfg servers.Config, st *servers.Stats) (servers.Server, error) {
	return nil, errors.New("gnet: not implemented yet")
}
