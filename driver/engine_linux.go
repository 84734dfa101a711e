//go:build linux

package driver

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/driver/internal/http1"
)

// Event-loop sizes.
const (
	readBufSize  = 64 << 10 // per-loop read buffer shared by all its connections
	eventsPerRun = 4096
	minBackoff   = time.Millisecond       // first pause after a failed connect
	maxBackoff   = 100 * time.Millisecond // longest pause between connect attempts of one client
)

type connState uint8

const (
	stIdle       connState = iota // not connected: waiting for its start, a backoff or its next due time
	stConnecting                  // connect in progress
	stConnected
	stDone // finished its requests
)

// conn is one client: a connection slot that reconnects as needed.
type conn struct {
	p        http1.Parser
	origin   int64  // ns: the client's start, origin of its pacer
	start    int64  // ns: current connect started
	progress int64  // ns: last send or answer while requests are in flight
	wake     int64  // ns: timer key while in the heap
	next     uint64 // index of the client's next request for the pacer
	fd       int32
	heapIdx  int32
	gen      uint32 // bumped on every connect; stale events and timers are ignored
	sent     uint32 // requests written on this connection
	answered uint32 // responses completed on this connection
	measured uint32 // measured requests issued by this client
	wrOff    uint32 // pending write: offset into the target's request bytes
	wrLeft   uint32 // pending write: bytes left
	backoff  uint32 // µs: pause before the next connect after a failed one
	target   uint16
	state    connState
	served   bool // got an ok answer to a measured request
}

// loopStats are the counters of one loop, merged after the run.
type loopStats struct {
	counts
	errs      [numStages][numClasses]uint64
	other     [numStages]map[string]uint64 // "other_<ERRNO>_<stage>" -> count
	status    [numStatus]uint64            // measured complete responses by status code
	lat, conn *hdrhistogram.Histogram
	svc       *hdrhistogram.Histogram // open loop: service time, from the actual send (nil closed)
	lastEvent int64                   // ns: when the last client finished (count mode)
	err       error
}

// tally returns the loop's counters as a tally (sharing its histograms).
func (st *loopStats) tally() *tally {
	t := &tally{counts: st.counts, errs: map[string]map[string]uint64{}, status: map[int]uint64{}, lat: st.lat, conn: st.conn, svc: st.svc}
	for code, n := range st.status {
		if n > 0 {
			t.status[code] = n
		}
	}
	for s := range numStages {
		for k, n := range st.errs[s] {
			t.addErr(s.String(), classNames[k], n)
		}
		for name, n := range st.other[s] {
			t.addErr(s.String(), name, n)
		}
	}
	return t
}

// protocol is the half of an event loop that speaks to the connections:
// HTTP/1.1 (the loop itself) or HTTP/2 (h2loop). The loop drives it.
type protocol interface {
	wakeUp(ci int32, now int64)                // a client's timer fired
	handle(ci int32, events uint32, now int64) // a connection's epoll events
	sweep(now int64)                           // enforce the timeouts
	finish(now int64)                          // the run ended: count and close
}

var _ protocol = (*loop)(nil)

// loop is one event loop on its own locked OS thread.
type loop struct {
	p         *plan
	sockaddrs []unix.Sockaddr // per target; connect(2) writes into them, so each loop has its own
	families  []int
	ep        int
	conns     []conn
	times     []int64 // per request slot: its intended send time (its send time in a closed loop)
	sent      []int64 // open loop, per request slot: its actual send time (nil closed)
	heap      []int32
	events    []unix.EpollEvent
	buf       []byte
	active    int
	st        loopStats
	noPwait   bool
	h2        *h2loop // the HTTP/2 half (Config.H2C); nil: HTTP/1.1
	// current timeline second
	sec           int64
	secEnd        int64
	secOK, secErr uint64
	secHist       *hdrhistogram.Histogram
}

