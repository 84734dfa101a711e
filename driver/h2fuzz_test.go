package driver

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// recorder is an h2events that writes down what happened.
type recorder struct {
	h      *h2conn
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) h2Answered(slot int32, status int) {
	r.add("answered %d %d", r.h.stream(slot).id, status)
}
func (r *recorder) h2Failed(slot int32, cl class, s Stage, other string) {
	name := other
	if name == "" {
		name = classNames[cl]
	}
	r.add("failed %d %s %s", r.h.stream(slot).id, name, s)
}
func (r *recorder) h2Unprocessed(slot int32) { r.add("unprocessed %d", r.h.stream(slot).id) }
func (r *recorder) h2Reset(slot int32, code http2.ErrCode) {
	r.add("reset %d %s", r.h.stream(slot).id, code)
}
func (r *recorder) h2Settings(maxStreams uint32) { r.add("settings %d", maxStreams) }
func (r *recorder) h2GoAway(code http2.ErrCode)  { r.add("goaway %s", code) }
func (r *recorder) h2Blocked(since int64)        { r.add("blocked %d", since) }

// serverFrames builds the bytes of a server's frames with the Framer.
func serverFrames(write func(fr *http2.Framer, enc *hpack.Encoder, block *bytes.Buffer)) []byte {
	var out, block bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	write(fr, hpack.NewEncoder(&block), &block)
	return out.Bytes()
}

// headerBlock encodes fields into a fresh block.
func headerBlock(enc *hpack.Encoder, block *bytes.Buffer, fields ...string) []byte {
	block.Reset()
	for i := 0; i+1 < len(fields); i += 2 {
		_ = enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return append([]byte(nil), block.Bytes()...)
}

// fuzzSettings is the server preface every fuzzed session starts from.
var fuzzSettings = serverFrames(func(fr *http2.Framer, _ *hpack.Encoder, _ *bytes.Buffer) {
	_ = fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 8})
})

// fuzzSeeds are server answers to the streams 1, 3 and 5 a session opens.
func fuzzSeeds() [][]byte {
	return [][]byte{
		serverFrames(func(fr *http2.Framer, enc *hpack.Encoder, b *bytes.Buffer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: headerBlock(enc, b, ":status", "200", "server", "x"), EndHeaders: true})
			_ = fr.WriteData(1, true, []byte("ok"))
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: headerBlock(enc, b, ":status", "404"), EndHeaders: true, EndStream: true})
			_ = fr.WriteRSTStream(5, http2.ErrCodeRefusedStream)
		}),
		serverFrames(func(fr *http2.Framer, enc *hpack.Encoder, b *bytes.Buffer) {
			blk := headerBlock(enc, b, ":status", "103", "link", "</a>")
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: blk[:2], EndHeaders: false})
			_ = fr.WriteContinuation(3, true, blk[2:])
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: headerBlock(enc, b, ":status", "200"), EndHeaders: true})
			_ = fr.WriteDataPadded(3, false, []byte("part"), make([]byte, 7))
			_ = fr.WritePing(false, [8]byte{1, 2, 3})
			_ = fr.WriteWindowUpdate(0, 1000)
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: headerBlock(enc, b, "trailer", "t"), EndHeaders: true, EndStream: true})
			_ = fr.WriteGoAway(1, http2.ErrCodeNo, []byte("bye"))
		}),
		serverFrames(func(fr *http2.Framer, enc *hpack.Encoder, b *bytes.Buffer) {
			_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0}, http2.Setting{ID: http2.SettingHeaderTableSize, Val: 0})
			_ = fr.WriteRSTStream(1, http2.ErrCodeProtocol)
			_ = fr.WriteGoAway(3, http2.ErrCodeEnhanceYourCalm, nil)
			_ = fr.WriteData(7, true, []byte("never opened"))
		}),
		[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
	}
}

// feedSession opens streams 1, 3 and 5 (POST with a body, so flow control
// takes part) on a fresh session and feeds it the server's SETTINGS then
// data, cut at the given lengths; it returns the events, the error and
// the bytes the session wrote after its preface.
func feedSession(t *testing.T, data []byte, cuts []byte) ([]string, string, []byte) {
	h := newH2Conn(8)
	h.start()
	rec := &recorder{h: h}
	req := newH2Request(Target{Host: "127.0.0.1:1", Path: "/"}, "POST", nil, bytes.Repeat([]byte("b"), 70000))
	for range 3 {
		h.open(&req, 1, 1)
	}
	h.wrote(len(h.pending()))
	if err := h.feed(fuzzSettings, &req, rec, 2); err != nil {
		t.Fatalf("settings: %v", err)
	}
	var err error
	for _, c := range cuts {
		if err != nil || len(data) == 0 {
			break
		}
		n := min(int(c), len(data))
		err = h.feed(data[:n], &req, rec, 3)
		data = data[n:]
	}
	if err == nil && len(data) > 0 {
		err = h.feed(data, &req, rec, 3)
	}
	checkSession(t, h)
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return rec.events, msg, append([]byte(nil), h.pending()...)
}

