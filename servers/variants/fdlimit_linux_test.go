//go:build linux

package variants_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/servertest"
	"github.com/scalelab/scalelab/servers/variants"
)

// The fd-limit scenario runs a variant in a child process (this test binary
// again) whose RLIMIT_NOFILE is low, so that only the child runs out of
// descriptors.
const (
	childStatsEnv   = "SCALELAB_FDLIMIT_STATS"   // the child's stats socket
	childVariantEnv = "SCALELAB_FDLIMIT_VARIANT" // the variant it serves
	childLimit      = 64                         // the child's RLIMIT_NOFILE
	fdClients       = 2 * childLimit
)

// afterEMFILE is what a variant does once it has hit the fd limit and the
// clients have let go: part of what the lab teaches.
type afterEMFILE int

const (
	servesAgain    afterEMFILE = iota // retries accept after a pause and serves again
	neverAnswers                      // stops accepting; the socket still listens, so connects hang unanswered
	refusesConnect                    // stops listening: connects are refused
	holdsOne                          // holds one connection at a time: its clients cannot run it out
)

var fdLimitBehaviour = map[string]afterEMFILE{
	"naive":    holdsOne,       // its EMFILE backoff is tested in TestAcceptBackoffAtFDLimit
	"pool":     servesAgain,    // the same backoff
	"nethttp":  servesAgain,    // net/http: Errno.Temporary, backoff up to 1 s
	"fasthttp": neverAnswers,   // fasthttp v1.78.0: acceptConn gives up, Serve returns
	"gnet":     refusesConnect, // gnet v2.9.7: the engine stops on any other accept error
}

// TestFDLimitChild is the child's side; it does nothing in a normal run.
func TestFDLimitChild(t *testing.T) {
	statsPath, name := os.Getenv(childStatsEnv), os.Getenv(childVariantEnv)
	if statsPath == "" || name == "" {
		t.Skip("runs only as the child of TestFDLimit")
	}
	lim := unix.Rlimit{Cur: childLimit, Max: childLimit}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	cfg := servertest.Config()
	cfg.Workers = fdClients // the pool must not be what runs out
	srv := servertest.Start(t, name, cfg)
	ch, err := servers.ServeStats(statsPath, name, srv.Stats, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	fmt.Printf("ADDR %s\n", srv.Addr())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin; the server is shut down at the end
}

// TestFDLimit runs every variant out of descriptors: each must count the
// failed accepts as EMFILE, and then behaves as its library does
// (fdLimitBehaviour).
func TestFDLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, name := range variants.Names() {
		want, ok := fdLimitBehaviour[name]
		if !ok {
			t.Errorf("variant %s: no documented behaviour at the fd limit", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			if want == holdsOne {
				t.Skip("answers and closes one connection at a time, so clients cannot make it hold many descriptors")
			}
			t.Parallel()
			statsPath := filepath.Join(t.TempDir(), "stats.sock")
			addr, stop := startChild(t, name, statsPath)
			defer stop()

			answered, unanswered := holdClients(t, addr)
			t.Logf("%d clients: %d answered, %d not", fdClients, answered, unanswered)
			if unanswered == 0 {
				t.Fatalf("all %d clients answered at RLIMIT_NOFILE %d: the limit was not reached", fdClients, childLimit)
			}
			stats := servers.NewStatsClient(statsPath)
			defer stats.Close()
			snap, err := stats.Snapshot(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if snap.AcceptErrors["EMFILE"] == 0 {
				t.Errorf("accept errors %v, want EMFILE counted", snap.AcceptErrors)
			}

			line, err := getAfter(addr)
			switch want {
			case servesAgain:
				if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
					t.Errorf("a request after the clients let go: %q, %v; want the server to serve again", line, err)
				}
			case neverAnswers:
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("a request after the clients let go: %q, %v; want no answer (accepting stopped)", line, err)
				}
				if after, err := stats.Snapshot(context.Background()); err == nil && after.Accepted != snap.Accepted {
					t.Errorf("accepted went from %d to %d after EMFILE; want accepting to have stopped", snap.Accepted, after.Accepted)
				}
			case refusesConnect:
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("a connect after the clients let go: %q, %v; want connection refused (the engine stopped)", line, err)
				}
			}
		})
	}
}

// getAfter makes one request on a fresh connection, allowing a net/http or
// pool backoff (up to 1 s) a few rounds.
func getAfter(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

// startChild runs TestFDLimitChild for variant name and returns the address
// it serves on, and a function that stops it.
func startChild(t *testing.T, name, statsPath string) (string, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDLimitChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childStatsEnv+"="+statsPath, childVariantEnv+"="+name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // the library's own logs, shown when the test fails
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("child's stderr:\n%s", stderr.String())
		}
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return addr, stop
		}
	}
	stop()
	t.Fatal("the child did not report its address")
	return "", nil
}

// holdClients opens fdClients connections, each sending one request, keeps
// them open until every answer has had a second to come, then closes them
// all.
func holdClients(t *testing.T, addr string) (answered, unanswered int) {
	t.Helper()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
		time.Sleep(200 * time.Millisecond) // let the server see the closes
	}()
	for range fdClients {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			unanswered++
			continue
		}
		conns = append(conns, c)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	deadline := time.Now().Add(time.Second)
	for _, c := range conns {
		_ = c.SetReadDeadline(deadline)
		if line, err := bufio.NewReader(c).ReadString('\n'); err == nil && strings.HasPrefix(line, "HTTP/1.1 200") {
			answered++
		} else {
			unanswered++
		}
	}
	return answered, unanswered
}
