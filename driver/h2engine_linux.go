//go:build linux

package driver

import (
	"errors"

	"golang.org/x/net/http2"
	"golang.org/x/sys/unix"
)

// h2loop is the HTTP/2 half of an event loop (Config.H2C). The loop keeps
// what does not depend on the protocol: the epoll set, the client slots
// (here: connections) with their connects, backoffs, pacing timers and
// counters, the timeline. h2loop adds a session (h2conn) per connection and
// decides when streams open.
//
// Closed loop: each connection has Streams users; a user sends its next
// request as soon as its previous one is settled. Open loop: requests fall
// due at the pacer's times. Either way a request goes out when the
// connection has a free stream slot (the server's
// SETTINGS_MAX_CONCURRENT_STREAMS caps the slots), and waits at the
// client until then: that wait is counted (h2Tally.waited, wait).
type h2loop struct {
	l       *loop
	conns   []*h2conn   // per client slot, made at its first connect
	reqs    []h2Request // per target
	streams int
	st      *h2Tally
	retry   [][]int64 // closed loop, per connection: ready times of requests to send again
	open    int       // streams open over the loop's connections
	openAt  int64     // ns: when open was last integrated into st.streamNS
	// the connection and instant the h2events callbacks are about
	ci  int32
	now int64
}

// newH2Loop adds the HTTP/2 half to l for config c (defaults filled in).
func newH2Loop(l *loop, c Config) *h2loop {
	h := &h2loop{
		l:       l,
		conns:   make([]*h2conn, len(l.conns)),
		streams: c.Streams,
		st:      newH2Tally(),
		retry:   make([][]int64, len(l.conns)),
	}
	for _, t := range l.p.targets {
		h.reqs = append(h.reqs, newH2Request(t, c.Method, c.Headers, []byte(c.Body)))
	}
	return h
}

// wakeUp runs a connection whose timer fired.
func (h *h2loop) wakeUp(ci int32, now int64) {
	l := h.l
	switch l.conns[ci].state {
	case stIdle:
		l.schedule(ci, now)
	case stConnected:
		before := h.conns[ci].inflight
		h.fill(ci, now)
		h.flush(ci, now)
		h.settle(ci, before, now)
	}
}

// handle processes the epoll events of one connection.
func (h *h2loop) handle(ci int32, events uint32, now int64) {
	c := &h.l.conns[ci]
	before := 0
	if s := h.conns[ci]; s != nil && c.state == stConnected {
		before = s.inflight
	}
	const input = unix.EPOLLIN | unix.EPOLLERR | unix.EPOLLHUP | unix.EPOLLRDHUP
	switch c.state {
	case stConnecting:
		h.connected(ci, now)
		if c.state == stConnected && events&input != 0 {
			h.readable(ci, events, now)
		}
	case stConnected:
		if events&unix.EPOLLOUT != 0 && len(h.conns[ci].pending()) > 0 {
			if !h.flush(ci, now) {
				break
			}
			if events&input == 0 { // room to write again: streams held back may open
				h.fill(ci, now)
				h.flush(ci, now)
			}
		}
		if events&input != 0 {
			h.readable(ci, events, now)
		}
	}
	h.settle(ci, before, now)
}

// settle integrates the streams open over time and records the peak on
// one connection, after a connection's streams went from before to now's.
func (h *h2loop) settle(ci int32, before int, now int64) {
	after := 0
	if s := h.conns[ci]; s != nil && h.l.conns[ci].state == stConnected {
		after = s.inflight
	}
	p := h.l.p
	if now >= p.measureStart {
		h.st.inflightMax = max(h.st.inflightMax, after)
	}
	if after == before {
		return
	}
	if from := max(h.openAt, p.measureStart); now > from {
		h.st.streamNS += float64(h.open) * float64(now-from)
	}
	h.openAt = max(h.openAt, now)
	h.open += after - before
}

// connected finishes a connect: the session starts with the client
// preface, and the first streams go out with it.
func (h *h2loop) connected(ci int32, now int64) {
	l := h.l
	if !l.established(ci, now) {
		return
	}
	l.conns[ci].progress = now
	s := h.conns[ci]
	if s == nil {
		s = newH2Conn(h.streams)
		h.conns[ci] = s
	}
	s.start()
	if !l.p.paced {
		// Every user is ready now, but those whose request a graceful
		// GOAWAY sent back, which keep their times.
		s.ready.head, s.ready.size = 0, 0
		for _, at := range h.retry[ci] {
			s.ready.push(at)
		}
		h.retry[ci] = h.retry[ci][:0]
		for s.ready.size < h.streams {
			s.ready.push(now)
		}
	}
	h.fill(ci, now)
	h.flush(ci, now)
}

