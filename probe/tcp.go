package probe

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
)

// TCPState is a TCP socket state as the kernel numbers it in the "st"
// column of /proc/net/tcp (include/net/tcp_states.h).
type TCPState uint8

// The TCP states of include/net/tcp_states.h, numbered as its enum: from 1
// (TCP_ESTABLISHED), in the same order.
const (
	StateEstablished TCPState = iota + 1
	StateSynSent
	StateSynRecv
	StateFinWait1
	StateFinWait2
	StateTimeWait
	StateClose
	StateCloseWait
	StateLastAck
	StateListen
	StateClosing
	StateNewSynRecv
	StateBoundInactive
)

var stateNames = [...]string{
	StateEstablished:   "ESTABLISHED",
	StateSynSent:       "SYN_SENT",
	StateSynRecv:       "SYN_RECV",
	StateFinWait1:      "FIN_WAIT1",
	StateFinWait2:      "FIN_WAIT2",
	StateTimeWait:      "TIME_WAIT",
	StateClose:         "CLOSE",
	StateCloseWait:     "CLOSE_WAIT",
	StateLastAck:       "LAST_ACK",
	StateListen:        "LISTEN",
	StateClosing:       "CLOSING",
	StateNewSynRecv:    "NEW_SYN_RECV",
	StateBoundInactive: "BOUND_INACTIVE",
}

// String returns the state's name as ss and netstat print it.
func (s TCPState) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return "STATE_" + strconv.Itoa(int(s))
}

// TCPSocket is one line of /proc/net/tcp or /proc/net/tcp6.
type TCPSocket struct {
	Local, Remote netip.AddrPort
	State         TCPState
	// TxQueue is Send-Q: bytes sent and not yet acknowledged (0 for listeners).
	TxQueue uint32
	// RxQueue is Recv-Q: bytes received and not yet read; for a listener,
	// the connections waiting in its accept queue.
	RxQueue uint32
	// Timer is the "tr" column: 0 none, 1 retransmit, 2 keepalive, 3 the
	// timewait timer of a timewait minisocket, 4 zero-window probe.
	Timer uint8
	UID   uint32
	Inode uint64
}

// timerTimeWait is the "tr" code of timewait minisockets: TIME_WAIT and the
// FIN_WAIT2 of a socket already closed by its owner (sockstat counts both as tw).
const timerTimeWait = 3

// scanTCP calls fn for every socket line of a /proc/net/tcp{,6} file until
// fn returns false. buf, when not nil, is reused as the line buffer.
func scanTCP(r io.Reader, buf []byte, fn func(*TCPSocket) bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(buf[:0], maxLine)
	var s TCPSocket
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		sl, rest := nextField(b)
		if len(sl) == 0 {
			continue // blank line
		}
		if string(sl) == "sl" {
			continue // the header
		}
		if err := parseTCPLine(rest, &s); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if !fn(&s) {
			return nil
		}
	}
	return sc.Err()
}

// parseTCPLine parses the fields after "sl:" of one socket line.
func parseTCPLine(b []byte, s *TCPSocket) error {
	var f [8][]byte // local remote st queues tr:when retrnsmt uid timeout inode
	var inode []byte
	for i := range f {
		f[i], b = nextField(b)
	}
	inode, _ = nextField(b)
	if len(inode) == 0 {
		return fmt.Errorf("%w: socket line has fewer than 10 fields", errFormat)
	}
	var err error
	if s.Local, err = parseHexAddrPort(f[0]); err != nil {
		return fmt.Errorf("local address: %w", err)
	}
	if s.Remote, err = parseHexAddrPort(f[1]); err != nil {
		return fmt.Errorf("remote address: %w", err)
	}
	var p fields
	s.State = TCPState(field(&p, parseHex, f[2], 8, "state"))
	tx, rx := p.pair(f[3], "queues", "tx:rx")
	s.TxQueue = uint32(field(&p, parseHex, tx, 32, "tx_queue"))
	s.RxQueue = uint32(field(&p, parseHex, rx, 32, "rx_queue"))
	tr, _ := p.pair(f[4], "timer", "tr:when")
	s.Timer = uint8(field(&p, parseHex, tr, 8, "timer"))
	s.UID = uint32(field(&p, parseDec, f[6], 32, "uid"))
	s.Inode = field(&p, parseDec, inode, 64, "inode")
	return p.err
}

// pair splits the field name, "a:b", unless an earlier field failed; form
// names the layout it should have.
func (p *fields) pair(b []byte, name, form string) (before, after []byte) {
	before, after, ok := cut(b, ':')
	if !ok && p.err == nil {
		p.err = fmt.Errorf("%w: %s %q is not %s", errFormat, name, b, form)
	}
	return before, after
}

// nextField returns the first space-separated field of b and what follows.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], b[j:]
}

// cut splits b around the first sep.
func cut(b []byte, sep byte) (before, after []byte, ok bool) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}

