package driver

import (
	"fmt"
	"io"
	"time"
)

// progressLag is how long after a second ends its line is printed: the
// loops hand over their share of a second within their poll interval.
const progressLag = 150 * time.Millisecond

// reportProgress writes one line a second until finished is closed: during
// the warmup how long it has left, then each measured second once complete.
func reportProgress(w io.Writer, p *plan, clients int, finished <-chan struct{}) {
	measureStart := time.Duration(p.measureStart)
	next := time.Second
	for sec := 0; ; {
		if next > measureStart {
			next = measureStart + time.Duration(sec+1)*time.Second + progressLag
		}
		t := time.NewTimer(next - time.Since(p.base))
		select {
		case <-finished:
			t.Stop()
			return
		case <-t.C:
		}
		if next <= measureStart {
			left := measureStart - time.Since(p.base)
			fmt.Fprintf(w, "warming up, %v left, %d clients\n", left.Round(100*time.Millisecond), clients)
			next += time.Second
			continue
		}
		ok, errs, p99 := p.timeline.second(sec)
		sec++
		fmt.Fprintf(w, "[%4ds] %8d req/s %6d errors  p99 %8.2f ms  %d clients\n", sec, ok, errs, p99, clients)
	}
}
