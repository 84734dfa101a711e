//go:build linux

package runner

import (
	"fmt"
	"strconv"

	"github.com/scalelab/scalelab/internal/cgroup"
)

// cpuCap is a child process capped at a share of one core in a cgroup of
// its own (limits.server_cpu, limits.driver_cpu).
type cpuCap struct {
	group  *cgroup.Group
	share  float64 // as read back
	before cgroup.Stat
}

// capCPU puts pid in a new group capped at share of a core, before the
// child is handed its configuration, so it never runs uncapped under load.
// What cannot be applied is recorded as not applied; nil then.
func (a *appliedLimits) capCPU(key, who, name string, share float64, pid int) *cpuCap {
	if share <= 0 {
		return nil
	}
	what := key + "=" + strconv.FormatFloat(share, 'f', -1, 64)
	g, err := cgroup.New(name, share)
	if err != nil {
		a.fail(what, err.Error())
		return nil
	}
	if err := g.Add(pid); err != nil {
		a.fail(what, fmt.Sprintf("put the %s in its group: %v", who, err))
		_ = g.Remove()
		return nil
	}
	got, err := g.Quota()
	if err != nil {
		a.fail(what, fmt.Sprintf("read the quota back: %v", err))
		_ = g.Remove()
		return nil
	}
	a.set(key, strconv.FormatFloat(got, 'f', -1, 64))
	c := &cpuCap{group: g, share: got}
	c.before, _ = g.Stat()
	return c
}

// throttled returns the cap in percent of one core and the share of its
// periods in which the process used its quota up, since capCPU.
func (c *cpuCap) throttled() (quotaPct, throttledPct float64) {
	if c == nil {
		return 0, 0
	}
	after, err := c.group.Stat()
	if err != nil {
		return 100 * c.share, 0
	}
	periods := after.Periods - c.before.Periods
	if periods == 0 {
		return 100 * c.share, 0
	}
	return 100 * c.share, 100 * float64(after.Throttled-c.before.Throttled) / float64(periods)
}

// remove deletes the group once its process has exited.
func (c *cpuCap) remove() error {
	if c == nil {
		return nil
	}
	return c.group.Remove()
}

// cleanCgroups removes the groups of earlier runners that were killed
// before they could remove theirs.
func cleanCgroups(log func(string)) {
	removed, err := cgroup.Cleanup()
	if err == nil && len(removed) > 0 {
		log(fmt.Sprintf("removed %d CPU cgroups left by killed runs", len(removed)))
	}
}
