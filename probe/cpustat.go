package probe

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CPUTimes is one CPU's line of /proc/stat: time spent in each mode since
// boot, in clock ticks (ClockTicks per second).
type CPUTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
}

// Total is all the time the line accounts for.
func (c CPUTimes) Total() uint64 {
	return c.User + c.Nice + c.System + c.Idle + c.IOWait + c.IRQ + c.SoftIRQ + c.Steal
}

// Tasks is the time the CPU ran tasks (user, nice and system): what
// processes' utime and stime add up to.
func (c CPUTimes) Tasks() uint64 { return c.User + c.Nice + c.System }

// CPUStat maps a CPU number to its times.
type CPUStat map[int]CPUTimes

// ParseCPUStat reads the per-CPU lines ("cpu0 ...") of /proc/stat.
func ParseCPUStat(r io.Reader) (CPUStat, error) {
	out := CPUStat{}
	_, err := eachLine(r, func(_ int, b []byte) error {
		line := string(b)
		if !strings.HasPrefix(line, "cpu") || strings.HasPrefix(line, "cpu ") {
			return nil
		}
		f := strings.Fields(line)
		n, err := strconv.Atoi(strings.TrimPrefix(f[0], "cpu"))
		if err != nil || n < 0 {
			return fmt.Errorf("%w: bad cpu name %q", errFormat, f[0])
		}
		var v [8]int64
		if err := parseInts(f[1:], 10, v[:]); err != nil {
			return fmt.Errorf("%s: %w", f[0], err)
		}
		if _, dup := out[n]; dup {
			return fmt.Errorf("%w: cpu%d listed twice", errFormat, n)
		}
		u := func(i int) uint64 { return uint64(v[i]) } // parseInts refuses negatives
		out[n] = CPUTimes{User: u(0), Nice: u(1), System: u(2), Idle: u(3), IOWait: u(4), IRQ: u(5), SoftIRQ: u(6), Steal: u(7)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CPUStat reads the per-CPU times of the whole machine (Root/stat).
func (fs FS) CPUStat() (CPUStat, error) {
	p := filepath.Join(fs.root(), "stat")
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	defer f.Close()
	s, err := ParseCPUStat(f)
	if err != nil {
		return nil, fmt.Errorf("probe: parse %s: %w", p, err)
	}
	return s, nil
}

// CoreUse is how a set of CPUs was used between two readings, in percent
// of their time (100 × number of CPUs is all of it).
type CoreUse struct {
	// Tasks is time running tasks (user + nice + system), all processes.
	Tasks float64
	// SoftIRQ is packet processing and other deferred kernel work; on
	// loopback much TCP work lands here.
	SoftIRQ float64
	// Steal is time the hypervisor gave to another guest.
	Steal float64
}

// Use compares two readings over the given CPUs. CPUs missing from either
// reading are skipped.
func Use(before, after CPUStat, cpus []int) CoreUse {
	var total, tasks, soft, steal uint64
	for _, c := range cpus {
		b, okb := before[c]
		a, oka := after[c]
		if !okb || !oka || a.Total() < b.Total() {
			continue
		}
		total += a.Total() - b.Total()
		tasks += a.Tasks() - b.Tasks()
		soft += a.SoftIRQ - b.SoftIRQ
		steal += a.Steal - b.Steal
	}
	if total == 0 {
		return CoreUse{}
	}
	n := float64(len(cpus)) * 100 / float64(total)
	return CoreUse{Tasks: float64(tasks) * n, SoftIRQ: float64(soft) * n, Steal: float64(steal) * n}
}
