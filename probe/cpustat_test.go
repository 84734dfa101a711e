package probe

import (
	"math"
	"strings"
	"testing"
)

func TestParseCPUStat(t *testing.T) {
	st, err := FS{Root: "testdata/proc"}.CPUStat()
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 {
		t.Fatalf("cpus = %d, want 2", len(st))
	}
	want := CPUTimes{User: 164404, System: 137692, Idle: 215428, IOWait: 241, SoftIRQ: 61411, Steal: 358}
	if st[0] != want {
		t.Errorf("cpu0 = %+v, want %+v", st[0], want)
	}
	for _, bad := range []string{
		"cpu0 1 2 3\n",
		"cpux 1 2 3 4 5 6 7 8\n",
		"cpu0 1 2 3 4 5 6 7 -8\n",
		"cpu0 1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n",
	} {
		if _, err := ParseCPUStat(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseCPUStat(%q) accepted", bad)
		}
	}
}

func TestUse(t *testing.T) {
	before := CPUStat{0: {User: 100, System: 100, Idle: 800}, 1: {Idle: 1000}}
	after := CPUStat{0: {User: 150, System: 130, Idle: 800, SoftIRQ: 20}, 1: {User: 10, Idle: 1090}}
	u := Use(before, after, []int{0})
	if math.Abs(u.Tasks-80) > 1e-9 || math.Abs(u.SoftIRQ-20) > 1e-9 || u.Steal != 0 {
		t.Errorf("cpu0 use = %+v, want tasks 80 softirq 20", u)
	}
	if u := Use(before, after, []int{0, 1}); math.Abs(u.Tasks-90) > 1e-9 {
		t.Errorf("two cpus: tasks %.1f, want 90 (of 200)", u.Tasks)
	}
	if u := Use(before, after, []int{7}); u != (CoreUse{}) {
		t.Errorf("unknown cpu: %+v", u)
	}
}

func FuzzParseCPUStat(f *testing.F) {
	f.Add("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 5\n")
	f.Add("cpu3 0 0 0 0 0 0 0 0\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseCPUStat(strings.NewReader(s))
		if err != nil {
			return
		}
		for n := range st {
			if n < 0 {
				t.Fatalf("negative cpu %d", n)
			}
		}
	})
}
