package probe

import (
	"fmt"
	"io"
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
	l := Limits{}
	_, err := eachLine(r, func(n int, b []byte) error {
		f := strings.Fields(string(b))
		if len(f) == 0 || (n == 1 && f[0] == "Limit") {
			return nil // blank, or the header: Limit Soft Limit Hard Limit Units
		}
		i := 0
		for i < len(f) && !isLimitValue(f[i]) {
			i++
		}
		if i == 0 || i+2 > len(f) {
			return fmt.Errorf("%w: %q is not name soft hard [unit]", errFormat, b)
		}
		soft, err := parseLimitValue(f[i])
		if err != nil {
			return fmt.Errorf("soft limit: %w", err)
		}
		hard, err := parseLimitValue(f[i+1])
		if err != nil {
			return fmt.Errorf("hard limit: %w", err)
		}
		l[strings.Join(f[:i], " ")] = Limit{Soft: soft, Hard: hard, Unit: strings.Join(f[i+2:], " ")}
		return nil
	})
	if err != nil {
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
	return readWith(fs, parseLimits, pid, "limits")
}
