//go:build linux

package runner

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

// TestOutputDirectoryIsLocked runs a phase while another run holds the
// directory: it is refused with the other run's pid and touches nothing.
func TestOutputDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	held, err := openOutDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.close()
	_, err = Run(context.Background(), loadPhase(t, "tiny.yaml"), Options{Exe: exe, OutDir: dir})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "pid "+itoa(os.Getpid())) {
		t.Fatalf("Run into a locked directory: %v, want ErrBusy naming pid %d", err, os.Getpid())
	}
	if _, err := os.Stat(filepath.Join(dir, ScorecardFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused run wrote a card: %v", err)
	}
}

// TestRerunClearsTheEarlierRun checks that a run into an old directory
// leaves none of the earlier run's step logs beside its own.
func TestRerunClearsTheEarlierRun(t *testing.T) {
	needNamespaces(t)
	dir := t.TempDir()
	stale := filepath.Join(dir, LogDir, "step-07-c500-t1.log")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("an earlier run"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := loadPhase(t, "tiny.yaml")
	p.Sweep.Clients = []int{1}
	if _, err := Run(context.Background(), p, Options{Exe: exe, OutDir: dir}); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, LogDir, "*"))
	if len(logs) != 1 || !strings.Contains(logs[0], "step-01-c1-t1") {
		t.Errorf("logs after the re-run: %v", logs)
	}
	if _, err := os.Stat(filepath.Join(dir, RunDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("run directory left behind: %v", err)
	}
}

