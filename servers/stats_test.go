package servers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestStatsPeaksAndReset(t *testing.T) {
	s := NewStats()
	s.SetPool(8, 32)
	for i := range 3 {
		s.Accepted()
		s.ConnOpened()
		s.QueueLength(i + 1)
	}
	s.QueueLength(2)
	s.QueueLength(1)
	s.WorkerBusy()
	s.WorkerBusy()
	s.WorkerIdle()
	s.ConnClosed()
	s.ConnClosed()
	s.Served(200, 150*time.Microsecond)
	s.Served(404, 3*time.Millisecond)
	s.Served(503, 0)

	snap := s.Snapshot()
	checks := []struct {
		what      string
		got, want any
	}{
		{"workers", snap.Workers, int64(8)},
		{"queue cap", snap.QueueCap, int64(32)},
		{"accepted", snap.Accepted, uint64(3)},
		{"open", snap.OpenConns, int64(1)},
		{"open peak", snap.OpenConnsPeak, int64(3)},
		{"queue", snap.QueueLen, int64(1)},
		{"queue peak", snap.QueuePeak, int64(3)},
		{"busy", snap.Busy, int64(1)},
		{"busy peak", snap.BusyPeak, int64(2)},
		{"requests", snap.Requests, uint64(3)},
		{"responses", fmt.Sprint(snap.Responses), "map[2xx:1 4xx:1 5xx:1]"},
		{"latency count", snap.HandlerMs.Count, int64(3)},
		{"latency max (ms, 3 significant figures)", snap.HandlerMs.Max >= 2.99 && snap.HandlerMs.Max <= 3.01, true},
		{"pid", snap.PID, os.Getpid()},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}

	// The encoded histogram decodes to the same counts.
	h, err := hdrhistogram.Decode([]byte(snap.HandlerHistogram)) // the standard form, as any HdrHistogram tool reads it
	if err != nil {
		t.Fatalf("decode handler histogram: %v", err)
	}
	if h.TotalCount() != 3 || h.Min() != 1 {
		t.Errorf("decoded histogram: %d values, min %d µs; want 3 values, min 1 µs (0 is clamped)", h.TotalCount(), h.Min())
	}

	s.ResetPeaks()
	snap = s.Snapshot()
	if snap.OpenConnsPeak != 1 || snap.QueuePeak != 1 || snap.BusyPeak != 1 {
		t.Errorf("after reset peaks are open %d, queue %d, busy %d; want the current 1, 1, 1",
			snap.OpenConnsPeak, snap.QueuePeak, snap.BusyPeak)
	}
	if snap.HandlerMs.Count != 0 {
		t.Errorf("after reset the latency histogram holds %d values", snap.HandlerMs.Count)
	}
	if snap.Requests != 3 || snap.Accepted != 3 {
		t.Errorf("after reset counters are requests %d, accepted %d; want them kept (3, 3)", snap.Requests, snap.Accepted)
	}
	s.Served(200, time.Hour) // beyond the histogram's range: clamped, not lost
	if got := s.Snapshot().HandlerMs.Count; got != 1 {
		t.Errorf("an out-of-range latency was lost: count %d", got)
	}
}

func TestStatsStatusClasses(t *testing.T) {
	s := NewStats()
	for _, code := range []int{100, 204, 301, 499, 500, 599, 600, 42} {
		s.Served(code, time.Millisecond)
	}
	want := "map[1xx:1 2xx:1 3xx:1 4xx:1 5xx:2 other:2]"
	if got := fmt.Sprint(s.Snapshot().Responses); got != want {
		t.Errorf("responses %s, want %s", got, want)
	}
}

