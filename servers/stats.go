package servers

import (
	"errors"
	"maps"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalelab/scalelab/internal/hist"
)

// Latency histogram range (handler latency, queue wait), in microseconds.
const (
	histMinMicros = 1
	histMaxMicros = 60_000_000
	histSigFigs   = 3
)

// Stats counts what a server does. It is safe for concurrent use; the hot
// path (Served, ConnOpened, ...) uses atomics and one short lock for the
// latency histogram.
type Stats struct {
	started time.Time

	accepted  atomic.Uint64
	errMu     sync.Mutex
	acceptErr map[string]uint64

	open, openPeak atomic.Int64
	busy, busyPeak atomic.Int64
	// busyTime integrates the busy workers over time (worker-seconds), so
	// their utilization over a window is its change over workers × window.
	busyMu           sync.Mutex
	busyTime         time.Duration
	busyAt           time.Time
	queue, queuePeak atomic.Int64
	workers          atomic.Int64
	queueCap         atomic.Int64

	requests  atomic.Uint64
	status    [6]atomic.Uint64 // by class: index 1..5 for 1xx..5xx, 0 other
	abandoned atomic.Uint64

	handler   latencyHist
	queueWait latencyHist

	// HTTP/2 (Config.H2C)
	streamsOpened, streamsRefused atomic.Uint64
	h2Mu                          sync.Mutex
	h2Errors                      map[string]uint64
}

// NewStats returns zeroed statistics.
func NewStats() *Stats {
	return &Stats{
		started:   time.Now(),
		acceptErr: make(map[string]uint64),
		h2Errors:  make(map[string]uint64),
		handler:   newLatencyHist(),
		queueWait: newLatencyHist(),
	}
}

// SetPool records the shape of a worker pool: its workers and queue capacity.
func (s *Stats) SetPool(workers, queueCap int) {
	s.workers.Store(int64(workers))
	s.queueCap.Store(int64(queueCap))
}

// Accepted counts one accepted connection.
func (s *Stats) Accepted() { s.accepted.Add(1) }

// AcceptError counts a failed accept by its errno name ("EMFILE"); errors
// without an errno are counted under "other".
func (s *Stats) AcceptError(err error) {
	name := ErrnoName(err)
	s.errMu.Lock()
	s.acceptErr[name]++
	s.errMu.Unlock()
}

// ConnOpened counts a connection that starts being served.
func (s *Stats) ConnOpened() { raise(&s.openPeak, s.open.Add(1)) }

// ConnClosed counts a connection that was closed.
func (s *Stats) ConnClosed() { s.open.Add(-1) }

// WorkerBusy marks one more worker busy.
func (s *Stats) WorkerBusy() {
	s.busyMu.Lock()
	s.integrateBusy(time.Now())
	raise(&s.busyPeak, s.busy.Add(1))
	s.busyMu.Unlock()
}

// WorkerIdle marks one worker idle again.
func (s *Stats) WorkerIdle() {
	s.busyMu.Lock()
	s.integrateBusy(time.Now())
	s.busy.Add(-1)
	s.busyMu.Unlock()
}

// integrateBusy adds the busy workers since the last change to busyTime
// (busyMu held).
func (s *Stats) integrateBusy(now time.Time) {
	if !s.busyAt.IsZero() {
		s.busyTime += time.Duration(s.busy.Load()) * now.Sub(s.busyAt)
	}
	s.busyAt = now
}

// QueueLength records the length of the pool's queue of accepted
// connections, as read (len of the channel) right after a connection went
// in or came out: a gauge that can never read above the queue's capacity.
func (s *Stats) QueueLength(n int) {
	s.queue.Store(int64(n))
	raise(&s.queuePeak, int64(n))
}

// QueueWaited records how long a connection waited for a worker: from its
// accept to a worker taking it out of the queue.
func (s *Stats) QueueWaited(d time.Duration) { s.queueWait.record(d) }

// Served counts one answered request with its status and the time from the
// complete request to the answer written.
func (s *Stats) Served(status int, d time.Duration) {
	s.requests.Add(1)
	class := status / 100
	if class < 1 || class > 5 {
		class = 0
	}
	s.status[class].Add(1)
	s.handler.record(d)
}

// Abandoned counts n answers that were made but could not be delivered
// because the client had gone (see ClientGone): work done for requests
// nobody waits for any more. They are not counted as served.
func (s *Stats) Abandoned(n int) { s.abandoned.Add(uint64(n)) }

// StreamOpened counts one HTTP/2 stream the server took on (its request
// reached the handler).
func (s *Stats) StreamOpened() { s.streamsOpened.Add(1) }

