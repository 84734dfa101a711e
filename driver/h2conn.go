package driver

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// HTTP/2 settings of the driver's side of a connection.
const (
	// h2Preface is the client connection preface (RFC 9113 §3.4).
	h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	// h2StreamWindow is the receive window the driver gives each stream
	// (SETTINGS_INITIAL_WINDOW_SIZE), h2ConnWindow the connection's: large,
	// as h2load's defaults are, so that the driver never throttles a
	// server's answers.
	h2StreamWindow = 1 << 24
	h2ConnWindow   = 1 << 30
	// h2DefaultWindow is the window every side starts with (RFC 9113 §6.9.2).
	h2DefaultWindow = 65535
	// h2MaxFrame is the largest frame payload the driver reads
	// (SETTINGS_MAX_FRAME_SIZE, left at its initial value).
	h2MaxFrame = 16384
	// h2AssumedMaxStreams is the server's stream limit assumed until its
	// SETTINGS arrive (RFC 9113 §6.5.2 recommends at least 100; nghttp2
	// assumes 100 too). Streams opened beyond the limit the server then
	// announces are what it refuses in the race before its SETTINGS ACK.
	h2AssumedMaxStreams = 100
	// h2MaxStreamID is the largest stream id a client may use; a
	// connection that used them all is drained and replaced.
	h2MaxStreamID = 1<<31 - 1
	// h2MaxPendingOut bounds the bytes waiting to be written on one
	// connection before it opens no new streams.
	h2MaxPendingOut = 256 << 10
	// h2HeaderTable is the HPACK dynamic table size of both directions
	// (SETTINGS_HEADER_TABLE_SIZE, left at its initial value).
	h2HeaderTable = 4096
)

// h2Request is what every stream to one target sends.
type h2Request struct {
	fields []hpack.HeaderField
	body   []byte
}

// newH2Request returns the request of target t: method (GET when empty)
// and body (none when empty).
func newH2Request(t Target, method string, headers []string, body []byte) h2Request {
	if method == "" {
		method = "GET"
	}
	authority, agent := t.Host, "scalelab"
	var extra []hpack.HeaderField
	for _, h := range headers { // validated by Config.Validate: "Name: value"
		name, value, _ := strings.Cut(h, ":")
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		switch name {
		case "host":
			authority = value
		case "user-agent":
			agent = value
		default:
			extra = append(extra, hpack.HeaderField{Name: name, Value: value})
		}
	}
	r := h2Request{body: body, fields: append([]hpack.HeaderField{
		{Name: ":method", Value: method},
		{Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: authority},
		{Name: ":path", Value: t.Path},
		{Name: "user-agent", Value: agent},
	}, extra...)}
	if len(body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		r.fields = append(r.fields, hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(len(body))})
	}
	return r
}

// h2events receives what happens to the streams of one connection. The
// stream's slot is valid during the call (h2conn.stream) and freed after.
type h2events interface {
	// h2Answered: a complete response with this :status.
	h2Answered(slot int32, status int)
	// h2Failed: the stream failed with class cl at stage s.
	h2Failed(slot int32, cl class, s Stage, other string)
	// h2Unprocessed: the server said (graceful GOAWAY) it never processed
	// the stream; its request goes out again on another connection.
	h2Unprocessed(slot int32)
	// h2Reset: the server reset a stream with this code.
	h2Reset(slot int32, code http2.ErrCode)
	// h2Settings: the server's SETTINGS_MAX_CONCURRENT_STREAMS.
	h2Settings(maxStreams uint32)
	// h2GoAway: the server sent GOAWAY with this code.
	h2GoAway(code http2.ErrCode)
	// h2Blocked: a request body waited for flow-control window from since
	// until now (it got window, or its stream was settled).
	h2Blocked(since int64)
}

// h2stream is one stream in flight.
type h2stream struct {
	id      uint32
	at      int64 // ns: when the request was ready (closed loop) or due (open loop)
	sent    int64 // ns: when its HEADERS went out
	blocked int64 // ns: since when its body waits for window (0: it does not)
	window  int64 // send window
	recv    uint32
	bodyOff uint32
	status  int32
	headers bool // the final response headers arrived
	queued  bool // the slot is in h2conn.waiting (kept across reuse of the slot)
}

