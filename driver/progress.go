package driver

import (
	"fmt"
	"io"
	"time"

	"github.com/scalelab/scalelab/units"
)

// progressLag is how long after a second ends its line is printed: the
// loops hand over their share of a second within their poll interval.
const progressLag = 150 * time.Millisecond

// reportProgress writes one line a second until finished is closed: during
// the warmup (which ends measureStart after base) how long it has left,
// then each measured second of tl once complete.
func reportProgress(w io.Writer, base time.Time, measureStart time.Duration, tl *timeline, clients int, finished <-chan struct{}) {
	next := time.Second
	for sec := 0; ; {
		if next > measureStart {
			next = measureStart + time.Duration(sec+1)*time.Second + progressLag
		}
		t := time.NewTimer(next - time.Since(base))
		select {
		case <-finished:
			t.Stop()
			return
		case <-t.C:
		}
		if next <= measureStart {
			left := measureStart - time.Since(base)
			fmt.Fprintf(w, "warming up, %s left, %s\n", units.Seconds(left.Seconds()), units.Clients(clients))
			next += time.Second
			continue
		}
		ok, errs, p99 := tl.second(sec)
		sec++
		fmt.Fprintf(w, "[%4ds] %10s req/s %8s errors  p99 %11s  %s\n",
			sec, units.Int(ok), units.Int(errs), units.MS(p99), units.Clients(clients))
	}
}
