package probe

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDelta(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	before := &Snapshot{
		PID: 7, Time: t0,
		NetStat: Counters{"TcpExt": {"ListenOverflows": 5, "ListenDrops": 5, "TW": 100}},
		SNMP:    Counters{"Tcp": {"ActiveOpens": 10, "PassiveOpens": 10, "CurrEstab": 40}},
		Process: Process{PID: 7, StartTime: 99, UserSeconds: 1.0, SystemSeconds: 0.5, OpenFDs: 50},
	}
	after := &Snapshot{
		PID: 7, Time: t0.Add(2 * time.Second),
		NetStat:  Counters{"TcpExt": {"ListenOverflows": 12, "ListenDrops": 13, "TW": 350}},
		SNMP:     Counters{"Tcp": {"ActiveOpens": 510, "PassiveOpens": 480, "CurrEstab": 3}},
		Sockstat: Sockstat{TimeWait: 250},
		Process:  Process{PID: 7, StartTime: 99, UserSeconds: 2.2, SystemSeconds: 0.8, OpenFDs: 1024, NoFile: Limit{Soft: 1024, Hard: 4096}},
		Warnings: []string{"/proc/7/net/sockstat6: no such file"},
	}
	d := Delta(before, after)
	if d.TCPExt.ListenOverflows != 7 || d.TCPExt.ListenDrops != 8 || d.TCPExt.TW != 250 {
		t.Errorf("TCPExt delta = %+v", d.TCPExt)
	}
	if d.TCP.ActiveOpens != 500 || d.TCP.PassiveOpens != 470 || d.TCP.CurrEstab != 3 {
		t.Errorf("TCP delta = %+v (CurrEstab is a gauge: after-value)", d.TCP)
	}
	if d.Wall != 2*time.Second || !approx(d.CPUSeconds, 1.5) || !approx(d.CPUPercent, 75) {
		t.Errorf("wall %v, cpu %v s, %v %%; want 2s, 1.5 s, 75 %%", d.Wall, d.CPUSeconds, d.CPUPercent)
	}
	if d.Process.OpenFDs != 1024 || d.Sockstat.TimeWait != 250 || d.Process.NoFile.Soft != 1024 {
		t.Errorf("gauges must be after-values: %+v %+v", d.Process, d.Sockstat)
	}
	if !reflect.DeepEqual(d.Warnings, []string{"after: /proc/7/net/sockstat6: no such file"}) {
		t.Errorf("warnings %q", d.Warnings)
	}
}

func approx(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestDeltaRefusesCPUAcrossRestarts(t *testing.T) {
	t0 := time.Now()
	tests := []struct {
		name          string
		before, after Snapshot
		wantWarn      string
	}{
		{"restarted", Snapshot{PID: 7, Time: t0, Process: Process{StartTime: 1, UserSeconds: 9}}, Snapshot{PID: 7, Time: t0.Add(time.Second), Process: Process{StartTime: 2}}, "restarted"},
		{"other pid", Snapshot{PID: 7, Time: t0}, Snapshot{PID: 8, Time: t0.Add(time.Second)}, "different processes"},
		{"out of order", Snapshot{PID: 7, Time: t0.Add(time.Second)}, Snapshot{PID: 7, Time: t0}, "not in order"},
		{"counters reset", Snapshot{PID: 7, Time: t0, NetStat: Counters{"TcpExt": {"ListenOverflows": 9}}}, Snapshot{PID: 7, Time: t0.Add(time.Second), NetStat: Counters{"TcpExt": {"ListenOverflows": 2}}}, "went backwards"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Delta(&tt.before, &tt.after)
			if d.CPUSeconds < 0 || d.CPUPercent < 0 {
				t.Errorf("negative CPU: %v s %v %%", d.CPUSeconds, d.CPUPercent)
			}
			if !strings.Contains(strings.Join(d.Warnings, "\n"), tt.wantWarn) {
				t.Errorf("warnings %q lack %q", d.Warnings, tt.wantWarn)
			}
		})
	}
}

func TestSnapshotOfMissingProcessWarns(t *testing.T) {
	s := fixtureFS.Snapshot(424242)
	// stat, status, limits, fd, task, netstat, snmp, sockstat, tcp, dev, softnet_stat: all named.
	if len(s.Warnings) != 11 {
		t.Errorf("%d warnings, want 11: %q", len(s.Warnings), s.Warnings)
	}
	for _, w := range s.Warnings {
		if !strings.Contains(w, "424242") {
			t.Errorf("warning %q does not name the path", w)
		}
	}
}
