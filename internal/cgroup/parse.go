package cgroup

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// errFormat marks a file that does not read as the kernel writes it.
var errFormat = errors.New("cgroup: unexpected format")

// lines calls fn with every line of r and its number (from 1), and stops
// at the first error.
func lines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, sc.Text()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// parseStat reads cpu.stat, of either version: v1 writes nr_periods,
// nr_throttled and throttled_time (ns); v2 writes usage_usec, nr_periods,
// nr_throttled and throttled_usec among others. Keys it does not know are
// skipped; a line that is not "key value" is an error.
func parseStat(r io.Reader) (Stat, error) {
	var s Stat
	err := lines(r, func(n int, line string) error {
		f := strings.Fields(line)
		if len(f) == 0 {
			return nil
		}
		if len(f) != 2 {
			return fmt.Errorf("%w: cpu.stat line %d: %q is not \"key value\"", errFormat, n, line)
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: cpu.stat line %d: %s: %v", errFormat, n, f[0], err)
		}
		switch f[0] {
		case "nr_periods":
			s.Periods = v
		case "nr_throttled":
			s.Throttled = v
		case "throttled_time":
			s.ThrottledTime = nanos(v)
		case "throttled_usec":
			s.ThrottledTime = micros(v)
		case "usage_usec":
			s.Usage, s.HasUsage = micros(v), true
		}
		return nil
	})
	if err != nil {
		return Stat{}, err
	}
	return s, nil
}

// nanos converts a kernel count of nanoseconds, saturating.
func nanos(v uint64) time.Duration {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(v)
}

// micros converts a kernel count of microseconds, saturating.
func micros(v uint64) time.Duration {
	if v > math.MaxInt64/uint64(time.Microsecond) {
		return math.MaxInt64
	}
	return time.Duration(v) * time.Microsecond
}

// parseInt reads a file holding one integer (cpu.cfs_quota_us,
// cpu.cfs_period_us, cpuacct.usage).
func parseInt(name string, r io.Reader) (int64, error) {
	b, err := io.ReadAll(io.LimitReader(r, 64))
	if err != nil {
		return 0, fmt.Errorf("cgroup: read %s: %w", name, err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", errFormat, name, err)
	}
	return v, nil
}

// parseCPUMax reads v2's cpu.max, "QUOTA PERIOD" in microseconds, where
// QUOTA "max" means no limit (returned as -1, as v1 writes it).
func parseCPUMax(r io.Reader) (quota, period int64, err error) {
	b, err := io.ReadAll(io.LimitReader(r, 128))
	if err != nil {
		return 0, 0, fmt.Errorf("cgroup: read cpu.max: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%w: cpu.max %q is not \"QUOTA PERIOD\"", errFormat, b)
	}
	if period, err = strconv.ParseInt(f[1], 10, 64); err != nil || period <= 0 {
		return 0, 0, fmt.Errorf("%w: cpu.max period %q", errFormat, f[1])
	}
	if f[0] == "max" {
		return -1, period, nil
	}
	if quota, err = strconv.ParseInt(f[0], 10, 64); err != nil || quota <= 0 {
		return 0, 0, fmt.Errorf("%w: cpu.max quota %q", errFormat, f[0])
	}
	return quota, period, nil
}

// share converts a quota and a period (-1: no quota) into a share of one
// core, 0 meaning no limit.
func share(quota, period int64) (float64, error) {
	if quota < 0 {
		return 0, nil
	}
	if quota == 0 || period <= 0 {
		return 0, fmt.Errorf("%w: quota %d us per period %d us", errFormat, quota, period)
	}
	return float64(quota) / float64(period), nil
}

// parseProcs reads cgroup.procs: one pid per line.
func parseProcs(r io.Reader) ([]int, error) {
	var pids []int
	err := lines(r, func(n int, line string) error {
		line = strings.TrimSpace(line)
		if line == "" {
			return nil
		}
		pid, err := strconv.Atoi(line)
		if err != nil || pid <= 0 {
			return fmt.Errorf("%w: cgroup.procs line %d: %q is not a pid", errFormat, n, line)
		}
		pids = append(pids, pid)
		return nil
	})
	return pids, err
}

// mount is one line of /proc/self/mountinfo, reduced to what detection needs.
type mount struct {
	Root     string   // the directory of the filesystem mounted here ("/" for a whole hierarchy)
	Point    string   // where it is mounted
	FSType   string   // "cgroup", "cgroup2", ...
	SuperOpt []string // super options: for cgroup v1, its controllers among them
}

// parseMountInfo reads /proc/PID/mountinfo (proc(5)): "ID PARENT MAJ:MIN
// ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".
func parseMountInfo(r io.Reader) ([]mount, error) {
	var out []mount
	err := lines(r, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(f) {
			return fmt.Errorf("%w: mountinfo line %d: %q is not \"ID PARENT DEV ROOT POINT OPTIONS ... - TYPE SOURCE SUPEROPTIONS\"", errFormat, n, line)
		}
		out = append(out, mount{Root: unescape(f[3]), Point: unescape(f[4]), FSType: f[sep+1], SuperOpt: strings.Split(f[sep+3], ",")})
		return nil
	})
	return out, err
}

// unescape undoes the octal escapes (\040 for a space) of mountinfo paths.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			v, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 || s[0] > '3' {
		return false
	}
	for i := range 3 {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}

// membership is one line of /proc/PID/cgroup: the process's cgroup in one
// hierarchy ("4:cpu,cpuacct:/user.slice"; v2's line is "0::/path").
type membership struct {
	Controllers []string // empty for v2
	Path        string
}

// parseCgroupFile reads /proc/PID/cgroup.
func parseCgroupFile(r io.Reader) ([]membership, error) {
	var out []membership
	err := lines(r, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		id, rest, ok1 := strings.Cut(line, ":")
		ctrls, path, ok2 := strings.Cut(rest, ":")
		if _, err := strconv.ParseUint(id, 10, 32); !ok1 || !ok2 || err != nil || !strings.HasPrefix(path, "/") {
			return fmt.Errorf("%w: cgroup line %d: %q is not ID:CONTROLLERS:/PATH", errFormat, n, line)
		}
		m := membership{Path: path}
		if ctrls != "" {
			m.Controllers = strings.Split(ctrls, ",")
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// has reports whether list holds s.
func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
