package probe

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/golden"
)

// The fixture scenarios. Directory names under testdata/proc stand in for
// the helper's pid, which differs on every capture.
const (
	overflowPID = 1000 // listener with backlog 16 that never accepts, 24 connects
	trafficPID  = 2000 // serving listener: TIME_WAIT, CLOSE_WAIT, unread data both ways

	overflowBacklog  = 16
	overflowConnects = 24
	overflowNoFile   = 256
	trafficBacklog   = 128
	trafficNoFile    = 1024
	trafficTimeWait4 = 20 // 'e' connections over IPv4, each leaves a client TIME_WAIT
	trafficTimeWait6 = 5  // the same over IPv6
	trafficBlobs     = 4  // 'b': the client never reads 256 KiB
	trafficHolds     = 3  // 'h': the server never reads holdBytes
	trafficCloseWait = 2  // 'w': the server never closes
	holdBytes        = 1000
)

// fixtureFS reads the captured proc trees.
var fixtureFS = FS{Root: filepath.Join("testdata", "proc")}

// checkGolden compares got, as indented JSON, with testdata/golden/name
// (rewritten with -update).
func checkGolden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "golden", name), append(b, '\n'))
}

// readFrames reads a captured sock_diag dump: frames of u32 seq, u32 len
// and len bytes of one datagram, little endian.
func readFrames(t *testing.T, pid int) []ListenQueue {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sockdiag", strconv.Itoa(pid)+".frames"))
	if err != nil {
		t.Fatal(err)
	}
	var socks []diagSocket
	dones := 0
	for len(b) > 0 {
		if len(b) < 8 {
			t.Fatalf("truncated frame header")
		}
		seq, n := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
		if uint64(n) > uint64(len(b)-8) {
			t.Fatalf("truncated frame")
		}
		s, done, err := parseInetDiag(b[8:8+n], seq)
		if err != nil {
			t.Fatalf("frame of seq %d: %v", seq, err)
		}
		socks = append(socks, s...)
		if done {
			dones++
		}
		b = b[8+n:]
	}
	if dones != 2 {
		t.Fatalf("dump holds %d NLMSG_DONE, want 2 (IPv4 and IPv6)", dones)
	}
	return listenQueuesFrom(socks)
}

func TestGoldenFixtures(t *testing.T) {
	for _, pid := range []int{overflowPID, trafficPID} {
		t.Run(strconv.Itoa(pid), func(t *testing.T) {
			s := fixtureFS.Snapshot(pid)
			s.Time = time.Time{}
			if len(s.Warnings) > 0 {
				t.Errorf("fixture warnings: %q", s.Warnings)
			}
			checkGolden(t, fmt.Sprintf("%d.snapshot.json", pid), s)
			checkGolden(t, fmt.Sprintf("%d.sockdiag.json", pid), readFrames(t, pid))
		})
	}
}

// TestFixtureOverflow checks the listen-overflow capture across its sources.
func TestFixtureOverflow(t *testing.T) {
	s := fixtureFS.Snapshot(overflowPID)
	ext, missing := s.NetStat.TCPExt()
	if len(missing) > 0 {
		t.Errorf("missing TcpExt fields: %v", missing)
	}
	synSent := s.Sockets.Count(StateSynSent)
	if want := overflowConnects - (overflowBacklog + 1); synSent != want {
		t.Errorf("SYN_SENT = %d, want %d connects the full queue refused", synSent, want)
	}
	// Each refused SYN counts once, and once more per retransmission.
	if ext.ListenOverflows < int64(synSent) || ext.ListenOverflows%int64(synSent) != 0 {
		t.Errorf("ListenOverflows = %d, want a multiple of the %d refused connects", ext.ListenOverflows, synSent)
	}
	if ext.ListenDrops != ext.ListenOverflows {
		t.Errorf("ListenDrops = %d, ListenOverflows = %d: every drop here is an overflow", ext.ListenDrops, ext.ListenOverflows)
	}
	diag := readFrames(t, overflowPID)
	byEndpoint := map[string]ListenQueue{}
	for _, q := range diag {
		byEndpoint[q.Endpoint()] = q
		if q.Backlog != overflowBacklog {
			t.Errorf("%s backlog = %d, want %d", q.Endpoint(), q.Backlog, overflowBacklog)
		}
	}
	if len(s.Sockets.Listeners) != 2 || len(diag) != 2 {
		t.Fatalf("listeners: tcp files %v, sock_diag %v; want 2 each", s.Sockets.Listeners, diag)
	}
	for _, l := range s.Sockets.Listeners {
		d, ok := byEndpoint[l.Endpoint()]
		if !ok || d.Queue != l.Queue {
			t.Errorf("%s: accept queue %d in /proc/net/tcp, sock_diag says %+v", l.Endpoint(), l.Queue, d)
		}
		if l.Addr == "127.0.0.1" && l.Queue != overflowBacklog+1 {
			t.Errorf("IPv4 accept queue = %d, want backlog+1 = %d", l.Queue, overflowBacklog+1)
		}
	}
	// Queued connections are ESTABLISHED on both ends before accept().
	if got := s.Sockets.Server.Sockets; got != overflowBacklog+1 {
		t.Errorf("server-side ESTABLISHED = %d, want %d", got, overflowBacklog+1)
	}
	if s.Process.NoFile.Soft != overflowNoFile {
		t.Errorf("nofile soft = %d, want %d", s.Process.NoFile.Soft, overflowNoFile)
	}
	if s.Process.OpenFDs == 0 || s.Process.RSSBytes == 0 || s.Process.Threads == 0 {
		t.Errorf("process = %+v: fds, RSS and threads must be read", s.Process)
	}
}

