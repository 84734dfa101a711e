//go:build linux

package probe

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSamplerSeesAcceptQueue runs a sampler while a burst of connects fills
// a real accept queue, and after the server exits.
func TestSamplerSeesAcceptQueue(t *testing.T) {
	ns := newNS(t)
	h := startHelper(t, ns, "none", 16, 0)
	s := NewSampler(FS{}, h.pid, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	h.connectNonBlocking(t, false, 24)
	if !waitFor(3*time.Second, func() bool { return s.Peaks().ListenQueue == 17 }) {
		t.Fatalf("peaks %+v: accept queue peak never reached 17", s.Peaks())
	}
	p := s.Peaks()
	if p.ListenAddr != "127.0.0.1:"+strconv.Itoa(h.port4) || p.ListenBacklog != 16 || p.OpenFDs == 0 || p.Threads == 0 || p.RSSBytes == 0 || len(p.Warnings) > 0 {
		t.Errorf("peaks %+v", p)
	}
	// The server exits (a zombie until reaped): the sampler notices and stops.
	h.stdin.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("sampler did not stop after the process exited")
	}
	if w := s.Peaks().Warnings; len(w) == 0 || !strings.Contains(w[len(w)-1], "exited") {
		t.Errorf("warnings %q", w)
	}
}

// TestSamplerCPU samples this process before and after it burns at least
// 50 ms of CPU: the peak must show it.
func TestSamplerCPU(t *testing.T) {
	s := NewSampler(FS{}, os.Getpid(), 0)
	defer s.Close()
	start, err := FS{}.Stat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	s.Sample()
	x := 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for i := 0; i < 1e5; i++ {
			x += i
		}
		if st, err := (FS{}).Stat(os.Getpid()); err != nil || st.CPUSeconds()-start.CPUSeconds() >= 0.05 {
			break
		}
	}
	s.Sample()
	p := s.Peaks()
	if p.Samples != 2 || p.CPUPercent <= 0 {
		t.Errorf("peaks %+v after burning CPU (x=%d)", p, x)
	}
	t.Logf("CPU over the interval: %.0f %%", p.CPUPercent)
}
