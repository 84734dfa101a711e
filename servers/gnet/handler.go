package gnet

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/http1"
	"github.com/scalelab/scalelab/servers/internal/lifecycle"
)

// After a refused request the connection is half-closed and what the client
// still sends is read and dropped for a moment, so that the answer reaches
// the client before the close (closing with unread input sends a reset).
const (
	lingerTime  = 100 * time.Millisecond
	lingerBytes = 256 << 10
)

// Bounds of the ticker sweep that closes idle and lingering connections.
const (
	minSweep = 5 * time.Millisecond
	maxSweep = 100 * time.Millisecond
)

// The states of a connection.
const (
	stateReading int32 = iota // waiting for (more of) a request
	stateBlocked              // a /sleep answer is pending; input waits behind it
	stateLinger               // refused: half-closed, dropping input until closed
)

// conn is the per-connection state, the gnet.Conn's context. Fields other
// than the atomics are touched only on the connection's event loop.
type conn struct {
	c gnet.Conn
	// state is one of the state constants (read by the ticker).
	state atomic.Int32
	// since is when the connection began waiting for its current request
	// (UnixNano): opened, or last answered. The read timeout counts from it.
	since atomic.Int64

	req      http1.Request
	out      []byte
	statuses []int
	lingered int
}

// handler implements gnet.EventHandler.
type handler struct {
	gnet.BuiltinEventEngine

	st          *servers.Stats
	parser      http1.Parser
	keepAlive   bool
	readTimeout time.Duration
	sweep       time.Duration
	// maxBlocked bounds the input a connection may pile up behind a
	// pending /sleep answer.
	maxBlocked int

	// Set before the engine runs.
	addrs   []string
	backlog int

	booted    chan error // OnBoot's outcome
	ticking   chan error // closed at the first OnTick: the loops run
	tickOnce  sync.Once
	bootFDs   []int
	bootOK    atomic.Bool
	engMu     sync.Mutex
	eng       gnet.Engine
	hasEngine bool

	stopCh   chan struct{}
	stopOnce sync.Once
	sleepers sync.WaitGroup

	connMu sync.Mutex
	conns  map[*conn]struct{}
}

var _ gnet.EventHandler = (*handler)(nil)

func newHandler(cfg servers.Config, st *servers.Stats) *handler {
	h := &handler{
		st:          st,
		parser:      http1.Parser{MaxHeaderBytes: cfg.MaxHeaderBytes},
		keepAlive:   cfg.KeepAlive,
		readTimeout: cfg.ReadTimeout,
		sweep:       maxSweep,
		booted:      make(chan error, 1),
		ticking:     make(chan error),
		stopCh:      make(chan struct{}),
		conns:       make(map[*conn]struct{}),
	}
	h.maxBlocked = 16 * h.parser.MaxRequestBytes()
	if cfg.ReadTimeout > 0 {
		h.sweep = min(max(cfg.ReadTimeout/4, minSweep), maxSweep)
	}
	return h
}

// OnBoot gives every listening socket the asked backlog, before the loops
// start accepting.
func (h *handler) OnBoot(eng gnet.Engine) gnet.Action {
	h.engMu.Lock()
	h.eng, h.hasEngine = eng, true
	h.engMu.Unlock()
	fds := make([]int, 0, len(h.addrs))
	for _, a := range h.addrs {
		fd, err := eng.DupListener("tcp", a)
		if err == nil {
			err = setBacklog(fd, h.backlog)
			if err != nil {
				_ = unix.Close(fd)
			}
		}
		if err != nil {
			closeFDs(fds)
			h.booted <- err
			return gnet.Shutdown
		}
		fds = append(fds, fd)
	}
	h.bootFDs = fds
	h.bootOK.Store(true)
	h.booted <- nil
	return gnet.None
}

// isBooted reports whether OnBoot succeeded.
func (h *handler) isBooted() bool { return h.bootOK.Load() }

// engine returns the engine handed to OnBoot.
func (h *handler) engine() (gnet.Engine, bool) {
	h.engMu.Lock()
	defer h.engMu.Unlock()
	return h.eng, h.hasEngine
}

// OnOpen counts an accepted connection and starts its state.
func (h *handler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	h.st.Accepted()
	h.st.ConnOpened()
	cs := &conn{c: c}
	cs.since.Store(time.Now().UnixNano())
	c.SetContext(cs)
	h.connMu.Lock()
	h.conns[cs] = struct{}{}
	h.connMu.Unlock()
	return nil, gnet.None
}

// OnClose counts a closed connection.
func (h *handler) OnClose(c gnet.Conn, _ error) gnet.Action {
	h.st.ConnClosed()
	if cs, ok := c.Context().(*conn); ok {
		h.connMu.Lock()
		delete(h.conns, cs)
		h.connMu.Unlock()
	}
	return gnet.None
}

// OnTraffic answers every complete request in the connection's input.
func (h *handler) OnTraffic(c gnet.Conn) gnet.Action {
	cs, ok := c.Context().(*conn)
	if !ok {
		return gnet.Close
	}
	switch cs.state.Load() {
	case stateBlocked:
		// Input waits in gnet's buffer until the pending answer is out.
		if c.InboundBuffered() > h.maxBlocked {
			return gnet.Close
		}
		return gnet.None
	case stateLinger:
		n, _ := c.Discard(-1)
		cs.lingered += n
		if cs.lingered > lingerBytes {
			return gnet.Close
		}
		return gnet.None
	}
	h.st.WorkerBusy()
	action := h.serve(c, cs)
	h.st.WorkerIdle()
	return action
}

