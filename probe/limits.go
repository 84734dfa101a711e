package probe

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Unlimited is the value of a limit the kernel prints as "unlimited".
const Unlimited int64 = -1

// Limit is one row of /proc/PID/limits.
type Limit struct {
	// Soft is the limit enforced now (Unlimited when none).
	Soft int64
	// Hard is the ceiling the soft limit may be raised to (Unlimited when none).
	Hard int64
	// Unit is the kernel's unit ("files", "bytes", ...), empty when none.
	Unit string
}

// Limits maps a limit's name as the kernel prints it ("Max open files") to
// its values.
type Limits map[string]Limit

// NoFileName is the row of /proc/PID/limits for RLIMIT_NOFILE.
const NoFileName = "Max open files"

// NoFile returns RLIMIT_NOFILE and whether the table had it.
func (l Limits) NoFile() (Limit, bool) {
	v, ok := l[NoFileName]
	return v, ok
}

// parseLimits parses the table of /proc/PID/limits. Names are several words
// long, so a row is split at its first value ("unlimited" or a number).
func parseLimits(r io.Reader) (Limits, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	l := Limits{}
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if line == 1 && f[0] == "Limit" {
			continue // header: Limit Soft Limit Hard Limit Units
		}
		i := 0
		for i < len(f) && !isLimitValue(f[i]) {
			i++
		}
		if i == 0 || i+2 > len(f) {
			return nil, fmt.Errorf("line %d: %w: %q is not name soft hard [unit]", line, errFormat, sc.Text())
		}
		soft, err := parseLimitValue(f[i])
		if err != nil {
			return nil, fmt.Errorf("line %d: soft limit: %w", line, err)
		}
		hard, err := parseLimitValue(f[i+1])
		if err != nil {
			return nil, fmt.Errorf("line %d: hard limit: %w", line, err)
		}
		l[strings.Join(f[:i], " ")] = Limit{Soft: soft, Hard: hard, Unit: strings.Join(f[i+2:], " ")}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

func isLimitValue(s string) bool {
	if s == "unlimited" {
		return true
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func parseLimitValue(s string) (int64, error) {
	if s == "unlimited" {
		return Unlimited, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errFormat, err)
	}
	return v, nil
}

// Limits reads /proc/PID/limits.
func (fs FS) Limits(pid int) (Limits, error) {
	return readWith(fs, func(f *os.File) (Limits, error) { return parseLimits(f) }, pid, "limits")
}
