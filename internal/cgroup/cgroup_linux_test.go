//go:build linux

package cgroup

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/race"
)

// controllerOrSkip returns the machine's CPU controller, or skips the test
// when there is none or the test may not make groups.
func controllerOrSkip(t *testing.T) *Controller {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	c, err := Detect()
	if errors.Is(err, ErrNoController) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var groupSeq atomic.Int64

// newGroup makes a group with a name unique in this test binary, removed
// when the test ends.
func newGroup(t *testing.T, c *Controller, share float64) *Group {
	t.Helper()
	g, err := c.New(fmt.Sprintf("test-%d", groupSeq.Add(1)), share)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Remove(); err != nil {
			t.Error(err)
		}
	})
	return g
}

func TestNewQuotaRemove(t *testing.T) {
	c := controllerOrSkip(t)
	for _, share := range []float64{0.2, 0.5, 1.5, MinShare} {
		t.Run(strconv.FormatFloat(share, 'g', -1, 64), func(t *testing.T) {
			g, err := c.New(fmt.Sprintf("quota-%d", groupSeq.Add(1)), share)
			if err != nil {
				t.Fatal(err)
			}
			if want := groupName(os.Getpid(), ""); g.Name()[:len(want)] != want || filepath.Dir(g.Path()) != c.Parent {
				t.Errorf("group %s at %s, want %s... under %s", g.Name(), g.Path(), want, c.Parent)
			}
			got, err := g.Quota()
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-share) > 1e-9 {
				t.Errorf("Quota() = %v after New(%v)", got, share)
			}
			if err := g.SetQuota(0.3); err != nil {
				t.Fatal(err)
			}
			if got, _ := g.Quota(); math.Abs(got-0.3) > 1e-9 {
				t.Errorf("Quota() = %v after SetQuota(0.3)", got)
			}
			if err := g.Remove(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(g.Path()); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("%s still there after Remove: %v", g.Path(), err)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	c := controllerOrSkip(t)
	tests := []struct {
		name  string
		share float64
	}{
		{"share-zero", 0}, {"share-tiny", 0.005}, {"share-nan", math.NaN()}, {"share-negative", -0.5},
		{"../escape", 0.5}, {"a/b", 0.5}, {"", 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := c.New(tt.name, tt.share)
			if err == nil {
				g.Remove()
				t.Fatalf("New(%q, %v) made %s", tt.name, tt.share, g.Path())
			}
			if _, serr := os.Stat(filepath.Join(c.Parent, groupName(os.Getpid(), tt.name))); tt.name != "" && serr == nil {
				t.Fatalf("New(%q, %v) failed (%v) but left its directory", tt.name, tt.share, err)
			}
		})
	}
	g := newGroup(t, c, 0.5)
	name := g.Name()[len(groupName(os.Getpid(), "")):]
	if _, err := c.New(name, 0.5); err == nil {
		t.Fatalf("a second New(%q) succeeded", name)
	}
}

// busyLoop starts a shell that spins once it reads a line from its stdin,
// and returns it with the writer that releases it.
func busyLoop(t *testing.T) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "read x; while :; do :; done")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, in
}

// TestQuotaThrottlesBusyLoop caps a spinning shell at 20 % of a core for a
// second: the kernel throttles it, and the CPU time it got (from wait4's
// rusage) stays near 20 % of the wall time. Only upper bounds are judged on
// the CPU time, so a busy machine (which gives the loop less) passes.
func TestQuotaThrottlesBusyLoop(t *testing.T) {
	race.Skip(t)
	c := controllerOrSkip(t)
	const share = 0.2
	g := newGroup(t, c, share)
	cmd, release := busyLoop(t)
	if err := g.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	pids, err := g.Procs()
	if err != nil || len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Fatalf("Procs() = %v, %v; want [%d]", pids, err, cmd.Process.Pid)
	}
	start := time.Now()
	if _, err := io.WriteString(release, "go\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	st, err := g.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	wall := time.Since(start)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	t.Logf("%v of CPU in %v (%.1f%%); %+v", cpu, wall, 100*cpu.Seconds()/wall.Seconds(), st)

	if st.Periods < 3 || st.Throttled == 0 || st.ThrottledTime <= 0 {
		t.Errorf("not throttled over %v at %v of a core: %+v", wall, share, st)
	}
	if cpu <= 0 || cpu.Seconds() > 0.3*wall.Seconds() {
		t.Errorf("busy loop got %v of CPU in %v, want at most 30%% at a quota of %v", cpu, wall, share)
	}
	if st.HasUsage && (st.Usage <= 0 || st.Usage.Seconds() > 0.3*wall.Seconds()) {
		t.Errorf("group usage %v in %v, want at most 30%%", st.Usage, wall)
	}
	if _, err := os.Stat(filepath.Join(g.Path(), "cpuacct.usage")); (err == nil) != st.HasUsage && g.version == 1 {
		t.Errorf("HasUsage %v disagrees with cpuacct.usage being there (%v)", st.HasUsage, err)
	}
}

// TestRemoveWaitsForExit removes a group right after killing its process,
// which is reaped concurrently: Remove waits for the group to empty.
func TestRemoveWaitsForExit(t *testing.T) {
	c := controllerOrSkip(t)
	g, err := c.New(fmt.Sprintf("exit-%d", groupSeq.Add(1)), 0.5)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := g.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	go cmd.Wait()
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(g.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s still there after Remove: %v", g.Path(), err)
	}
}

// TestRemoveRefusesLiveProcess: Remove moves nobody out and says who is in.
func TestRemoveRefusesLiveProcess(t *testing.T) {
	c := controllerOrSkip(t)
	g := newGroup(t, c, 0.5)
	cmd := exec.Command("/bin/sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if err := g.Add(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := g.Remove()
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("Remove with pid %d inside: %v, want ErrNotEmpty naming it", cmd.Process.Pid, err)
	}
	if waited := time.Since(start); waited < RemoveTimeout || waited > RemoveTimeout+5*time.Second {
		t.Errorf("Remove gave up after %v, want about %v", waited, RemoveTimeout)
	}
	if pids, _ := g.Procs(); len(pids) != 1 {
		t.Fatalf("Procs() = %v after the failed Remove", pids)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// The cleanup registered by newGroup now removes it.
}

func TestAddGonePid(t *testing.T) {
	c := controllerOrSkip(t)
	g := newGroup(t, c, 0.5)
	pid := deadPid(t)
	if err := g.Add(pid); err == nil || !strings.Contains(err.Error(), "no such process") {
		t.Fatalf("Add(%d) of an exited process: %v", pid, err)
	}
	if err := g.Add(0); err == nil {
		t.Fatal("Add(0) succeeded")
	}
}

// deadPid returns the pid of a process that has exited and been reaped.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestCleanup leaves a group whose creator is alive and removes one whose
// creator is gone.
func TestCleanup(t *testing.T) {
	c := controllerOrSkip(t)
	live := exec.Command("/bin/sleep", "30")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { live.Process.Kill(); live.Wait() }()
	dead := filepath.Join(c.Parent, groupName(deadPid(t), "driver-1"))
	kept := filepath.Join(c.Parent, groupName(live.Process.Pid, "server-1"))
	for _, dir := range []string{dead, kept} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Remove(dead); os.Remove(kept) })

	removed, err := c.Cleanup()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range removed {
		found = found || r == dead
		if r == kept {
			t.Errorf("Cleanup removed %s, whose creator is alive", kept)
		}
	}
	if !found {
		t.Errorf("Cleanup removed %v, not %s", removed, dead)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still there: %v", dead, err)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("%s gone: %v", kept, err)
	}
}
