// Package doctor checks whether this machine has what the lab needs, and
// says what each missing piece costs.
//
// Gathering (Gather) is apart from judging (Checks): Gather tries the real
// thing where it can (it creates a network namespace, writes its sysctls,
// makes a cgroup with a CPU quota) and records what happened in Facts;
// Checks turns Facts into one Check per need with pure functions, so every
// verdict is tested with made-up Facts.
package doctor

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scalelab/scalelab/units"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	OK      Status = "ok"      // what the lab needs is there
	Limited Status = "limited" // it is there, but less than the lab asks for
	Missing Status = "missing" // it is not there
)

// Check is one need of the lab and what this machine has for it.
type Check struct {
	Name     string `json:"name"`
	Status   Status `json:"status"`
	Value    string `json:"value"`          // what was found
	Cost     string `json:"cost,omitempty"` // what the lab loses, one sentence; empty when ok
	Optional bool   `json:"optional,omitempty"`
}

// Failed reports whether a check the lab needs (not an optional one) is
// missing or limited.
func Failed(checks []Check) bool {
	for _, c := range checks {
		if !c.Optional && c.Status != OK {
			return true
		}
	}
	return false
}

// Caps are the effective capabilities the lab uses.
type Caps struct {
	SysAdmin    bool // CAP_SYS_ADMIN: unshare(CLONE_NEWNET)
	NetAdmin    bool // CAP_NET_ADMIN: the namespace's loopback and sysctls
	SysResource bool // CAP_SYS_RESOURCE: RLIMIT_NOFILE above the hard limit
}

// Sysctl is one network sysctl written and read back inside a fresh
// namespace.
type Sysctl struct {
	Name  string // dotted, e.g. net.core.somaxconn
	Value string // the value written
	Err   error  // nil when it was written and read back
}

// Phase is what one phase of the ladder asks of the machine.
type Phase struct {
	Number       int
	NoFile       int               // server RLIMIT_NOFILE (0: left alone)
	DriverNoFile int               // driver RLIMIT_NOFILE (0: left alone)
	Sysctls      map[string]string // per-namespace sysctls, dotted name -> value
}

// Tool is an optional program of the benchmarks.
type Tool struct {
	Name string // wrk, nginx
	Path string // where it was found on PATH; empty when not found
}

// Facts is what Gather found on this machine.
type Facts struct {
	EUID    int
	Caps    Caps
	CapsErr error // the capabilities could not be read

	NetNS   error    // nil: a network namespace was created (and left)
	Sysctls []Sysctl // tried inside that namespace; empty when there was none

	Cgroup        string  // the CPU controller found, e.g. "cgroup v1 cpu at /sys/fs/cgroup/cpu"
	CgroupErr     error   // why there is none (an *cgroup.UnavailableError), or why the trial group failed
	CgroupQuota   float64 // the trial group's quota, read back
	CgroupTrialed float64 // the quota the trial group was made with

	CPUs int // CPUs this process may run on

	NoFileHard uint64 // hard RLIMIT_NOFILE
	NrOpen     uint64 // fs.nr_open: the ceiling for CAP_SYS_RESOURCE (0: unknown)
	NoFileErr  error

	Phases []Phase // the ladder
	Tools  []Tool
}

// Checks judges the facts: privileges, network namespace, namespace
// sysctls, cgroup CPU controller, cores, open files, then the optional
// tools.
func Checks(f Facts) []Check {
	out := []Check{
		privileges(f),
		namespaces(f),
		sysctls(f),
		cgroupCPU(f),
		cores(f.CPUs),
		openFiles(f),
	}
	for _, t := range f.Tools {
		out = append(out, tool(t))
	}
	return out
}

func privileges(f Facts) Check {
	c := Check{Name: "privileges"}
	if f.CapsErr != nil {
		c.Status, c.Value = Missing, fmt.Sprintf("euid %d; capabilities unknown: %v", f.EUID, f.CapsErr)
	} else {
		var have, lack []string
		for _, p := range []struct {
			name string
			on   bool
		}{{"CAP_SYS_ADMIN", f.Caps.SysAdmin}, {"CAP_NET_ADMIN", f.Caps.NetAdmin}, {"CAP_SYS_RESOURCE", f.Caps.SysResource}} {
			if p.on {
				have = append(have, p.name)
			} else {
				lack = append(lack, p.name)
			}
		}
		c.Value = fmt.Sprintf("euid %d", f.EUID)
		if len(have) > 0 {
			c.Value += " with " + strings.Join(have, ", ")
		}
		if len(lack) > 0 {
			c.Value += "; without " + strings.Join(lack, ", ")
		}
		c.Status = OK
		if !f.Caps.SysAdmin || !f.Caps.NetAdmin {
			c.Status = Missing
		}
	}
	if c.Status != OK {
		c.Cost = "without root (CAP_SYS_ADMIN and CAP_NET_ADMIN) runs happen in the host's network namespace and the phases' sysctls are NOT applied"
	}
	return c
}

func namespaces(f Facts) Check {
	c := Check{Name: "network namespace", Status: OK, Value: "unshare(CLONE_NEWNET) made one, loopback up"}
	if f.NetNS != nil {
		c.Status, c.Value = Missing, f.NetNS.Error()
		c.Cost = "every step runs in the host's namespace, where its sockets and TIME_WAIT mix with the machine's and the phases' sysctls are NOT applied"
	}
	return c
}