func TestErrnoName(t *testing.T) {
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	tests := []struct {
		err  error
		want string
	}{
		{syscall.EMFILE, "EMFILE"},
		{emfile, "EMFILE"},
		{fmt.Errorf("pool: %w", emfile), "EMFILE"},
		{syscall.ENFILE, "ENFILE"},
		{syscall.ECONNABORTED, "ECONNABORTED"},
		{syscall.Errno(250), "errno_250"},
		{os.ErrDeadlineExceeded, "ETIMEDOUT"},
		{errors.New("something"), "other"},
	}
	for _, tt := range tests {
		if got := ErrnoName(tt.err); got != tt.want {
			t.Errorf("ErrnoName(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestAcceptErrorsByErrno(t *testing.T) {
	s := NewStats()
	for range 3 {
		s.AcceptError(os.NewSyscallError("accept4", syscall.EMFILE))
	}
	s.AcceptError(syscall.ENFILE)
	s.AcceptError(errors.New("odd"))
	want := "map[EMFILE:3 ENFILE:1 other:1]"
	if got := fmt.Sprint(s.Snapshot().AcceptErrors); got != want {
		t.Errorf("accept errors %s, want %s", got, want)
	}
}

// TestStatsConcurrent hammers the counters from several goroutines (run
// with -race) and checks nothing is lost.
func TestStatsConcurrent(t *testing.T) {
	s := NewStats()
	const goroutines, each = 8, 1000
	done := make(chan struct{})
	for range goroutines {
		go func() {
			for range each {
				s.ConnOpened()
				s.Served(200, time.Microsecond)
				s.ConnClosed()
			}
			done <- struct{}{}
		}()
	}
	for range goroutines {
		<-done
	}
	snap := s.Snapshot()
	if snap.Requests != goroutines*each || snap.HandlerMs.Count != goroutines*each || snap.OpenConns != 0 {
		t.Errorf("requests %d, latencies %d, open %d; want %d, %d, 0",
			snap.Requests, snap.HandlerMs.Count, snap.OpenConns, goroutines*each, goroutines*each)
	}
	if snap.OpenConnsPeak < 1 || snap.OpenConnsPeak > goroutines {
		t.Errorf("open peak %d, want 1..%d", snap.OpenConnsPeak, goroutines)
	}
}

// TestAbandonedAndQueueWait: abandoned answers are counted apart from the
// served ones; queue waits have their own histogram, emptied by a reset.
func TestAbandonedAndQueueWait(t *testing.T) {
	s := NewStats()
	s.Served(200, time.Millisecond)
	s.Abandoned(1)
	s.Abandoned(2)
	s.QueueWaited(0)
	s.QueueWaited(40 * time.Millisecond)
	snap := s.Snapshot()
	if snap.AbandonedResponses != 3 || snap.Requests != 1 {
		t.Errorf("abandoned %d, requests %d; want 3 and 1", snap.AbandonedResponses, snap.Requests)
	}
	if snap.QueueWaitMs.Count != 2 || snap.QueueWaitMs.Max < 39.9 || snap.QueueWaitMs.Max > 40.1 || snap.QueueWaitHistogram == "" {
		t.Errorf("queue wait %+v (histogram %q), want 2 values up to 40 ms", snap.QueueWaitMs, snap.QueueWaitHistogram)
	}
	if snap.HandlerMs.Count != 1 {
		t.Errorf("handler latencies %d, want 1 (queue waits apart)", snap.HandlerMs.Count)
	}
	s.ResetPeaks()
	if snap := s.Snapshot(); snap.QueueWaitMs.Count != 0 || snap.AbandonedResponses != 3 {
		t.Errorf("after reset: queue waits %d, abandoned %d; want 0 and the 3 counted before", snap.QueueWaitMs.Count, snap.AbandonedResponses)
	}
}

func TestClientGone(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{os.NewSyscallError("write", syscall.EPIPE), true},
		{&net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}, true},
		{syscall.ECONNRESET, true},
		{os.ErrDeadlineExceeded, false},
		{net.ErrClosed, false},
		{ErrServerClosed, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := ClientGone(tt.err); got != tt.want {
			t.Errorf("ClientGone(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestBusyWorkerSeconds integrates busy workers over time: two workers
// busy for about 50 ms make about 0.1 worker-seconds.
func TestBusyWorkerSeconds(t *testing.T) {
	s := NewStats()
	s.WorkerBusy()
	s.WorkerBusy()
	time.Sleep(50 * time.Millisecond)
	s.WorkerIdle()
	s.WorkerIdle()
	got := s.Snapshot().BusyWorkerSeconds
	if got < 0.09 || got > 0.5 {
		t.Errorf("busy worker-seconds %v, want about 0.1", got)
	}
	time.Sleep(20 * time.Millisecond)
	if again := s.Snapshot().BusyWorkerSeconds; again != got {
		t.Errorf("idle workers added time: %v -> %v", got, again)
	}
}
