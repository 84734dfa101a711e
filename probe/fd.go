package probe

import (
	"errors"
	"fmt"
	"io"
)

// maxFDEntries bounds the directory walk of OpenFDs (RLIMIT_NOFILE cannot
// exceed fs.nr_open, 2^20 by default; the bound is far above it).
const maxFDEntries = 1 << 24

// OpenFDs counts the entries of /proc/PID/fd: the file descriptors the
// process has open, to compare with its RLIMIT_NOFILE.
func (fs FS) OpenFDs(pid int) (int, error) {
	f, p, err := fs.open(pid, "fd")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	for n < maxFDEntries {
		names, err := f.Readdirnames(1024)
		n += len(names)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("probe: read %s: %w", p, err)
		}
	}
	return n, fmt.Errorf("probe: %s has more than %d entries", p, maxFDEntries)
}
