package probe

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ProcStatus holds the fields of /proc/PID/status the lab uses.
type ProcStatus struct {
	// Name is the command name.
	Name string
	// VmRSS is the resident set size in bytes.
	VmRSS int64
	// VmHWM is the peak resident set size in bytes.
	VmHWM int64
	// Threads is the number of threads.
	Threads int64
	// FDSize is the number of file descriptor slots allocated.
	FDSize int64
	// VoluntaryCtxtSwitches counts switches where the process gave up the
	// CPU (blocked); NonvoluntaryCtxtSwitches counts preemptions, which grow
	// fast when the process fights for its CPU.
	VoluntaryCtxtSwitches, NonvoluntaryCtxtSwitches int64
}

// parseStatus parses /proc/PID/status ("Key:\tvalue" lines). missing names
// the wanted keys that were absent (kernel threads have no Vm* lines).
func parseStatus(r io.Reader) (st ProcStatus, missing []string, err error) {
	want := map[string]bool{"Name": false, "VmRSS": false, "VmHWM": false, "Threads": false, "FDSize": false,
		"voluntary_ctxt_switches": false, "nonvoluntary_ctxt_switches": false}
	ints := map[string]*int64{"VmRSS": &st.VmRSS, "VmHWM": &st.VmHWM, "Threads": &st.Threads, "FDSize": &st.FDSize,
		"voluntary_ctxt_switches": &st.VoluntaryCtxtSwitches, "nonvoluntary_ctxt_switches": &st.NonvoluntaryCtxtSwitches}
	_, err = eachLine(r, func(_ int, b []byte) error {
		key, val, ok := strings.Cut(string(b), ":")
		if !ok {
			if strings.TrimSpace(key) == "" {
				return nil
			}
			return fmt.Errorf("%w: no \"Key:\" in %.40q", errFormat, b)
		}
		seen, wanted := want[key]
		if !wanted {
			return nil
		}
		if seen {
			return fmt.Errorf("%w: %s twice", errFormat, key)
		}
		want[key] = true
		val = strings.TrimSpace(val)
		var v int64
		switch key {
		case "Name":
			st.Name = val
			return nil
		case "VmRSS", "VmHWM":
			v, err = parseKB(val)
		default:
			v, err = strconv.ParseInt(val, 10, 64)
			if err != nil {
				err = fmt.Errorf("%w: %w", errFormat, err)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		*ints[key] = v
		return nil
	})
	if err != nil {
		return ProcStatus{}, nil, err
	}
	for k, seen := range want {
		if !seen {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	return st, missing, nil
}

// parseKB parses "1720 kB" into bytes.
func parseKB(s string) (int64, error) {
	num, unit, _ := strings.Cut(s, " ")
	if strings.TrimSpace(unit) != "kB" {
		return 0, fmt.Errorf("%w: %q is not in kB", errFormat, s)
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 || v > (1<<53)/1024 {
		return 0, fmt.Errorf("%w: %q is not a size in kB", errFormat, s)
	}
	return v * 1024, nil
}

// Status reads /proc/PID/status; missing names wanted keys it lacked.
func (fs FS) Status(pid int) (st ProcStatus, missing []string, err error) {
	f, p, err := fs.open(pid, "status")
	if err != nil {
		return ProcStatus{}, nil, err
	}
	defer f.Close()
	st, missing, err = parseStatus(f)
	if err != nil {
		return st, missing, fmt.Errorf("probe: parse %s: %w", p, err)
	}
	return st, missing, nil
}