// TestFixtureTraffic checks the TIME_WAIT / socket-queue capture across its sources.
func TestFixtureTraffic(t *testing.T) {
	s := fixtureFS.Snapshot(trafficPID)
	tw := s.Sockets.Count(StateTimeWait)
	if tw != trafficTimeWait4+trafficTimeWait6 {
		t.Errorf("TIME_WAIT in tcp+tcp6 = %d, want %d", tw, trafficTimeWait4+trafficTimeWait6)
	}
	// Closed FIN_WAIT2 sockets are timewait minisockets too: sockstat's tw
	// and TcpExt TW count them with the TIME_WAIT ones.
	if want := tw + s.Sockets.Count(StateFinWait2); s.Sockets.TimeWaitSockets != want {
		t.Errorf("timewait minisockets = %d, want TIME_WAIT + FIN_WAIT2 = %d", s.Sockets.TimeWaitSockets, want)
	}
	if s.Sockstat.TimeWait != int64(s.Sockets.TimeWaitSockets) {
		t.Errorf("sockstat tw = %d, tcp files count %d timewait minisockets", s.Sockstat.TimeWait, s.Sockets.TimeWaitSockets)
	}
	ext, _ := s.NetStat.TCPExt()
	if ext.TW != s.Sockstat.TimeWait {
		t.Errorf("TcpExt TW = %d, want %d: counted when sockets enter TIME_WAIT", ext.TW, s.Sockstat.TimeWait)
	}
	if got := s.Sockets.Client.WithRecvQ; got != trafficBlobs {
		t.Errorf("client sockets with Recv-Q > 0 = %d, want %d", got, trafficBlobs)
	}
	if got := s.Sockets.Server.WithRecvQ; got != trafficHolds {
		t.Errorf("server sockets with Recv-Q > 0 = %d, want %d", got, trafficHolds)
	}
	if got := s.Sockets.Server.RecvQ; got != trafficHolds*holdBytes {
		t.Errorf("server Recv-Q sum = %d, want %d", got, trafficHolds*holdBytes)
	}
	if s.Sockets.Server.WithSendQ == 0 && s.Sockets.Client.RecvQ == 0 {
		t.Error("the unread blobs show neither in client Recv-Q nor in server Send-Q")
	}
	if got := s.Sockets.Count(StateCloseWait); got != trafficCloseWait {
		t.Errorf("CLOSE_WAIT = %d, want %d", got, trafficCloseWait)
	}
	if got := s.Sockets.Count(StateFinWait2); got != trafficCloseWait {
		t.Errorf("FIN_WAIT2 = %d, want %d", got, trafficCloseWait)
	}
	tcp, _ := s.SNMP.TCP()
	if want := int64(trafficTimeWait4 + trafficTimeWait6 + trafficBlobs + trafficHolds + trafficCloseWait); tcp.ActiveOpens != want || tcp.PassiveOpens != want {
		t.Errorf("ActiveOpens %d, PassiveOpens %d, want %d each", tcp.ActiveOpens, tcp.PassiveOpens, want)
	}
	for _, q := range readFrames(t, trafficPID) {
		if q.Backlog != trafficBacklog || q.Queue != 0 {
			t.Errorf("%s: queue %d backlog %d, want 0 and %d", q.Endpoint(), q.Queue, q.Backlog, trafficBacklog)
		}
	}
	if s.Process.NoFile.Soft != trafficNoFile {
		t.Errorf("nofile soft = %d, want %d", s.Process.NoFile.Soft, trafficNoFile)
	}
}