// h2Error ends a connection: the driver sends GOAWAY with code and fails
// the streams in flight with class cl at stage s.
type h2Error struct {
	code   http2.ErrCode
	cl     class
	stage  Stage
	reason string
}

func (e *h2Error) Error() string { return "http2: " + e.code.String() + ": " + e.reason }

func protocolError(format string, args ...any) *h2Error {
	return &h2Error{code: http2.ErrCodeProtocol, cl: cH2Protocol, stage: StageParse, reason: fmt.Sprintf(format, args...)}
}

// h2conn is the HTTP/2 side of one client connection: the framer and the
// HPACK state, the streams in flight with their windows, the server's
// settings, and the bytes to write. It knows nothing of sockets or time
// beyond the instants it is given: the event loop feeds it what it reads,
// writes what it produced, and learns what happened through h2events.
type h2conn struct {
	fr     *http2.Framer
	split  frameSplitter
	rd     frameReader
	out    []byte // frames to write, from outOff
	outOff int

	enc    *hpack.Encoder
	encBuf bytes.Buffer
	prev   []byte // the last header block encoded
	block  []byte // the request's header block once it encodes the same every time
	dec    *hpack.Decoder

	streams  []h2stream
	free     []int32
	ids      map[uint32]int32
	inflight int
	waiting  []int32 // slots whose body waits for window, each once (entries may be stale)
	spare    []int32

	nextID        uint32
	peerMax       uint32 // the server's SETTINGS_MAX_CONCURRENT_STREAMS (or the assumed one)
	peerWindow    int64  // the server's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame     uint32 // the server's SETTINGS_MAX_FRAME_SIZE
	sendWindow    int64  // connection send window
	recvWindow    int64  // connection receive window left
	recvUnacked   uint32 // connection bytes received since the last WINDOW_UPDATE
	gotSettings   bool
	goaway        bool
	lastID        uint32 // a GOAWAY's last stream id
	answered      uint32 // streams answered on this connection
	slotsFull     bool   // a request waits for a stream slot (see h2loop.fill)
	ready         ring   // closed loop: times requests got ready, waiting for a slot
	hdrSlot       int32  // the stream whose header block is being decoded (-1: none kept)
	hdrStatus     int32
	hdrEnd        bool
	hdrTrailers   bool
	hdrStatusSeen bool
}

// newH2Conn returns a connection's state for up to streams streams.
func newH2Conn(streams int) *h2conn {
	h := &h2conn{
		streams: make([]h2stream, streams),
		free:    make([]int32, streams),
		ids:     make(map[uint32]int32, streams),
		ready:   newRing(streams),
	}
	for i := range h.free {
		h.free[i] = int32(streams - 1 - i)
	}
	h.fr = http2.NewFramer(h, &h.rd)
	h.fr.SetReuseFrames()
	h.fr.SetMaxReadFrameSize(h2MaxFrame)
	h.split.max = h2MaxFrame
	h.enc = hpack.NewEncoder(&h.encBuf)
	h.dec = hpack.NewDecoder(h2HeaderTable, h.emit)
	h.dec.SetMaxStringLength(h2MaxFrame * 4)
	return h
}

// Write implements io.Writer for the framer: frames queue in out.
func (h *h2conn) Write(p []byte) (int, error) {
	h.out = append(h.out, p...)
	return len(p), nil
}

// pending returns the bytes still to write.
func (h *h2conn) pending() []byte { return h.out[h.outOff:] }

// wrote records n bytes written.
func (h *h2conn) wrote(n int) {
	h.outOff += n
	if h.outOff == len(h.out) {
		h.out, h.outOff = h.out[:0], 0
	}
}

