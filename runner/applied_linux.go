//go:build linux

package runner

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/probe"
)

// NotApplied is a limit the phase asked for that the lab could not apply.
type NotApplied struct {
	What string
	Why  string
}

// appliedLimits records, over a whole run, what was applied as asked (with
// the value the kernel reports back) and what was not.
type appliedLimits struct {
	mu         sync.Mutex
	NetNS      bool
	Values     map[string]string // sysctl or limit -> value read back
	NotApplied []NotApplied
	seen       map[string]bool
}

func newApplied() *appliedLimits {
	return &appliedLimits{Values: map[string]string{}, seen: map[string]bool{}}
}

// fail records a limit that could not be applied (once per limit).
func (a *appliedLimits) fail(what, why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[what] {
		return
	}
	a.seen[what] = true
	a.NotApplied = append(a.NotApplied, NotApplied{What: what, Why: why})
}

func (a *appliedLimits) set(name, value string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Values[name] = value
}

// sysctls lists the namespace sysctls a phase asks for.
func sysctls(l phases.Limits) [][2]string {
	var out [][2]string
	if l.SoMaxConn > 0 {
		out = append(out, [2]string{"net.core.somaxconn", strconv.Itoa(l.SoMaxConn)})
	}
	if !l.PortRange.IsZero() {
		out = append(out, [2]string{"net.ipv4.ip_local_port_range", l.PortRange.String()})
	}
	if l.TCPTwReuse != nil {
		out = append(out, [2]string{"net.ipv4.tcp_tw_reuse", strconv.Itoa(*l.TCPTwReuse)})
	}
	if l.SynCookies != nil {
		out = append(out, [2]string{"net.ipv4.tcp_syncookies", strconv.Itoa(*l.SynCookies)})
	}
	return out
}

// applySysctls sets the phase's sysctls inside ns, recording each outcome.
func (a *appliedLimits) applySysctls(ns *netns.NS, l phases.Limits) {
	for _, kv := range sysctls(l) {
		if err := ns.SetSysctl(kv[0], kv[1]); err != nil {
			a.fail(kv[0]+"="+kv[1], err.Error())
			continue
		}
		got, err := ns.Sysctl(kv[0])
		if err != nil {
			a.fail(kv[0]+"="+kv[1], err.Error())
			continue
		}
		a.set(kv[0], strings.Join(strings.Fields(got), " "))
	}
}

// hostNetwork records that no namespace could be made, so no sysctl of the
// phase was applied.
func (a *appliedLimits) hostNetwork(why string, l phases.Limits) {
	a.fail("network namespace", why)
	for _, kv := range sysctls(l) {
		a.fail(kv[0]+"="+kv[1], "no namespace of its own: the host's value was left alone")
	}
}

// checkNoFile compares a process's RLIMIT_NOFILE (who: "server" or
// "driver"; key: the phase's limit, "nofile" or "driver_nofile") with what
// was asked. A limit already recorded as not applied is not reported again.
func (a *appliedLimits) checkNoFile(key, who string, want, got int) {
	if want <= 0 {
		return
	}
	if got != want {
		a.fail(fmt.Sprintf("%s=%d", key, want), fmt.Sprintf("%s ran with RLIMIT_NOFILE %d", who, got))
		return
	}
	a.set(key, strconv.Itoa(got))
}

// lines lists what was not applied, one "what: why" line each.
func (a *appliedLimits) lines() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, n := range a.NotApplied {
		out = append(out, n.What+": "+n.Why)
	}
	return out
}

// noFileFor returns the RLIMIT_NOFILE a child may get when the phase asks
// for want (key: "nofile" or "driver_nofile"): want itself, or this
// process's hard limit when want is above it and cannot be raised (that
// needs CAP_SYS_RESOURCE), which is then recorded as not applied. 0 means
// leave the child's limit alone.
func (a *appliedLimits) noFileFor(key, who string, want int) int {
	if want <= 0 {
		return 0
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || uint64(want) <= lim.Max {
		return want
	}
	if canRaiseHardLimit() {
		return want
	}
	a.fail(fmt.Sprintf("%s=%d", key, want), fmt.Sprintf("the hard limit of open files is %d and raising it needs CAP_SYS_RESOURCE: the %s ran with %d", lim.Max, who, lim.Max))
	return int(lim.Max)
}

// canRaiseHardLimit reports whether this process has CAP_SYS_RESOURCE.
func canRaiseHardLimit() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	const capSysResource = 24
	return data[0].Effective&(1<<capSysResource) != 0
}

// serverNoFile reads the server's soft RLIMIT_NOFILE back and checks it
// against the phase's limit; it returns the limit read (0: unknown).
func (a *appliedLimits) serverNoFile(pid, want int) int {
	got := 0
	if lim, err := (probe.FS{}).Limits(pid); err == nil {
		if nf, ok := lim.NoFile(); ok {
			got = int(nf.Soft)
		}
	}
	a.checkNoFile("nofile", "server", want, got)
	return got
}