// serve parses and answers the buffered requests of cs with one write.
func (h *handler) serve(c gnet.Conn, cs *conn) gnet.Action {
	buf, _ := c.Peek(-1)
	start := time.Now()
	out, statuses := cs.out[:0], cs.statuses[:0]
	action := gnet.None
	refused := false
	consumed := 0
	for consumed < len(buf) {
		n, err := h.parser.Parse(buf[consumed:], &cs.req)
		if err == http1.ErrIncomplete {
			break
		}
		if err != nil {
			status := http1.StatusOf(err)
			out = http1.AppendError(out, status)
			statuses = append(statuses, status)
			consumed, refused = len(buf), true
			break
		}
		consumed += n
		a := servers.RouteTarget(cs.req.Target).WithBody(len(cs.req.Body))
		keep := h.keepAlive && cs.req.KeepAlive
		if a.Blocking() {
			cs.state.Store(stateBlocked)
			h.sleepers.Add(1)
			go h.sleep(c, a, answerShape(&cs.req), keep, start)
			break
		}
		a.Do()
		out = http1.AppendAnswer(out, &cs.req, a, keep)
		statuses = append(statuses, a.Status())
		if !keep {
			consumed, action = len(buf), gnet.Close
			break
		}
	}
	if consumed > 0 {
		_, _ = c.Discard(consumed) // Discard(0) would drop everything
	}
	var werr error
	if len(out) > 0 {
		// gnet writes what the socket takes and buffers the rest; an
		// error means nothing was written and gnet closes the connection.
		_, werr = c.Write(out)
	}
	if len(statuses) > 0 {
		now := time.Now()
		h.count(statuses, now.Sub(start), werr)
		cs.since.Store(now.UnixNano())
	}
	cs.out, cs.statuses = out[:0], statuses[:0]
	if refused {
		return h.linger(c, cs)
	}
	return action
}

// linger half-closes a refused connection once its answer is out; the
// ticker closes it after lingerTime, the client's close ends it sooner.
func (h *handler) linger(c gnet.Conn, cs *conn) gnet.Action {
	if c.OutboundBuffered() > 0 || unix.Shutdown(c.Fd(), unix.SHUT_WR) != nil {
		return gnet.Close // gnet flushes what is buffered before closing
	}
	cs.since.Store(time.Now().UnixNano())
	cs.state.Store(stateLinger)
	return gnet.None
}

// The methods a deferred answer needs to know about.
var methodHEAD = []byte("HEAD")

// answerShape keeps what AppendAnswer reads of a request (its version and
// whether it is a HEAD), without the slices into gnet's buffer.
func answerShape(r *http1.Request) http1.Request {
	shape := http1.Request{Minor: r.Minor}
	if r.Head() {
		shape.Method = methodHEAD
	}
	return shape
}

// sleep runs a /sleep request off the event loop and sends its answer with
// AsyncWrite; on the loop again, the connection goes on with the requests
// that arrived meanwhile.
func (h *handler) sleep(c gnet.Conn, a servers.Action, shape http1.Request, keep bool, start time.Time) {
	defer h.sleepers.Done()
	t := time.NewTimer(time.Duration(a.N) * time.Millisecond)
	select {
	case <-t.C:
	case <-h.stopCh:
		t.Stop()
	}
	out := http1.AppendAnswer(nil, &shape, a, keep)
	_ = c.AsyncWrite(out, func(c gnet.Conn, err error) error {
		if err != nil {
			// The connection is gone: the client closed or reset it while
			// it waited (gnet closes on either), or the server is
			// shutting down.
			if !h.stopping() {
				h.st.Abandoned(1)
			}
			return nil
		}
		now := time.Now()
		h.st.Served(a.Status(), now.Sub(start))
		if !keep {
			return c.Close()
		}
		cs, ok := c.Context().(*conn)
		if !ok {
			return nil
		}
		cs.since.Store(now.UnixNano())
		cs.state.Store(stateReading)
		if c.InboundBuffered() > 0 {
			return c.Wake(nil)
		}
		return nil
	})
}

// OnTick marks the loops as running and closes connections past their read
// timeout or their linger time.
func (h *handler) OnTick() (time.Duration, gnet.Action) {
	h.tickOnce.Do(func() { close(h.ticking) })
	now := time.Now().UnixNano()
	readLimit, lingerLimit := int64(h.readTimeout), int64(lingerTime)
	h.connMu.Lock()
	for cs := range h.conns {
		waited := now - cs.since.Load()
		switch cs.state.Load() {
		case stateReading:
			if readLimit > 0 && waited > readLimit {
				_ = cs.c.Close()
			}
		case stateLinger:
			if waited > lingerLimit {
				_ = cs.c.Close()
			}
		}
	}
	h.connMu.Unlock()
	return h.sweep, gnet.None
}

// count counts the answers of one write: served, or abandoned when the
// write failed because the client is gone.
func (h *handler) count(statuses []int, d time.Duration, werr error) {
	for _, status := range statuses {
		switch {
		case werr == nil:
			h.st.Served(status, d)
		case servers.ClientGone(werr):
			h.st.Abandoned(1)
		}
	}
}

// stopping reports whether the server is shutting down.
func (h *handler) stopping() bool { return lifecycle.Closed(h.stopCh) }

// stop cuts pending /sleep handlers short.
func (h *handler) stop() { h.stopOnce.Do(func() { close(h.stopCh) }) }

// waitSleepers waits for the /sleep goroutines to end, or for ctx.
func (h *handler) waitSleepers(ctx context.Context) error {
	return lifecycle.Wait(ctx, &h.sleepers)
}