// newLoop prepares a loop for the given global client indices. Its epoll fd
// is made here, before any loop opens sockets, so a low fd limit shows up
// as too_many_open_files on sockets rather than as a failed run.
func newLoop(p *plan, clients []int, origins []int64) (*loop, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("driver: epoll_create1: %w", err)
	}
	l := &loop{
		ep:      ep,
		p:       p,
		conns:   make([]conn, len(clients)),
		times:   make([]int64, len(clients)*int(p.depth)),
		heap:    make([]int32, 0, len(clients)),
		events:  make([]unix.EpollEvent, eventsPerRun),
		buf:     make([]byte, readBufSize),
		active:  len(clients),
		sec:     -1,
		secHist: newSecondHist(),
	}
	l.st.lat, l.st.conn = newLatencyHist(), newLatencyHist()
	if p.paced {
		l.sent = make([]int64, len(l.times))
		l.st.svc = newLatencyHist()
	}
	for _, t := range p.targets {
		sa, family := sockaddrOf(t)
		l.sockaddrs = append(l.sockaddrs, sa)
		l.families = append(l.families, family)
	}
	for i, g := range clients {
		c := &l.conns[i]
		c.fd = -1
		c.heapIdx = -1
		c.target = uint16(g % len(p.targets))
		c.origin = origins[i]
		c.p.SetNoBody(p.head)
		l.setTimer(int32(i), c.origin)
	}
	return l, nil
}

func (l *loop) now() int64 { return int64(time.Since(l.p.base)) }

// run drives the loop until the run ends; it must run on its own goroutine.
func (l *loop) run() {
	runtime.LockOSThread()
	// No UnlockOSThread: a thread that joined another namespace must die
	// with this goroutine.
	defer unix.Close(l.ep)
	var proto protocol = l
	if l.h2 != nil {
		proto = l.h2
	}
	if l.p.netnsFD != 0 {
		if _, err := enterNamespace(l.p.netnsFD); err != nil {
			l.st.err = err
			return
		}
	}
	nextSweep := int64(0)
	var now int64
	for {
		now = l.now()
		if now >= l.p.end || l.active == 0 || l.p.stop.Load() {
			break
		}
		// Each due client may connect, and connect(2) itself can take
		// milliseconds when TIME_WAIT fills the port range: stop at the end.
		for len(l.heap) > 0 && l.conns[l.heap[0]].wake <= now && now < l.p.end {
			ci := l.heap[0]
			l.heapRemove(ci)
			proto.wakeUp(ci, now)
			now = l.now()
		}
		if now >= nextSweep {
			proto.sweep(now)
			nextSweep = now + l.p.sweepEvery
		}
		if now >= l.secEnd && now >= l.p.measureStart {
			l.flushSecond(now)
		}
		until := min(nextSweep, l.p.end, now+int64(maxPoll))
		if now < l.p.measureStart {
			until = min(until, l.p.measureStart)
		} else {
			until = min(until, l.secEnd)
		}
		if len(l.heap) > 0 {
			until = min(until, l.conns[l.heap[0]].wake)
		}
		n, err := l.wait(until - now)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			l.st.err = fmt.Errorf("driver: epoll wait: %w", err)
			break
		}
		for i := 0; i < n; i++ {
			if i%64 == 63 && l.now() >= l.p.end {
				break
			}
			ev := &l.events[i]
			ci := ev.Fd
			if int(ci) >= len(l.conns) || l.conns[ci].gen != uint32(ev.Pad) {
				continue // stale: the connection was replaced earlier in this batch
			}
			proto.handle(ci, ev.Events, l.now())
		}
	}
	proto.finish(now)
}