// fill opens streams for the requests that are ready, as long as the
// connection has free stream slots.
func (h *h2loop) fill(ci int32, now int64) {
	l := h.l
	c := &l.conns[ci]
	s := h.conns[ci]
	if c.state != stConnected {
		return
	}
	req := &h.reqs[c.target]
	waited := s.slotsFull
	if s.inflight == 0 {
		c.progress = now
	}
	for s.canOpen() && !l.clientDone(c) {
		at, ok := h.nextReady(ci, now)
		if !ok {
			break
		}
		l.consume(c, at)
		s.open(req, at, now)
		if at >= l.p.measureStart {
			h.st.opened++
			if waited && now > at {
				h.st.waited++
				h.st.wait.RecordValue(clampUS(now - at))
			}
		}
	}
	s.slotsFull = s.inflight >= s.limit() && !l.clientDone(c) && h.hasReady(ci, now)
	switch {
	case s.inflight == 0 && l.clientDone(c):
		l.done(ci, now)
	case s.inflight == 0 && s.draining():
		h.l.reconnect(ci, now)
	}
}

// nextReady takes the next request that is ready to go: the oldest
// waiting user (closed loop) or the next request if it is due (open loop;
// otherwise the connection's timer is set for it).
func (h *h2loop) nextReady(ci int32, now int64) (int64, bool) {
	l := h.l
	s := h.conns[ci]
	if !l.p.paced {
		if s.ready.size == 0 {
			return 0, false
		}
		return s.ready.pop(), true
	}
	c := &l.conns[ci]
	due := l.due(c)
	if due > now {
		if c.heapIdx < 0 {
			l.setTimer(ci, due)
		}
		return 0, false
	}
	return due, true
}

// hasReady reports whether a request is ready to go.
func (h *h2loop) hasReady(ci int32, now int64) bool {
	if !h.l.p.paced {
		return h.conns[ci].ready.size > 0
	}
	return h.l.due(&h.l.conns[ci]) <= now
}

// flush writes what the session queued; false: the connection failed.
func (h *h2loop) flush(ci int32, now int64) bool {
	c := &h.l.conns[ci]
	s := h.conns[ci]
	for c.state == stConnected && len(s.pending()) > 0 {
		n, err := rawWrite(int(c.fd), s.pending())
		switch {
		case err == unix.EAGAIN:
			return true // EPOLLOUT comes when there is room
		case err == unix.EINTR:
			continue
		case err != nil:
			h.connFailed(ci, now, StageWrite, err)
			return false
		}
		s.wrote(n)
		if now >= h.l.p.measureStart {
			h.l.st.bytesWritten += uint64(n)
		}
	}
	return c.state == stConnected
}

// readable reads what the connection has and feeds it to the session
// (edge-triggered: see loop.drain).
func (h *h2loop) readable(ci int32, events uint32, now int64) {
	h.ci, h.now = ci, now
	if h.l.drain(h, ci, events, now) {
		h.fill(ci, now)
		h.flush(ci, now)
	}
}

// parse feeds bytes read from connection ci to its session; false: the
// connection ended (HTTP/2 broke on it).
func (h *h2loop) parse(ci int32, data []byte, now int64) bool {
	c := &h.l.conns[ci]
	c.progress = now
	if err := h.conns[ci].feed(data, &h.reqs[c.target], h, now); err != nil {
		h.protocolFailed(ci, err, now)
		return false
	}
	return true
}

// eof handles the server closing the connection: streams in flight are
// lost (to the GOAWAY that came before, if one did).
func (h *h2loop) eof(ci int32, now int64) {
	s := h.conns[ci]
	h.ci, h.now = ci, now
	switch {
	case s.inflight == 0:
	case s.goaway:
		s.drop(cH2GoAway, StageRead, "", h)
	default:
		s.drop(cEOF, StageRead, "", h)
	}
	h.l.reconnect(ci, now)
}

// connFailed settles the streams in flight on a connection whose socket
// failed, by the errno's class, and reconnects.
func (h *h2loop) connFailed(ci int32, now int64, st Stage, err error) {
	s := h.conns[ci]
	h.ci, h.now = ci, now
	if s.inflight > 0 {
		var e unix.Errno
		cl, ok := class(0), false
		if errors.As(err, &e) {
			cl, ok = classify(st, e)
		}
		other := ""
		if !ok {
			other = otherClass(errName(err), st)
		}
		s.drop(cl, st, other, h)
	}
	h.l.reconnect(ci, now)
}

// protocolFailed ends a connection on which HTTP/2 broke: the GOAWAY the
// session queued goes out if the socket takes it, the streams in flight
// fail with the error's class.
func (h *h2loop) protocolFailed(ci int32, err error, now int64) {
	s := h.conns[ci]
	h.ci, h.now = ci, now
	if p := s.pending(); len(p) > 0 {
		_, _ = rawWrite(int(h.l.conns[ci].fd), p)
	}
	var he *h2Error
	if !errors.As(err, &he) {
		he = protocolError("%v", err)
	}
	s.drop(he.cl, he.stage, "", h)
	h.l.reconnect(ci, now)
}

