package probe

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const limitsTable = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max stack size            8388608              unlimited            bytes     
Max open files            256                  20000                files     
Max nice priority         0                    0                    
`

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Limits
		wantErr bool
	}{
		{
			name: "kernel table",
			in:   limitsTable,
			want: Limits{
				"Max cpu time":      {Soft: Unlimited, Hard: Unlimited, Unit: "seconds"},
				"Max stack size":    {Soft: 8388608, Hard: Unlimited, Unit: "bytes"},
				"Max open files":    {Soft: 256, Hard: 20000, Unit: "files"},
				"Max nice priority": {Soft: 0, Hard: 0},
			},
		},
		{name: "no values", in: "Limit Soft Limit Hard Limit Units\nMax open files\n", wantErr: true},
		{name: "one value", in: "Max open files 256\n", wantErr: true},
		{name: "no name", in: "256 256 files\n", wantErr: true},
		{name: "hard limit not a number", in: "Max open files 256 many files\n", wantErr: true},
		{name: "value overflows", in: "Max open files 99999999999999999999 1 files\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLimits(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if nf, ok := got.NoFile(); !ok || nf.Soft != 256 {
				t.Errorf("NoFile = %+v, %v", nf, ok)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	// Fields after comm: state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice num_threads
	// itrealvalue starttime vsize rss ...
	tail := " S 1 1 1 0 -1 4194304 356 0 0 0 250 133 7 8 20 0 5 0 76649 1596743680 1314 18446744073709551615 0"
	tests := []struct {
		name    string
		in      string
		want    ProcStat
		wantErr bool
	}{
		{
			name: "plain",
			in:   "13390 (probe.test)" + tail + "\n",
			want: ProcStat{PID: 13390, Comm: "probe.test", State: "S", UTime: 250, STime: 133, NumThreads: 5, StartTime: 76649, VSize: 1596743680, RSSPages: 1314},
		},
		{
			name: "comm with spaces and parentheses",
			in:   "42 (a) b (c) d)" + tail,
			want: ProcStat{PID: 42, Comm: "a) b (c) d", State: "S", UTime: 250, STime: 133, NumThreads: 5, StartTime: 76649, VSize: 1596743680, RSSPages: 1314},
		},
		{name: "no parentheses", in: "42 probe.test" + tail, wantErr: true},
		{name: "too few fields", in: "42 (x) S 1 1 1 0 -1 4194304 356 0 0 0 250 133", wantErr: true},
		{name: "utime not a number", in: "42 (x) S 1 1 1 0 -1 4194304 356 0 0 0 abc 133 7 8 20 0 5 0 76649 1596743680 1314", wantErr: true},
		{name: "bad pid", in: "x (y)" + tail, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if want := float64(250+133) / ClockTicks; got.CPUSeconds() != want {
				t.Errorf("CPUSeconds = %v, want %v", got.CPUSeconds(), want)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		want        ProcStatus
		wantMissing []string
		wantErr     bool
	}{
		{
			name: "user process",
			in: "Name:\tprobe.test\nUmask:\t0022\nFDSize:\t64\nVmHWM:\t    5360 kB\nVmRSS:\t    5300 kB\nThreads:\t5\n" +
				"voluntary_ctxt_switches:\t3\nnonvoluntary_ctxt_switches:\t4\n",
			want: ProcStatus{Name: "probe.test", FDSize: 64, VmHWM: 5360 * 1024, VmRSS: 5300 * 1024, Threads: 5, VoluntaryCtxtSwitches: 3, NonvoluntaryCtxtSwitches: 4},
		},
		{
			name:        "kernel thread has no Vm lines",
			in:          "Name:\tkthreadd\nFDSize:\t64\nThreads:\t1\nvoluntary_ctxt_switches:\t1\nnonvoluntary_ctxt_switches:\t0\n",
			want:        ProcStatus{Name: "kthreadd", FDSize: 64, Threads: 1, VoluntaryCtxtSwitches: 1},
			wantMissing: []string{"VmHWM", "VmRSS"},
		},
		{name: "size not in kB", in: "VmRSS:\t5300 MB\n", wantErr: true},
		{name: "size not a number", in: "VmRSS:\tmany kB\n", wantErr: true},
		{name: "threads not a number", in: "Threads:\tfive\n", wantErr: true},
		{name: "line without key", in: "Name:\tx\ngarbage\n", wantErr: true},
		{name: "key twice", in: "Threads:\t1\nThreads:\t2\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, missing, err := parseStatus(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
			if !reflect.DeepEqual(missing, tt.wantMissing) {
				t.Errorf("missing %v, want %v", missing, tt.wantMissing)
			}
		})
	}
}

func TestProcessWarnsAndKeepsWhatItRead(t *testing.T) {
	dir := t.TempDir()
	// Only stat, a thread's schedstat and an fd directory: limits and
	// status are gone.
	writeTestFile(t, dir, "5/stat", "5 (srv) R 1 1 1 0 -1 0 0 0 0 0 150 50 0 0 20 0 3 0 99 1000 10 0\n")
	writeTestFile(t, dir, "5/task/5/schedstat", "2000000 500000 12\n")
	for i := 0; i < 4; i++ {
		writeTestFile(t, dir, fmt.Sprintf("5/fd/%d", i), "")
	}
	p, warn := FS{Root: dir}.Process(5)
	want := Process{PID: 5, Comm: "srv", StartTime: 99, OpenFDs: 4, UserSeconds: 1.5, SystemSeconds: 0.5, Threads: 3,
		RunTime: 2 * time.Millisecond, RunDelay: 500 * time.Microsecond}
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
	if p.CPUSeconds() != 2 {
		t.Errorf("CPUSeconds = %v", p.CPUSeconds())
	}
	if len(warn) != 2 || !strings.Contains(warn[0], filepath.Join(dir, "5", "status")) || !strings.Contains(warn[1], filepath.Join(dir, "5", "limits")) {
		t.Errorf("warnings %q: want status and limits named by path", warn)
	}
}

func TestOpenFDsLive(t *testing.T) {
	// Opening files must show in our own fd count.
	before, err := FS{}.OpenFDs(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	const extra = 5
	for i := 0; i < extra; i++ {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	after, err := FS{}.OpenFDs(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Other goroutines of the test binary may open files too: at least extra.
	if after-before < extra {
		t.Errorf("fds went from %d to %d after opening %d files", before, after, extra)
	}
}

func FuzzParseLimits(f *testing.F) {
	f.Add([]byte(limitsTable))
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := parseLimits(strings.NewReader(string(in)))
		if err != nil {
			return
		}
		for name, v := range l {
			if name == "" || v.Soft < Unlimited || v.Hard < Unlimited {
				t.Fatalf("%q: %+v", name, v)
			}
		}
	})
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (a) b (c) d) S 1 1 1 0 -1 4194304 356 0 0 0 250 133 7 8 20 0 5 0 76649 1596743680 1314 0"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := parseStat(strings.NewReader(string(in)))
		if err != nil {
			return
		}
		if s.CPUSeconds() < 0 || !strings.Contains(string(in), "("+s.Comm+")") {
			t.Fatalf("parsed %+v from %q", s, in)
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("Name:\tx\nVmHWM:\t  5360 kB\nVmRSS:\t  5300 kB\nThreads:\t5\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, missing, err := parseStatus(strings.NewReader(string(in)))
		if err != nil {
			return
		}
		if s.VmRSS < 0 || s.VmRSS%1024 != 0 || s.VmHWM < 0 || s.VmHWM%1024 != 0 || len(missing) > 7 {
			t.Fatalf("parsed %+v, missing %v from %q", s, missing, in)
		}
	})
}