// wait blocks in epoll for at most d nanoseconds (nanosecond precision via
// epoll_pwait2 where the kernel has it).
func (l *loop) wait(d int64) (int, error) {
	if d < 0 {
		d = 0
	}
	if !l.noPwait {
		ts := unix.NsecToTimespec(d)
		r, _, e := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(l.ep), uintptr(unsafe.Pointer(&l.events[0])),
			uintptr(len(l.events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		if e == 0 {
			return int(r), nil
		}
		if e != unix.ENOSYS {
			return 0, e
		}
		l.noPwait = true
	}
	ms := int((d + int64(time.Millisecond) - 1) / int64(time.Millisecond))
	return unix.EpollWait(l.ep, l.events, ms)
}

// wakeUp runs a client whose timer fired (HTTP/1.1).
func (l *loop) wakeUp(ci int32, now int64) {
	c := &l.conns[ci]
	switch c.state {
	case stIdle:
		l.schedule(ci, now)
	case stConnected:
		l.fill(ci, now)
	}
}

// schedule connects an idle client now or sets its timer for when its next
// request is due.
func (l *loop) schedule(ci int32, now int64) {
	c := &l.conns[ci]
	if l.clientDone(c) {
		l.done(ci, now)
		return
	}
	if l.p.paced {
		due := l.due(c)
		if due > now {
			l.setTimer(ci, due)
			return
		}
	}
	l.connect(ci, now)
}

func (l *loop) due(c *conn) int64 {
	at, _ := l.p.pacer.Due(c.next)
	return c.origin + int64(at)
}

func (l *loop) clientDone(c *conn) bool {
	return l.p.perClient > 0 && c.measured >= l.p.perClient
}

func (l *loop) done(ci int32, now int64) {
	c := &l.conns[ci]
	if c.fd >= 0 {
		l.closeFD(ci)
	}
	if c.state != stDone {
		c.state = stDone
		l.active--
		l.st.lastEvent = max(l.st.lastEvent, now)
	}
}

// connect starts a non-blocking connect.
func (l *loop) connect(ci int32, now int64) {
	c := &l.conns[ci]
	t := c.target
	c.start = now
	if now >= l.p.measureStart {
		l.st.connectsAttempted++
	}
	fd, err := unix.Socket(l.families[t], unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		l.connectFailed(ci, now, StageSocket, err)
		return
	}
	// With keep-alive, requests go out at once (no Nagle). Without it the
	// socket is corked: the request waits in the socket until shutdown()
	// adds the FIN, and both leave in one segment, so the server always
	// sees the client's FIN with the request and can never close first.
	opt := unix.TCP_NODELAY
	if !l.p.keepAlive {
		opt = unix.TCP_CORK
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, opt, 1)
	if err := unix.Connect(fd, l.sockaddrs[t]); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		l.connectFailed(ci, now, StageConnect, err)
		return
	}
	c.gen++
	c.fd = int32(fd)
	c.state = stConnecting
	c.sent, c.answered, c.wrLeft = 0, 0, 0
	c.p.Reset()
	// Registered once, edge-triggered, for everything: the connect
	// completing (OUT), answers (IN), the peer closing (RDHUP) and room
	// after a short write (OUT). No epoll_ctl is needed afterwards, and
	// epoll does not re-poll sockets that stay readable.
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: ci, Pad: int32(c.gen)}
	if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.closeFD(ci)
		l.connectFailed(ci, now, StageConnect, err)
	}
}

// connectFailed counts one failed request for a connect that failed at stage
// s and pauses the client (doubling backoff) before it tries again, so an
// instant failure such as EADDRNOTAVAIL is counted per attempt without
// spinning a core.
func (l *loop) connectFailed(ci int32, now int64, s Stage, err error) {
	c := &l.conns[ci]
	c.state = stIdle
	if errors.Is(err, errConnectTimeout) {
		l.failClass(cConnectTimeout, s, c.start, now)
	} else {
		l.failErr(s, err, c.start, now)
	}
	l.consume(c, c.start)
	c.backoff = min(max(c.backoff*2, uint32(minBackoff/time.Microsecond)), uint32(maxBackoff/time.Microsecond))
	if l.clientDone(c) {
		l.done(ci, now)
		return
	}
	wake := now + int64(c.backoff)*int64(time.Microsecond)
	if l.p.paced {
		wake = max(wake, l.due(c))
	}
	l.setTimer(ci, wake)
}

// consume advances a client past one request that was attempted at time at.
func (l *loop) consume(c *conn, at int64) {
	c.next++
	if at >= l.p.measureStart {
		c.measured++
	}
}

var errConnectTimeout = errors.New("connect timeout")

