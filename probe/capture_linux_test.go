//go:build linux

package probe

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// capture rewrites the fixtures under testdata/ from fresh runs:
//
//	go test ./probe -run TestCaptureFixtures -capture && go test ./probe -run Golden -update
var capture = flag.Bool("capture", false, "capture fixtures under testdata/ from real runs (needs root)")

func TestCaptureFixtures(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to rewrite the fixtures")
	}
	t.Run("overflow", func(t *testing.T) {
		ns := newNS(t)
		h := startHelper(t, ns, "none", overflowBacklog, overflowNoFile)
		h.connectNonBlocking(t, false, overflowConnects)
		if !waitFor(2*time.Second, func() bool {
			ls, err := FS{}.Listeners(h.pid)
			return err == nil && len(ls) > 0 && maxQueue(ls) == overflowBacklog+1
		}) {
			t.Fatal("accept queue never reached backlog+1")
		}
		captureProc(t, h, overflowPID)
	})
	t.Run("traffic", func(t *testing.T) {
		ns := newNS(t)
		h := startHelper(t, ns, "serve", trafficBacklog, trafficNoFile)
		for i := 0; i < trafficTimeWait4+trafficTimeWait6; i++ {
			c := h.dial(t, i >= trafficTimeWait4)
			mustWrite(t, c, []byte("e"))
			var ok [3]byte
			if _, err := io.ReadFull(c, ok[:]); err != nil {
				t.Fatal(err)
			}
			c.Close() // the client closes first: TIME_WAIT lands here
		}
		for i := 0; i < trafficBlobs; i++ {
			mustWrite(t, h.dial(t, false), []byte("b"))
		}
		for i := 0; i < trafficHolds; i++ {
			mustWrite(t, h.dial(t, false), append([]byte("h"), make([]byte, holdBytes)...))
		}
		for i := 0; i < trafficCloseWait; i++ {
			c := h.dial(t, false)
			mustWrite(t, c, []byte("w"))
			c.Close()
		}
		if !waitFor(3*time.Second, func() bool {
			s, _, err := FS{}.Sockets(h.pid)
			return err == nil && s.Count(StateTimeWait) == trafficTimeWait4+trafficTimeWait6 &&
				s.Client.WithRecvQ == trafficBlobs && s.Server.WithRecvQ == trafficHolds &&
				s.Count(StateCloseWait) == trafficCloseWait &&
				// The FIN's ACK comes late: CLOSE_WAIT enters delayed-ACK
				// mode, so clients sit in FIN_WAIT1 for up to ~200 ms.
				s.Count(StateFinWait2) == trafficCloseWait
		}) {
			s, _, _ := FS{}.Sockets(h.pid)
			t.Fatalf("sockets never settled: %+v", s)
		}
		captureProc(t, h, trafficPID)
	})
}

func maxQueue(ls []ListenQueue) int {
	m := -1
	for _, l := range ls {
		m = max(m, l.Queue)
	}
	return m
}

func mustWrite(t testing.TB, c net.Conn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// captureProc copies the helper's proc files into testdata/proc/<as>, its
// fd directory as empty placeholder files, the raw sock_diag answer into
// testdata/sockdiag/<as>.frames, and seeds the fuzz corpus with all of them.
func captureProc(t *testing.T, h *helper, as int) {
	t.Helper()
	dst := filepath.Join("testdata", "proc", strconv.Itoa(as))
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	// sock_diag first, then the files, so queues match across sources.
	var frames []byte
	c, err := openDiag(h.ns)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.dumpListeners(func(seq uint32, d []byte) {
		frames = binary.LittleEndian.AppendUint32(frames, seq)
		frames = binary.LittleEndian.AppendUint32(frames, uint32(len(d)))
		frames = append(frames, d...)
	}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join("testdata", "sockdiag", strconv.Itoa(as)+".frames"), frames)

	src := filepath.Join("/proc", strconv.Itoa(h.pid))
	for _, name := range []string{"net/netstat", "net/snmp", "net/sockstat", "net/sockstat6", "net/tcp", "net/tcp6", "net/dev", "net/softnet_stat", "limits", "stat", "status"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, name), b)
		seedCorpus(t, name, strconv.Itoa(as), b)
	}
	tasks, err := os.ReadDir(filepath.Join(src, "task"))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(src, "task", task.Name(), "schedstat"))
		if err != nil {
			continue // the thread exited
		}
		writeFile(t, filepath.Join(dst, "task", task.Name(), "schedstat"), b)
	}
	fds, err := os.ReadDir(filepath.Join(src, "fd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		writeFile(t, filepath.Join(dst, "fd", fd.Name()), nil)
	}
	// Every datagram of the dump seeds the netlink fuzzer.
	for i, rest := 0, frames; len(rest) >= 8; i++ {
		seq, n := binary.LittleEndian.Uint32(rest), binary.LittleEndian.Uint32(rest[4:])
		d := rest[8 : 8+n]
		rest = rest[8+n:]
		writeFile(t, filepath.Join("testdata", "fuzz", "FuzzParseInetDiag", fmt.Sprintf("%d-%d", as, i)),
			[]byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nuint32(%d)\n", d, seq)))
	}
	t.Logf("captured pid %d as %s", h.pid, dst)
}

// fuzzTargets maps a captured file to the fuzz target it seeds.
var fuzzTargets = map[string]string{
	"net/netstat": "FuzzParseCounters", "net/snmp": "FuzzParseCounters",
	"net/sockstat": "FuzzParseSockstat", "net/sockstat6": "FuzzParseSockstat",
	"net/dev": "FuzzParseNetDev", "net/softnet_stat": "FuzzParseSoftnet",
	"net/tcp": "FuzzParseTCP", "net/tcp6": "FuzzParseTCP",
	"limits": "FuzzParseLimits", "stat": "FuzzParseStat", "status": "FuzzParseStatus",
}

func seedCorpus(t *testing.T, name, scenario string, b []byte) {
	target := fuzzTargets[name]
	file := scenario + "-" + filepath.Base(name)
	writeFile(t, filepath.Join("testdata", "fuzz", target, file), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)))
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
