//go:build linux

package driver

import (
	"math"
	"sync"
	"time"
)

// cpuSampler records the process's CPU time at the start of the measured
// period and at each measured second after it, so the summary can give the
// driver's CPU use over the run and second by second.
type cpuSampler struct {
	mu      sync.Mutex
	samples []time.Duration // samples[k]: CPU time at measureStart + k seconds
}

// run samples until done is closed.
func (s *cpuSampler) run(base time.Time, measureStart time.Duration, done <-chan struct{}) {
	for k := 0; ; k++ {
		t := time.NewTimer(time.Until(base.Add(measureStart + time.Duration(k)*time.Second)))
		select {
		case <-done:
			t.Stop()
			return
		case <-t.C:
		}
		cpu, err := processCPU()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.samples = append(s.samples, cpu)
		s.mu.Unlock()
	}
}

// usage returns the CPU use in % of one core over the measured period that
// ended measured after its start (with the CPU time end at that moment), and
// for each of its seconds (0 where not sampled).
func (s *cpuSampler) usage(end time.Duration, measured time.Duration, seconds int) (total float64, perSecond []float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	perSecond = make([]float64, seconds)
	if len(s.samples) == 0 || measured <= 0 {
		return 0, perSecond
	}
	pct := func(cpu, wall time.Duration) float64 {
		if wall <= 0 {
			return 0
		}
		return math.Round(float64(cpu)/float64(wall)*1000) / 10
	}
	total = pct(end-s.samples[0], measured)
	for k := range perSecond {
		switch {
		case k+1 < len(s.samples):
			perSecond[k] = pct(s.samples[k+1]-s.samples[k], time.Second)
		case k < len(s.samples):
			perSecond[k] = pct(end-s.samples[k], measured-time.Duration(k)*time.Second)
		}
	}
	return total, perSecond
}
