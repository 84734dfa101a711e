//go:build linux

package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// outDir is a run's output directory, locked for the run.
type outDir struct {
	path string
	lock *os.File
}

// openOutDir creates dir if needed and locks it (flock on dir/.lock, which
// the kernel releases when the process ends, however it ends). A
// directory locked by another run is refused with that run's pid. The
// files an earlier run left there (card, report, logs, run/) are removed,
// so no stale step log sits beside new ones.
func openOutDir(dir string) (*outDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("runner: output directory: %w", err)
	}
	lockPath := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("runner: lock %s: %w", lockPath, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(lockPath)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			who := strings.TrimSpace(string(owner))
			if who == "" {
				who = "unknown"
			}
			return nil, fmt.Errorf("%w: another run (pid %s) is writing to %s; choose another --out", ErrBusy, who, dir)
		}
		return nil, fmt.Errorf("runner: lock %s: %w", lockPath, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	d := &outDir{path: dir, lock: f}
	for _, old := range []string{ScorecardFile, ReportFile, LogDir, HlogDir, RunDir} {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			d.close()
			return nil, fmt.Errorf("runner: clear the earlier run's %s: %w", old, err)
		}
	}
	for _, sub := range []string{LogDir, HlogDir, RunDir} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			d.close()
			return nil, fmt.Errorf("runner: %w", err)
		}
	}
	return d, nil
}

func (d *outDir) file(name string) string { return filepath.Join(d.path, name) }

// socket returns the path of a unix socket inside the run directory,
// relative to the working directory when the absolute path is too long
// for a socket address (108 bytes).
func (d *outDir) socket(name string) string {
	p := filepath.Join(d.path, RunDir, name)
	if abs, err := filepath.Abs(p); err == nil && len(abs) < 100 {
		return abs
	}
	return p
}

// close removes the run directory and releases the lock.
func (d *outDir) close() {
	_ = os.RemoveAll(filepath.Join(d.path, RunDir))
	_ = d.lock.Close()
}
