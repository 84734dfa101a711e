//go:build linux

package variants_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/internal/race"
	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/servertest"
)

// backsOff lists the variants documented to count accept errors by errno
// and retry after a growing pause (5 ms doubling to 1 s) at the fd limit.
var backsOff = []string{"naive", "pool"}

// TestAcceptBackoffAtFDLimit runs a server out of descriptors: the pending
// connections cannot be accepted (EMFILE). The server must count every
// failed accept under EMFILE, retry with a growing pause rather than spin,
// and serve the waiting clients once descriptors are free again.
//
// It lowers this process's RLIMIT_NOFILE for a moment, so it must not run
// in parallel with anything: it is a sequential top-level test, and the
// parallel tests of this package only start after those have finished.
func TestAcceptBackoffAtFDLimit(t *testing.T) {
	race.Skip(t) // counts the retries in 400 ms
	for _, name := range backsOff {
		t.Run(name, func(t *testing.T) {
			cfg := baseConfig(true)
			srv := servertest.Start(t, name, cfg)
			st := srv.Stats
			ap := srv.Addr()
			var port int
			if _, err := fmt.Sscanf(ap[len("127.0.0.1:"):], "%d", &port); err != nil {
				t.Fatalf("address %s: %v", ap, err)
			}

			// Client sockets are made now: connect(2) needs no descriptor.
			const clients = 3
			var fds [clients]int
			for i := range fds {
				fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
				if err != nil {
					t.Fatal(err)
				}
				fds[i] = fd
				defer unix.Close(fd)
				tv := unix.NsecToTimeval(int64(5 * time.Second))
				if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
					t.Fatal(err)
				}
			}

			emfile, err := withoutFreeFDs(func() error {
				for _, fd := range fds {
					if err := unix.Connect(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
						return fmt.Errorf("connect: %w", err)
					}
				}
				time.Sleep(400 * time.Millisecond)
				return nil
			}, st)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d failed accepts counted as EMFILE in 400 ms", emfile)
			// 400 ms of 5, 10, 20, 40, 80, 160 ms pauses: about 7 tries.
			// A server that spins would fail thousands of times.
			if emfile < 2 || emfile > 20 {
				t.Errorf("%d failed accepts counted as EMFILE in 400 ms; want a few (retries with a growing pause)", emfile)
			}

			// Descriptors are back: the waiting clients are served.
			for i, fd := range fds {
				req := []byte(get("/", "Connection: close"))
				if _, err := unix.Write(fd, req); err != nil {
					t.Fatalf("client %d: write: %v", i, err)
				}
				var got []byte
				buf := make([]byte, 512)
				for !bytes.HasSuffix(got, []byte("\r\n\r\nok")) {
					n, err := unix.Read(fd, buf)
					if err != nil || n == 0 {
						t.Fatalf("client %d: no answer after the limit was lifted (read %q, %v)", i, got, err)
					}
					got = append(got, buf[:n]...)
				}
			}
			snap := st.Snapshot()
			if snap.Accepted != clients {
				t.Errorf("accepted %d, want %d", snap.Accepted, clients)
			}
			for errno, n := range snap.AcceptErrors {
				if errno != "EMFILE" {
					t.Errorf("accept errors counted as %s: %d", errno, n)
				}
			}
		})
	}
}

// withoutFreeFDs runs f with RLIMIT_NOFILE lowered to the lowest free
// descriptor number, so that no new descriptor can be made, and returns the
// EMFILE accept errors counted meanwhile.
func withoutFreeFDs(f func() error, st *servers.Stats) (uint64, error) {
	var saved unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &saved); err != nil {
		return 0, err
	}
	lowest, err := unix.Dup(0)
	if err != nil {
		return 0, err
	}
	unix.Close(lowest)
	before := st.Snapshot().AcceptErrors["EMFILE"]
	low := saved
	low.Cur = uint64(lowest)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		return 0, fmt.Errorf("lower RLIMIT_NOFILE to %d: %w", lowest, err)
	}
	err = f()
	after := st.Snapshot().AcceptErrors["EMFILE"]
	if rerr := unix.Setrlimit(unix.RLIMIT_NOFILE, &saved); rerr != nil {
		panic(fmt.Sprintf("restore RLIMIT_NOFILE: %v", rerr)) // the rest of the tests would fail oddly
	}
	return after - before, err
}
