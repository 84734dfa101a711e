package probe

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/scalelab/scalelab/internal/parsefile"
)

// DefaultRoot is where the live proc filesystem is mounted.
const DefaultRoot = "/proc"

// FS is a proc filesystem to read evidence from. The zero value reads the
// live system at DefaultRoot; tests point Root at fixtures under testdata/proc.
type FS struct {
	// Root is the directory holding the per-process directories ("/proc").
	Root string
}

// root returns the directory to read, DefaultRoot when Root is empty.
func (fs FS) root() string {
	if fs.Root == "" {
		return DefaultRoot
	}
	return fs.Root
}

// path joins the root, the pid and the elements of a per-process file.
func (fs FS) path(pid int, elem ...string) string {
	return filepath.Join(append([]string{fs.root(), strconv.Itoa(pid)}, elem...)...)
}

// open opens a per-process file; the error names the path.
func (fs FS) open(pid int, elem ...string) (*os.File, string, error) {
	p := fs.path(pid, elem...)
	f, err := os.Open(p)
	if err != nil {
		return nil, p, fmt.Errorf("probe: %w", err)
	}
	return f, p, nil
}

// readWith opens a per-process file and parses it with parse. Errors name
// the file's path.
func readWith[T any](fs FS, parse func(io.Reader) (T, error), pid int, elem ...string) (T, error) {
	v, err := parsefile.Parse(fs.path(pid, elem...), parse)
	if err != nil {
		return v, fmt.Errorf("probe: %w", err)
	}
	return v, nil
}
