//go:build linux

package probe

import (
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestTakeCountsTimeWait makes connections the client closes first and
// checks that a snapshot delta accounts for each of them.
func TestTakeCountsTimeWait(t *testing.T) {
	ns := newNS(t)
	h := startHelper(t, ns, "serve", 64, 0)
	before := Take(h.pid)
	const conns = 10
	for i := 0; i < conns; i++ {
		c := h.dial(t, i%2 == 1)
		mustWrite(t, c, []byte("e"))
		var ok [3]byte
		if _, err := io.ReadFull(c, ok[:]); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	var after *Snapshot
	if !waitFor(3*time.Second, func() bool {
		after = Take(h.pid)
		return after.Sockets.Count(StateTimeWait) == conns && after.Process.OpenFDs == before.Process.OpenFDs
	}) {
		t.Fatalf("TIME_WAIT %d (want %d), fds %d (want %d)", after.Sockets.Count(StateTimeWait), conns, after.Process.OpenFDs, before.Process.OpenFDs)
	}
	d := Delta(before, after)
	if len(d.Warnings) > 0 {
		t.Errorf("warnings: %q", d.Warnings)
	}
	if d.Sockstat.TimeWait != conns || d.TCPExt.TW != conns {
		t.Errorf("sockstat tw %d, TcpExt TW +%d; want %d", d.Sockstat.TimeWait, d.TCPExt.TW, conns)
	}
	if d.TCP.ActiveOpens != conns || d.TCP.PassiveOpens != conns || d.TCP.CurrEstab != 0 {
		t.Errorf("Tcp delta %+v", d.TCP)
	}
	for _, l := range d.Listeners {
		if l.Backlog != 64 || l.Queue != 0 {
			t.Errorf("listener %+v", l)
		}
	}
	if d.Process.Comm != "probe.test" || d.Process.PID != h.pid {
		t.Errorf("process %+v", d.Process)
	}
}

// TestCPUAccounting burns CPU in this process and compares the snapshot's
// CPU time with getrusage: same clock, different interface and unit.
func TestCPUAccounting(t *testing.T) {
	var r0, r1 syscall.Rusage
	before := FS{}.Snapshot(os.Getpid())
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r0); err != nil {
		t.Fatal(err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 200*time.Millisecond; {
		for i := 0; i < 1e5; i++ {
			x += i * i
		}
	}
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r1); err != nil {
		t.Fatal(err)
	}
	after := FS{}.Snapshot(os.Getpid())
	d := Delta(before, after)
	tv := func(a, b syscall.Timeval) float64 { return float64(b.Nano()-a.Nano()) / 1e9 }
	rusage := tv(r0.Utime, r1.Utime) + tv(r0.Stime, r1.Stime)
	// /proc/PID/stat counts whole clock ticks (10 ms): allow two, and the
	// CPU other test goroutines burn between the two readings.
	if diff := d.CPUSeconds - rusage; diff < -0.02 || diff > 0.05 {
		t.Errorf("snapshot CPU %.3f s, getrusage %.3f s (x=%d)", d.CPUSeconds, rusage, x)
	}
	if want := 100 * d.CPUSeconds / d.Wall.Seconds(); !approx(d.CPUPercent, want) {
		t.Errorf("CPUPercent %v, want %v", d.CPUPercent, want)
	}
	t.Logf("burned %.3f s CPU in %v wall: %.0f %%", d.CPUSeconds, d.Wall.Round(time.Millisecond), d.CPUPercent)
}
