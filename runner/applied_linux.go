//go:build linux

package runner

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
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
// was asked.
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
