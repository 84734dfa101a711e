// Package cgroup caps the CPU time of the lab's child processes (the server
// and the load driver) with the kernel's CPU controller, and reads back how
// often the cap bit.
//
// A Group is a child cgroup named Prefix + the creating process's pid + a
// name ("scalelab-4242-driver-3") whose quota is a share of one core: 0.2
// lets its processes run 20 ms of every 100 ms period. The controller is
// found where it actually is, not where a mount suggests: cgroup v1's "cpu"
// hierarchy, or a cgroup v2 mount whose cgroup.controllers lists cpu. When
// neither works, Detect and New return an *UnavailableError that says why,
// so a caller can list the quota as not applied.
//
// Groups are never mounted or shared: each belongs to the process that made
// it, Remove deletes it once its processes have exited, and Cleanup deletes
// the groups of creators that died without removing theirs.
package cgroup

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Prefix starts the directory name of every group this package makes.
const Prefix = "scalelab-"

// Period is the enforcement period of a group's quota (the kernel's default).
const Period = 100 * time.Millisecond

// MinShare is the smallest share New accepts: the kernel refuses a quota
// below 1 ms per period.
const MinShare = 0.01

// RemoveTimeout bounds how long Remove waits for a group's processes to exit.
const RemoveTimeout = 2 * time.Second

var (
	// ErrNoController matches (errors.Is) every *UnavailableError.
	ErrNoController = errors.New("no cgroup CPU controller")
	// ErrUnsupported is returned on systems without cgroups (not Linux).
	ErrUnsupported = errors.New("cgroup: CPU quotas need Linux cgroups")
	// ErrNotPermitted is returned when the caller may not create or fill
	// groups (not root).
	ErrNotPermitted = errors.New("cgroup: managing cgroups is not permitted (run as root)")
	// ErrNotEmpty is returned by Remove when processes are still in the group.
	ErrNotEmpty = errors.New("cgroup: group still has processes")
)

// UnavailableError says why neither cgroup version offers the CPU controller.
type UnavailableError struct {
	V1 string // why v1 does not work, e.g. "v1 cpu not mounted"
	V2 string // why v2 does not work, e.g. "v2 at /sys/fs/cgroup/unified has controllers [hugetlb]"
}

// Error names both reasons: "no cgroup CPU controller: v1 ..., v2 ...".
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%v: %s, %s", ErrNoController, e.V1, e.V2)
}

// Is makes errors.Is(err, ErrNoController) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrNoController }

// Controller is where the CPU controller lives and where groups are made.
type Controller struct {
	Version int    // 1 or 2
	Mount   string // mount point of the hierarchy, e.g. /sys/fs/cgroup/cpu
	Parent  string // directory new groups are made in
}

// String describes the controller: "cgroup v1 cpu at /sys/fs/cgroup/cpu".
func (c *Controller) String() string {
	if c.Version == 1 {
		return "cgroup v1 cpu at " + c.Parent
	}
	return "cgroup v2 cpu at " + c.Parent
}

// Stat is the throttling and CPU usage of a group since it was made.
type Stat struct {
	Periods       uint64        // enforcement periods in which the group ran (nr_periods)
	Throttled     uint64        // periods in which it used up its quota (nr_throttled)
	ThrottledTime time.Duration // time its processes were held back (throttled_time, throttled_usec)
	Usage         time.Duration // CPU time its processes used; valid only when HasUsage
	HasUsage      bool          // false on v1 when cpuacct is not mounted with cpu
}

// Group is a cgroup made by New. Its methods are safe to call from several
// goroutines: they read and write the kernel's files and keep no state.
type Group struct {
	name    string // directory name: Prefix + pid + "-" + name
	dir     string
	version int
}

// Name returns the group's directory name, e.g. "scalelab-4242-driver-3".
func (g *Group) Name() string { return g.name }

// Path returns the group's directory.
func (g *Group) Path() string { return g.dir }

// groupName returns the directory name of group name made by pid.
func groupName(pid int, name string) string {
	return Prefix + strconv.Itoa(pid) + "-" + name
}

// creatorOf returns the pid in a group's directory name, and false when
// the name is not one groupName makes.
func creatorOf(dir string) (int, bool) {
	rest, ok := strings.CutPrefix(dir, Prefix)
	if !ok {
		return 0, false
	}
	digits, name, ok := strings.Cut(rest, "-")
	if !ok || checkName(name) != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 || strconv.Itoa(pid) != digits {
		return 0, false
	}
	return pid, true
}

// checkName accepts names made of letters, digits, '-', '_' and '.', that
// do not start with a dot: they become one path element.
func checkName(name string) error {
	if name == "" {
		return errors.New("cgroup: empty group name")
	}
	if len(name) > 200 {
		return fmt.Errorf("cgroup: group name of %d bytes is too long (at most 200)", len(name))
	}
	if name[0] == '.' {
		return fmt.Errorf("cgroup: group name %q starts with a dot", name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("cgroup: group name %q: %q is not a letter, digit, '-', '_' or '.'", name, r)
		}
	}
	return nil
}

// quotaOf converts a share of one core into a quota per period of period
// microseconds.
func quotaOf(share float64, period int64) (int64, error) {
	if math.IsNaN(share) || math.IsInf(share, 0) || share < MinShare {
		return 0, fmt.Errorf("cgroup: CPU share %v: want at least %v of a core (the kernel's minimum quota is 1 ms per %v)", share, MinShare, Period)
	}
	if share > 1<<20 {
		return 0, fmt.Errorf("cgroup: CPU share %v of a core is beyond any machine", share)
	}
	if period <= 0 {
		return 0, fmt.Errorf("cgroup: period of %d us", period)
	}
	quota := int64(math.Round(share * float64(period)))
	if quota < 1000 {
		return 0, fmt.Errorf("cgroup: CPU share %v of a %d us period is %d us, below the kernel's minimum quota of 1 ms", share, period, quota)
	}
	return quota, nil
}
