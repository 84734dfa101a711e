//go:build !linux

package driver

import "context"

// Run validates cfg and returns ErrUnsupported: load generation needs Linux.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return nil, ErrUnsupported
}

// MarkNamespace returns ErrUnsupported: network namespaces are Linux's.
func MarkNamespace(token string) error {
	return ErrUnsupported
}
