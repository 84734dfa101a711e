package probe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
)

// Netlink and sock_diag constants (include/uapi/linux/{netlink,sock_diag,
// inet_diag}.h). They are the Linux ABI and the same on every architecture;
// they are spelled out here so the message codec stays portable and fuzzable.
const (
	nlmsgHdrLen      = 16      // struct nlmsghdr
	nlmsgError       = 2       // NLMSG_ERROR
	nlmsgDone        = 3       // NLMSG_DONE
	nlmFRequest      = 0x1     // NLM_F_REQUEST
	nlmFDump         = 0x300   // NLM_F_ROOT|NLM_F_MATCH
	sockDiagByFamily = 20      // SOCK_DIAG_BY_FAMILY
	inetDiagReqV2Len = 56      // struct inet_diag_req_v2
	inetDiagMsgLen   = 72      // struct inet_diag_msg
	ipprotoTCP       = 6       // IPPROTO_TCP
	afInet           = 2       // AF_INET
	afInet6          = 10      // AF_INET6
	tcpfListen       = 1 << 10 // 1 << TCP_LISTEN
)

// inetDiagRequest builds a SOCK_DIAG_BY_FAMILY dump request for the TCP
// sockets of family whose state is in the states bit mask.
//
//	struct nlmsghdr      { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }
//	struct inet_diag_req_v2 { u8 family, protocol, ext, pad; u32 states;
//	                          struct inet_diag_sockid id; /* 48 bytes, zero: match all */ }
func inetDiagRequest(family uint8, states uint32, seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+inetDiagReqV2Len)
	ne := binary.NativeEndian
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], nlmFRequest|nlmFDump)
	ne.PutUint32(b[8:], seq)
	ne.PutUint32(b[12:], 0) // the kernel
	req := b[nlmsgHdrLen:]
	req[0] = family
	req[1] = ipprotoTCP
	ne.PutUint32(req[4:], states)
	return b
}

// diagSocket is the part of one struct inet_diag_msg the lab reads.
//
//	struct inet_diag_msg { u8 family, state, timer, retrans;
//	    struct inet_diag_sockid { be16 sport, dport; be32 src[4], dst[4]; u32 if; u32 cookie[2]; } id;
//	    u32 expires, rqueue, wqueue, uid, inode; }
//
// For a listener, rqueue is the accept queue length (sk_ack_backlog) and
// wqueue its maximum (sk_max_ack_backlog): the Recv-Q and Send-Q of ss -lt.
type diagSocket struct {
	Family uint8
	State  TCPState
	Local  netip.AddrPort
	RQueue uint32
	WQueue uint32
	Inode  uint32
}

// parseInetDiag parses one datagram of a sock_diag dump answer, which holds
// zero or more netlink messages. It returns the sockets found and whether
// the dump ended (NLMSG_DONE). Messages must carry sequence number seq; an
// NLMSG_ERROR message becomes an error wrapping its errno.
func parseInetDiag(b []byte, seq uint32) (socks []diagSocket, done bool, err error) {
	ne := binary.NativeEndian
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return socks, false, fmt.Errorf("%w: %d trailing bytes, shorter than a netlink header", errFormat, len(b))
		}
		n := ne.Uint32(b[0:])
		typ := ne.Uint16(b[4:])
		if n < nlmsgHdrLen || uint64(n) > uint64(len(b)) {
			return socks, false, fmt.Errorf("%w: netlink message length %d with %d bytes left", errFormat, n, len(b))
		}
		if s := ne.Uint32(b[8:]); s != seq {
			return socks, false, fmt.Errorf("%w: netlink sequence %d, want %d", errFormat, s, seq)
		}
		payload := b[nlmsgHdrLen:n]
		switch typ {
		case nlmsgDone:
			return socks, true, nil
		case nlmsgError:
			if len(payload) < 4 {
				return socks, false, fmt.Errorf("%w: short NLMSG_ERROR", errFormat)
			}
			if code := int32(ne.Uint32(payload)); code != 0 {
				return socks, false, fmt.Errorf("sock_diag: %w", syscall.Errno(-code))
			}
			// errno 0 is an acknowledgement.
		case sockDiagByFamily:
			if len(payload) < inetDiagMsgLen {
				return socks, false, fmt.Errorf("%w: inet_diag_msg of %d bytes, want %d", errFormat, len(payload), inetDiagMsgLen)
			}
			s, err := decodeDiagMsg(payload)
			if err != nil {
				return socks, false, err
			}
			socks = append(socks, s)
		default:
			return socks, false, fmt.Errorf("%w: unexpected netlink message type %d", errFormat, typ)
		}
		// Messages are aligned to 4 bytes (NLMSG_ALIGN).
		next := (uint64(n) + 3) &^ 3
		if next >= uint64(len(b)) {
			break
		}
		b = b[next:]
	}
	return socks, false, nil
}

// decodeDiagMsg decodes the fixed part of one inet_diag_msg.
func decodeDiagMsg(p []byte) (diagSocket, error) {
	ne := binary.NativeEndian
	s := diagSocket{Family: p[0], State: TCPState(p[1])}
	id := p[4:52]
	port := binary.BigEndian.Uint16(id[0:])
	var addr netip.Addr
	switch s.Family {
	case afInet:
		addr = netip.AddrFrom4([4]byte(id[4:8]))
	case afInet6:
		addr = netip.AddrFrom16([16]byte(id[4:20]))
	default:
		return s, fmt.Errorf("%w: address family %d", errFormat, s.Family)
	}
	s.Local = netip.AddrPortFrom(addr, port)
	s.RQueue = ne.Uint32(p[56:])
	s.WQueue = ne.Uint32(p[60:])
	s.Inode = ne.Uint32(p[68:])
	return s, nil
}

// listenQueuesFrom keeps the listening sockets of a dump, sorted.
func listenQueuesFrom(socks []diagSocket) []ListenQueue {
	var qs []ListenQueue
	for _, s := range socks {
		if s.State != StateListen {
			continue
		}
		qs = append(qs, ListenQueue{Addr: s.Local.Addr().String(), Port: int(s.Local.Port()), Queue: int(s.RQueue), Backlog: int(s.WQueue)})
	}
	sortListeners(qs)
	return qs
}