// start resets the state for a new connection and queues the client
// preface: the magic, SETTINGS (no push; the driver's windows) and a
// WINDOW_UPDATE that opens the connection window. Streams in flight on
// the old connection must have been settled (see drop).
func (h *h2conn) start() {
	h.out, h.outOff = h.out[:0], 0
	h.split.reset()
	h.rd.b = nil
	h.fr = http2.NewFramer(h, &h.rd) // fresh frame-order state
	h.fr.SetReuseFrames()
	h.fr.SetMaxReadFrameSize(h2MaxFrame)
	h.enc = hpack.NewEncoder(&h.encBuf)
	h.dec = hpack.NewDecoder(h2HeaderTable, h.emit)
	h.dec.SetMaxStringLength(h2MaxFrame * 4)
	h.prev, h.block = h.prev[:0], nil
	h.nextID, h.peerMax, h.peerWindow, h.peerFrame = 1, h2AssumedMaxStreams, h2DefaultWindow, h2MaxFrame
	h.sendWindow, h.recvWindow, h.recvUnacked = h2DefaultWindow, h2ConnWindow, 0
	h.gotSettings, h.goaway, h.lastID, h.answered, h.slotsFull = false, false, 0, 0, false
	h.hdrSlot = -1
	h.waiting = h.waiting[:0]
	for i := range h.streams {
		h.streams[i].queued = false
	}
	h.out = append(h.out, h2Preface...)
	_ = h.fr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: h2StreamWindow},
	)
	_ = h.fr.WriteWindowUpdate(0, h2ConnWindow-h2DefaultWindow)
}

// limit is how many streams may be open at once: the connection's slots,
// capped by the server's SETTINGS_MAX_CONCURRENT_STREAMS.
func (h *h2conn) limit() int { return min(len(h.streams), int(min(h.peerMax, 1<<30))) }

// draining reports whether the connection opens no more streams: the
// server sent GOAWAY, or the stream ids ran out.
func (h *h2conn) draining() bool { return h.goaway || h.nextID > h2MaxStreamID }

// canOpen reports whether a new stream may be opened now.
func (h *h2conn) canOpen() bool {
	return h.inflight < h.limit() && !h.draining() && len(h.out)-h.outOff < h2MaxPendingOut
}

// stream returns the stream in slot.
func (h *h2conn) stream(slot int32) *h2stream { return &h.streams[slot] }

// open starts a stream for req, ready since at, now: HEADERS, and the body
// as far as the windows allow. The caller checked canOpen.
func (h *h2conn) open(req *h2Request, at, now int64) int32 {
	slot := h.free[len(h.free)-1]
	h.free = h.free[:len(h.free)-1]
	id := h.nextID
	h.nextID += 2
	h.streams[slot] = h2stream{id: id, at: at, sent: now, window: h.peerWindow, queued: h.streams[slot].queued}
	h.ids[id] = slot
	h.inflight++
	h.writeHeaders(id, h.requestBlock(req), len(req.body) == 0)
	if len(req.body) > 0 {
		h.sendBody(slot, req.body, now)
	}
	return slot
}

// requestBlock returns the HPACK block of req. Encoding changes the
// encoder's dynamic table until every field is in it; from the moment two
// encodings in a row come out the same, the table no longer changes, and
// the block is kept and sent as is (until the server changes the table's
// size).
func (h *h2conn) requestBlock(req *h2Request) []byte {
	if h.block != nil {
		return h.block
	}
	h.encBuf.Reset()
	for _, f := range req.fields {
		_ = h.enc.WriteField(f) // writes to a bytes.Buffer: no error
	}
	b := h.encBuf.Bytes()
	if bytes.Equal(b, h.prev) {
		h.block = append([]byte(nil), b...)
	}
	h.prev = append(h.prev[:0], b...)
	return b
}

// writeHeaders writes a header block as HEADERS and, beyond the server's
// frame size, CONTINUATION frames.
func (h *h2conn) writeHeaders(id uint32, block []byte, endStream bool) {
	n := min(len(block), int(h.peerFrame))
	_ = h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block[:n], EndStream: endStream, EndHeaders: n == len(block)})
	for block = block[n:]; len(block) > 0; block = block[n:] {
		n = min(len(block), int(h.peerFrame))
		_ = h.fr.WriteContinuation(id, n == len(block), block[:n])
	}
}

