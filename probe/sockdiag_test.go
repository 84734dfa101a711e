package probe

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"syscall"
	"testing"
)

// nlMsg builds one netlink message with payload, padded to 4 bytes.
func nlMsg(typ uint16, seq uint32, payload []byte) []byte {
	ne := binary.NativeEndian
	b := make([]byte, nlmsgHdrLen, nlmsgHdrLen+len(payload)+3)
	ne.PutUint32(b[0:], uint32(nlmsgHdrLen+len(payload)))
	ne.PutUint16(b[4:], typ)
	ne.PutUint16(b[6:], 2) // NLM_F_MULTI
	ne.PutUint32(b[8:], seq)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// diagMsg builds a struct inet_diag_msg for a socket.
func diagMsg(ap netip.AddrPort, state TCPState, rq, wq uint32) []byte {
	ne := binary.NativeEndian
	p := make([]byte, inetDiagMsgLen)
	p[0] = afInet
	if ap.Addr().Is6() {
		p[0] = afInet6
	}
	p[1] = uint8(state)
	binary.BigEndian.PutUint16(p[4:], ap.Port())
	copy(p[8:24], ap.Addr().AsSlice())
	ne.PutUint32(p[56:], rq)
	ne.PutUint32(p[60:], wq)
	ne.PutUint32(p[68:], 12345)
	return p
}

func TestInetDiagRequest(t *testing.T) {
	b := inetDiagRequest(afInet6, tcpfListen, 7)
	ne := binary.NativeEndian
	if len(b) != 72 || ne.Uint32(b) != 72 || ne.Uint16(b[4:]) != sockDiagByFamily || ne.Uint16(b[6:]) != 0x301 || ne.Uint32(b[8:]) != 7 {
		t.Fatalf("header % x", b[:16])
	}
	if b[16] != afInet6 || b[17] != ipprotoTCP || ne.Uint32(b[20:]) != 1<<10 {
		t.Fatalf("request % x", b[16:24])
	}
}

func TestParseInetDiag(t *testing.T) {
	v4 := netip.MustParseAddrPort("127.0.0.1:8080")
	v6 := netip.MustParseAddrPort("[::1]:9090")
	done := nlMsg(nlmsgDone, 1, []byte{0, 0, 0, 0})
	errMsg := make([]byte, 4+nlmsgHdrLen)
	code := -int32(syscall.EINVAL)
	binary.NativeEndian.PutUint32(errMsg, uint32(code))
	ack := make([]byte, 4+nlmsgHdrLen)
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name     string
		in       []byte
		want     []diagSocket
		wantDone bool
		wantErr  error // errFormat, an errno, or nil
	}{
		{
			name: "two listeners then done",
			in:   cat(nlMsg(sockDiagByFamily, 1, diagMsg(v4, StateListen, 17, 16)), nlMsg(sockDiagByFamily, 1, diagMsg(v6, StateListen, 0, 4096)), done),
			want: []diagSocket{
				{Family: afInet, State: StateListen, Local: v4, RQueue: 17, WQueue: 16, Inode: 12345},
				{Family: afInet6, State: StateListen, Local: v6, RQueue: 0, WQueue: 4096, Inode: 12345},
			},
			wantDone: true,
		},
		{name: "empty datagram", in: nil},
		{name: "done only", in: done, wantDone: true},
		{name: "message with attributes after inet_diag_msg", in: nlMsg(sockDiagByFamily, 1, append(diagMsg(v4, StateListen, 1, 2), 8, 0, 5, 0, 1, 0, 0, 0)),
			want: []diagSocket{{Family: afInet, State: StateListen, Local: v4, RQueue: 1, WQueue: 2, Inode: 12345}}},
		{name: "kernel error", in: nlMsg(nlmsgError, 1, errMsg), wantErr: syscall.EINVAL},
		{name: "ack is not an error", in: cat(nlMsg(nlmsgError, 1, ack), done), wantDone: true},
		{name: "wrong sequence", in: nlMsg(nlmsgDone, 2, []byte{0, 0, 0, 0}), wantErr: errFormat},
		{name: "short header", in: []byte{1, 2, 3}, wantErr: errFormat},
		{name: "length beyond datagram", in: nlMsg(sockDiagByFamily, 1, diagMsg(v4, StateListen, 1, 2))[:40], wantErr: errFormat},
		{name: "short inet_diag_msg", in: nlMsg(sockDiagByFamily, 1, make([]byte, 20)), wantErr: errFormat},
		{name: "unknown family", in: nlMsg(sockDiagByFamily, 1, make([]byte, inetDiagMsgLen)), wantErr: errFormat},
		{name: "unknown message type", in: nlMsg(99, 1, nil), wantErr: errFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, done, err := parseInetDiag(tt.in, 1)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if done != tt.wantDone || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v done=%v\nwant %+v done=%v", got, done, tt.want, tt.wantDone)
			}
		})
	}
}

func TestListenQueuesFrom(t *testing.T) {
	socks := []diagSocket{
		{Family: afInet6, State: StateListen, Local: netip.MustParseAddrPort("[::]:80"), RQueue: 1, WQueue: 128},
		{Family: afInet, State: StateEstablished, Local: netip.MustParseAddrPort("127.0.0.1:80")},
		{Family: afInet, State: StateListen, Local: netip.MustParseAddrPort("127.0.0.1:80"), RQueue: 2, WQueue: 16},
	}
	want := []ListenQueue{{Addr: "127.0.0.1", Port: 80, Queue: 2, Backlog: 16}, {Addr: "::", Port: 80, Queue: 1, Backlog: 128}}
	if got := listenQueuesFrom(socks); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func FuzzParseInetDiag(f *testing.F) {
	f.Add(nlMsg(sockDiagByFamily, 1, diagMsg(netip.MustParseAddrPort("127.0.0.1:80"), StateListen, 3, 16)), uint32(1))
	f.Add(nlMsg(nlmsgDone, 2, []byte{0, 0, 0, 0}), uint32(2))
	f.Fuzz(func(t *testing.T, in []byte, seq uint32) {
		socks, _, err := parseInetDiag(in, seq)
		if len(socks)*(nlmsgHdrLen+inetDiagMsgLen) > len(in) {
			t.Fatalf("%d sockets from %d bytes", len(socks), len(in))
		}
		for _, s := range socks {
			if s.Family != afInet && s.Family != afInet6 || !s.Local.IsValid() {
				t.Fatalf("socket %+v", s)
			}
		}
		if err != nil {
			return
		}
		// What parsed must survive being encoded again.
		var again []byte
		for _, s := range socks {
			again = append(again, nlMsg(sockDiagByFamily, seq, diagMsg(s.Local, s.State, s.RQueue, s.WQueue))...)
		}
		got, _, err := parseInetDiag(again, seq)
		if err != nil || len(got) != len(socks) {
			t.Fatalf("reparse: %d sockets, %v", len(got), err)
		}
		for i := range got {
			got[i].Inode = socks[i].Inode
			if got[i] != socks[i] {
				t.Fatalf("round trip changed %+v into %+v", socks[i], got[i])
			}
		}
	})
}
