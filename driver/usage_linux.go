//go:build linux

package driver

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the CPU time (user + system) the process used so far.
func processCPU() (time.Duration, error) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("driver: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// processRSS returns the resident set size now and at its peak, in MiB,
// from /proc/self/status (VmRSS, VmHWM).
func processRSS() (cur, peak float64, err error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, fmt.Errorf("driver: read own status: %w", err)
	}
	return parseStatusRSS(b)
}

// parseStatusRSS reads VmRSS and VmHWM (kB) from a /proc/PID/status text.
func parseStatusRSS(b []byte) (cur, peak float64, err error) {
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 {
			continue
		}
		var dst *float64
		switch string(f[0]) {
		case "VmRSS:":
			dst = &cur
		case "VmHWM:":
			dst = &peak
		default:
			continue
		}
		kb, perr := strconv.ParseUint(string(f[1]), 10, 64)
		if perr != nil {
			return 0, 0, fmt.Errorf("driver: status field %s: %w", f[0], perr)
		}
		*dst = float64(kb) / 1024
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("driver: VmRSS or VmHWM missing from status")
	}
	return cur, peak, nil
}

// allowedCPUs returns the number of CPUs in the process's affinity mask.
func allowedCPUs() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 1
	}
	return max(set.Count(), 1)
}

// noFile returns the process's soft RLIMIT_NOFILE, or 0 when unknown.
func noFile() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return int(lim.Cur)
}
