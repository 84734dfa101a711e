package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/internal/cgroup"
	"github.com/scalelab/scalelab/internal/doctor"
	"github.com/scalelab/scalelab/internal/golden"
)

// runDoctorCLI runs `scalelab doctor ARGS` in-process and returns its
// stdout and exit status; the doctor writes nothing to stderr.
func runDoctorCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r := cli(t, append([]string{"doctor"}, args...)...)
	if r.stderr != "" || r.code > 1 {
		t.Fatalf("doctor %v: exit %d\n%s", args, r.code, r.stderr)
	}
	return r.stdout, r.code
}

var tableRow = regexp.MustCompile(`^(\S+(?: \S+)*)\s{2,}(ok|missing|limited)\s{2,}`)

// tableStatuses reads CHECK -> STATUS from the doctor's table.
func tableStatuses(t *testing.T, out string) map[string]string {
	t.Helper()
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "CHECK") || !strings.Contains(lines[0], "STATUS") {
		t.Fatalf("no table header:\n%s", out)
	}
	got := map[string]string{}
	for _, l := range lines[1:] {
		if l == "" {
			break
		}
		m := tableRow.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("row %q is not CHECK  STATUS  FOUND  COST", l)
		}
		got[strings.TrimSuffix(m[1], " (optional)")] = m[2]
	}
	return got
}

// TestDoctorThisMachine runs the doctor on the lab's machine (root,
// namespaces, cgroup v1 cpu, 2 cores) and checks each status against what
// the machine is known to have, found another way.
func TestDoctorThisMachine(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the lab's machine runs the doctor as root")
	}
	out, code := runDoctorCLI(t)
	t.Logf("\n%s", out)
	got := tableStatuses(t, out)

	want := map[string]string{"privileges": "ok", "network namespace": "ok", "namespace sysctls": "ok",
		"cgroup CPU controller": "ok", "cores": "ok", "open files": "ok"}
	if _, err := cgroup.Detect(); errors.Is(err, cgroup.ErrNoController) {
		want["cgroup CPU controller"] = "missing"
	}
	if runtime.NumCPU() < 2 {
		want["cores"] = "limited"
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 20000 {
		delete(want, "open files") // depends on CAP_SYS_RESOURCE: judged in internal/doctor
		delete(got, "open files")
	}
	for _, tool := range doctor.Tools {
		want[tool] = "missing"
		if _, err := exec.LookPath(tool); err == nil {
			want[tool] = "ok"
		}
	}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: %q, want %q", name, got[name], status)
		}
	}
	if len(got) != len(want) {
		t.Errorf("checks %v, want %v", got, want)
	}
	wantCode := 0
	for name, status := range got {
		if status != "ok" && name != "wrk" && name != "nginx" {
			wantCode = 1
		}
	}
	if code != wantCode {
		t.Errorf("exit status %d, want %d", code, wantCode)
	}
	if leftovers, _ := filepath.Glob("/sys/fs/cgroup/cpu/" + cgroup.Prefix + "*-doctor"); len(leftovers) > 0 {
		t.Errorf("the doctor left cgroups behind: %v", leftovers)
	}
}

// TestDoctorJSONAgreesWithTable: --json reports the same statuses.
func TestDoctorJSONAgreesWithTable(t *testing.T) {
	facts := notRootFacts()
	doctorGather = func() (doctor.Facts, error) { return facts, nil }
	t.Cleanup(func() { doctorGather = doctor.Gather })
	table, code := runDoctorCLI(t)
	out, jcode := runDoctorCLI(t, "--json")
	var rep doctorReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := tableStatuses(t, table)
	for _, c := range rep.Checks {
		if want[c.Name] != string(c.Status) {
			t.Errorf("%s: JSON %s, table %s", c.Name, c.Status, want[c.Name])
		}
		if c.Status != doctor.OK && c.Cost == "" {
			t.Errorf("%s: %s without a cost", c.Name, c.Status)
		}
	}
	if len(rep.Checks) != len(want) || rep.OK || code != 1 || jcode != 1 {
		t.Errorf("JSON %d checks ok=%v exit %d, table %d checks exit %d", len(rep.Checks), rep.OK, jcode, len(want), code)
	}
}

// notRootFacts is a machine where the doctor runs without privileges and
// with a low open-files limit.
func notRootFacts() doctor.Facts {
	ladder := []doctor.Phase{{Number: 1, NoFile: 1024, DriverNoFile: 4096, Sysctls: map[string]string{"net.ipv4.tcp_tw_reuse": "0"}}}
	for n := 6; n <= 9; n++ {
		ladder = append(ladder, doctor.Phase{Number: n, NoFile: 20000, DriverNoFile: 20000, Sysctls: map[string]string{"net.core.somaxconn": "4096"}})
	}
	return doctor.Facts{
		EUID:          1000,
		NetNS:         errors.New("netns: creating a network namespace is not permitted (run as root)"),
		Cgroup:        "",
		CgroupErr:     &cgroup.UnavailableError{V1: "v1 cpu not mounted", V2: "v2 at /sys/fs/cgroup/unified has controllers [hugetlb]"},
		CgroupTrialed: 0.5,
		CPUs:          1,
		NoFileHard:    4096,
		NrOpen:        1 << 20,
		Phases:        ladder,
		Tools:         []doctor.Tool{{Name: "wrk", Path: "/usr/bin/wrk"}, {Name: "nginx"}},
	}
}

// TestDoctorMissingExitsOne prints the table of a machine that lacks
// nearly everything (golden file) and exits with status 1.
func TestDoctorMissingExitsOne(t *testing.T) {
	facts := notRootFacts()
	doctorGather = func() (doctor.Facts, error) { return facts, nil }
	t.Cleanup(func() { doctorGather = doctor.Gather })
	out, code := runDoctorCLI(t)
	golden.Check(t, filepath.Join("testdata", "doctor-not-root.golden"), []byte(out))
	if code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}

	// Only optional checks missing: exit status 0.
	facts = doctor.Facts{EUID: 0, Caps: doctor.Caps{SysAdmin: true, NetAdmin: true}, Cgroup: "cgroup v1 cpu at /x",
		CgroupTrialed: 0.5, CgroupQuota: 0.5, CPUs: 2, NoFileHard: 20000, Tools: []doctor.Tool{{Name: "wrk"}}}
	out, code = runDoctorCLI(t)
	if code != 0 || !strings.Contains(out, "everything it needs") {
		t.Errorf("exit status %d with only wrk missing:\n%s", code, out)
	}
}

func TestDoctorUsage(t *testing.T) {
	r := cli(t, "doctor", "-h")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("-h: exit %d, stderr %q", r.code, r.stderr)
	}
	for _, want := range []string{"--json", "Exit status: 0", "1 when one is missing", "cgroup CPU controller"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("usage lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := cli(t, "doctor", "now"); r.code != exitUsage || !strings.Contains(r.stderr, `"now"`) {
		t.Errorf("extra argument: exit %d, %s", r.code, r.stderr)
	}
}
