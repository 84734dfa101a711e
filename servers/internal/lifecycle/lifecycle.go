// Package lifecycle holds the small pieces of a server's life the variants
// share: the pause after a failed accept, waiting for goroutines under a
// deadline, and looking at a stop signal.
package lifecycle

import (
	"context"
	"sync"
	"time"
)

// Bounds of the pause after a failed accept, as net/http's.
const (
	BackoffMin = 5 * time.Millisecond
	BackoffMax = time.Second
)

// Backoff is the pause before the next accept after an error: BackoffMin
// after the first error, doubling with every further one up to BackoffMax,
// back to the start after a successful accept (Reset). Without it an
// acceptor at the fd limit spins: the pending connection keeps the listener
// readable. The zero value is ready.
type Backoff struct {
	d time.Duration
}

// Next returns the pause after one more error.
func (b *Backoff) Next() time.Duration {
	if b.d == 0 {
		b.d = BackoffMin
	} else {
		b.d = min(2*b.d, BackoffMax)
	}
	return b.d
}

// Reset starts over after an accept that succeeded.
func (b *Backoff) Reset() { b.d = 0 }

// Wait waits until wg's goroutines are done or ctx ends, and returns
// ctx's error in the second case (the goroutines are left running).
func Wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Closed reports whether ch is closed (a stop signal given), without
// waiting.
func Closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