// checkSession asserts the bookkeeping of a session's stream slots.
func checkSession(t *testing.T, h *h2conn) {
	t.Helper()
	open := 0
	for _, st := range h.streams {
		if st.id != 0 {
			open++
			if h.ids[st.id] < 0 {
				t.Fatalf("stream %d not indexed", st.id)
			}
		}
	}
	if open != h.inflight || len(h.ids) != open || len(h.free)+open != len(h.streams) {
		t.Fatalf("in flight %d, open slots %d, indexed %d, free %d of %d", h.inflight, open, len(h.ids), len(h.free), len(h.streams))
	}
}

// FuzzH2Frames feeds a session arbitrary server bytes, whole and cut at
// arbitrary points: the session never panics, its slots stay consistent,
// and how the bytes were cut into reads changes nothing: the same events,
// the same end, the same frames written back.
func FuzzH2Frames(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, []byte{1, 9, 13})
		f.Add(s, []byte{255, 255})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		wholeEv, wholeErr, wholeOut := feedSession(t, data, nil)
		cutEv, cutErr, cutOut := feedSession(t, data, cuts)
		if !reflect.DeepEqual(wholeEv, cutEv) || wholeErr != cutErr || !bytes.Equal(wholeOut, cutOut) {
			t.Fatalf("cut at %v:\nwhole: %v %q\ncut:   %v %q", cuts, wholeEv, wholeErr, cutEv, cutErr)
		}
	})
}

// FuzzFrameSplitter: the splitter hands on the same frames however the
// bytes are cut, each whole (its header's length plus 9 bytes), never one
// over the limit.
func FuzzFrameSplitter(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, []byte{3, 5, 100})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		collect := func(pieces [][]byte) ([][]byte, error) {
			s := frameSplitter{max: 64}
			var frames [][]byte
			for _, p := range pieces {
				if err := s.split(p, func(fr []byte) error {
					if uint32(len(fr)) != frameLen(fr) || len(fr)-frameHeaderLen > 64 {
						t.Fatalf("frame of %d bytes, header says %d", len(fr), frameLen(fr))
					}
					frames = append(frames, append([]byte(nil), fr...))
					return nil
				}); err != nil {
					return frames, err
				}
			}
			return frames, nil
		}
		whole, werr := collect([][]byte{data})
		var pieces [][]byte
		rest := data
		for _, c := range cuts {
			n := min(int(c), len(rest))
			pieces, rest = append(pieces, rest[:n]), rest[n:]
		}
		cut, cerr := collect(append(pieces, rest))
		if !reflect.DeepEqual(whole, cut) || (werr == nil) != (cerr == nil) {
			t.Fatalf("whole %d frames (%v), cut %d frames (%v)", len(whole), werr, len(cut), cerr)
		}
	})
}

// TestH2SessionSeeds checks what the fuzz seeds must produce.
func TestH2SessionSeeds(t *testing.T) {
	seeds := fuzzSeeds()
	tests := []struct {
		seed   int
		events []string
		err    string
	}{
		// every body waits for window (70,000 bytes, a 65,535-byte connection window)
		{0, []string{"settings 8", "answered 1 200", "blocked 1", "answered 3 404", "blocked 1",
			"reset 5 REFUSED_STREAM", "failed 5 h2_refused_stream read", "blocked 1"}, ""},
		{1, []string{"settings 8", "answered 3 200", "blocked 1", "goaway NO_ERROR", "unprocessed 5", "blocked 1"}, ""},
		{2, []string{"settings 8", "reset 1 PROTOCOL_ERROR", "failed 1 h2_protocol_error read", "blocked 1", "goaway ENHANCE_YOUR_CALM",
			"failed 5 h2_goaway read", "blocked 1"}, "http2: PROTOCOL_ERROR: DATA on stream 7, which the driver never opened"},
		{3, []string{"settings 8"}, "http2: FRAME_SIZE_ERROR: frame larger than SETTINGS_MAX_FRAME_SIZE"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.seed), func(t *testing.T) {
			ev, err, _ := feedSession(t, seeds[tt.seed], []byte{4, 4, 4})
			if !reflect.DeepEqual(ev, tt.events) || err != tt.err {
				t.Errorf("events %q, error %q\nwant   %q, error %q", ev, err, tt.events, tt.err)
			}
		})
	}
}
