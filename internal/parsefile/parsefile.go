// Package parsefile opens a file and hands it to a parser, for the packages
// that read kernel files (/proc, cgroupfs) with parsers of an io.Reader.
package parsefile

import (
	"fmt"
	"io"
	"os"
)

// Parse opens the file at path and parses it with parse. Both errors name
// the file: one that does not open is an *fs.PathError ("open PATH: ..."),
// one that does not parse reads "parse PATH: ..." and wraps parse's error.
// Whatever parse returned comes back with its error.
func Parse[T any](path string, parse func(io.Reader) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	v, err := parse(f)
	if err != nil {
		return v, fmt.Errorf("parse %s: %w", path, err)
	}
	return v, nil
}
