//go:build linux

package cgroup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/internal/parsefile"
)

// Detect finds the CPU controller: first a cgroup v1 hierarchy whose mount
// options include "cpu" (with CFS bandwidth control), then a cgroup v2 mount
// whose cgroup.controllers lists cpu, where it enables cpu in the mount
// root's cgroup.subtree_control when it is not enabled yet. When neither
// works it returns an *UnavailableError naming why for each version.
//
// v1 groups are made inside this process's own cgroup of the cpu hierarchy
// (so a cap set on the lab itself still holds over its children); v2 groups
// at the root of the mount, the one cgroup exempt from v2's rule that a
// cgroup with processes may not hand controllers to its children.
func Detect() (*Controller, error) {
	mounts, err := parsefile.Parse("/proc/self/mountinfo", parseMountInfo)
	if err != nil {
		return nil, fmt.Errorf("cgroup: detect: %w", err)
	}
	self, err := parsefile.Parse("/proc/self/cgroup", parseCgroupFile)
	if err != nil {
		return nil, fmt.Errorf("cgroup: detect: %w", err)
	}
	return detect(mounts, self)
}

// detect is Detect over parsed mounts and memberships; the files it reads
// (and, for v2, writes) are under the mount points.
func detect(mounts []mount, self []membership) (*Controller, error) {
	c, why1 := detectV1(mounts, self)
	if c != nil {
		return c, nil
	}
	c, why2 := detectV2(mounts)
	if c != nil {
		return c, nil
	}
	return nil, &UnavailableError{V1: why1, V2: why2}
}

func detectV1(mounts []mount, self []membership) (*Controller, string) {
	var why []string
	for _, m := range mounts {
		if m.FSType != "cgroup" || !has(m.SuperOpt, "cpu") {
			continue
		}
		parent := v1Parent(m, self)
		_, err := os.Stat(filepath.Join(parent, "cpu.cfs_quota_us"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			why = append(why, fmt.Sprintf("v1 cpu at %s has no cpu.cfs_quota_us (a kernel without CFS bandwidth control)", parent))
		case err != nil:
			why = append(why, fmt.Sprintf("v1 cpu at %s: %v", parent, err))
		default:
			return &Controller{Version: 1, Mount: m.Point, Parent: parent}, ""
		}
	}
	if len(why) == 0 {
		return nil, "v1 cpu not mounted"
	}
	return nil, strings.Join(why, "; ")
}

// v1Parent returns this process's cgroup directory in hierarchy m, or the
// mount point when the process's cgroup is not visible under it.
func v1Parent(m mount, self []membership) string {
	for _, s := range self {
		if !has(s.Controllers, "cpu") {
			continue
		}
		rel := s.Path
		if m.Root != "/" {
			r, ok := strings.CutPrefix(s.Path, m.Root)
			if !ok || (r != "" && !strings.HasPrefix(r, "/")) {
				return m.Point
			}
			rel = r
		}
		dir := filepath.Join(m.Point, filepath.Clean("/"+rel))
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	return m.Point
}

func detectV2(mounts []mount) (*Controller, string) {
	var why []string
	for _, m := range mounts {
		if m.FSType != "cgroup2" {
			continue
		}
		ctrls, err := readFields(filepath.Join(m.Point, "cgroup.controllers"))
		if err != nil {
			why = append(why, fmt.Sprintf("v2 at %s: %v", m.Point, err))
			continue
		}
		if !has(ctrls, "cpu") {
			why = append(why, fmt.Sprintf("v2 at %s has controllers [%s]", m.Point, strings.Join(ctrls, " ")))
			continue
		}
		if err := enableCPU(m.Point); err != nil {
			why = append(why, fmt.Sprintf("v2 at %s: %v", m.Point, err))
			continue
		}
		return &Controller{Version: 2, Mount: m.Point, Parent: m.Point}, ""
	}
	if len(why) == 0 {
		return nil, "v2 not mounted"
	}
	return nil, strings.Join(why, "; ")
}

// enableCPU makes sure cgroup v2 directory dir hands the cpu controller to
// its children.
func enableCPU(dir string) error {
	path := filepath.Join(dir, "cgroup.subtree_control")
	on, err := readFields(path)
	if err != nil {
		return err
	}
	if has(on, "cpu") {
		return nil
	}
	if err := writeFile(path, "+cpu"); err != nil {
		if errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("%w (the cgroup has processes of its own)", err)
		}
		return err
	}
	if on, err = readFields(path); err != nil {
		return err
	}
	if !has(on, "cpu") {
		return fmt.Errorf("cgroup: %s lists [%s] after +cpu was written", path, strings.Join(on, " "))
	}
	return nil
}

// New makes a group named name (letters, digits, '-', '_', '.') capped at
// share of one core, with the controller Detect finds. The group's directory
// is Prefix + this process's pid + "-" + name.
func New(name string, share float64) (*Group, error) {
	c, err := Detect()
	if err != nil {
		return nil, err
	}
	return c.New(name, share)
}

// New makes a group under c; see the package-level New.
func (c *Controller) New(name string, share float64) (*Group, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if _, err := quotaOf(share, Period.Microseconds()); err != nil {
		return nil, err
	}
	g := &Group{name: groupName(os.Getpid(), name), version: c.Version}
	g.dir = filepath.Join(c.Parent, g.name)
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("%w: %w", ErrNotPermitted, err)
		}
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("cgroup: make %s: this process already has a group named %q", g.dir, name)
		}
		return nil, fmt.Errorf("cgroup: make %s: %w", g.dir, err)
	}
	if err := g.SetQuota(share); err != nil {
		_ = unix.Rmdir(g.dir)
		return nil, err
	}
	return g, nil
}

