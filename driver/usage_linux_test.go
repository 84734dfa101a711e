//go:build linux

package driver

import (
	"testing"
	"time"
)

func TestParseStatusRSS(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		cur, peak  float64
		wantFailed bool
	}{
		{name: "both", in: "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n", cur: 1, peak: 2},
		{name: "missing peak", in: "VmRSS:\t 1024 kB\n", wantFailed: true},
		{name: "garbled", in: "VmRSS:\t x kB\nVmHWM:\t 1 kB\n", wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, peak, err := parseStatusRSS([]byte(tt.in))
			if (err != nil) != tt.wantFailed {
				t.Fatalf("err = %v", err)
			}
			if !tt.wantFailed && (cur != tt.cur || peak != tt.peak) {
				t.Errorf("cur %v peak %v, want %v %v", cur, peak, tt.cur, tt.peak)
			}
		})
	}
	if _, _, err := processRSS(); err != nil {
		t.Errorf("own status: %v", err)
	}
	if cpu, err := processCPU(); err != nil || cpu <= 0 {
		t.Errorf("own cpu %v: %v", cpu, err)
	}
}

func FuzzParseStatusRSS(f *testing.F) {
	f.Add([]byte("VmHWM:\t 2048 kB\nVmRSS:\t 1024 kB\n"))
	f.Add([]byte("VmRSS: x\n"))
	f.Add([]byte("VmRSS: NaN kB\nVmHWM: -1 kB\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cur, peak, err := parseStatusRSS(b)
		if err == nil && (cur < 0 || peak < 0 || cur != cur || peak != peak) {
			t.Fatalf("%v %v from %q", cur, peak, b)
		}
	})
}

func TestCPUSamplerUsage(t *testing.T) {
	s := cpuSampler{samples: []time.Duration{
		1 * time.Second,
		1*time.Second + 500*time.Millisecond, // 50 % in second 0
		2*time.Second + 500*time.Millisecond, // 100 % in second 1
	}}
	// 2.5 s measured; 0.25 s of CPU in the last half second: 50 %
	total, per := s.usage(2*time.Second+750*time.Millisecond, 2500*time.Millisecond, 3)
	if total != 70 {
		t.Errorf("total %.1f%%, want 70%% (1.75 s CPU in 2.5 s)", total)
	}
	want := []float64{50, 100, 50}
	for k := range want {
		if per[k] != want[k] {
			t.Errorf("second %d: %.1f%%, want %.1f%%", k, per[k], want[k])
		}
	}
	if total, per := (&cpuSampler{}).usage(time.Second, time.Second, 1); total != 0 || per[0] != 0 {
		t.Errorf("no samples: %v %v", total, per)
	}
}