// sweep enforces connect timeouts and request timeouts: a connection
// that received nothing for a whole timeout while streams were in flight
// is given up (its streams fail); otherwise each stream older than the
// timeout is cancelled (RST_STREAM) alone. A stream whose body still
// waits for flow-control window fails as h2_flow_control, the others as
// read_timeout.
func (h *h2loop) sweep(now int64) {
	l := h.l
	for i := range l.conns {
		ci := int32(i)
		c := &l.conns[i]
		switch {
		case c.state == stConnecting && now-c.start >= l.p.connTimeout:
			l.closeFD(ci)
			l.connectFailed(ci, now, StageConnect, errConnectTimeout)
		case c.state == stConnected && h.conns[i].inflight > 0:
			before := h.conns[i].inflight
			h.expire(ci, now)
			h.settle(ci, before, now)
		}
	}
}

// expire times out a connection's streams (see sweep).
func (h *h2loop) expire(ci int32, now int64) {
	l := h.l
	c := &l.conns[ci]
	s := h.conns[ci]
	h.ci, h.now = ci, now
	silent := now-c.progress >= l.p.timeout
	expired := 0
	for slot := range s.streams {
		st := &s.streams[slot]
		if st.id == 0 || now-st.sent < l.p.timeout {
			continue
		}
		expired++
		if !silent {
			cl, stage := timeoutClass(st)
			s.cancel(int32(slot), cl, stage, h)
		}
	}
	switch {
	case expired == 0:
	case silent:
		for slot := range s.streams {
			if st := &s.streams[slot]; st.id != 0 {
				cl, stage := timeoutClass(st)
				s.fail(int32(slot), cl, stage, "", h)
			}
		}
		h.l.reconnect(ci, now)
	default:
		h.fill(ci, now)
		h.flush(ci, now)
	}
}

// timeoutClass is the class of a stream that timed out.
func timeoutClass(st *h2stream) (class, Stage) {
	if st.blocked != 0 {
		return cH2FlowControl, StageWrite
	}
	return cReadTimeout, StageRead
}

// finish counts unfinished requests and starved connections, and closes
// every connection.
func (h *h2loop) finish(now int64) {
	l := h.l
	end := min(now, l.p.end)
	if from := max(h.openAt, l.p.measureStart); end > from {
		h.st.streamNS += float64(h.open) * float64(end-from)
	}
	for i := range l.conns {
		s := h.conns[i]
		if s == nil || l.conns[i].state != stConnected {
			continue
		}
		for slot := range s.streams {
			if st := &s.streams[slot]; st.id != 0 && st.at >= l.p.measureStart {
				l.st.unfinished++
			}
		}
	}
	l.closeAll()
}

// The h2events of the connection h.ci at h.now.

func (h *h2loop) h2Answered(slot int32, status int) {
	l := h.l
	st := h.conns[h.ci].stream(slot)
	if l.complete(st.at, st.sent, h.now, status) {
		l.conns[h.ci].served = true
	}
	h.again(h.now)
}

func (h *h2loop) h2Failed(slot int32, cl class, s Stage, other string) {
	l := h.l
	st := h.conns[h.ci].stream(slot)
	if other != "" {
		l.failOther(s, other, st.at, h.now)
	} else {
		l.failClass(cl, s, st.at, h.now)
	}
	h.again(h.now)
}

// again makes the user of a settled stream ready again (closed loop).
func (h *h2loop) again(at int64) {
	if !h.l.p.paced {
		h.conns[h.ci].ready.push(at)
	}
}

func (h *h2loop) h2Unprocessed(slot int32) {
	l := h.l
	c := &l.conns[h.ci]
	at := h.conns[h.ci].stream(slot).at
	if at >= l.p.measureStart {
		h.st.retried++
	}
	if !l.p.paced {
		h.retry[h.ci] = append(h.retry[h.ci], at)
		return
	}
	// The pacer hands the same request out again, with its due time:
	// these were the connection's last requests.
	c.next--
	if at >= l.p.measureStart {
		c.measured--
	}
}

func (h *h2loop) h2Reset(slot int32, code http2.ErrCode) {
	if h.conns[h.ci].stream(slot).at >= h.l.p.measureStart {
		h.st.rst[code.String()]++
	}
}

func (h *h2loop) h2Settings(maxStreams uint32) {
	h.st.serverMax = minAnnounced(h.st.serverMax, int64(maxStreams))
}

func (h *h2loop) h2GoAway(code http2.ErrCode) {
	if h.now >= h.l.p.measureStart {
		h.st.goaway++
		h.st.goawayCodes[code.String()]++
	}
}

func (h *h2loop) h2Blocked(since int64) {
	if from := max(since, h.l.p.measureStart); h.now > from {
		h.st.blockedNS += h.now - from
	}
}

var (
	_ h2events = (*h2loop)(nil)
	_ protocol = (*h2loop)(nil)
)

// h2Summary is the H2 part of the summary of an executed run (nil
// without h2c), measured for durationS seconds.
func (r *execution) h2Summary(durationS float64) (*H2, error) {
	if !r.c.H2C {
		return nil, nil
	}
	t := newH2Tally()
	for _, l := range r.loops {
		if err := t.add(l.h2.st); err != nil {
			return nil, err
		}
	}
	return t.summary(r.n, r.c.Streams, durationS)
}
