package doctor

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/internal/cgroup"
	"github.com/scalelab/scalelab/phases"
)

// ladder is a small made-up ladder: phase 1 sets the port range, phase 5
// somaxconn, phases 6–9 raise nofile to 20,000.
func ladder() []Phase {
	ps := []Phase{
		{Number: 1, NoFile: 1024, DriverNoFile: 4096, Sysctls: map[string]string{"net.ipv4.ip_local_port_range": "49152 65535", "net.ipv4.tcp_tw_reuse": "0"}},
		{Number: 5, NoFile: 4096, DriverNoFile: 4096, Sysctls: map[string]string{"net.core.somaxconn": "128"}},
	}
	for n := 6; n <= 9; n++ {
		ps = append(ps, Phase{Number: n, NoFile: 20000, DriverNoFile: 20000, Sysctls: map[string]string{"net.core.somaxconn": "4096"}})
	}
	return ps
}

// healthy is the lab's machine: root, namespaces, cgroup v1 cpu, 2 cores.
func healthy() Facts {
	f := Facts{
		EUID: 0, Caps: Caps{SysAdmin: true, NetAdmin: true, SysResource: true},
		Cgroup: "cgroup v1 cpu at /sys/fs/cgroup/cpu", CgroupTrialed: 0.5, CgroupQuota: 0.5,
		CPUs: 2, NoFileHard: 20000, NrOpen: 1 << 20,
		Phases: ladder(),
		Tools:  []Tool{{Name: "wrk", Path: "/usr/bin/wrk"}, {Name: "nginx"}},
	}
	f.Sysctls = sysctlTrials(f.Phases)
	return f
}

var errEPERM = errors.New("operation not permitted")

func TestChecks(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Facts)
		want   map[string]Status // checks whose status differs from healthy's
		failed bool
		says   map[string]string // check name -> text its value or cost must hold
	}{
		{"the lab's machine", func(*Facts) {}, nil, false,
			map[string]string{"privileges": "euid 0 with CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_RESOURCE",
				"namespace sysctls": "3 of 3", "cgroup CPU controller": "50% of a core read back 50%",
				"cores": "2 cores", "open files": "1,048,576", "nginx": "make anchors"}},
		{"not root", func(f *Facts) {
			f.EUID, f.Caps = 1000, Caps{}
			f.NetNS, f.Sysctls = fmt.Errorf("netns: creating a network namespace is not permitted (run as root)"), nil
			f.CgroupErr = fmt.Errorf("%w: make /sys/fs/cgroup/cpu/scalelab-1-doctor: %w", cgroup.ErrNotPermitted, errEPERM)
			f.NoFileHard = 8192
		}, map[string]Status{"privileges": Missing, "network namespace": Missing, "namespace sysctls": Missing,
			"cgroup CPU controller": Missing, "open files": Limited}, true,
			map[string]string{"privileges": "host's network namespace and the phases' sysctls are NOT applied",
				"namespace sysctls":     "phases 1, 5, 6, 7, 8 and 9 set net.core.somaxconn, net.ipv4.ip_local_port_range, net.ipv4.tcp_tw_reuse",
				"cgroup CPU controller": "not permitted (run as root)",
				"open files":            "phases 6–9 ask for up to 20,000 open files per process; setrlimit above 8,192 fails"}},
		{"no cgroup CPU controller", func(f *Facts) {
			f.Cgroup, f.CgroupErr = "", &cgroup.UnavailableError{V1: "v1 cpu not mounted", V2: "v2 at /sys/fs/cgroup/unified has controllers [hugetlb]"}
		}, map[string]Status{"cgroup CPU controller": Missing}, true,
			map[string]string{"cgroup CPU controller": "no cgroup CPU controller: v1 cpu not mounted, v2 at /sys/fs/cgroup/unified has controllers [hugetlb]"}},
		{"trial group fails", func(f *Facts) { f.CgroupErr = errors.New("cgroup: write \"50000\": invalid argument") },
			map[string]Status{"cgroup CPU controller": Missing}, true,
			map[string]string{"cgroup CPU controller": "cgroup v1 cpu at /sys/fs/cgroup/cpu, but a trial group failed"}},
		{"one core", func(f *Facts) { f.CPUs = 1 }, map[string]Status{"cores": Limited}, true,
			map[string]string{"cores": "share one core"}},
		{"one sysctl refused", func(f *Facts) {
			f.Sysctls[1].Err = errors.New("netns: set sysctl net.ipv4.ip_local_port_range: read-only")
		},
			map[string]Status{"namespace sysctls": Limited}, true,
			map[string]string{"namespace sysctls": "1 of the 3 sysctls"}},
		{"low hard limit raised by root", func(f *Facts) { f.NoFileHard = 1024 }, nil, false,
			map[string]string{"open files": "hard limit 1,024, raised up to fs.nr_open"}},
		{"low hard limit without CAP_SYS_RESOURCE", func(f *Facts) { f.NoFileHard, f.Caps.SysResource = 2048, false },
			map[string]Status{"open files": Limited, "privileges": OK}, true,
			map[string]string{"open files": "phases 1, 5, 6, 7, 8 and 9 ask for up to 20,000"}},
		{"hard limit unreadable", func(f *Facts) { f.NoFileErr = errors.New("getrlimit: EFAULT") },
			map[string]Status{"open files": Missing}, true, nil},
		{"both tools missing", func(f *Facts) { f.Tools[0].Path = "" }, map[string]Status{"wrk": Missing}, false,
			map[string]string{"wrk": "only the benchmarks need it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := healthy()
			tt.change(&f)
			checks := Checks(f)
			got := map[string]Status{}
			for _, c := range checks {
				got[c.Name] = c.Status
				if (c.Status == OK) != (c.Cost == "") {
					t.Errorf("%s: status %s with cost %q", c.Name, c.Status, c.Cost)
				}
				if c.Value == "" {
					t.Errorf("%s: no value", c.Name)
				}
				if text, ok := tt.says[c.Name]; ok && !strings.Contains(c.Value+" | "+c.Cost, text) {
					t.Errorf("%s: %q | %q does not say %q", c.Name, c.Value, c.Cost, text)
				}
			}
			want := map[string]Status{"privileges": OK, "network namespace": OK, "namespace sysctls": OK,
				"cgroup CPU controller": OK, "cores": OK, "open files": OK, "wrk": OK, "nginx": Missing}
			for k, v := range tt.want {
				want[k] = v
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("statuses\n got %v\nwant %v", got, want)
			}
			if Failed(checks) != tt.failed {
				t.Errorf("Failed = %v, want %v", Failed(checks), tt.failed)
			}
		})
	}
}