// SetQuota caps the group at share of one core (at least MinShare).
func (g *Group) SetQuota(share float64) error {
	if g.version == 1 {
		period, err := readInt(filepath.Join(g.dir, "cpu.cfs_period_us"))
		if err != nil {
			return err
		}
		quota, err := quotaOf(share, period)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(g.dir, "cpu.cfs_quota_us"), strconv.FormatInt(quota, 10))
	}
	period := Period.Microseconds()
	quota, err := quotaOf(share, period)
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(g.dir, "cpu.max"), fmt.Sprintf("%d %d", quota, period))
}

// Quota reads the group's quota back as a share of one core; 0 means the
// group has no quota.
func (g *Group) Quota() (float64, error) {
	var quota, period int64
	var err error
	if g.version == 1 {
		if quota, err = readInt(filepath.Join(g.dir, "cpu.cfs_quota_us")); err != nil {
			return 0, err
		}
		if period, err = readInt(filepath.Join(g.dir, "cpu.cfs_period_us")); err != nil {
			return 0, err
		}
	} else {
		f, err := os.Open(filepath.Join(g.dir, "cpu.max"))
		if err != nil {
			return 0, fmt.Errorf("cgroup: %w", err)
		}
		quota, period, err = parseCPUMax(f)
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("cgroup: %s: %w", g.dir, err)
		}
	}
	s, err := share(quota, period)
	if err != nil {
		return 0, fmt.Errorf("cgroup: %s: %w", g.dir, err)
	}
	return s, nil
}

// Add moves process pid (all its threads) into the group.
func (g *Group) Add(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("cgroup: add pid %d to %s: not a pid", pid, g.name)
	}
	err := writeFile(filepath.Join(g.dir, "cgroup.procs"), strconv.Itoa(pid))
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("cgroup: add pid %d to %s: no such process", pid, g.name)
	}
	if err != nil {
		return fmt.Errorf("cgroup: add pid %d to %s: %w", pid, g.name, err)
	}
	return nil
}

// Procs lists the processes in the group.
func (g *Group) Procs() ([]int, error) {
	f, err := os.Open(filepath.Join(g.dir, "cgroup.procs"))
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	defer f.Close()
	pids, err := parseProcs(f)
	if err != nil {
		return nil, fmt.Errorf("cgroup: %s: %w", g.dir, err)
	}
	return pids, nil
}

