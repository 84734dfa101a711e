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
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

// exe is the scalelab binary the runner starts, built once for the tests.
var exe string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runner-test-")
	if err != nil {
		panic(err)
	}
	exe = filepath.Join(dir, "scalelab")
	out, err := exec.Command("go", "build", "-o", exe, "../cmd/scalelab").CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		panic("build scalelab: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func needNamespaces(t *testing.T) {
	t.Helper()
	if err := netns.Available(); errors.Is(err, netns.ErrNotPermitted) {
		t.Skip("network namespaces need root")
	} else if err != nil {
		t.Fatal(err)
	}
}

func loadPhase(t *testing.T, name string) *phases.Phase {
	t.Helper()
	p, err := phases.Load(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunWritesCompleteScorecard(t *testing.T) {
	needNamespaces(t)
	p := loadPhase(t, "tiny.yaml")
	dir := t.TempDir()
	before := labState(t)
	card, err := Run(context.Background(), p, Options{Exe: exe, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if card.Status != scorecards.StatusComplete || len(card.Steps) != 2 {
		t.Fatalf("status %s with %d steps", card.Status, len(card.Steps))
	}
	loaded, err := scorecards.Load(filepath.Join(dir, ScorecardFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Steps) != 2 || loaded.Status != scorecards.StatusComplete {
		t.Fatalf("loaded card: status %s, %d steps", loaded.Status, len(loaded.Steps))
	}
	checkIntervalLogs(t, dir, loaded)
	for _, s := range loaded.Steps {
		if s.OK == 0 || s.SuccessRate < 0.99 || s.RPS <= 0 {
			t.Errorf("step %d clients: ok %d success %.4f rps %.0f", s.Clients, s.OK, s.SuccessRate, s.RPS)
		}
		if s.Server.Requests < s.OK || s.Server.Workers != 4 || s.Server.Backlog != 64 || s.Server.NoFile != 512 {
			t.Errorf("server evidence of step %d: %+v", s.Clients, s.Server)
		}
		if s.Driver.CPUs != 1 && len(card.Applied.Pinned.Driver) == 1 {
			t.Errorf("driver ran on %d CPUs, pinned to %v", s.Driver.CPUs, card.Applied.Pinned.Driver)
		}
		if attrib.N(s.Kernel.PortRangeSize) != 5000 {
			t.Errorf("kernel evidence lacks the namespace's port range: %v", s.Kernel)
		}
		if s.State == "" || s.Verdict.Limit == "" {
			t.Errorf("step %d not judged: state %q, limit %q", s.Clients, s.State, s.Verdict.Limit)
		}
	}
	a := loaded.Applied
	if !a.NetNS || a.SoMaxConn != 256 || a.PortRange != [2]int{40000, 44999} || a.TCPTwReuse == nil || *a.TCPTwReuse != 0 || a.NoFile != 512 || a.DriverNoFile != 1024 {
		t.Errorf("applied = %+v", a)
	}
	if len(a.NotApplied) != 0 {
		t.Errorf("not applied: %+v", a.NotApplied)
	}
	// The first step of this light phase never breaks. On a quiet machine
	// it is clean; on a busy one its core may be taken by other work, and
	// then the verdict must say so (cpu, with the core shared).
	if s := loaded.Steps[0]; s.State == attrib.Dropped || (s.State == attrib.Saturated && s.Verdict.Limit != attrib.CPU) {
		t.Errorf("first step: state %s, verdict %s %v", s.State, s.Verdict.Limit, s.Verdict.Evidence)
	}
	if loaded.Summary.Hypothesis == "" || loaded.Summary.Note == "" {
		t.Errorf("summary not filled: %+v", loaded.Summary)
	}
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil || !strings.Contains(string(report), "tiny") {
		t.Fatalf("report: %v\n%s", err, report)
	}
	for _, name := range scorecards.ChartNames {
		if !strings.Contains(string(report), "]("+name+".svg)") {
			t.Errorf("report does not link the %s chart", name)
		}
		if _, err := os.Stat(filepath.Join(dir, name+".svg")); err != nil {
			t.Errorf("chart %s: %v", name, err)
		}
	}
	assertNoLeftovers(t, before)
}

func TestInterruptLeavesPartialCardAndNothingRunning(t *testing.T) {
	needNamespaces(t)
	p := loadPhase(t, "tiny.yaml")
	p.Driver.Duration = phases.Duration(20 * time.Second)
	dir := t.TempDir()
	before := labState(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the first step's driver is running.
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if len(children(t, "load")) > 0 {
				time.Sleep(700 * time.Millisecond)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	card, err := Run(ctx, p, Options{Exe: exe, OutDir: dir})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 12*time.Second {
		t.Errorf("interrupted run took %s", took)
	}
	loaded, lerr := scorecards.Load(filepath.Join(dir, ScorecardFile))
	if lerr != nil {
		t.Fatal(lerr)
	}
	if loaded.Status != scorecards.StatusInterrupted || card.Status != scorecards.StatusInterrupted {
		t.Fatalf("status %s / %s", loaded.Status, card.Status)
	}
	if len(loaded.Steps) != 1 || loaded.Steps[0].OK == 0 {
		t.Fatalf("want the partial first step with answers, got %d steps", len(loaded.Steps))
	}
	if s := loaded.Steps[0]; s.Ended != scorecards.StepInterrupted || s.State != "" || s.Verdict.Limit != "" {
		t.Errorf("partial step: ended %q, judged %q/%q; want interrupted and not judged", s.Ended, s.State, s.Verdict.Limit)
	}
	if loaded.Summary.Hypothesis != attrib.Inconclusive || loaded.Summary.BreakingPoint != nil {
		t.Errorf("an interrupted run decided its hypothesis: %+v", loaded.Summary)
	}
	if _, err := os.Stat(filepath.Join(dir, ReportFile)); err != nil {
		t.Errorf("no report after interrupt: %v", err)
	}
	assertNoLeftovers(t, before)
}

func TestServerCrashIsRecorded(t *testing.T) {
	needNamespaces(t)
	p := loadPhase(t, "tiny.yaml")
	p.Sweep.Clients = []int{2}
	p.Driver.Duration = phases.Duration(2 * time.Second)
	dir := t.TempDir()
	before := labState(t)
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if len(children(t, "load")) > 0 {
				time.Sleep(800 * time.Millisecond)
				for _, pid := range children(t, "serve") {
					_ = syscallKill(pid)
				}
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	_, err := Run(context.Background(), p, Options{Exe: exe, OutDir: dir})
	if err == nil || !strings.Contains(err.Error(), "server exited during the step (signal 9") {
		t.Errorf("Run error = %v, want the server's exit", err)
	}
	loaded, lerr := scorecards.Load(filepath.Join(dir, ScorecardFile))
	if lerr != nil {
		t.Fatalf("scorecard after a crash: %v (run error %v)", lerr, err)
	}
	if loaded.Status != scorecards.StatusFailed || !strings.Contains(loaded.Error, "signal 9") {
		t.Errorf("status %s (%s), want failed with the signal", loaded.Status, loaded.Error)
	}
	if len(loaded.Steps) != 1 {
		t.Fatalf("steps = %d, run error %v", len(loaded.Steps), err)
	}
	s := loaded.Steps[0]
	if s.Ended != scorecards.StepFailed || !strings.Contains(s.Failure, "signal 9") || s.State != "" {
		t.Errorf("step: ended %q, failure %q, state %q; want failed with the signal, not judged", s.Ended, s.Failure, s.State)
	}
	if loaded.Summary.Hypothesis != attrib.Inconclusive {
		t.Errorf("a failed run decided its hypothesis: %+v", loaded.Summary)
	}
	report, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if !strings.Contains(string(report), "This run failed") || !strings.Contains(string(report), "signal 9") {
		t.Errorf("report does not say the run failed:\n%s", report)
	}
	assertNoLeftovers(t, before)
}

// state is what the lab may leave behind: child processes and network
// namespaces.
type state struct {
	namespaces map[string]string
}

func labState(t *testing.T) state {
	t.Helper()
	return state{namespaces: netnsInodes(t)}
}

// netnsInodes lists the network namespaces this process holds: through
// an open file, a thread inside one, or a child process (other programs on
// the machine may make namespaces of their own meanwhile).
func netnsInodes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	links, _ := filepath.Glob("/proc/self/task/*/ns/net")
	fds, _ := filepath.Glob("/proc/self/fd/*")
	links = append(links, fds...)
	for _, pid := range children(t, "") {
		links = append(links, "/proc/"+strconv.Itoa(pid)+"/ns/net")
	}
	for _, l := range links {
		if target, err := os.Readlink(l); err == nil && strings.HasPrefix(target, "net:[") {
			out[target] = l
		}
	}
	return out
}

func assertNoLeftovers(t *testing.T, before state) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		kids := children(t, "")
		extra := []string{}
		for ns, via := range netnsInodes(t) {
			if _, ok := before.namespaces[ns]; !ok {
				extra = append(extra, ns+" via "+via)
			}
		}
		if len(kids) == 0 && len(extra) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var diag []string
			for _, e := range extra {
				if i := strings.Index(e, "/task/"); i >= 0 {
					task := strings.TrimSuffix(e[strings.Index(e, "/proc/"):], "/ns/net")
					sc, _ := os.ReadFile(task + "/syscall")
					st, _ := os.ReadFile(task + "/stat")
					diag = append(diag, task+": syscall "+strings.TrimSpace(string(sc))+" stat "+strings.TrimSpace(string(st)))
				}
			}
			t.Fatalf("left behind: processes %v, namespaces %v %v", kids, extra, diag)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// children returns the pids of this process's children running the test's
// scalelab binary, with sub ("serve", "load") in their command line.
func children(t *testing.T, sub string) []int {
	t.Helper()
	var pids []int
	self := strconv.Itoa(os.Getpid())
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		stat, err := os.ReadFile(p + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[1] != self || f[0] == "Z" {
			continue
		}
		cmd, _ := os.ReadFile(p + "/cmdline")
		args := strings.Split(string(cmd), "\x00")
		if len(args) < 2 || args[0] != exe || (sub != "" && args[1] != sub) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(p))
		pids = append(pids, pid)
	}
	return pids
}

// checkIntervalLogs: each step left an HdrHistogram interval log that
// hdrhistogram-go reads back, an interval per measured second, holding as
// many responses as the step answered ok (tiny.yaml's answers are all 200).
func checkIntervalLogs(t *testing.T, dir string, card *scorecards.Scorecard) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, HlogDir, "step-*.hlog"))
	if len(logs) != len(card.Steps) {
		t.Fatalf("%d interval logs for %d steps: %v", len(logs), len(card.Steps), logs)
	}
	for i, path := range logs {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r := hdrhistogram.NewHistogramLogReader(f)
		var intervals, count int64
		for {
			h, err := r.NextIntervalHistogram()
			if err != nil || h == nil {
				break
			}
			intervals++
			count += h.TotalCount()
		}
		f.Close()
		st := card.Steps[i]
		if intervals != int64(len(st.Timeline)) || count != st.OK {
			t.Errorf("%s: %d intervals holding %d responses; the step: %d seconds, %d ok", path, intervals, count, len(st.Timeline), st.OK)
		}
	}
}