// StreamRefused counts one HTTP/2 stream the server reset because it
// would have exceeded its SETTINGS_MAX_CONCURRENT_STREAMS.
func (s *Stats) StreamRefused() { s.streamsRefused.Add(1) }

// H2Error counts one HTTP/2 protocol event by the library's name for it
// ("stream_REFUSED_STREAM_over_max_streams_race" in net/http).
func (s *Stats) H2Error(kind string) {
	s.h2Mu.Lock()
	s.h2Errors[kind]++
	s.h2Mu.Unlock()
}

// ClientGone reports whether a write failed because the client is gone: it
// reset the connection (ECONNRESET), or the reset came before the write
// (EPIPE). A client that merely closes (FIN) is not seen this way: the
// first write after it still succeeds, the client's kernel answers it with
// the reset.
func ClientGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// raise lifts peak to v when v is larger.
func raise(peak *atomic.Int64, v int64) {
	for {
		p := peak.Load()
		if v <= p || peak.CompareAndSwap(p, v) {
			return
		}
	}
}

// ErrnoName returns the symbolic errno inside err ("EMFILE"), or "other".
func ErrnoName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name := errnoNames[errno]; name != "" {
			return name
		}
		return "errno_" + strconv.Itoa(int(errno))
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "ETIMEDOUT"
	}
	return "other"
}

var errnoNames = map[syscall.Errno]string{
	syscall.EMFILE:       "EMFILE",
	syscall.ENFILE:       "ENFILE",
	syscall.ENOBUFS:      "ENOBUFS",
	syscall.ENOMEM:       "ENOMEM",
	syscall.ECONNABORTED: "ECONNABORTED",
	syscall.ECONNRESET:   "ECONNRESET",
	syscall.EAGAIN:       "EAGAIN",
	syscall.EINTR:        "EINTR",
	syscall.EPERM:        "EPERM",
	syscall.EPROTO:       "EPROTO",
	syscall.EINVAL:       "EINVAL",
	syscall.EBADF:        "EBADF",
	syscall.ETIMEDOUT:    "ETIMEDOUT",
	syscall.EPIPE:        "EPIPE",
	syscall.ENETDOWN:     "ENETDOWN",
	syscall.EHOSTUNREACH: "EHOSTUNREACH",
}

// Latency summarizes a latency histogram in milliseconds.
type Latency struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

// Snapshot is what the stats side channel answers: counters since start,
// gauges now, peaks and the latencies since the last reset.
//
// The work a server did is Requests (answers written) plus
// AbandonedResponses (answers made for clients that had gone); set against
// the ok answers the clients received, it gives the goodput and the share of
// the work wasted. (fasthttp counts an answer as served before it is written,
// so its abandoned answers are in Requests as well: see its package doc.)
type Snapshot struct {
	Variant       string            `json:"variant"`
	PID           int               `json:"pid"`
	UptimeS       float64           `json:"uptime_s"`
	Listeners     []ListenQueue     `json:"listeners"`
	Accepted      uint64            `json:"accepted"`
	AcceptErrors  map[string]uint64 `json:"accept_errors"`
	OpenConns     int64             `json:"open_conns"`
	OpenConnsPeak int64             `json:"open_conns_peak"`
	Workers       int64             `json:"workers"`
	Busy          int64             `json:"busy_workers"`
	BusyPeak      int64             `json:"busy_workers_peak"`
	// BusyWorkerSeconds is the busy workers integrated over time since
	// the start (worker-seconds): over a window, its change divided by
	// workers × the window is the pool's utilization.
	BusyWorkerSeconds float64 `json:"busy_worker_seconds"`
	QueueCap          int64   `json:"queue_cap"`
	QueueLen          int64   `json:"queue_len"`
	QueuePeak         int64   `json:"queue_len_peak"`
	// Requests counts the answers written, Responses the same by status
	// class.
	Requests  uint64            `json:"requests"`
	Responses map[string]uint64 `json:"responses"`
	// AbandonedResponses counts answers whose write failed because the
	// client had gone (Stats.Abandoned); what each variant can see is in
	// its package doc.
	AbandonedResponses uint64  `json:"abandoned_responses"`
	HandlerMs          Latency `json:"handler_ms"`
	// HandlerHistogram is the handler latency (µs) since the last reset,
	// HdrHistogram's standard compressed form (HISTFAAA...).
	HandlerHistogram string `json:"handler_histogram,omitempty"`
	// QueueWaitMs is the time connections waited in the pool's queue for a
	// worker, since the last reset (pool variant; empty for the others).
	QueueWaitMs Latency `json:"queue_wait_ms"`
	// QueueWaitHistogram is QueueWaitMs's histogram (µs), encoded as
	// HandlerHistogram.
	QueueWaitHistogram string `json:"queue_wait_histogram,omitempty"`
	// StreamsOpened counts HTTP/2 streams whose request reached the
	// handler; StreamsRefused those reset for exceeding the server's
	// SETTINGS_MAX_CONCURRENT_STREAMS (h2c only; both counters since start).
	StreamsOpened  uint64 `json:"streams_opened"`
	StreamsRefused uint64 `json:"streams_refused"`
	// H2Errors counts the HTTP/2 library's errors by its name for them
	// (net/http's HTTP2Config.CountError), since start.
	H2Errors map[string]uint64 `json:"h2_errors,omitempty"`
}