// Stat reads the group's throttling, and its CPU usage where the kernel
// keeps it next to the quota (v2, or v1 with cpuacct mounted with cpu).
func (g *Group) Stat() (Stat, error) {
	f, err := os.Open(filepath.Join(g.dir, "cpu.stat"))
	if err != nil {
		return Stat{}, fmt.Errorf("cgroup: %w", err)
	}
	s, err := parseStat(f)
	f.Close()
	if err != nil {
		return Stat{}, fmt.Errorf("cgroup: %s: %w", g.dir, err)
	}
	if g.version == 1 && !s.HasUsage {
		ns, err := readInt(filepath.Join(g.dir, "cpuacct.usage"))
		if err == nil && ns >= 0 {
			s.Usage, s.HasUsage = nanos(uint64(ns)), true
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return Stat{}, err
		}
	}
	return s, nil
}

// Remove deletes the group. It moves no process out: it waits up to
// RemoveTimeout for the group's processes to exit, and fails with
// ErrNotEmpty, naming them, when some are still there.
func (g *Group) Remove() error {
	deadline := time.Now().Add(RemoveTimeout)
	for {
		err := unix.Rmdir(g.dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("cgroup: remove %s: %w", g.dir, err)
		}
		if time.Now().After(deadline) {
			pids, _ := g.Procs()
			return fmt.Errorf("%w: remove %s: processes %v still in it after %v", ErrNotEmpty, g.dir, pids, RemoveTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Cleanup removes the groups left by creators that are no longer alive
// (a runner that was killed), with the controller Detect finds, and returns
// the directories it removed. Groups of live processes are left alone.
func Cleanup() ([]string, error) {
	c, err := Detect()
	if err != nil {
		return nil, err
	}
	return c.Cleanup()
}

// Cleanup removes the leftovers under c; see the package-level Cleanup. A
// leftover that still holds processes is kept and named in the error.
func (c *Controller) Cleanup() ([]string, error) {
	entries, err := os.ReadDir(c.Parent)
	if err != nil {
		return nil, fmt.Errorf("cgroup: cleanup: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		pid, ok := creatorOf(e.Name())
		if !e.IsDir() || !ok || alive(pid) {
			continue
		}
		dir := filepath.Join(c.Parent, e.Name())
		if err := unix.Rmdir(dir); err != nil {
			errs = append(errs, fmt.Errorf("cgroup: cleanup: remove %s (its creator, pid %d, is gone): %w", dir, pid, err))
			continue
		}
		removed = append(removed, dir)
	}
	return removed, errors.Join(errs...)
}

// alive reports whether process pid exists (a zombie counts).
func alive(pid int) bool {
	err := unix.Kill(pid, 0)
	return err == nil || errors.Is(err, unix.EPERM)
}

// readInt reads a file holding one integer.
func readInt(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("cgroup: %w", err)
	}
	defer f.Close()
	return parseInt(path, f)
}

// readFields reads a file of space-separated words (cgroup.controllers).
func readFields(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	return strings.Fields(string(b)), nil
}

// writeFile writes s to an existing kernel file in one write(2), so the
// kernel's answer to that write is the error returned.
func writeFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("%w: %w", ErrNotPermitted, err)
		}
		return fmt.Errorf("cgroup: %w", err)
	}
	_, werr := f.Write([]byte(s))
	cerr := f.Close()
	if werr != nil {
		if errors.Is(werr, fs.ErrPermission) {
			return fmt.Errorf("%w: write %q to %s: %w", ErrNotPermitted, s, path, werr)
		}
		return fmt.Errorf("cgroup: write %q to %s: %w", s, path, werr)
	}
	if cerr != nil {
		return fmt.Errorf("cgroup: write %q to %s: %w", s, path, cerr)
	}
	return nil
}