// sendBody writes as much of a stream's body as the stream and connection
// windows allow; the rest waits for WINDOW_UPDATE.
func (h *h2conn) sendBody(slot int32, body []byte, now int64) {
	st := &h.streams[slot]
	for int(st.bodyOff) < len(body) {
		n := min(int64(len(body)-int(st.bodyOff)), st.window, h.sendWindow, int64(h.peerFrame))
		if n <= 0 {
			if st.blocked == 0 {
				st.blocked = max(now, 1)
			}
			if !st.queued {
				st.queued = true
				h.waiting = append(h.waiting, slot)
			}
			return
		}
		end := int(st.bodyOff) + int(n)
		_ = h.fr.WriteData(st.id, end == len(body), body[st.bodyOff:end])
		st.bodyOff = uint32(end)
		st.window -= n
		h.sendWindow -= n
	}
}

// resume sends the bodies that waited for window, now that some opened.
func (h *h2conn) resume(req *h2Request, ev h2events, now int64) {
	waiting := h.waiting
	h.waiting, h.spare = h.spare[:0], waiting
	for _, slot := range waiting {
		st := &h.streams[slot]
		st.queued = false
		if st.id == 0 || st.blocked == 0 {
			continue // answered or failed meanwhile
		}
		since := st.blocked
		st.blocked = 0
		h.sendBody(slot, req.body, now)
		if st.blocked == 0 {
			ev.h2Blocked(since)
		} else {
			st.blocked = since
		}
	}
}

// release frees a stream's slot (and accounts a wait for window that
// ends with it).
func (h *h2conn) release(slot int32, ev h2events) {
	st := &h.streams[slot]
	if st.blocked != 0 {
		ev.h2Blocked(st.blocked)
	}
	delete(h.ids, st.id)
	st.id, st.blocked = 0, 0
	h.free = append(h.free, slot)
	h.inflight--
}

// fail settles a stream as failed and frees it.
func (h *h2conn) fail(slot int32, cl class, s Stage, other string, ev h2events) {
	ev.h2Failed(slot, cl, s, other)
	h.release(slot, ev)
}

// cancel gives up on a stream (RST_STREAM CANCEL) and fails it.
func (h *h2conn) cancel(slot int32, cl class, s Stage, ev h2events) {
	_ = h.fr.WriteRSTStream(h.streams[slot].id, http2.ErrCodeCancel)
	h.fail(slot, cl, s, "", ev)
}

// drop settles every stream in flight when the connection ends: failed
// with class cl (or the other class named other) at stage s. Streams a
// graceful GOAWAY declared unprocessed were settled when it came.
func (h *h2conn) drop(cl class, s Stage, other string, ev h2events) {
	for slot := range h.streams {
		if h.streams[slot].id != 0 {
			h.fail(int32(slot), cl, s, other, ev)
		}
	}
}

// connError queues GOAWAY for e and returns it.
func (h *h2conn) connError(e *h2Error) *h2Error {
	last := uint32(0) // the server opens no streams (no push)
	_ = h.fr.WriteGoAway(last, e.code, nil)
	return e
}

// feed processes bytes read from the connection. A non-nil error ends the
// connection (an *h2Error; GOAWAY is queued when the driver saw the
// server break the protocol).
func (h *h2conn) feed(data []byte, req *h2Request, ev h2events, now int64) error {
	err := h.split.split(data, func(frame []byte) error { return h.frame(frame, req, ev, now) })
	if errors.Is(err, errFrameTooLarge) {
		return h.connError(&h2Error{code: http2.ErrCodeFrameSize, cl: cH2Protocol, stage: StageParse, reason: err.Error()})
	}
	return err
}

