//go:build linux

package cgroup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree writes files (path relative to root -> content) under a fresh
// directory and returns it; a path ending in "/" is a directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestDetect runs detection over fake hierarchies: the mount points are
// temporary directories holding the files the kernel would show.
func TestDetect(t *testing.T) {
	v1 := tree(t, map[string]string{"cpu/cpu.cfs_quota_us": "-1\n", "cpu/lab/cpu.cfs_quota_us": "-1\n", "nocfs/cpu.shares": "1024\n"})
	v2 := tree(t, map[string]string{
		"ok/cgroup.controllers": "cpuset cpu io memory pids\n", "ok/cgroup.subtree_control": "cpu memory\n",
		"hugetlb/cgroup.controllers": "hugetlb\n", "hugetlb/cgroup.subtree_control": "\n",
		"off/cgroup.controllers": "cpu memory\n", "off/cgroup.subtree_control": "memory\n",
	})
	cpuV1 := func(point string) mount {
		return mount{Root: "/", Point: filepath.Join(v1, point), FSType: "cgroup", SuperOpt: []string{"rw", "cpu"}}
	}
	cgroup2 := func(point string) mount {
		return mount{Root: "/", Point: filepath.Join(v2, point), FSType: "cgroup2", SuperOpt: []string{"rw"}}
	}
	cpuacct := mount{Root: "/", Point: filepath.Join(v1, "cpu"), FSType: "cgroup", SuperOpt: []string{"rw", "cpuacct"}}
	atRoot := []membership{{[]string{"cpu"}, "/"}, {nil, "/"}}
	inLab := []membership{{[]string{"cpu"}, "/lab"}, {nil, "/"}}

	tests := []struct {
		name    string
		mounts  []mount
		self    []membership
		want    *Controller
		wantErr string
	}{
		{"v1 at its root", []mount{cpuV1("cpu"), cgroup2("hugetlb")}, atRoot,
			&Controller{1, filepath.Join(v1, "cpu"), filepath.Join(v1, "cpu")}, ""},
		{"v1 in the process's own cgroup", []mount{cpuV1("cpu")}, inLab,
			&Controller{1, filepath.Join(v1, "cpu"), filepath.Join(v1, "cpu", "lab")}, ""},
		{"v1 own cgroup not visible", []mount{cpuV1("cpu")}, []membership{{[]string{"cpu"}, "/elsewhere"}},
			&Controller{1, filepath.Join(v1, "cpu"), filepath.Join(v1, "cpu")}, ""},
		{"v2 with cpu enabled", []mount{cgroup2("ok")}, atRoot,
			&Controller{2, filepath.Join(v2, "ok"), filepath.Join(v2, "ok")}, ""},
		{"v1 preferred", []mount{cgroup2("ok"), cpuV1("cpu")}, atRoot,
			&Controller{1, filepath.Join(v1, "cpu"), filepath.Join(v1, "cpu")}, ""},
		{"this machine without v1 cpu", []mount{cpuacct, cgroup2("hugetlb")}, atRoot, nil,
			"no cgroup CPU controller: v1 cpu not mounted, v2 at " + filepath.Join(v2, "hugetlb") + " has controllers [hugetlb]"},
		{"nothing mounted", nil, nil, nil, "no cgroup CPU controller: v1 cpu not mounted, v2 not mounted"},
		{"v1 without CFS bandwidth", []mount{cpuV1("nocfs")}, atRoot, nil,
			"v1 cpu at " + filepath.Join(v1, "nocfs") + " has no cpu.cfs_quota_us"},
		{"v2 mount unreadable", []mount{cgroup2("gone")}, atRoot, nil,
			"v2 at " + filepath.Join(v2, "gone") + ": cgroup: open"},
		// A plain file keeps "+cpu" as written; the kernel would show
		// "cpu". Detection must notice that cpu did not appear.
		{"v2 cpu not enabled by the write", []mount{cgroup2("off")}, atRoot, nil,
			"lists [+cpu] after +cpu was written"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := detect(tt.mounts, tt.self)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrNoController) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrNoController containing %q", err, tt.wantErr)
				}
				var ue *UnavailableError
				if !errors.As(err, &ue) || ue.V1 == "" || ue.V2 == "" {
					t.Fatalf("err %v is not an *UnavailableError with both reasons", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != *tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDetectThisMachine checks detection against the kernel when
// /proc/self/mountinfo shows a v1 cpu hierarchy (as on the lab's machine).
func TestDetectThisMachine(t *testing.T) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	mounts, err := parseMountInfo(f)
	if err != nil {
		t.Fatal(err)
	}
	var point string
	for _, m := range mounts {
		if m.FSType == "cgroup" && has(m.SuperOpt, "cpu") {
			point = m.Point
		}
	}
	c, err := Detect()
	if point == "" {
		t.Skipf("no cgroup v1 cpu hierarchy here (Detect: %v, %v)", c, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 || c.Mount != point || !strings.HasPrefix(c.Parent, point) {
		t.Fatalf("Detect = %+v, want v1 at %s", c, point)
	}
	if _, err := os.Stat(filepath.Join(c.Parent, "cpu.cfs_period_us")); err != nil {
		t.Fatal(err)
	}
}
