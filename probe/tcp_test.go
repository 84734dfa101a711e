package probe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// The kernel prints addresses as host-order words; the literals below were
// captured on little-endian amd64.
func skipUnlessLittleEndian(t testing.TB) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("fixture addresses are little-endian words")
	}
}

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func TestParseTCPLine(t *testing.T) {
	skipUnlessLittleEndian(t)
	tests := []struct {
		name    string
		line    string
		want    TCPSocket
		wantErr bool
	}{
		{
			name: "listener with a full accept queue (testdata/proc/1000)",
			line: "   0: 0100007F:E6EB 00000000:0000 0A 00000000:00000011 00:00000000 00000000     0        0 21310 18 00000000716b8f6a 100 0 0 10 0",
			want: TCPSocket{Local: netip.MustParseAddrPort("127.0.0.1:59115"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), State: StateListen, RxQueue: 17, Inode: 21310},
		},
		{
			name: "timewait minisocket",
			line: "   1: 020200C0:DE82 507100CB:0050 06 00000000:00000000 03:00001136 00000000     0        0 0 3 00000000b4714192",
			want: TCPSocket{Local: netip.MustParseAddrPort("192.0.2.2:56962"), Remote: netip.MustParseAddrPort("203.0.113.80:80"), State: StateTimeWait, Timer: 3},
		},
		{
			name: "IPv6 loopback, SYN_SENT with Send-Q",
			line: "  22: 00000000000000000000000001000000:CC96 0000000000000000FFFF00000100007F:E6EB 02 00000001:00000000 01:00000063 00000000  1000        0 22181 2 000000005dc61d29 100 0 0 10 -1",
			want: TCPSocket{Local: netip.MustParseAddrPort("[::1]:52374"), Remote: netip.MustParseAddrPort("[::ffff:127.0.0.1]:59115"), State: StateSynSent, TxQueue: 1, Timer: 1, UID: 1000, Inode: 22181},
		},
		{name: "too few fields", line: "   0: 0100007F:E6EB 00000000:0000 0A 00000000:00000011 00:00000000 00000000     0        0", wantErr: true},
		{name: "address of 6 digits", line: "   0: 00007F:E6EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1", wantErr: true},
		{name: "no port", line: "   0: 0100007F 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1", wantErr: true},
		{name: "bad hex", line: "   0: 0100007G:E6EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1", wantErr: true},
		{name: "port too large", line: "   0: 0100007F:1E6EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1", wantErr: true},
		{name: "queues without colon", line: "   0: 0100007F:E6EB 00000000:0000 0A 00000000 00:00000000 00000000 0 0 1", wantErr: true},
		{name: "negative inode", line: "   0: 0100007F:E6EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 -1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []TCPSocket
			err := scanTCP(strings.NewReader(tcpHeader+tt.line+"\n"), nil, func(s *TCPSocket) bool {
				got = append(got, *s)
				return true
			})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSocketSummary(t *testing.T) {
	skipUnlessLittleEndian(t)
	// Port 80 (0050) listens; 40000 (9C40) is a client port.
	in := tcpHeader +
		"0: 0100007F:0050 00000000:0000 0A 00000000:00000003 00:00000000 00000000 0 0 1\n" +
		"1: 0100007F:0050 0100007F:9C40 01 00000010:00000005 00:00000000 00000000 0 0 2\n" +
		"2: 0100007F:9C40 0100007F:0050 01 00000000:00000007 00:00000000 00000000 0 0 3\n" +
		"3: 0100007F:9C41 0100007F:0050 01 00000000:00000000 00:00000000 00000000 0 0 4\n" +
		"4: 0100007F:9C42 0100007F:0050 06 00000000:00000000 03:00000010 00000000 0 0 0\n" +
		"5: 0100007F:9C43 0100007F:0050 05 00000000:00000000 03:00000010 00000000 0 0 0\n" +
		"6: 0100007F:0050 0100007F:9C44 08 00000000:00000009 02:00000010 00000000 0 0 5\n"
	s, err := parseTCP(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := SocketSummary{
		States:          map[string]int{"LISTEN": 1, "ESTABLISHED": 3, "TIME_WAIT": 1, "FIN_WAIT2": 1, "CLOSE_WAIT": 1},
		TimeWaitSockets: 2,
		Listeners:       []ListenQueue{{Addr: "127.0.0.1", Port: 80, Queue: 3, Backlog: -1}},
		Server:          QueueSum{Sockets: 1, RecvQ: 5, SendQ: 16, WithRecvQ: 1, WithSendQ: 1, MaxRecvQ: 5},
		Client:          QueueSum{Sockets: 2, RecvQ: 7, WithRecvQ: 1, MaxRecvQ: 7},
		ServerByPort:    map[int]QueueSum{80: {Sockets: 1, RecvQ: 5, SendQ: 16, WithRecvQ: 1, WithSendQ: 1, MaxRecvQ: 5}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}
	if s.Count(StateTimeWait) != 1 || s.Count(StateSynRecv) != 0 {
		t.Errorf("Count: TIME_WAIT %d, SYN_RECV %d", s.Count(StateTimeWait), s.Count(StateSynRecv))
	}
}

func TestListenersStopAtFirstNonListener(t *testing.T) {
	skipUnlessLittleEndian(t)
	dir := t.TempDir()
	writeTestFile(t, dir, "9/net/tcp", tcpHeader+
		"0: 0100007F:0050 00000000:0000 0A 00000000:00000002 00:00000000 00000000 0 0 1\n"+
		"1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000 0 0 2\n"+
		"2: garbage the listener scan never reaches\n")
	writeTestFile(t, dir, "9/net/tcp6", tcpHeader+
		"0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000001 00:00000000 00000000 0 0 3\n")
	fs := FS{Root: dir}
	got, err := fs.Listeners(9)
	if err != nil {
		t.Fatal(err)
	}
	want := []ListenQueue{{Addr: "127.0.0.1", Port: 80, Queue: 2, Backlog: -1}, {Addr: "::", Port: 8080, Queue: 1, Backlog: -1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if _, _, err := fs.Sockets(9); err == nil || !strings.Contains(err.Error(), "9/net/tcp") {
		t.Errorf("full parse: err = %v, want the garbage line reported with the path", err)
	}
	if got := want[1].Endpoint(); got != "[::]:8080" {
		t.Errorf("Endpoint = %q", got)
	}
}

func TestTCPStateString(t *testing.T) {
	for st, want := range map[TCPState]string{StateEstablished: "ESTABLISHED", StateListen: "LISTEN", StateNewSynRecv: "NEW_SYN_RECV", 0: "STATE_0", 99: "STATE_99"} {
		if got := st.String(); got != want {
			t.Errorf("%d: %q, want %q", st, got, want)
		}
	}
}

// formatTCPLine writes s the way the kernel's /proc/net/tcp{,6} does.
func formatTCPLine(i int, s *TCPSocket) string {
	addr := func(ap netip.AddrPort) string {
		a := ap.Addr()
		if a.Is4() {
			b := a.As4()
			return fmt.Sprintf("%08X:%04X", binary.NativeEndian.Uint32(b[:]), ap.Port())
		}
		b := a.As16()
		var h string
		for w := 0; w < 4; w++ {
			h += fmt.Sprintf("%08X", binary.NativeEndian.Uint32(b[4*w:]))
		}
		return fmt.Sprintf("%s:%04X", h, ap.Port())
	}
	return fmt.Sprintf("%4d: %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d 1 0000000000000000\n",
		i, addr(s.Local), addr(s.Remote), uint8(s.State), s.TxQueue, s.RxQueue, s.Timer, 0, 0, s.UID, 0, s.Inode)
}

func FuzzParseTCP(f *testing.F) {
	f.Add([]byte(tcpHeader + "   0: 0100007F:E6EB 00000000:0000 0A 00000000:00000011 00:00000000 00000000     0        0 21310 18 00000000716b8f6a\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var socks []TCPSocket
		err := scanTCP(strings.NewReader(string(in)), nil, func(s *TCPSocket) bool {
			socks = append(socks, *s)
			return true
		})
		sum, err2 := parseTCP(strings.NewReader(string(in)))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("scanTCP error %v, parseTCP error %v", err, err2)
		}
		if err != nil {
			return
		}
		n := 0
		for _, c := range sum.States {
			n += c
		}
		if n != len(socks) {
			t.Fatalf("summary counts %d sockets, scan saw %d", n, len(socks))
		}
		var b strings.Builder
		b.WriteString(tcpHeader)
		for i := range socks {
			b.WriteString(formatTCPLine(i, &socks[i]))
		}
		var again []TCPSocket
		if err := scanTCP(strings.NewReader(b.String()), nil, func(s *TCPSocket) bool {
			again = append(again, *s)
			return true
		}); err != nil {
			t.Fatalf("reparse of %q: %v", b.String(), err)
		}
		if !reflect.DeepEqual(socks, again) {
			t.Fatalf("round trip changed\n%+v\ninto\n%+v", socks, again)
		}
	})
}
