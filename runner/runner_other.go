//go:build !linux

package runner

import (
	"context"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

// Run runs phase p. It needs Linux; elsewhere it returns ErrUnsupported.
func Run(ctx context.Context, p *phases.Phase, opt Options) (*scorecards.Scorecard, error) {
	return nil, ErrUnsupported
}