func TestChecksOrderAndOptional(t *testing.T) {
	var names []string
	for _, c := range Checks(healthy()) {
		names = append(names, c.Name)
		if c.Optional != (c.Name == "wrk" || c.Name == "nginx") {
			t.Errorf("%s: optional %v", c.Name, c.Optional)
		}
	}
	want := []string{"privileges", "network namespace", "namespace sysctls", "cgroup CPU controller", "cores", "open files", "wrk", "nginx"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("checks %v, want %v", names, want)
	}
}

func TestPhaseList(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{nil, "no phase"}, {[]int{5}, "phase 5"}, {[]int{6, 7}, "phases 6 and 7"},
		{[]int{9, 6, 7, 8}, "phases 6–9"}, {[]int{1, 2, 5}, "phases 1, 2 and 5"},
	}
	for _, tt := range tests {
		if got := phaseList(tt.in); got != tt.want {
			t.Errorf("phaseList(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNeedsOfLadder reads what the real ladder asks for.
func TestNeedsOfLadder(t *testing.T) {
	l, err := phases.Ladder()
	if err != nil {
		t.Fatal(err)
	}
	needs := needsOf(l)
	if len(needs) != len(l) {
		t.Fatalf("%d needs for %d phases", len(needs), len(l))
	}
	for _, n := range needs {
		if n.Number >= 6 && n.Number <= 9 && n.NoFile < 20000 {
			t.Errorf("phase %d: nofile %d, want 20,000 (phases 6–9 raise it)", n.Number, n.NoFile)
		}
	}
	var names []string
	for _, s := range sysctlTrials(needs) {
		names = append(names, s.Name)
		if s.Value == "" {
			t.Errorf("%s: no value to write", s.Name)
		}
	}
	for _, want := range []string{"net.core.somaxconn", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("sysctls tried %v lack %s", names, want)
		}
	}
}

func TestParseCaps(t *testing.T) {
	tests := []struct {
		name, in string
		want     Caps
		err      bool
	}{
		{"root without CAP_SYS_RESOURCE (the lab's machine)", "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\nCapEff:\t000001fffeffffff\n", Caps{SysAdmin: true, NetAdmin: true}, false},
		{"all", "CapEff:\t000001ffffffffff\n", Caps{true, true, true}, false},
		{"none", "CapEff:\t0000000000000000\n", Caps{}, false},
		{"net admin only", "CapEff:\t0000000000001000\n", Caps{NetAdmin: true}, false},
		{"sys admin and resource", "CapEff:\t0000000001200000\n", Caps{SysAdmin: true, SysResource: true}, false},
		{"no line", "Name:\tx\n", Caps{}, true},
		{"bad hex", "CapEff:\tzz\n", Caps{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCaps(strings.NewReader(tt.in))
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("parseCaps = %+v, %v; want %+v, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func FuzzParseCaps(f *testing.F) {
	f.Add([]byte("CapEff:\t000001fffeffffff\n"))
	f.Add([]byte("Name:\tx\nCapEff:\t0\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := parseCaps(strings.NewReader(string(in)))
		if err != nil && c != (Caps{}) {
			t.Fatalf("error %v with caps %+v", err, c)
		}
	})
}
