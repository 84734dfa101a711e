package driver

import (
	"fmt"
	"io"
	"time"
)

// reportProgress writes one line per second about the last complete second
// until finished is closed.
func reportProgress(w io.Writer, p *plan, clients int, finished <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			return
		case <-tick.C:
		}
		since := time.Since(p.base)
		measured := since - time.Duration(p.measureStart)
		if measured < time.Second {
			left := time.Duration(p.measureStart) - since
			if left > 0 {
				fmt.Fprintf(w, "warming up, %v left, %d clients\n", left.Round(time.Second), clients)
			}
			continue
		}
		sec := int(measured/time.Second) - 1
		ok, errs, p99 := p.timeline.second(sec)
		fmt.Fprintf(w, "[%4ds] %8d req/s %6d errors  p99 %8.2f ms  %d clients\n", sec+1, ok, errs, p99, clients)
	}
}
