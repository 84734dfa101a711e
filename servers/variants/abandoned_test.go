package variants_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/race"
	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/servertest"
)

// counted is what the server's statistics say of one request whose client
// left before the answer: served (Requests) and abandoned.
type counted struct{ served, abandoned uint64 }

// abandonedSeen is what each variant sees of a client that leaves while
// its /sleep request is handled, by the way it leaves: a reset (SO_LINGER
// 0, as a client giving up with unread data does) or a plain close (FIN).
// Only a reset makes the answer's write fail; gnet closes the connection on
// the FIN already, so its pending answer is never written; fasthttp counts
// an answer as served before writing it.
var abandonedSeen = map[string]map[string]counted{
	"naive":    {"reset": {0, 1}, "close": {1, 0}},
	"pool":     {"reset": {0, 1}, "close": {1, 0}},
	"nethttp":  {"reset": {0, 1}, "close": {1, 0}},
	"fasthttp": {"reset": {1, 1}, "close": {1, 0}},
	"gnet":     {"reset": {0, 1}, "close": {0, 1}},
}

// TestAbandonedAnswers: a client sends /sleep?ms=400 and leaves after
// 150 ms; the answer is counted as abandoned when the variant can see it.
func TestAbandonedAnswers(t *testing.T) {
	race.Skip(t) // the client must leave while the handler sleeps
	eachVariant(t, func(t *testing.T, name string) {
		want, ok := abandonedSeen[name]
		if !ok {
			t.Fatalf("variant %s: no documented behaviour for abandoned answers", name)
		}
		for _, way := range []string{"reset", "close"} {
			t.Run(way, func(t *testing.T) {
				srv := servertest.Start(t, name, baseConfig(true))
				c := dial(t, srv.Addr())
				c.write(get("/sleep?ms=400"))
				time.Sleep(150 * time.Millisecond) // the handler is sleeping now
				if way == "reset" {
					if err := c.conn.SetLinger(0); err != nil {
						t.Fatal(err)
					}
				}
				c.conn.Close()
				snap, _ := srv.WaitStats(3*time.Second, func(s servers.Snapshot) bool {
					return s.Requests+s.AbandonedResponses >= want[way].served+want[way].abandoned
				})
				time.Sleep(50 * time.Millisecond) // nothing more comes
				snap = srv.Stats.Snapshot()
				if got := (counted{snap.Requests, snap.AbandonedResponses}); got != want[way] {
					t.Errorf("served %d, abandoned %d; want %d and %d", got.served, got.abandoned, want[way].served, want[way].abandoned)
				}
			})
		}
	})
}

// TestAbandonedNotCountedOnShutdown: an answer cut short by the server's own
// shutdown is not the client's doing and is not counted as abandoned.
func TestAbandonedNotCountedOnShutdown(t *testing.T) {
	eachVariant(t, func(t *testing.T, name string) {
		srv := servertest.Start(t, name, baseConfig(true))
		c := dial(t, srv.Addr())
		// net/http and fasthttp let the handler finish, the others cut
		// the sleep short and find the connection closed by the shutdown.
		c.write(get("/sleep?ms=500"))
		time.Sleep(100 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, c.conn)
		if n := srv.Stats.Snapshot().AbandonedResponses; n != 0 {
			t.Errorf("%d answers counted as abandoned after a shutdown", n)
		}
	})
}
