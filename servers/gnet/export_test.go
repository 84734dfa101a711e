package gnet

import "github.com/scalelab/scalelab/servers"

// Loops returns the number of event loops of a gnet variant, for the
// external tests.
func Loops(s servers.Server) int { return s.(*Server).loops }