// parseHex parses an unsigned hexadecimal number that fits in bits.
func parseHex(b []byte, bits int) (uint64, error) {
	if len(b) == 0 || len(b) > 16 {
		return 0, fmt.Errorf("%w: hex number %q", errFormat, b)
	}
	var v uint64
	for _, c := range b {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Errorf("%w: hex number %q", errFormat, b)
		}
		v = v<<4 | uint64(d)
	}
	if bits < 64 && v>>bits != 0 {
		return 0, fmt.Errorf("%w: %q overflows %d bits", errFormat, b, bits)
	}
	return v, nil
}

// parseDec parses an unsigned decimal number that fits in bits.
func parseDec(b []byte, bits int) (uint64, error) {
	v, err := strconv.ParseUint(string(b), 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", errFormat, err)
	}
	return v, nil
}

// parseHexAddrPort decodes "0100007F:1F90" (IPv4) or a 32-digit IPv6
// address and port. The kernel prints each 32-bit word of the address in
// host byte order, so the words are decoded with the native byte order.
func parseHexAddrPort(b []byte) (netip.AddrPort, error) {
	a, p, ok := cut(b, ':')
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("%w: %q is not addr:port", errFormat, b)
	}
	port, err := parseHex(p, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	var addr netip.Addr
	switch len(a) {
	case 8:
		w, err := parseHex(a, 32)
		if err != nil {
			return netip.AddrPort{}, err
		}
		var ip [4]byte
		binary.NativeEndian.PutUint32(ip[:], uint32(w))
		addr = netip.AddrFrom4(ip)
	case 32:
		var ip [16]byte
		for i := 0; i < 4; i++ {
			w, err := parseHex(a[8*i:8*i+8], 32)
			if err != nil {
				return netip.AddrPort{}, err
			}
			binary.NativeEndian.PutUint32(ip[4*i:], uint32(w))
		}
		addr = netip.AddrFrom16(ip)
	default:
		return netip.AddrPort{}, fmt.Errorf("%w: address %q is neither 8 nor 32 hex digits", errFormat, a)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// ListenQueue is the accept queue of one listening socket: what `ss -ltn`
// prints as Recv-Q and Send-Q.
type ListenQueue struct {
	// Addr is the local address ("127.0.0.1", "::").
	Addr string
	// Port is the local port.
	Port int
	// Queue is the number of connections waiting to be accepted.
	Queue int
	// Backlog is the accept queue's maximum (the listen(2) backlog, capped
	// at somaxconn); -1 when unknown, as in /proc/net/tcp.
	Backlog int
}

// Endpoint returns "addr:port" ("[::1]:80" for IPv6).
func (q ListenQueue) Endpoint() string {
	a, err := netip.ParseAddr(q.Addr)
	if err != nil {
		return q.Addr + ":" + strconv.Itoa(q.Port)
	}
	return netip.AddrPortFrom(a, uint16(q.Port)).String()
}

// QueueSum sums the socket queues of a group of established sockets.
type QueueSum struct {
	// Sockets is the number of sockets in the group.
	Sockets int
	// RecvQ is the sum of Recv-Q: bytes that arrived and were not read yet.
	RecvQ int64
	// SendQ is the sum of Send-Q: bytes sent and not acknowledged yet.
	SendQ int64
	// WithRecvQ is the number of sockets whose Recv-Q is above 0 (seed 000:
	// client sockets with unread data mean the client is the bottleneck).
	WithRecvQ int
	// WithSendQ is the number of sockets whose Send-Q is above 0.
	WithSendQ int
	// MaxRecvQ is the largest Recv-Q of one socket.
	MaxRecvQ int64
}

func (q *QueueSum) add(s *TCPSocket) {
	q.Sockets++
	q.RecvQ += int64(s.RxQueue)
	q.SendQ += int64(s.TxQueue)
	if s.RxQueue > 0 {
		q.WithRecvQ++
	}
	if s.TxQueue > 0 {
		q.WithSendQ++
	}
	q.MaxRecvQ = max(q.MaxRecvQ, int64(s.RxQueue))
}

func (q *QueueSum) merge(o QueueSum) {
	q.Sockets += o.Sockets
	q.RecvQ += o.RecvQ
	q.SendQ += o.SendQ
	q.WithRecvQ += o.WithRecvQ
	q.WithSendQ += o.WithSendQ
	q.MaxRecvQ = max(q.MaxRecvQ, o.MaxRecvQ)
}

// SocketSummary condenses /proc/PID/net/tcp and tcp6 of one namespace.
type SocketSummary struct {
	// States counts sockets per state name ("ESTABLISHED", "TIME_WAIT", ...).
	States map[string]int
	// TimeWaitSockets counts timewait minisockets: every TIME_WAIT socket
	// and every FIN_WAIT2 socket its owner already closed. This is what
	// sockstat's tw counts, and what holds an ephemeral port.
	TimeWaitSockets int
	// Listeners are the listening sockets with their accept queue length
	// (Backlog is -1: these files do not show it).
	Listeners []ListenQueue
	// Server sums the queues of ESTABLISHED sockets whose local port is a
	// listening port: the server's ends of connections.
	Server QueueSum
	// Client sums the queues of the other ESTABLISHED sockets: the client
	// ends, when the load generator shares the namespace.
	Client QueueSum
	// ServerByPort splits Server by listening port.
	ServerByPort map[int]QueueSum
}

// Count returns the number of sockets in state st.
func (s SocketSummary) Count(st TCPState) int { return s.States[st.String()] }

// socketTally accumulates a SocketSummary over one or more files.
type socketTally struct {
	states    map[TCPState]int
	timeWait  int
	listeners []ListenQueue
	listen    map[uint16]bool
	estab     map[uint16]QueueSum // ESTABLISHED sockets by local port
}

func newSocketTally() *socketTally {
	return &socketTally{states: map[TCPState]int{}, listen: map[uint16]bool{}, estab: map[uint16]QueueSum{}}
}

func (t *socketTally) add(s *TCPSocket) bool {
	t.states[s.State]++
	if s.Timer == timerTimeWait {
		t.timeWait++
	}
	switch s.State {
	case StateListen:
		t.listen[s.Local.Port()] = true
		t.listeners = append(t.listeners, ListenQueue{
			Addr: s.Local.Addr().String(), Port: int(s.Local.Port()), Queue: int(s.RxQueue), Backlog: -1,
		})
	case StateEstablished:
		q := t.estab[s.Local.Port()]
		q.add(s)
		t.estab[s.Local.Port()] = q
	}
	return true
}

func (t *socketTally) summary() SocketSummary {
	sum := SocketSummary{States: make(map[string]int, len(t.states)), Listeners: t.listeners, ServerByPort: map[int]QueueSum{}, TimeWaitSockets: t.timeWait}
	for st, n := range t.states {
		sum.States[st.String()] += n
	}
	for port, q := range t.estab {
		if t.listen[port] {
			sum.Server.merge(q)
			sum.ServerByPort[int(port)] = q
		} else {
			sum.Client.merge(q)
		}
	}
	sortListeners(sum.Listeners)
	return sum
}

func sortListeners(ls []ListenQueue) {
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].Port != ls[j].Port {
			return ls[i].Port < ls[j].Port
		}
		return ls[i].Addr < ls[j].Addr
	})
}