// Snapshot reads the statistics. Listener queues are filled in by the
// caller, which knows the listening sockets.
func (s *Stats) Snapshot() Snapshot {
	snap := Snapshot{
		PID:               os.Getpid(),
		UptimeS:           time.Since(s.started).Seconds(),
		Accepted:          s.accepted.Load(),
		AcceptErrors:      map[string]uint64{},
		OpenConns:         s.open.Load(),
		OpenConnsPeak:     s.openPeak.Load(),
		Workers:           s.workers.Load(),
		Busy:              s.busy.Load(),
		BusyPeak:          s.busyPeak.Load(),
		BusyWorkerSeconds: s.busyWorkerSeconds(),
		QueueCap:          s.queueCap.Load(),
		QueueLen:          s.queue.Load(),
		QueuePeak:         s.queuePeak.Load(),
		Requests:          s.requests.Load(),
		Responses:         map[string]uint64{},

		AbandonedResponses: s.abandoned.Load(),
		StreamsOpened:      s.streamsOpened.Load(),
		StreamsRefused:     s.streamsRefused.Load(),
	}
	s.h2Mu.Lock()
	if len(s.h2Errors) > 0 {
		snap.H2Errors = maps.Clone(s.h2Errors)
	}
	s.h2Mu.Unlock()
	s.errMu.Lock()
	for k, v := range s.acceptErr {
		snap.AcceptErrors[k] = v
	}
	s.errMu.Unlock()
	classes := []string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}
	for i := range s.status {
		if n := s.status[i].Load(); n > 0 {
			snap.Responses[classes[i]] = n
		}
	}
	snap.HandlerMs, snap.HandlerHistogram = s.handler.summary()
	snap.QueueWaitMs, snap.QueueWaitHistogram = s.queueWait.summary()
	return snap
}

// busyWorkerSeconds integrates the busy workers up to now.
func (s *Stats) busyWorkerSeconds() float64 {
	s.busyMu.Lock()
	defer s.busyMu.Unlock()
	s.integrateBusy(time.Now())
	return s.busyTime.Seconds()
}

// ResetPeaks starts a new measuring period: peaks fall to the current
// values and the latency histograms are emptied. Counters keep counting.
func (s *Stats) ResetPeaks() {
	s.openPeak.Store(s.open.Load())
	s.busyPeak.Store(s.busy.Load())
	s.queuePeak.Store(s.queue.Load())
	s.handler.reset()
	s.queueWait.reset()
}

// latencyHist is a microsecond histogram behind a lock, safe for
// concurrent use.
type latencyHist struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
}

func newLatencyHist() latencyHist {
	return latencyHist{h: hdrhistogram.New(histMinMicros, histMaxMicros, histSigFigs)}
}

// record adds d, clamped to the histogram's range.
func (l *latencyHist) record(d time.Duration) {
	us := min(max(d.Microseconds(), histMinMicros), histMaxMicros)
	l.mu.Lock()
	_ = l.h.RecordValue(us)
	l.mu.Unlock()
}

// summary returns the percentiles in milliseconds and the histogram in
// HdrHistogram's standard compressed form.
func (l *latencyHist) summary() (Latency, string) {
	l.mu.Lock()
	h := hdrhistogram.Import(l.h.Export())
	l.mu.Unlock()
	enc, err := hist.Encode(h)
	if err != nil {
		return Summarize(h), ""
	}
	return Summarize(h), enc
}

func (l *latencyHist) reset() {
	l.mu.Lock()
	l.h.Reset()
	l.mu.Unlock()
}

// Summarize turns a microsecond histogram into millisecond percentiles.
func Summarize(h *hdrhistogram.Histogram) Latency {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Latency{
		Count: h.TotalCount(),
		Mean:  h.Mean() / 1000,
		P50:   ms(h.ValueAtQuantile(50)),
		P90:   ms(h.ValueAtQuantile(90)),
		P99:   ms(h.ValueAtQuantile(99)),
		P999:  ms(h.ValueAtQuantile(99.9)),
		Max:   ms(h.Max()),
	}
}
