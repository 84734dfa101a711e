package probe

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// parseSchedstat parses /proc/PID/task/TID/schedstat: "run_ns wait_ns
// slices". The second number is run_delay: time the thread was runnable but
// waited for a CPU — the USE method's saturation of the CPU.
func parseSchedstat(s string) (run, wait time.Duration, err error) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("%w: %d fields, want 3", errFormat, len(f))
	}
	r, err1 := strconv.ParseInt(f[0], 10, 64)
	w, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || r < 0 || w < 0 {
		return 0, 0, fmt.Errorf("%w: %q", errFormat, s)
	}
	return time.Duration(r), time.Duration(w), nil
}

// RunQueue sums, over pid's threads, the time they ran and the time they
// waited runnable for a CPU (/proc/PID/task/*/schedstat). Threads that
// exited take their time with them; a Go program keeps its threads.
func (fs FS) RunQueue(pid int) (run, wait time.Duration, err error) {
	dir := fs.path(pid, "task")
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, fmt.Errorf("probe: %w", err)
	}
	read := 0
	for _, t := range tasks {
		b, err := os.ReadFile(fs.path(pid, "task", t.Name(), "schedstat"))
		if err != nil {
			continue // the thread exited in between
		}
		r, w, err := parseSchedstat(string(b))
		if err != nil {
			return 0, 0, fmt.Errorf("probe: parse %s/%s/schedstat: %w", dir, t.Name(), err)
		}
		run += r
		wait += w
		read++
	}
	if read == 0 {
		return 0, 0, fmt.Errorf("probe: no thread's schedstat under %s", dir)
	}
	return run, wait, nil
}