// frame handles one whole frame.
func (h *h2conn) frame(frame []byte, req *h2Request, ev h2events, now int64) error {
	h.rd.b = frame
	f, err := h.fr.ReadFrame()
	if err != nil {
		return h.readError(err, ev)
	}
	if !h.gotSettings {
		if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
			return h.connError(protocolError("the server's first frame is %s, not SETTINGS: is it an HTTP/2 server?", f.Header().Type))
		}
	}
	switch f := f.(type) {
	case *http2.DataFrame:
		return h.data(f, ev)
	case *http2.HeadersFrame:
		return h.headers(f.StreamID, f.HeaderBlockFragment(), f.HeadersEnded(), f.StreamEnded(), ev)
	case *http2.ContinuationFrame:
		return h.continuation(f, ev)
	case *http2.RSTStreamFrame:
		return h.rstStream(f, ev)
	case *http2.SettingsFrame:
		return h.settings(f, req, ev, now)
	case *http2.PingFrame:
		if !f.IsAck() {
			_ = h.fr.WritePing(true, f.Data)
		}
	case *http2.GoAwayFrame:
		h.goAway(f, ev)
	case *http2.WindowUpdateFrame:
		return h.windowUpdate(f, req, ev, now)
	case *http2.PushPromiseFrame:
		return h.connError(protocolError("PUSH_PROMISE although the driver disabled push"))
	}
	return nil // PRIORITY and unknown frames are ignored
}

// readError turns a framer error into a stream or connection failure.
func (h *h2conn) readError(err error, ev h2events) error {
	var se http2.StreamError
	if errors.As(err, &se) {
		if slot, ok := h.ids[se.StreamID]; ok {
			_ = h.fr.WriteRSTStream(se.StreamID, se.Code)
			h.fail(slot, cH2Protocol, StageParse, "", ev)
		}
		return nil
	}
	var ce http2.ConnectionError
	if errors.As(err, &ce) {
		reason := http2.ErrCode(ce).String()
		if d := h.fr.ErrorDetail(); d != nil {
			reason = d.Error()
		}
		cl := class(cH2Protocol)
		if http2.ErrCode(ce) == http2.ErrCodeFlowControl {
			cl = cH2FlowControl
		}
		return h.connError(&h2Error{code: http2.ErrCode(ce), cl: cl, stage: StageParse, reason: reason})
	}
	return h.connError(protocolError("%v", err))
}

// known looks a stream up; a frame for a stream the driver never opened
// is a connection error, one for a stream it settled already is ignored.
func (h *h2conn) known(id uint32, what string) (int32, error) {
	if slot, ok := h.ids[id]; ok {
		return slot, nil
	}
	if id%2 == 0 || id >= h.nextID {
		return -1, h.connError(protocolError("%s on stream %d, which the driver never opened", what, id))
	}
	return -1, nil
}

// headers starts a header block (HEADERS); the HPACK state must follow
// every block, answered streams' included.
func (h *h2conn) headers(id uint32, frag []byte, ended, endStream bool, ev h2events) error {
	slot, err := h.known(id, "HEADERS")
	if err != nil {
		return err
	}
	h.hdrSlot, h.hdrStatus, h.hdrEnd, h.hdrStatusSeen = slot, 0, endStream, false
	h.hdrTrailers = slot >= 0 && h.streams[slot].headers
	h.dec.SetEmitEnabled(true)
	if _, err := h.dec.Write(frag); err != nil {
		return h.connError(&h2Error{code: http2.ErrCodeCompression, cl: cH2Protocol, stage: StageParse, reason: err.Error()})
	}
	if ended {
		return h.endHeaders(ev)
	}
	return nil
}

func (h *h2conn) continuation(f *http2.ContinuationFrame, ev h2events) error {
	if _, err := h.dec.Write(f.HeaderBlockFragment()); err != nil {
		return h.connError(&h2Error{code: http2.ErrCodeCompression, cl: cH2Protocol, stage: StageParse, reason: err.Error()})
	}
	if f.HeadersEnded() {
		return h.endHeaders(ev)
	}
	return nil
}