// parseTCP parses a /proc/net/tcp or tcp6 file into a summary.
func parseTCP(r io.Reader) (SocketSummary, error) {
	t := newSocketTally()
	if err := scanTCP(r, nil, t.add); err != nil {
		return SocketSummary{}, err
	}
	return t.summary(), nil
}

// Sockets reads /proc/PID/net/tcp and tcp6 of the namespace process pid
// lives in and summarizes them. A missing tcp6 (IPv6 disabled) is a warning.
func (fs FS) Sockets(pid int) (SocketSummary, []string, error) {
	t := newSocketTally()
	var warn []string
	for i, name := range []string{"tcp", "tcp6"} {
		f, p, err := fs.open(pid, "net", name)
		if err != nil {
			if i == 0 {
				return SocketSummary{}, nil, err
			}
			warn = append(warn, err.Error())
			continue
		}
		err = scanTCP(f, nil, t.add)
		f.Close()
		if err != nil {
			return SocketSummary{}, warn, fmt.Errorf("probe: parse %s: %w", p, err)
		}
	}
	return t.summary(), warn, nil
}

// Listeners reads only the listening sockets of /proc/PID/net/tcp and tcp6
// with their accept queue length. The kernel lists listeners before any
// other socket, so parsing stops at the first socket that is not one. The
// read still costs milliseconds of kernel CPU: to fill its first buffer the
// kernel walks its whole established hash table (262,144 buckets here), see
// BenchmarkListenersProcTCP. ListenQueues (sock_diag) is ~1000x cheaper.
func (fs FS) Listeners(pid int) ([]ListenQueue, error) {
	var ls []ListenQueue
	err := fs.listeners(pid, nil, func(q ListenQueue) { ls = append(ls, q) })
	sortListeners(ls)
	return ls, err
}

// listeners calls fn for every listener of tcp and tcp6, reusing buf.
func (fs FS) listeners(pid int, buf []byte, fn func(ListenQueue)) error {
	for i, name := range []string{"tcp", "tcp6"} {
		f, p, err := fs.open(pid, "net", name)
		if err != nil {
			if i == 1 && os.IsNotExist(err) {
				continue // no IPv6 in this kernel or namespace
			}
			return err
		}
		err = scanTCP(f, buf, func(s *TCPSocket) bool {
			if s.State != StateListen {
				return false
			}
			fn(ListenQueue{Addr: s.Local.Addr().String(), Port: int(s.Local.Port()), Queue: int(s.RxQueue), Backlog: -1})
			return true
		})
		f.Close()
		if err != nil {
			return fmt.Errorf("probe: parse %s: %w", p, err)
		}
	}
	return nil
}
