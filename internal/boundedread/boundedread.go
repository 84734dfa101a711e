// Package boundedread reads input files whose size the lab bounds (phase
// files, scorecards), so a huge or endless file (a FIFO, /dev/zero) cannot
// exhaust memory.
package boundedread

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is returned for a file larger than the bound.
var ErrTooLarge = errors.New("file too large")

// File reads the file at path when it holds at most max bytes. It reads
// at most max+1 bytes to tell. Errors name the path.
func File(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names it
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return data[:max], fmt.Errorf("%s: %w: more than %d bytes", path, ErrTooLarge, max)
	}
	return data, nil
}