// emit receives decoded header fields: only the first is looked at (a
// response's pseudo-header :status comes first); the decoder then stops
// making strings for the rest of the block.
func (h *h2conn) emit(f hpack.HeaderField) {
	h.dec.SetEmitEnabled(false)
	if h.hdrStatusSeen {
		return
	}
	h.hdrStatusSeen = true
	if f.Name == ":status" && len(f.Value) == 3 {
		if n, err := strconv.Atoi(f.Value); err == nil {
			h.hdrStatus = int32(n)
		}
	}
}

// endHeaders finishes a header block: final headers, an informational
// answer to wait past, or trailers.
func (h *h2conn) endHeaders(ev h2events) error {
	if err := h.dec.Close(); err != nil {
		return h.connError(&h2Error{code: http2.ErrCodeCompression, cl: cH2Protocol, stage: StageParse, reason: err.Error()})
	}
	slot := h.hdrSlot
	h.hdrSlot = -1
	if slot < 0 {
		return nil
	}
	st := &h.streams[slot]
	switch {
	case h.hdrTrailers && !h.hdrEnd:
		h.streamError(slot, http2.ErrCodeProtocol, ev) // trailers must end the stream
	case h.hdrTrailers:
		h.answer(slot, ev)
	case h.hdrStatus < 100:
		h.streamError(slot, http2.ErrCodeProtocol, ev) // no valid :status first
	case h.hdrStatus < 200 && h.hdrStatus != 101:
		if h.hdrEnd {
			h.streamError(slot, http2.ErrCodeProtocol, ev)
		}
		// an informational answer: the final one follows
	default:
		st.status, st.headers = h.hdrStatus, true
		if h.hdrEnd {
			h.answer(slot, ev)
		}
	}
	return nil
}

// streamError resets a stream the server answered wrongly and fails it.
func (h *h2conn) streamError(slot int32, code http2.ErrCode, ev h2events) {
	_ = h.fr.WriteRSTStream(h.streams[slot].id, code)
	cl := class(cH2Protocol)
	if code == http2.ErrCodeFlowControl {
		cl = cH2FlowControl
	}
	h.fail(slot, cl, StageParse, "", ev)
}

// answer settles a stream with its complete response.
func (h *h2conn) answer(slot int32, ev h2events) {
	h.answered++
	ev.h2Answered(slot, int(h.streams[slot].status))
	h.release(slot, ev)
}

// data accounts a DATA frame against the receive windows (opening them
// again in large steps) and ends its stream when it says so.
func (h *h2conn) data(f *http2.DataFrame, ev h2events) error {
	n := f.Length
	h.recvWindow -= int64(n)
	if h.recvWindow < 0 {
		return h.connError(&h2Error{code: http2.ErrCodeFlowControl, cl: cH2FlowControl, stage: StageRead,
			reason: "the server sent more DATA than the connection window allows"})
	}
	h.recvUnacked += n
	if h.recvUnacked >= h2ConnWindow/2 {
		_ = h.fr.WriteWindowUpdate(0, h.recvUnacked)
		h.recvWindow += int64(h.recvUnacked)
		h.recvUnacked = 0
	}
	slot, err := h.known(f.StreamID, "DATA")
	if err != nil || slot < 0 {
		return err
	}
	st := &h.streams[slot]
	if !st.headers {
		h.streamError(slot, http2.ErrCodeProtocol, ev) // DATA before the response's HEADERS
		return nil
	}
	st.recv += n
	switch {
	case st.recv > h2StreamWindow:
		h.streamError(slot, http2.ErrCodeFlowControl, ev)
	case f.StreamEnded():
		h.answer(slot, ev)
	case st.recv >= h2StreamWindow/2:
		_ = h.fr.WriteWindowUpdate(st.id, st.recv)
		st.recv = 0
	}
	return nil
}

// rstStream settles a stream the server reset, classed by its code.
func (h *h2conn) rstStream(f *http2.RSTStreamFrame, ev h2events) error {
	slot, err := h.known(f.StreamID, "RST_STREAM")
	if err != nil || slot < 0 {
		return err
	}
	ev.h2Reset(slot, f.ErrCode)
	switch f.ErrCode {
	case http2.ErrCodeRefusedStream:
		h.fail(slot, cH2Refused, StageRead, "", ev)
	case http2.ErrCodeProtocol:
		h.fail(slot, cH2Protocol, StageRead, "", ev)
	case http2.ErrCodeFlowControl:
		h.fail(slot, cH2FlowControl, StageRead, "", ev)
	default:
		h.fail(slot, 0, StageRead, otherClass("H2_"+f.ErrCode.String(), StageRead), ev)
	}
	return nil
}

