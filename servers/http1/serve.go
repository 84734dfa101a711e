package http1

import (
	"errors"
	"io"
	"time"

	"github.com/scalelab/scalelab/servers"
)

// Conn is what ConnServer needs from a connection; *net.TCPConn has it.
// Read and Write block (until their deadline); Write writes everything or
// fails.
type Conn interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetDeadline(t time.Time) error
	SetReadDeadline(t time.Time) error
	CloseWrite() error
}

// Buffer sizes of a ConnServer. The input buffer starts at the header limit
// (at least initialInput) and grows, up to Parser.MaxRequestBytes, only for
// requests with bodies.
const (
	initialInput  = 4 << 10
	initialOutput = 4 << 10
	// flushAt is the size of pending answers that forces a write in the
	// middle of a pipelined batch.
	flushAt = 32 << 10
)

// After a refused request the server half-closes and reads what the client
// still sends for a moment before closing, so that its answer is not lost
// to a reset (closing a socket with unread data sends RST). Both bounds are
// small: the naive server has one goroutine.
const (
	lingerTime  = 100 * time.Millisecond
	lingerBytes = 256 << 10
)

// ErrPartialRequest is returned by Serve when the client closed its side in
// the middle of a request (it was answered 400).
var ErrPartialRequest = errors.New("http1: connection closed in the middle of a request")

// ConnServer serves HTTP/1.1 on blocking connections, one connection at a
// time, with buffers reused from one connection to the next: a worker owns
// one, and serving a request allocates nothing. Answers to all complete
// requests found in one read (pipelining) are written in order with one
// write.
//
// How a connection ends:
//   - The client half-closes after its request (shutdown(SHUT_WR), as the
//     lab's driver does to be the active closer): the request is answered,
//     then the end of input ends the connection. Input that ends in the
//     middle of a request is answered 400.
//   - A refused request (parse error) is answered with its status and
//     "Connection: close"; then the server half-closes and reads what the
//     client still sends for up to 100 ms, so that its answer is not lost
//     to a reset.
//   - The read timeout passes: closed without an answer, as net/http does.
type ConnServer struct {
	// Parser holds the header and body limits.
	Parser Parser
	// KeepAlive lets connections persist between requests when the client
	// agrees; off, every answer carries "Connection: close".
	KeepAlive bool
	// ReadTimeout bounds the wait for each complete request, counted from
	// the start of the connection or from the previous answer, and the
	// write of each batch of answers. 0: no bound.
	ReadTimeout time.Duration
	// Stats receives one Served per answered request.
	Stats *servers.Stats
	// Stop, when closed, cuts /sleep handlers short (shutdown).
	Stop <-chan struct{}

	in, out []byte
	pending []pendingAnswer
	req     Request
}

// pendingAnswer is an answer appended to out but not yet written.
type pendingAnswer struct {
	status int
	start  time.Time
	end    int // where the answer ends in out
}

// NewConnServer returns a ConnServer with the knobs of cfg.
func NewConnServer(cfg servers.Config, st *servers.Stats, stop <-chan struct{}) *ConnServer {
	return &ConnServer{
		Parser:      Parser{MaxHeaderBytes: cfg.MaxHeaderBytes},
		KeepAlive:   cfg.KeepAlive,
		ReadTimeout: cfg.ReadTimeout,
		Stats:       st,
		Stop:        stop,
	}
}

