package probe

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestSamplerOnFixtures(t *testing.T) {
	for _, pid := range []int{overflowPID, trafficPID} {
		t.Run(fixtureName(pid), func(t *testing.T) {
			snap := fixtureFS.Snapshot(pid)
			st, err := fixtureFS.Stat(pid)
			if err != nil {
				t.Fatal(err)
			}
			s := NewSampler(fixtureFS, pid, 0)
			for i := 0; i < 3; i++ {
				if !s.Sample() {
					t.Fatal("Sample reported the process gone")
				}
			}
			p := s.Peaks()
			wantQ := snap.Listeners[0]
			for _, l := range snap.Listeners {
				if l.Queue > wantQ.Queue {
					wantQ = l
				}
			}
			// Listeners whose queues tie may come in either order.
			longest := map[string]bool{}
			for _, l := range snap.Listeners {
				if l.Queue == wantQ.Queue {
					longest[l.Endpoint()] = true
				}
			}
			if p.Samples != 3 || p.OpenFDs != snap.Process.OpenFDs || p.TimeWait != snap.Sockstat.TimeWait ||
				p.ListenQueue != wantQ.Queue || !longest[p.ListenAddr] || p.ListenBacklog != -1 || p.Threads != st.NumThreads ||
				p.RSSBytes != st.RSSPages*int64(os.Getpagesize()) || len(p.Warnings) > 0 {
				t.Errorf("peaks %+v, snapshot %+v", p, snap)
			}
			// The same files read twice: no CPU was used in between.
			if p.CPUPercent != 0 {
				t.Errorf("CPUPercent %v from unchanged files", p.CPUPercent)
			}
		})
	}
}

func fixtureName(pid int) string {
	if pid == overflowPID {
		return "overflow"
	}
	return "traffic"
}

func TestSamplerStopsWhenProcessIsGone(t *testing.T) {
	s := NewSampler(fixtureFS, 424242, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	p := s.Peaks()
	if p.Samples != 0 || len(p.Warnings) != 1 || time.Since(start) > 4*time.Second {
		t.Errorf("peaks %+v after %v: want no sample and one warning, at once", p, time.Since(start))
	}
}

func TestSamplerRunEndsWithContext(t *testing.T) {
	s := NewSampler(fixtureFS, trafficPID, 5*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.After(5 * time.Second)
	for s.Peaks().Samples < 3 {
		select {
		case <-deadline:
			t.Fatal("fewer than 3 samples in 5 s")
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	p := s.Peaks()
	if !p.Last.After(p.First) {
		t.Errorf("first %v last %v", p.First, p.Last)
	}
}
