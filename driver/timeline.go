package driver

import (
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// timeline collects the per-second counts and latency histograms that the
// event loops hand over whenever they cross a second boundary.
type timeline struct {
	mu   sync.Mutex
	secs []timelineSecond
}

type timelineSecond struct {
	ok, errs uint64
	hist     *hdrhistogram.Histogram
}

// add merges one loop's share of second sec.
func (t *timeline) add(sec int, ok, errs uint64, h *hdrhistogram.Histogram) {
	if sec < 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.secs) <= sec {
		t.secs = append(t.secs, timelineSecond{})
	}
	s := &t.secs[sec]
	s.ok += ok
	s.errs += errs
	if h.TotalCount() > 0 {
		if s.hist == nil {
			s.hist = newSecondHist()
		}
		s.hist.Merge(h)
	}
}

// second returns the counts and p99 of second sec so far.
func (t *timeline) second(sec int) (ok, errs uint64, p99MS float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sec < 0 || sec >= len(t.secs) {
		return 0, 0, 0
	}
	s := t.secs[sec]
	if s.hist != nil {
		p99MS = p99Of(s.hist)
	}
	return s.ok, s.errs, p99MS
}

// entries returns the timeline of the first n seconds; counts recorded in
// later seconds (requests answered in the instant the run ended) are folded
// into the last one. withHist adds each second's encoded histogram.
func (t *timeline) entries(n int, withHist bool) ([]Second, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n <= 0 {
		return []Second{}, nil
	}
	for len(t.secs) < n {
		t.secs = append(t.secs, timelineSecond{})
	}
	last := &t.secs[n-1]
	for _, s := range t.secs[n:] {
		last.ok += s.ok
		last.errs += s.errs
		if s.hist != nil {
			if last.hist == nil {
				last.hist = newSecondHist()
			}
			last.hist.Merge(s.hist)
		}
	}
	out := make([]Second, n)
	for i := range out {
		s := t.secs[i]
		out[i] = Second{T: i, RPS: s.ok, Errors: s.errs}
		h := s.hist
		if h == nil {
			h = newSecondHist()
		}
		out[i].P99MS = p99Of(h)
		if withHist {
			enc, err := encodeHist(h)
			if err != nil {
				return nil, err
			}
			out[i].Histogram = enc
		}
	}
	return out, nil
}