// Serve answers requests on c until the connection should end: the client
// closed it or asked to, keep-alive is off, a request was refused, the read
// timeout passed, or an I/O error. It returns nil when the connection ended
// cleanly and the reason otherwise. The caller closes c.
func (s *ConnServer) Serve(c Conn) error {
	if s.in == nil {
		s.in = make([]byte, max(initialInput, s.Parser.maxHeader()))
		s.out = make([]byte, 0, initialOutput)
	}
	if s.ReadTimeout > 0 {
		if err := c.SetReadDeadline(time.Now().Add(s.ReadTimeout)); err != nil {
			return err
		}
	}
	in := s.in
	r, w := 0, 0 // unparsed bytes are in[r:w]
	for {
		for r < w {
			n, err := s.Parser.Parse(in[r:w], &s.req)
			if err == ErrIncomplete {
				break
			}
			start := time.Now()
			if err != nil {
				s.out = AppendError(s.out, StatusOf(err))
				s.pending = append(s.pending, pendingAnswer{StatusOf(err), start, len(s.out)})
				if werr := s.flush(c); werr != nil {
					return werr
				}
				s.linger(c)
				return err
			}
			r += n
			a := servers.RouteTarget(s.req.Target).WithBody(len(s.req.Body))
			s.do(a)
			keep := s.KeepAlive && s.req.KeepAlive
			s.out = AppendAnswer(s.out, &s.req, a, keep)
			s.pending = append(s.pending, pendingAnswer{a.Status(), start, len(s.out)})
			if !keep {
				return s.flush(c)
			}
			if len(s.out) >= flushAt {
				if err := s.flush(c); err != nil {
					return err
				}
			}
		}
		if len(s.out) > 0 {
			if err := s.flush(c); err != nil {
				return err
			}
		}
		// Keep the unparsed tail at the front; grow only when a request
		// with a body does not fit (the parser bounds its size).
		if r > 0 {
			w = copy(in, in[r:w])
			r = 0
		}
		if w == len(in) {
			in = s.grow(w)
		}
		n, err := c.Read(in[w:])
		w += n
		if err != nil && n == 0 { // with n > 0 the error comes back on the next read
			if errors.Is(err, io.EOF) {
				if w > 0 {
					// Whatever the parser made of the bytes, they
					// end without a complete request.
					s.out = AppendError(s.out, 400)
					s.pending = append(s.pending, pendingAnswer{400, time.Now(), len(s.out)})
					_ = s.flush(c)
					return ErrPartialRequest
				}
				return nil
			}
			return err
		}
	}
}

// grow enlarges the input buffer holding w bytes, up to the largest request
// the parser accepts.
func (s *ConnServer) grow(w int) []byte {
	size := min(2*len(s.in), s.Parser.MaxRequestBytes())
	if size <= len(s.in) {
		// Cannot happen: a request that large was refused by Parse.
		size = len(s.in) + initialInput
	}
	in := make([]byte, size)
	copy(in, s.in[:w])
	s.in = in
	return in
}

// flush writes the pending answers and counts the ones written as served;
// when the write fails because the client is gone, the ones not written are
// counted as abandoned. Before the write it moves the deadline on:
// ReadTimeout for this write and for the next request to arrive.
func (s *ConnServer) flush(c Conn) error {
	if s.ReadTimeout > 0 {
		if err := c.SetDeadline(time.Now().Add(s.ReadTimeout)); err != nil {
			return err
		}
	}
	n, err := c.Write(s.out)
	s.out = s.out[:0]
	if s.Stats != nil {
		now := time.Now()
		gone := err != nil && servers.ClientGone(err)
		for _, p := range s.pending {
			switch {
			case p.end <= n:
				s.Stats.Served(p.status, now.Sub(p.start))
			case gone:
				s.Stats.Abandoned(1)
			}
		}
	}
	s.pending = s.pending[:0]
	return err
}

// linger half-closes c and reads what the client still sends, bounded in
// time and bytes, so that the client reads the answer before the close.
func (s *ConnServer) linger(c Conn) {
	if c.CloseWrite() != nil {
		return
	}
	if c.SetReadDeadline(time.Now().Add(lingerTime)) != nil {
		return
	}
	for read := 0; read < lingerBytes; {
		n, err := c.Read(s.in)
		read += n
		if err != nil {
			return
		}
	}
}

// do performs the action; a sleep ends early when Stop is closed.
func (s *ConnServer) do(a servers.Action) {
	if a.Kind == servers.KindSleep && a.N > 0 && s.Stop != nil {
		t := time.NewTimer(time.Duration(a.N) * time.Millisecond)
		select {
		case <-t.C:
		case <-s.Stop:
			t.Stop()
		}
		return
	}
	a.Do()
}
