package probe

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// ClockTicks is USER_HZ, the unit of the times in /proc/PID/stat. It is 100
// on every Linux architecture Go supports (getconf CLK_TCK).
const ClockTicks = 100

// ProcStat holds the fields of /proc/PID/stat the lab uses.
type ProcStat struct {
	// PID is field 1.
	PID int
	// Comm is the command name (field 2, without its parentheses). It may
	// contain spaces and parentheses.
	Comm string
	// State is the one-letter process state (R, S, D, Z, ...).
	State string
	// UTime and STime are CPU time in user and kernel mode, in ClockTicks.
	UTime, STime uint64
	// NumThreads is the number of threads.
	NumThreads int64
	// StartTime is when the process started, in ClockTicks after boot; a
	// new value for the same pid means a new process.
	StartTime uint64
	// VSize is the virtual memory size in bytes.
	VSize uint64
	// RSSPages is the resident set in pages.
	RSSPages int64
}

// CPUSeconds returns user plus system CPU time in seconds.
func (s ProcStat) CPUSeconds() float64 { return float64(s.UTime+s.STime) / ClockTicks }

// parseStat parses /proc/PID/stat. The command name sits in parentheses and
// may itself contain ") ", so the fields after it are found from the last ')'.
func parseStat(r io.Reader) (ProcStat, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxLine+1))
	if err != nil {
		return ProcStat{}, err
	}
	if len(b) > maxLine {
		return ProcStat{}, fmt.Errorf("%w: stat longer than %d bytes", errFormat, maxLine)
	}
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return ProcStat{}, fmt.Errorf("%w: no (comm) in stat", errFormat)
	}
	var s ProcStat
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return ProcStat{}, fmt.Errorf("pid: %w: %w", errFormat, err)
	}
	s.PID = pid
	s.Comm = string(b[open+1 : closing])
	// rest[0] is field 3 (state); field n is rest[n-3].
	rest := bytes.Fields(b[closing+1:])
	const last = 24 // rss
	if len(rest) < last-2 {
		return ProcStat{}, fmt.Errorf("%w: stat has %d fields after comm, want at least %d", errFormat, len(rest), last-2)
	}
	s.State = string(rest[0])
	var f fields
	s.UTime = field(&f, parseDec, rest[14-3], 64, "field 14 (utime)")
	s.STime = field(&f, parseDec, rest[15-3], 64, "field 15 (stime)")
	s.NumThreads = field(&f, parseInt, rest[20-3], 64, "field 20 (num_threads)")
	s.StartTime = field(&f, parseDec, rest[22-3], 64, "field 22 (starttime)")
	s.VSize = field(&f, parseDec, rest[23-3], 64, "field 23 (vsize)")
	s.RSSPages = field(&f, parseInt, rest[24-3], 64, "field 24 (rss)")
	if f.err != nil {
		return ProcStat{}, f.err
	}
	return s, nil
}

// Stat reads /proc/PID/stat.
func (fs FS) Stat(pid int) (ProcStat, error) {
	return readWith(fs, parseStat, pid, "stat")
}

// parseInt parses a signed decimal number that fits in bits.
func parseInt(b []byte, bits int) (int64, error) {
	v, err := strconv.ParseInt(string(b), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errFormat, err)
	}
	return v, nil
}