func sysctls(f Facts) Check {
	c := Check{Name: "namespace sysctls"}
	names, phases := sysctlNeeds(f.Phases)
	if len(names) == 0 {
		return Check{Name: c.Name, Status: OK, Value: "no phase sets one"}
	}
	cost := fmt.Sprintf("%s set %s; without a namespace to set them in, they run with the host's values", phaseList(phases), strings.Join(names, ", "))
	if f.NetNS != nil {
		c.Status, c.Value, c.Cost = Missing, "no namespace to set them in", cost
		return c
	}
	tried := map[string]error{}
	for _, s := range f.Sysctls {
		tried[s.Name] = s.Err
	}
	var failed []string
	for _, n := range names {
		err, ok := tried[n]
		switch {
		case !ok:
			failed = append(failed, n+": not tried")
		case err != nil:
			failed = append(failed, err.Error())
		}
	}
	switch {
	case len(failed) == 0:
		c.Status, c.Value = OK, fmt.Sprintf("%d of %d written and read back in a fresh namespace", len(names), len(names))
	case len(failed) == len(names):
		c.Status, c.Value, c.Cost = Missing, strings.Join(failed, "; "), cost
	default:
		c.Status, c.Value = Limited, strings.Join(failed, "; ")
		c.Cost = fmt.Sprintf("%d of the %d sysctls the phases set are NOT applied; those phases run with the host's values", len(failed), len(names))
	}
	return c
}

// sysctlNeeds returns the sysctls the phases set, sorted, and the phases
// that set any.
func sysctlNeeds(phases []Phase) (names []string, numbers []int) {
	seen := map[string]bool{}
	for _, p := range phases {
		if len(p.Sysctls) > 0 {
			numbers = append(numbers, p.Number)
		}
		for n := range p.Sysctls {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names, numbers
}

func cgroupCPU(f Facts) Check {
	c := Check{Name: "cgroup CPU controller"}
	switch {
	case f.CgroupErr != nil && f.Cgroup == "":
		c.Status, c.Value = Missing, f.CgroupErr.Error()
	case f.CgroupErr != nil:
		c.Status, c.Value = Missing, fmt.Sprintf("%s, but a trial group failed: %v", f.Cgroup, f.CgroupErr)
	default:
		c.Status, c.Value = OK, fmt.Sprintf("%s: a group capped at %s of a core read back %s", f.Cgroup, units.WholePct(100*f.CgroupTrialed), units.WholePct(100*f.CgroupQuota))
	}
	if c.Status != OK {
		c.Cost = "limits.server_cpu and limits.driver_cpu, and verifying a verdict by squeezing a side to 50% of a core, are NOT applied"
	}
	return c
}

func cores(n int) Check {
	c := Check{Name: "cores", Value: units.Cores(n)}
	switch {
	case n >= 2:
		c.Status = OK
	case n == 1:
		c.Status = Limited
		c.Cost = "server and driver share one core, so every CPU verdict (server cpu, client) is weak"
	default:
		c.Status, c.Value = Missing, "unknown"
		c.Cost = "the server and the driver cannot be pinned, so every CPU verdict is weak"
	}
	return c
}

func openFiles(f Facts) Check {
	c := Check{Name: "open files"}
	if f.NoFileErr != nil {
		c.Status, c.Value = Missing, f.NoFileErr.Error()
		c.Cost = "the RLIMIT_NOFILE the phases ask for cannot be checked, and may fail when a phase sets it"
		return c
	}
	ceiling := f.NoFileHard
	c.Value = "hard limit " + units.Int(f.NoFileHard)
	switch {
	case f.Caps.SysResource && f.NrOpen > f.NoFileHard:
		ceiling = f.NrOpen
		c.Value += ", raised up to fs.nr_open " + units.Int(f.NrOpen) + " with CAP_SYS_RESOURCE"
	case !f.Caps.SysResource:
		c.Value += " (no CAP_SYS_RESOURCE to raise it)"
	}
	var capped []int
	want, over := 0, 0
	for _, p := range f.Phases {
		w := max(p.NoFile, p.DriverNoFile)
		want = max(want, w)
		if w > 0 && uint64(w) > ceiling {
			capped = append(capped, p.Number)
			over = max(over, w)
		}
	}
	if want > 0 {
		c.Value += "; the phases ask for up to " + units.Int(want)
	}
	c.Status = OK
	if len(capped) > 0 {
		c.Status = Limited
		c.Cost = fmt.Sprintf("%s ask for up to %s open files per process; setrlimit above %s fails, so they cannot run as written",
			phaseList(capped), units.Int(over), units.Int(ceiling))
	}
	return c
}

func tool(t Tool) Check {
	c := Check{Name: t.Name, Status: OK, Value: t.Path, Optional: true}
	if t.Path == "" {
		c.Status, c.Value = Missing, "not on PATH"
		c.Cost = fmt.Sprintf("only the benchmarks need it: make anchors and make bench-driver install %s with apt-get", t.Name)
	}
	return c
}

// phaseList names phases by number: "phase 5", "phases 6–9", "phases 1, 2 and 5".
func phaseList(ns []int) string {
	if len(ns) == 0 {
		return "no phase"
	}
	ns = append([]int(nil), ns...)
	sort.Ints(ns)
	if len(ns) == 1 {
		return fmt.Sprintf("phase %d", ns[0])
	}
	if ns[len(ns)-1]-ns[0] == len(ns)-1 && len(ns) > 2 {
		return fmt.Sprintf("phases %d–%d", ns[0], ns[len(ns)-1])
	}
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return "phases " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