// settings applies the server's SETTINGS and acknowledges them.
func (h *h2conn) settings(f *http2.SettingsFrame, req *h2Request, ev h2events, now int64) error {
	if f.IsAck() {
		return nil
	}
	h.gotSettings = true
	var grew bool
	err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingMaxConcurrentStreams:
			h.peerMax = s.Val
			ev.h2Settings(s.Val)
		case http2.SettingInitialWindowSize:
			delta := int64(s.Val) - h.peerWindow
			h.peerWindow = int64(s.Val)
			grew = grew || delta > 0
			for i := range h.streams {
				if h.streams[i].id != 0 {
					h.streams[i].window += delta
				}
			}
		case http2.SettingMaxFrameSize:
			h.peerFrame = s.Val
		case http2.SettingHeaderTableSize:
			if s.Val < h2HeaderTable {
				h.enc.SetMaxDynamicTableSize(s.Val)
				h.block, h.prev = nil, h.prev[:0]
			}
		}
		return nil
	})
	if err != nil {
		return h.readError(err, ev)
	}
	_ = h.fr.WriteSettingsAck()
	if grew {
		h.resume(req, ev, now)
	}
	return nil
}

// goAway records a GOAWAY: no new streams on this connection; streams
// above its last stream id were not processed: after a graceful GOAWAY
// (NO_ERROR) on a connection that answered before, they go out again
// elsewhere (RFC 9113 §6.8); otherwise they are lost to it.
func (h *h2conn) goAway(f *http2.GoAwayFrame, ev h2events) {
	ev.h2GoAway(f.ErrCode)
	h.goaway = true
	h.lastID = f.LastStreamID
	retry := f.ErrCode == http2.ErrCodeNo && h.answered > 0
	for slot := range h.streams {
		st := &h.streams[slot]
		if st.id == 0 || st.id <= f.LastStreamID {
			continue
		}
		if retry {
			ev.h2Unprocessed(int32(slot))
			h.release(int32(slot), ev)
		} else {
			h.fail(int32(slot), cH2GoAway, StageRead, "", ev)
		}
	}
}

// windowUpdate opens a send window and resumes the bodies it lets go.
func (h *h2conn) windowUpdate(f *http2.WindowUpdateFrame, req *h2Request, ev h2events, now int64) error {
	if f.StreamID == 0 {
		h.sendWindow += int64(f.Increment)
		if h.sendWindow > h2MaxStreamID {
			return h.connError(&h2Error{code: http2.ErrCodeFlowControl, cl: cH2FlowControl, stage: StageRead,
				reason: "WINDOW_UPDATE took the connection window past 2^31-1"})
		}
	} else {
		slot, err := h.known(f.StreamID, "WINDOW_UPDATE")
		if err != nil || slot < 0 {
			return err
		}
		st := &h.streams[slot]
		if st.window += int64(f.Increment); st.window > h2MaxStreamID {
			h.streamError(slot, http2.ErrCodeFlowControl, ev)
			return nil
		}
	}
	if len(h.waiting) > 0 {
		h.resume(req, ev, now)
	}
	return nil
}

// ring is a FIFO of times with a fixed capacity.
type ring struct {
	t          []int64
	head, size int
}

func newRing(n int) ring { return ring{t: make([]int64, n)} }

func (r *ring) push(v int64) {
	if r.size == len(r.t) {
		return // cannot happen: a connection has at most len(t) requests
	}
	r.t[(r.head+r.size)%len(r.t)] = v
	r.size++
}

func (r *ring) pop() int64 {
	v := r.t[r.head]
	r.head = (r.head + 1) % len(r.t)
	r.size--
	return v
}
