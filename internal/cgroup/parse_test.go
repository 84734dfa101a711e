package cgroup

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		file string
		want Stat
	}{
		{"v1/cpu.stat.throttled", Stat{Periods: 10, Throttled: 10, ThrottledTime: 730588758}},
		{"v1/cpu.stat.idle", Stat{}},
		{"v2/cpu.stat.root", Stat{Usage: 504340 * time.Millisecond, HasUsage: true}},
		{"v2/cpu.stat.throttled", Stat{Periods: 11, Throttled: 10, ThrottledTime: 799872 * time.Microsecond,
			Usage: 1042311 * time.Microsecond, HasUsage: true}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseStat(open(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseStatErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"three fields", "nr_periods 1\nnr_throttled 1 2\n", "line 2"},
		{"not a number", "nr_periods x\n", "nr_periods"},
		{"negative", "nr_throttled -1\n", "nr_throttled"},
		{"key alone", "nr_periods\n", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseStat(strings.NewReader(tt.in))
			if !errors.Is(err, errFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want errFormat naming %q", err, tt.want)
			}
			if s != (Stat{}) {
				t.Fatalf("a failed parse returned %+v", s)
			}
		})
	}
}

func TestParseQuotaFiles(t *testing.T) {
	tests := []struct {
		name      string
		read      func(t *testing.T) (quota, period int64)
		wantShare float64
	}{
		{"v1 20%", func(t *testing.T) (int64, int64) {
			q, err := parseInt("cpu.cfs_quota_us", open(t, "v1/cpu.cfs_quota_us"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := parseInt("cpu.cfs_period_us", open(t, "v1/cpu.cfs_period_us"))
			if err != nil {
				t.Fatal(err)
			}
			return q, p
		}, 0.2},
		{"v1 unlimited", func(t *testing.T) (int64, int64) {
			q, err := parseInt("cpu.cfs_quota_us", open(t, "v1/cpu.cfs_quota_us.unlimited"))
			if err != nil {
				t.Fatal(err)
			}
			return q, 100000
		}, 0},
		{"v2 20%", func(t *testing.T) (int64, int64) {
			q, p, err := parseCPUMax(open(t, "v2/cpu.max"))
			if err != nil {
				t.Fatal(err)
			}
			return q, p
		}, 0.2},
		{"v2 unlimited", func(t *testing.T) (int64, int64) {
			q, p, err := parseCPUMax(open(t, "v2/cpu.max.unlimited"))
			if err != nil {
				t.Fatal(err)
			}
			return q, p
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, p := tt.read(t)
			got, err := share(q, p)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tt.wantShare) > 1e-12 {
				t.Fatalf("share(%d, %d) = %v, want %v", q, p, got, tt.wantShare)
			}
		})
	}
}

func TestParseCPUMaxErrors(t *testing.T) {
	for _, in := range []string{"", "max", "20000", "max max", "0 100000", "-5 100000", "20000 0", "1 2 3", "x 100000"} {
		t.Run(in, func(t *testing.T) {
			if q, p, err := parseCPUMax(strings.NewReader(in)); !errors.Is(err, errFormat) {
				t.Fatalf("parseCPUMax(%q) = %d, %d, %v; want errFormat", in, q, p, err)
			}
		})
	}
}

func TestParseIntErrors(t *testing.T) {
	for _, in := range []string{"", "12 13", "1e5", "0x10", strings.Repeat("9", 30)} {
		if v, err := parseInt("cpu.cfs_quota_us", strings.NewReader(in)); !errors.Is(err, errFormat) || !strings.Contains(err.Error(), "cpu.cfs_quota_us") {
			t.Errorf("parseInt(%q) = %d, %v; want errFormat naming the file", in, v, err)
		}
	}
}

func TestParseProcs(t *testing.T) {
	got, err := parseProcs(open(t, "v1/cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{19859, 19860}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if pids, err := parseProcs(strings.NewReader("")); err != nil || len(pids) != 0 {
		t.Fatalf("empty group: %v, %v", pids, err)
	}
	if _, err := parseProcs(strings.NewReader("12\nabc\n")); !errors.Is(err, errFormat) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad pid: %v", err)
	}
}

func TestParseMountInfo(t *testing.T) {
	tests := []struct {
		file string
		want []mount // the cgroup mounts, in order
	}{
		{"proc/mountinfo", []mount{
			{"/", "/sys/fs/cgroup/cpu", "cgroup", []string{"rw", "cpu"}},
			{"/", "/sys/fs/cgroup/cpuacct", "cgroup", []string{"rw", "cpuacct"}},
			{"/", "/sys/fs/cgroup/cpuset", "cgroup", []string{"rw", "cpuset"}},
			{"/", "/sys/fs/cgroup/memory", "cgroup", []string{"rw", "memory"}},
			{"/", "/sys/fs/cgroup/devices", "cgroup", []string{"rw", "devices"}},
			{"/", "/sys/fs/cgroup/freezer", "cgroup", []string{"rw", "freezer"}},
			{"/", "/sys/fs/cgroup/blkio", "cgroup", []string{"rw", "blkio"}},
			{"/", "/sys/fs/cgroup/pids", "cgroup", []string{"rw", "pids"}},
			{"/", "/sys/fs/cgroup/systemd", "cgroup", []string{"rw", "name=systemd"}},
			{"/", "/sys/fs/cgroup/unified", "cgroup2", []string{"rw"}},
		}},
		{"proc/mountinfo.systemd-v2", []mount{
			{"/", "/sys/fs/cgroup", "cgroup2", []string{"rw", "nsdelegate", "memory_recursiveprot"}},
		}},
		{"proc/mountinfo.cpu-cpuacct", []mount{
			{"/", "/sys/fs/cgroup/systemd", "cgroup", []string{"rw", "xattr", "name=systemd"}},
			{"/", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", []string{"rw", "cpu", "cpuacct"}},
			{"/", "/sys/fs/cgroup/cpuset", "cgroup", []string{"rw", "cpuset"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			all, err := parseMountInfo(open(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var got []mount
			for _, m := range all {
				if strings.HasPrefix(m.FSType, "cgroup") {
					got = append(got, m)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("cgroup mounts:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMountInfoEscapesAndErrors(t *testing.T) {
	ms, err := parseMountInfo(open(t, "proc/mountinfo.systemd-v2"))
	if err != nil {
		t.Fatal(err)
	}
	if last := ms[len(ms)-1]; last.Point != "/mnt/my disk" {
		t.Fatalf("escaped mount point read as %q", last.Point)
	}
	bad := []string{
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime cgroup cgroup rw,cpu", // no separator
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup",      // no super options
		"31 30 - cgroup cgroup rw,cpu",                                     // too few fields before it
	}
	for _, in := range bad {
		if _, err := parseMountInfo(strings.NewReader("21 26 0:20 / /proc rw - proc proc rw\n" + in + "\n")); !errors.Is(err, errFormat) || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("parseMountInfo(%q): %v, want errFormat at line 2", in, err)
		}
	}
	if got := unescape(`a\040b\\c\0`); got != `a b\\c\0` {
		t.Errorf("unescape = %q", got)
	}
}

func TestParseCgroupFile(t *testing.T) {
	tests := []struct {
		file string
		want []membership
	}{
		{"proc/cgroup", []membership{
			{[]string{"name=systemd"}, "/"}, {[]string{"pids"}, "/"}, {[]string{"blkio"}, "/"},
			{[]string{"freezer"}, "/"}, {[]string{"devices"}, "/"},
			{[]string{"memory"}, "/process_api/ec6e63854af58b33221211385c195252"},
			{[]string{"cpuset"}, "/"}, {[]string{"cpuacct"}, "/"}, {[]string{"cpu"}, "/"}, {nil, "/"},
		}},
		{"proc/cgroup.systemd-v2", []membership{{nil, "/user.slice/user-1000.slice/session-2.scope"}}},
		{"proc/cgroup.cpu-cpuacct", []membership{
			{[]string{"cpuset"}, "/"}, {[]string{"cpu", "cpuacct"}, "/user.slice"},
			{[]string{"name=systemd"}, "/user.slice/user-1000.slice/session-2.scope"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseCgroupFile(open(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	for _, in := range []string{"0:/", "x::/", "1:cpu:relative", "1:cpu"} {
		if _, err := parseCgroupFile(strings.NewReader(in)); !errors.Is(err, errFormat) {
			t.Errorf("parseCgroupFile(%q): %v, want errFormat", in, err)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		dir  string
		pid  int
		isOf bool
	}{
		{groupName(4242, "driver-3"), 4242, true},
		{"scalelab-1-server", 1, true},
		{"scalelab-4242", 0, false},       // no name
		{"scalelab-4242-", 0, false},      // empty name
		{"scalelab-0042-x", 0, false},     // not how a pid is written
		{"scalelab-0-x", 0, false},        // not a pid
		{"scalelab--1-x", 0, false},       // not a pid
		{"scalelab-12-.hidden", 0, false}, // not a name New accepts
		{"other-12-x", 0, false},
		{"user.slice", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			pid, ok := creatorOf(tt.dir)
			if ok != tt.isOf || pid != tt.pid {
				t.Fatalf("creatorOf(%q) = %d, %v; want %d, %v", tt.dir, pid, ok, tt.pid, tt.isOf)
			}
		})
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a b", "dr\x00iver", ".hidden", strings.Repeat("x", 201)} {
		if err := checkName(bad); err == nil {
			t.Errorf("checkName(%q) accepted it", bad)
		}
	}
}

func TestQuotaOf(t *testing.T) {
	tests := []struct {
		share float64
		want  int64 // 0: an error
	}{
		{0.2, 20000}, {0.5, 50000}, {1, 100000}, {1.5, 150000}, {MinShare, 1000},
		{0, 0}, {-1, 0}, {0.005, 0}, {math.NaN(), 0}, {math.Inf(1), 0}, {1 << 21, 0},
	}
	for _, tt := range tests {
		got, err := quotaOf(tt.share, 100000)
		if (err != nil) != (tt.want == 0) || got != tt.want {
			t.Errorf("quotaOf(%v) = %d, %v; want %d", tt.share, got, err, tt.want)
		}
	}
	if _, err := quotaOf(0.02, 10000); err == nil {
		t.Error("quotaOf accepted 200 us of a 10 ms period, below the kernel's minimum")
	}
}

func TestUnavailableError(t *testing.T) {
	err := error(&UnavailableError{V1: "v1 cpu not mounted", V2: "v2 at /sys/fs/cgroup/unified has controllers [hugetlb]"})
	want := "no cgroup CPU controller: v1 cpu not mounted, v2 at /sys/fs/cgroup/unified has controllers [hugetlb]"
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err, want)
	}
	if !errors.Is(err, ErrNoController) || errors.Is(err, ErrUnsupported) {
		t.Fatal("errors.Is disagrees")
	}
}