// TestDiskFullKeepsCardAndReportInAgreement runs into a 64 KiB tmpfs: the
// run fails saying what it could not write, no temporary file is left, and
// the card and the report on disk describe the same run state.
func TestDiskFullKeepsCardAndReportInAgreement(t *testing.T) {
	needNamespaces(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a small tmpfs: %v", err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	p := loadPhase(t, "tiny.yaml")
	p.Sweep.Clients = []int{1, 2, 3, 4, 5, 6}
	p.Driver.Duration = phases.Duration(300 * time.Millisecond)
	p.Driver.Warmup = 0
	_, err := Run(context.Background(), p, Options{Exe: exe, OutDir: dir})
	if err == nil || !strings.Contains(err.Error(), "could not write") || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Run on a full disk: %v, want an error naming the file not written (ENOSPC)", err)
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
	card, err := scorecards.Load(filepath.Join(dir, ScorecardFile))
	if err != nil {
		t.Fatalf("the card on disk is not valid: %v", err)
	}
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if errors.Is(err, os.ErrNotExist) {
		return // no report is fine; a report that disagrees is not
	}
	if err != nil {
		t.Fatal(err)
	}
	var status string
	switch card.Status {
	case scorecards.StatusRunning, scorecards.StatusAbandoned:
		status = "still in progress"
	case scorecards.StatusFailed:
		status = "This run failed"
	default:
		status = "**Status:** " + string(card.Status)
	}
	if !strings.Contains(string(report), status) {
		t.Errorf("card status %s, report says otherwise:\n%s", card.Status, firstLines(string(report), 8))
	}
	if n := len(stepHeadings(string(report))); n != len(card.Steps) {
		t.Errorf("card has %d steps, report %d", len(card.Steps), n)
	}
}

// TestKilledRunnerLeavesAnAbandonedCard SIGKILLs a runner process in the
// middle of a step: its children die with it, its sockets stay inside the
// output directory, and loading its card says it was abandoned. A new run
// into the same directory then works.
func TestKilledRunnerLeavesAnAbandonedCard(t *testing.T) {
	needNamespaces(t)
	dir := t.TempDir()
	before, _ := filepath.Glob("/tmp/scalelab-run-*")
	cmd := exec.Command(exe, "run", filepath.Join("testdata", "tiny.yaml"), "--out", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "a driver of the runner", func() bool { return len(grandchildren(cmd.Process.Pid, "load")) > 0 })
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	waitFor(t, 5*time.Second, "the runner's children to die", func() bool { return len(grandchildren(cmd.Process.Pid, "")) == 0 && !anyRunning(exe) })
	after, _ := filepath.Glob("/tmp/scalelab-run-*")
	if len(after) > len(before) {
		t.Errorf("sockets outside the output directory: %v", after)
	}
	card, err := scorecards.Load(filepath.Join(dir, ScorecardFile))
	if err != nil {
		t.Fatal(err)
	}
	if card.Status != scorecards.StatusAbandoned || !strings.Contains(card.Error, "pid") {
		t.Fatalf("status %s (%s), want abandoned naming the runner's pid", card.Status, card.Error)
	}
	var report strings.Builder
	if err := scorecards.RenderReport(&report, card); err != nil || !strings.Contains(report.String(), "This run was abandoned") {
		t.Errorf("report of the abandoned card: %v\n%s", err, firstLines(report.String(), 6))
	}
	p := loadPhase(t, "tiny.yaml")
	p.Sweep.Clients = []int{1}
	if _, err := Run(context.Background(), p, Options{Exe: exe, OutDir: dir}); err != nil {
		t.Fatalf("re-run into the abandoned directory: %v", err)
	}
}

// TestNoFileAboveTheHardLimit runs a phase whose limits ask for more open
// files than the hard limit allows: the run completes with the limits
// applied as far as possible and listed as NOT applied.
func TestNoFileAboveTheHardLimit(t *testing.T) {
	needNamespaces(t)
	dir := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", `ulimit -n 300 && exec "$0" run "$1" --out "$2"`, exe, filepath.Join("testdata", "tiny.yaml"), dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run under a hard limit of 300: %v\n%s", err, out)
	}
	card, err := scorecards.Load(filepath.Join(dir, ScorecardFile))
	if err != nil {
		t.Fatal(err)
	}
	if card.Status != scorecards.StatusComplete {
		t.Fatalf("status %s: %s", card.Status, card.Error)
	}
	var notApplied []string
	for _, n := range card.Applied.NotApplied {
		notApplied = append(notApplied, n.What+": "+n.Why)
	}
	joined := strings.Join(notApplied, "\n")
	for _, want := range []string{"nofile=512: the hard limit of open files is 300", "driver_nofile=1024: the hard limit of open files is 300"} {
		if !strings.Contains(joined, want) {
			t.Errorf("not applied lacks %q:\n%s", want, joined)
		}
	}
	if s := card.Steps[0]; s.Server.NoFile != 300 {
		t.Errorf("server ran with nofile %d, want 300", s.Server.NoFile)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// grandchildren lists the children of pid running the test's binary with
// sub ("serve", "load"; "" for any) as their subcommand.
func grandchildren(pid int, sub string) []int {
	var out []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		stat, err := os.ReadFile(p + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 2 || f[1] != itoa(pid) || f[0] == "Z" {
			continue
		}
		cmd, _ := os.ReadFile(p + "/cmdline")
		args := strings.Split(string(cmd), "\x00")
		if len(args) > 1 && args[0] == exe && (sub == "" || args[1] == sub) {
			out = append(out, atoi(filepath.Base(p)))
		}
	}
	return out
}

// anyRunning reports whether a live process runs the binary path.
func anyRunning(path string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmd, err := os.ReadFile(p + "/cmdline")
		if err != nil || !strings.HasPrefix(string(cmd), path+"\x00") {
			continue
		}
		if stat, err := os.ReadFile(p + "/stat"); err == nil {
			s := string(stat)
			if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && f[0] != "Z" {
				return true
			}
		}
	}
	return false
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// stepHeadings lists a report's step sections ("### 2 clients: ...").
func stepHeadings(report string) []string {
	var out []string
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, "### ") && strings.Contains(l, " client") {
			out = append(out, l)
		}
	}
	return out
}
