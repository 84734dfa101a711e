//go:build linux

package driver

import "testing"

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