// handle processes the epoll events of one connection (HTTP/1.1).
func (l *loop) handle(ci int32, events uint32, now int64) {
	c := &l.conns[ci]
	switch c.state {
	case stConnecting:
		l.connected(ci, now)
		// The same edge may carry bytes or the peer's close already.
		if c.state == stConnected && events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 {
			l.readable(ci, events, now)
		}
	case stConnected:
		if events&unix.EPOLLOUT != 0 && c.wrLeft > 0 {
			if !l.flush(ci, now) {
				return
			}
		}
		if events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP|unix.EPOLLRDHUP) != 0 {
			l.readable(ci, events, now)
		}
	}
}

// connected finishes a connect once the socket turned writable.
func (l *loop) connected(ci int32, now int64) {
	if l.established(ci, now) {
		l.fill(ci, now)
	}
}

// established finishes a connect once the socket turned writable, for
// either protocol: it counts the connect and its time, or the failure (and
// then reports false).
func (l *loop) established(ci int32, now int64) bool {
	c := &l.conns[ci]
	soerr, err := unix.GetsockoptInt(int(c.fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err == nil && soerr != 0 {
		err = unix.Errno(soerr)
	}
	if err != nil {
		l.closeFD(ci)
		l.connectFailed(ci, now, StageConnect, err)
		return false
	}
	c.state = stConnected
	c.backoff = 0
	if c.start >= l.p.measureStart {
		l.st.connectsOK++
		l.st.conn.RecordValue(clampUS(now - c.start))
	}
	return true
}

// fill sends as many requests as the pipeline, the pacer and the request
// count allow.
func (l *loop) fill(ci int32, now int64) {
	c := &l.conns[ci]
	if c.state != stConnected || c.wrLeft > 0 {
		return
	}
	depth := l.p.depth
	k := uint32(0)
	for c.sent-c.answered+k < depth {
		if !l.p.keepAlive && c.sent+k > 0 {
			break
		}
		if l.clientDone(c) {
			break
		}
		at := now
		if l.p.paced {
			due := l.due(c)
			if due > now {
				if c.heapIdx < 0 {
					l.setTimer(ci, due)
				}
				break
			}
			at = due
		}
		slot := l.slot(ci, c.sent+k)
		l.times[slot] = at
		if l.sent != nil {
			l.sent[slot] = now
		}
		l.consume(c, at)
		k++
	}
	if k == 0 {
		if c.sent == c.answered && l.clientDone(c) {
			l.done(ci, now)
		}
		return
	}
	if c.sent == c.answered {
		c.progress = now
	}
	c.sent += k
	c.wrOff, c.wrLeft = 0, k*l.p.reqLen[c.target]
	l.flush(ci, now)
}

// flush writes pending request bytes; it returns false when the connection
// failed.
func (l *loop) flush(ci int32, now int64) bool {
	c := &l.conns[ci]
	req := l.p.reqs[c.target][c.wrOff : c.wrOff+c.wrLeft]
	n, err := rawWrite(int(c.fd), req)
	if err != nil && err != unix.EAGAIN {
		l.connFailed(ci, now, StageWrite, err)
		return false
	}
	if n > 0 {
		c.wrOff += uint32(n)
		c.wrLeft -= uint32(n)
		if now >= l.p.measureStart {
			l.st.bytesWritten += uint64(n)
		}
	}
	if c.wrLeft == 0 && !l.p.keepAlive {
		// The client closes first: half-close right after the request,
		// so TIME_WAIT lands on this side.
		_ = unix.Shutdown(int(c.fd), unix.SHUT_WR)
	}
	return true
}

// readable reads what the connection has and parses it (see drain), then
// sends what the answers made room for.
func (l *loop) readable(ci int32, events uint32, now int64) {
	if l.drain(l, ci, events, now) {
		l.fill(ci, now)
	}
}

// reader is what a protocol does with a connection's input (see drain).
type reader interface {
	// parse takes bytes read from connection ci; false: the connection ended.
	parse(ci int32, data []byte, now int64) bool
	// eof handles the peer closing connection ci.
	eof(ci int32, now int64)
	// connFailed handles a read error on connection ci.
	connFailed(ci int32, now int64, s Stage, err error)
}

// drain reads what connection ci has into the loop's buffer and hands it
// to r, for either protocol. The socket is edge-triggered: a short read
// means its queue was drained, and bytes that arrive later raise a new
// edge; but once the peer closed (RDHUP/HUP) no edge follows, so then it
// reads on until EOF or EAGAIN. It reports false when the connection ended
// (r was told why).
func (l *loop) drain(r reader, ci int32, events uint32, now int64) bool {
	fd := int(l.conns[ci].fd)
	for {
		n, err := rawRead(fd, l.buf)
		switch {
		case err == unix.EAGAIN:
			return true
		case err == unix.EINTR:
			continue
		case err != nil:
			r.connFailed(ci, now, StageRead, err)
			return false
		case n == 0:
			r.eof(ci, now)
			return false
		}
		if now >= l.p.measureStart {
			l.st.bytesRead += uint64(n)
		}
		if !r.parse(ci, l.buf[:n], now) {
			return false
		}
		if n < len(l.buf) && events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) == 0 {
			return true
		}
	}
}

// parse feeds bytes to the connection's parser; false: the connection ended.
func (l *loop) parse(ci int32, data []byte, now int64) bool {
	c := &l.conns[ci]
	for len(data) > 0 {
		if c.sent == c.answered {
			// An answer nobody asked for: counted apart, neither a
			// request nor an error, and the connection is not trusted
			// with another request.
			if now >= l.p.measureStart {
				l.st.unsolicited++
			}
			l.closeAndReconnect(ci, now)
			return false
		}
		n, done, err := c.p.Feed(data)
		if err != nil {
			l.failInFlight(ci, cBadResponse, StageParse, now)
			return false
		}
		data = data[n:]
		if done {
			l.answered(ci, now)
			if c.state != stConnected {
				return false
			}
		}
	}
	return true
}

// answered accounts a complete response and recycles the connection when
// it cannot carry more.
func (l *loop) answered(ci int32, now int64) {
	c := &l.conns[ci]
	status := c.p.Status()
	closeAfter := c.p.Close()
	c.p.Reset()
	slot := l.slot(ci, c.answered)
	at, sentAt := l.times[slot], l.times[slot]
	if l.sent != nil {
		sentAt = l.sent[slot]
	}
	c.answered++
	c.progress = now
	if l.complete(at, sentAt, now, status) {
		c.served = true
	}
	if closeAfter || !l.p.keepAlive {
		l.closeAndReconnect(ci, now)
	}
}

// complete records one complete response due at time at and sent at
// sentAt (the same in a closed loop), and reports whether it was a
// measured ok answer.
func (l *loop) complete(at, sentAt, now int64, status int) bool {
	if at < l.p.measureStart {
		l.st.warmup++
		return false
	}
	if now >= l.secEnd {
		l.flushSecond(now)
	}
	us := clampUS(now - at)
	l.st.lat.RecordValue(us)
	l.secHist.RecordValue(us)
	if l.st.svc != nil {
		l.st.svc.RecordValue(clampUS(now - sentAt))
	}
	if status >= 0 && status < numStatus {
		l.st.status[status]++
	}
	switch {
	case status >= 500:
		l.st.errs[StageStatus][cHTTP5xx]++
		l.secErr++
	case status >= 400:
		l.st.errs[StageStatus][cHTTP4xx]++
		l.secErr++
	default:
		l.st.ok++
		l.secOK++
		return true
	}
	return false
}

// eof handles the peer closing the connection.
func (l *loop) eof(ci int32, now int64) {
	c := &l.conns[ci]
	if c.sent > c.answered && c.p.EOF() {
		l.answered(ci, now) // a body delimited by the close
		if c.state != stConnected {
			return
		}
	}
	if c.sent == c.answered {
		l.closeAndReconnect(ci, now) // an idle connection closed: no request lost
		return
	}
	l.failInFlight(ci, cEOF, StageRead, now)
}

// closeAndReconnect closes a connection that ended normally; requests still
// unanswered on it (pipelined behind a Connection: close) are sent again on
// the next connection with their original intended times.
func (l *loop) closeAndReconnect(ci int32, now int64) {
	c := &l.conns[ci]
	for i := c.answered; i < c.sent; i++ {
		at := l.times[l.slot(ci, i)]
		c.next--
		if at >= l.p.measureStart {
			c.measured--
		}
	}
	l.reconnect(ci, now)
}

// connFailed counts the requests in flight on a failed connection by the
// errno's class, and reconnects.
func (l *loop) connFailed(ci int32, now int64, s Stage, err error) {
	c := &l.conns[ci]
	if c.sent == c.answered && s == StageRead {
		// An idle keep-alive connection was reset: no request was lost.
		l.closeAndReconnect(ci, now)
		return
	}
	var e unix.Errno
	if errors.As(err, &e) {
		if cl, ok := classify(s, e); ok {
			l.failInFlight(ci, cl, s, now)
			return
		}
	}
	name := otherClass(errName(err), s)
	for i := c.answered; i < c.sent; i++ {
		l.failOther(s, name, l.times[l.slot(ci, i)], now)
	}
	l.reconnect(ci, now)
}

// reconnect closes a connection that is done with its requests (answered,
// failed or to be sent again) and connects the client again, now or when
// its next request is due.
func (l *loop) reconnect(ci int32, now int64) {
	l.closeFD(ci)
	l.conns[ci].state = stIdle
	l.schedule(ci, now)
}

// failInFlight counts every request in flight on the connection as failed
// with class cl at stage s, then reconnects.
func (l *loop) failInFlight(ci int32, cl class, s Stage, now int64) {
	c := &l.conns[ci]
	for i := c.answered; i < c.sent; i++ {
		l.failClass(cl, s, l.times[l.slot(ci, i)], now)
	}
	l.reconnect(ci, now)
}

func (l *loop) failErr(s Stage, err error, at, now int64) {
	var e unix.Errno
	if errors.As(err, &e) {
		if cl, ok := classify(s, e); ok {
			l.failClass(cl, s, at, now)
			return
		}
	}
	l.failOther(s, otherClass(errName(err), s), at, now)
}

func errName(err error) string {
	var e unix.Errno
	if errors.As(err, &e) {
		return errnoName(e)
	}
	return "UNKNOWN"
}

// failed counts one failed request sent at time at: in the warmup, or in
// the current timeline second; it reports whether it was measured.
func (l *loop) failed(at, now int64) bool {
	if at < l.p.measureStart {
		l.st.warmup++
		return false
	}
	if now >= l.secEnd {
		l.flushSecond(now)
	}
	l.secErr++
	return true
}

func (l *loop) failClass(cl class, s Stage, at, now int64) {
	if l.failed(at, now) {
		l.st.errs[s][cl]++
	}
}

func (l *loop) failOther(s Stage, name string, at, now int64) {
	if !l.failed(at, now) {
		return
	}
	if l.st.other[s] == nil {
		l.st.other[s] = map[string]uint64{}
	}
	l.st.other[s][name]++
}

// sweep enforces connect and request timeouts. Scanning every connection a
// few times per timeout costs O(connections) time and no memory, where a
// deadline queue would hold one entry per request issued within a timeout.
func (l *loop) sweep(now int64) {
	for i := range l.conns {
		c := &l.conns[i]
		switch c.state {
		case stConnecting:
			if now-c.start >= l.p.connTimeout {
				l.closeFD(int32(i))
				l.connectFailed(int32(i), now, StageConnect, errConnectTimeout)
			}
		case stConnected:
			if c.sent > c.answered && now-c.progress >= l.p.timeout {
				l.failInFlight(int32(i), cReadTimeout, StageRead, now)
			}
		}
	}
}

// closeFD closes the client's socket and drops its pending timer: a pacing
// timer belongs to the old connection, and schedule sets a fresh one.
func (l *loop) closeFD(ci int32) {
	c := &l.conns[ci]
	if c.fd >= 0 {
		unix.Close(int(c.fd))
		c.fd = -1
	}
	c.gen++
	l.heapRemove(ci)
}

// flushSecond hands the finished timeline second to the collector.
func (l *loop) flushSecond(now int64) {
	if l.sec >= 0 {
		l.p.timeline.add(int(l.sec), l.secOK, l.secErr, l.secHist)
		l.secHist.Reset()
	}
	l.secOK, l.secErr = 0, 0
	l.sec = (now - l.p.measureStart) / int64(time.Second)
	l.secEnd = l.p.measureStart + (l.sec+1)*int64(time.Second)
}

// finish counts unfinished requests and closes every connection.
func (l *loop) finish(int64) {
	for i := range l.conns {
		c := &l.conns[i]
		if c.state != stConnected {
			continue
		}
		for k := c.answered; k < c.sent; k++ {
			if l.times[l.slot(int32(i), k)] >= l.p.measureStart {
				l.st.unfinished++
			}
		}
	}
	l.closeAll()
}

// closeAll ends the run for either protocol: it counts the clients that
// never got an answer, closes every connection and hands the last timeline
// second to the collector.
func (l *loop) closeAll() {
	for i := range l.conns {
		c := &l.conns[i]
		if !c.served {
			l.st.starved++
		}
		if c.fd >= 0 {
			unix.Close(int(c.fd))
			c.fd = -1
		}
	}
	if l.sec >= 0 {
		l.p.timeline.add(int(l.sec), l.secOK, l.secErr, l.secHist)
	}
}

// slot is the index in times and sent of the i-th request on connection
// ci (each connection has depth slots, used in turn).
func (l *loop) slot(ci int32, i uint32) int {
	return int(ci)*int(l.p.depth) + int(i%l.p.depth)
}

func clampUS(ns int64) int64 {
	us := ns / int64(time.Microsecond)
	return min(max(us, histLowest), histHighest)
}

// rawRead and rawWrite call read(2) and write(2) without telling the Go
// scheduler: the sockets are non-blocking, so the calls never block.
func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// timer heap: a binary min-heap of conn indices keyed by conn.wake.

func (l *loop) setTimer(ci int32, at int64) {
	c := &l.conns[ci]
	c.wake = at
	if c.heapIdx >= 0 {
		l.heapFix(int(c.heapIdx))
		return
	}
	c.heapIdx = int32(len(l.heap))
	l.heap = append(l.heap, ci)
	l.heapUp(len(l.heap) - 1)
}

func (l *loop) heapRemove(ci int32) {
	c := &l.conns[ci]
	i := int(c.heapIdx)
	if i < 0 {
		return
	}
	last := len(l.heap) - 1
	l.heapSwap(i, last)
	l.heap = l.heap[:last]
	c.heapIdx = -1
	if i < last {
		l.heapFix(i)
	}
}

func (l *loop) heapFix(i int) {
	if !l.heapDown(i) {
		l.heapUp(i)
	}
}

func (l *loop) heapLess(i, j int) bool {
	return l.conns[l.heap[i]].wake < l.conns[l.heap[j]].wake
}

func (l *loop) heapSwap(i, j int) {
	l.heap[i], l.heap[j] = l.heap[j], l.heap[i]
	l.conns[l.heap[i]].heapIdx = int32(i)
	l.conns[l.heap[j]].heapIdx = int32(j)
}

func (l *loop) heapUp(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !l.heapLess(i, p) {
			break
		}
		l.heapSwap(i, p)
		i = p
	}
}

func (l *loop) heapDown(i int) bool {
	start := i
	n := len(l.heap)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && l.heapLess(r, c) {
			c = r
		}
		if !l.heapLess(c, i) {
			break
		}
		l.heapSwap(i, c)
		i = c
	}
	return i > start
}

func sockaddrOf(t Target) (unix.Sockaddr, int) {
	a := t.Addr.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(t.Addr.Port()), Addr: a.As4()}, unix.AF_INET
	}
	return &unix.SockaddrInet6{Port: int(t.Addr.Port()), Addr: a.As16()}, unix.AF_INET6
}
