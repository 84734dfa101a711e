package driver

import (
	"errors"
	"io"
)

// frameHeaderLen is the size of an HTTP/2 frame header (RFC 9113 §4.1).
const frameHeaderLen = 9

// errFrameTooLarge reports a frame longer than the splitter's limit (our
// SETTINGS_MAX_FRAME_SIZE): a FRAME_SIZE_ERROR of the connection.
var errFrameTooLarge = errors.New("frame larger than SETTINGS_MAX_FRAME_SIZE")

// frameSplitter cuts the byte stream of a connection into whole HTTP/2
// frames. x/net/http2's Framer reads with io.ReadFull and expects a
// blocking reader; the event loop has only what one read(2) returned. So
// the splitter hands the framer only complete frames: those that lie whole
// in the bytes just read are passed on in place, and the tail of an
// incomplete one is kept (at most one frame, so at most max+9 bytes) until
// the rest arrives.
type frameSplitter struct {
	max  uint32 // longest frame payload accepted
	part []byte // the start of an incomplete frame
}

// frameLen returns the length of the frame (header included) that b
// starts with; b holds at least a frame header.
func frameLen(b []byte) uint32 {
	return (uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])) + frameHeaderLen
}

// split calls fn with each complete frame in the kept bytes followed by
// data, in order, and keeps an incomplete last frame for the next call. An
// error from fn, or a frame longer than the limit, stops it; the kept
// bytes are then meaningless (the connection is over).
func (s *frameSplitter) split(data []byte, fn func(frame []byte) error) error {
	if len(s.part) > 0 {
		var err error
		if data, err = s.complete(data, fn); err != nil || len(s.part) > 0 {
			return err
		}
	}
	for len(data) >= frameHeaderLen {
		n := frameLen(data)
		if n-frameHeaderLen > s.max {
			return errFrameTooLarge
		}
		if uint32(len(data)) < n {
			break
		}
		if err := fn(data[:n:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	s.part = append(s.part, data...)
	return nil
}

// complete adds to the kept bytes what their frame still lacks and, once
// it is whole, hands it to fn. It returns the rest of data.
func (s *frameSplitter) complete(data []byte, fn func(frame []byte) error) ([]byte, error) {
	if len(s.part) < frameHeaderLen {
		k := min(frameHeaderLen-len(s.part), len(data))
		s.part = append(s.part, data[:k]...)
		data = data[k:]
		if len(s.part) < frameHeaderLen {
			return data, nil
		}
	}
	n := frameLen(s.part)
	if n-frameHeaderLen > s.max {
		return nil, errFrameTooLarge
	}
	k := min(int(n)-len(s.part), len(data))
	s.part = append(s.part, data[:k]...)
	data = data[k:]
	if uint32(len(s.part)) < n {
		return data, nil
	}
	frame := s.part
	s.part = s.part[:0]
	if err := fn(frame); err != nil {
		return nil, err
	}
	return data, nil
}

// reset drops kept bytes (a new connection).
func (s *frameSplitter) reset() { s.part = s.part[:0] }

// frameReader is what the Framer reads from: one whole frame at a time,
// then io.EOF, never a short read in the middle of a frame.
type frameReader struct{ b []byte }

// Read implements io.Reader.
func (r *frameReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
