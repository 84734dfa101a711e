//go:build linux

package driver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Behaviour says how an h2TestServer misbehaves; the zero value serves
// every stream at once with 200 "ok".
type h2Behaviour struct {
	maxStreams  uint32        // SETTINGS_MAX_CONCURRENT_STREAMS announced (0: none)
	enforce     int           // streams open beyond this many are reset (0: no limit)
	resetCode   http2.ErrCode // the code they are reset with
	goawayAfter int           // GOAWAY after this many streams on a connection (0: never)
	goawayCode  http2.ErrCode // its code; NO_ERROR drains, anything else closes at once
	noWindow    bool          // never send WINDOW_UPDATE: request bodies stall once the windows are spent
	delay       time.Duration // answer each stream this long after its request is complete
}

// h2TestServer is an HTTP/2 (prior knowledge) server built on
// x/net/http2's Framer, for the driver's tests: it serves exactly what its
// behaviour says, including what a real server would not do.
type h2TestServer struct {
	URL      string
	b        h2Behaviour
	ln       net.Listener
	streams  atomic.Int64 // HEADERS that opened a stream
	answered atomic.Int64 // answers written or being written
	refused  atomic.Int64
	bodies   atomic.Int64 // request body bytes received
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
}

func startH2Server(t testing.TB, b h2Behaviour) *h2TestServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &h2TestServer{URL: "http://" + ln.Addr().String(), b: b, ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Go(func() { s.serve(c) })
		}
	})
	t.Cleanup(s.close)
	return s
}

func (s *h2TestServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// h2ServerConn is one connection of the test server. The read loop and
// the timers of delayed answers share its state under mu.
type h2ServerConn struct {
	s      *h2TestServer
	c      net.Conn
	fr     *http2.Framer
	mu     sync.Mutex // guards writes and the fields below
	enc    *hpack.Encoder
	encBuf bytes.Buffer
	open   map[uint32]bool // streams opened and not yet answered
	opened int
	lastID uint32 // GOAWAY's last stream id (0: none sent)
	drain  bool   // a graceful GOAWAY went out: close once the open streams are answered
	timers sync.WaitGroup
}

func (s *h2TestServer) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	preface := make([]byte, len(h2Preface))
	if _, err := io.ReadFull(c, preface); err != nil || string(preface) != h2Preface {
		return
	}
	sc := &h2ServerConn{s: s, c: c, fr: http2.NewFramer(c, c), open: map[uint32]bool{}}
	sc.enc = hpack.NewEncoder(&sc.encBuf)
	sc.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	defer sc.timers.Wait()
	var settings []http2.Setting
	if s.b.maxStreams > 0 {
		settings = append(settings, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: s.b.maxStreams})
	}
	if sc.locked(func() error { return sc.fr.WriteSettings(settings...) }) != nil {
		return
	}
	for {
		f, err := sc.fr.ReadFrame()
		if err == nil {
			err = sc.locked(func() error { return sc.frame(f) })
		}
		if errors.Is(err, errLinger) {
			sc.linger()
		}
		if err != nil {
			return
		}
	}
}

// errLinger ends a connection the way servers do after an error GOAWAY:
// no more frames are looked at, the sending side is shut (so the GOAWAY
// is not lost to a reset, as closing a socket with unread bytes would
// cause), and what still comes is read and dropped until the driver
// closes.
var errLinger = errors.New("linger")

func (sc *h2ServerConn) linger() {
	if tc, ok := sc.c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = sc.c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.Copy(io.Discard, sc.c)
}

// locked runs fn under the connection's lock.
func (sc *h2ServerConn) locked(fn func() error) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return fn()
}

var errEnd = errors.New("end of connection")

// frame handles one frame from the driver (mu held); an error ends the
// connection.
func (sc *h2ServerConn) frame(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if !f.IsAck() {
			return sc.fr.WriteSettingsAck()
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			return sc.fr.WritePing(true, f.Data)
		}
	case *http2.MetaHeadersFrame:
		return sc.headers(f.StreamID, f.StreamEnded())
	case *http2.DataFrame:
		sc.s.bodies.Add(int64(len(f.Data())))
		if !sc.s.b.noWindow && f.Length > 0 {
			if err := sc.fr.WriteWindowUpdate(0, f.Length); err != nil {
				return err
			}
			if err := sc.fr.WriteWindowUpdate(f.StreamID, f.Length); err != nil {
				return err
			}
		}
		if f.StreamEnded() && sc.open[f.StreamID] {
			sc.answer(f.StreamID)
		}
	case *http2.RSTStreamFrame:
		delete(sc.open, f.StreamID)
	case *http2.GoAwayFrame:
		return errEnd
	}
	return nil
}

// headers opens a stream, or refuses it, or ignores it after a GOAWAY.
func (sc *h2ServerConn) headers(id uint32, ended bool) error {
	b := sc.s.b
	if sc.lastID != 0 && id > sc.lastID {
		return nil // after GOAWAY: ignored, the client may retry it
	}
	if b.enforce > 0 && len(sc.open) >= b.enforce {
		sc.s.refused.Add(1)
		return sc.fr.WriteRSTStream(id, b.resetCode)
	}
	sc.s.streams.Add(1)
	sc.open[id] = true
	sc.opened++
	if b.goawayAfter > 0 && sc.opened == b.goawayAfter {
		sc.lastID = id
		if err := sc.fr.WriteGoAway(id, b.goawayCode, nil); err != nil {
			return err
		}
		if b.goawayCode != http2.ErrCodeNo {
			return errLinger // an error: the connection ends now
		}
		sc.drain = true
	}
	if ended {
		sc.answer(id)
	}
	return nil
}

// answer sends 200 "ok" on a stream (mu held), at once or after the
// behaviour's delay; the stream counts as open until then.
func (sc *h2ServerConn) answer(id uint32) {
	if sc.s.b.delay == 0 {
		sc.send(id)
		return
	}
	sc.timers.Add(1)
	time.AfterFunc(sc.s.b.delay, func() {
		defer sc.timers.Done()
		sc.mu.Lock()
		defer sc.mu.Unlock()
		if sc.open[id] {
			sc.send(id)
		}
	})
}

// send writes the answer and closes the stream (mu held); a draining
// connection closes after its last answer.
func (sc *h2ServerConn) send(id uint32) {
	sc.s.answered.Add(1) // before the write: the driver may count the answer before this goroutine runs on
	sc.encBuf.Reset()
	_ = sc.enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
	_ = sc.enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(2)})
	err := sc.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: sc.encBuf.Bytes(), EndHeaders: true})
	if err == nil {
		err = sc.fr.WriteData(id, true, []byte("ok"))
	}
	delete(sc.open, id)
	if sc.drain && len(sc.open) == 0 {
		// Done: shut the sending side; the read loop sees the driver's
		// close (closing with unread bytes would reset the connection
		// and lose the last answers).
		if tc, ok := sc.c.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
}
