package doctor

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/phases"
)

// Tools lists the optional programs the benchmarks use (make anchors,
// make bench-driver), in the order they are checked.
var Tools = []string{"wrk", "nginx"}

// trialShare is the quota of the cgroup Gather makes to prove quotas work:
// the share a verdict is verified with when one side is squeezed.
const trialShare = 0.5

// Gather looks at this machine. Where it can it tries the real thing: it
// creates a network namespace and writes the phases' sysctls inside it,
// and makes a cgroup capped at half a core; both are gone when it returns.
func Gather() (Facts, error) {
	ladder, err := phases.Ladder()
	if err != nil {
		return Facts{}, fmt.Errorf("doctor: read the ladder: %w", err)
	}
	f := Facts{EUID: os.Geteuid(), CPUs: runtime.NumCPU(), Phases: needsOf(ladder)}
	gatherSystem(&f)
	for _, name := range Tools {
		path, _ := exec.LookPath(name)
		f.Tools = append(f.Tools, Tool{Name: name, Path: path})
	}
	return f, nil
}

// needsOf reduces the ladder to what each phase asks of the machine.
func needsOf(ladder []*phases.Phase) []Phase {
	out := make([]Phase, 0, len(ladder))
	for _, p := range ladder {
		l := p.Limits
		n := Phase{Number: p.Number, NoFile: l.NoFile, DriverNoFile: l.DriverNoFile, Sysctls: map[string]string{}}
		if l.SoMaxConn > 0 {
			n.Sysctls["net.core.somaxconn"] = strconv.Itoa(l.SoMaxConn)
		}
		if !l.PortRange.IsZero() {
			n.Sysctls["net.ipv4.ip_local_port_range"] = l.PortRange.String()
		}
		if l.TCPTwReuse != nil {
			n.Sysctls["net.ipv4.tcp_tw_reuse"] = strconv.Itoa(*l.TCPTwReuse)
		}
		if l.SynCookies != nil {
			n.Sysctls["net.ipv4.tcp_syncookies"] = strconv.Itoa(*l.SynCookies)
		}
		out = append(out, n)
	}
	return out
}

// sysctlTrials returns each sysctl the phases set with the first value a
// phase gives it, sorted by name: what Gather writes in its namespace.
func sysctlTrials(ps []Phase) []Sysctl {
	names, _ := sysctlNeeds(ps)
	out := make([]Sysctl, 0, len(names))
	for _, n := range names {
		for _, p := range ps {
			if v, ok := p.Sysctls[n]; ok {
				out = append(out, Sysctl{Name: n, Value: v})
				break
			}
		}
	}
	return out
}

// Capability numbers (linux/capability.h).
const (
	capNetAdmin    = 12
	capSysAdmin    = 21
	capSysResource = 24
)

// errStatus marks a /proc/PID/status the parser cannot read.
var errStatus = errors.New("doctor: unexpected /proc/self/status")

// parseCaps reads the effective capabilities (CapEff) of /proc/PID/status.
func parseCaps(r io.Reader) (Caps, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		bits, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return Caps{}, fmt.Errorf("%w: CapEff %q: %v", errStatus, strings.TrimSpace(v), err)
		}
		on := func(c uint) bool { return bits&(1<<c) != 0 }
		return Caps{SysAdmin: on(capSysAdmin), NetAdmin: on(capNetAdmin), SysResource: on(capSysResource)}, nil
	}
	if err := sc.Err(); err != nil {
		return Caps{}, fmt.Errorf("doctor: read status: %w", err)
	}
	return Caps{}, fmt.Errorf("%w: no CapEff line", errStatus)
}
