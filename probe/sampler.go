package probe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// DefaultSampleInterval is how often a Sampler reads its gauges unless told.
const DefaultSampleInterval = 100 * time.Millisecond

// MaxSamples bounds one Sampler run whatever its context says (an hour at
// DefaultSampleInterval).
const MaxSamples = 36000

// maxSamplerWarnings bounds the distinct warnings a Sampler keeps.
const maxSamplerWarnings = 16

// Peaks are the highest values a Sampler saw during a run.
type Peaks struct {
	// Samples is the number of samples taken.
	Samples int
	// First and Last are the times of the first and last sample.
	First, Last time.Time
	// OpenFDs is the most file descriptors the process had open.
	OpenFDs int
	// ListenQueue is the longest accept queue seen on any listener,
	// ListenAddr that listener ("127.0.0.1:8080") and ListenBacklog its
	// maximum (-1 when sock_diag was not available).
	ListenQueue   int
	ListenAddr    string
	ListenBacklog int
	// TimeWait is the most timewait sockets in the namespace (sockstat tw:
	// TIME_WAIT plus closed FIN_WAIT2), each holding a port.
	TimeWait int64
	// CPUPercent is the highest CPU use over one sampling interval (100 is
	// one core). Its resolution is one clock tick (10 ms) per interval.
	CPUPercent float64
	// RSSBytes is the largest resident set seen.
	RSSBytes int64
	// Threads is the most threads seen.
	Threads int64
	// Warnings name sources that could not be read (each once).
	Warnings []string
}

// Sampler reads a few cheap gauges of one process periodically during a
// run and keeps their peaks: open fds (/proc/PID/fd), accept queues,
// TIME_WAIT (sockstat) and CPU and RSS (/proc/PID/stat). It runs in the
// caller's process, never the server's.
//
// On the live system the accept queues come from one sock_diag socket kept
// open in the server's namespace (about 40 µs a sample); reading them from
// /proc/PID/net/tcp instead costs milliseconds of kernel CPU a sample,
// because every read walks the whole established hash table (see
// BenchmarkListenersProcTCP). Fixture roots, or a kernel refusing
// sock_diag, fall back to /proc/PID/net/tcp.
type Sampler struct {
	fs    FS
	pid   int
	every time.Duration

	// listen reads the listeners; nil until the first sample chooses.
	listen      func() ([]ListenQueue, error)
	closeListen func() error

	pageSize int64

	sampling sync.Mutex // one Sample (or Close) at a time: they share the socket
	mu       sync.Mutex // guards what Peaks reads
	peaks    Peaks
	seen     map[string]bool
	prevCPU  uint64
	prevAt   time.Time
	prevOK   bool
}

// NewSampler returns a sampler of process pid read through fs, sampling
// every interval (DefaultSampleInterval when interval <= 0).
func NewSampler(fs FS, pid int, interval time.Duration) *Sampler {
	if interval <= 0 {
		interval = DefaultSampleInterval
	}
	return &Sampler{fs: fs, pid: pid, every: interval, pageSize: int64(os.Getpagesize()), seen: map[string]bool{}}
}

// Run samples at once and then every interval until ctx ends, the process
// exits, or MaxSamples were taken. It returns nil in all these cases; what
// could not be read is in Peaks().Warnings. It releases the sampler's
// socket when it returns.
func (s *Sampler) Run(ctx context.Context) error {
	t := time.NewTicker(s.every)
	defer t.Stop()
	defer s.Close()
	for n := 0; n < MaxSamples; n++ {
		if !s.Sample() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
	s.warn(fmt.Sprintf("sampler stopped after %d samples", MaxSamples))
	return nil
}

// Peaks returns the peaks so far; it is safe to call while Run runs.
func (s *Sampler) Peaks() Peaks {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.peaks
	p.Warnings = append([]string(nil), p.Warnings...)
	return p
}

// Close releases the sock_diag socket a Sample may have opened (Run does
// it itself); a later Sample opens a new one.
func (s *Sampler) Close() error {
	s.sampling.Lock()
	defer s.sampling.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.closeListen != nil {
		err = s.closeListen()
	}
	s.listen, s.closeListen = nil, nil
	return err
}

// procListeners reads the listeners from /proc/PID/net/tcp{,6}.
func (s *Sampler) procListeners() ([]ListenQueue, error) {
	var ls []ListenQueue
	err := s.fs.listeners(s.pid, nil, func(q ListenQueue) { ls = append(ls, q) })
	return ls, err
}

// Sample takes one sample now and reports whether the process still exists.
// Calls are serialized with each other and with Run's.
func (s *Sampler) Sample() bool {
	s.sampling.Lock()
	defer s.sampling.Unlock()
	s.mu.Lock()
	if s.listen == nil {
		s.listen = s.procListeners
		if s.fs.root() == DefaultRoot {
			if f, closer, err := liveListenQueues(s.pid); err != nil {
				s.warnLocked(err.Error() + ": reading accept queues from /proc/PID/net/tcp instead")
			} else {
				s.listen, s.closeListen = f, closer
			}
		}
	}
	listen := s.listen
	s.mu.Unlock()

	now := time.Now()
	st, statErr := s.fs.Stat(s.pid)
	fds, fdErr := s.fs.OpenFDs(s.pid)
	lq := ListenQueue{Queue: -1}
	ls, lErr := listen()
	for _, q := range ls {
		if q.Queue > lq.Queue {
			lq = q
		}
	}
	ss, _, ssErr := s.fs.Sockstat(s.pid)

	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.peaks
	// A process that exited but was not reaped yet is a zombie (Z) or dead
	// (X): its files still exist, its fds and sockets do not.
	if statErr != nil && errors.Is(statErr, fs.ErrNotExist) || statErr == nil && (st.State == "Z" || st.State == "X") {
		s.warnLocked(fmt.Sprintf("process %d exited: sampling stopped", s.pid))
		return false
	}
	p.Samples++
	if p.First.IsZero() {
		p.First = now
	}
	p.Last = now
	if statErr != nil {
		s.warnLocked(statErr.Error())
		s.prevOK = false
	} else {
		ticks := st.UTime + st.STime
		if s.prevOK && now.After(s.prevAt) && ticks >= s.prevCPU {
			pct := 100 * float64(ticks-s.prevCPU) / ClockTicks / now.Sub(s.prevAt).Seconds()
			p.CPUPercent = max(p.CPUPercent, pct)
		}
		s.prevCPU, s.prevAt, s.prevOK = ticks, now, true
		p.RSSBytes = max(p.RSSBytes, st.RSSPages*s.pageSize)
		p.Threads = max(p.Threads, st.NumThreads)
	}
	if fdErr != nil {
		s.warnLocked(fdErr.Error())
	} else {
		p.OpenFDs = max(p.OpenFDs, fds)
	}
	if lErr != nil {
		s.warnLocked(lErr.Error())
		// A dump cut short leaves stale datagrams: start over with a
		// fresh socket next time.
		if s.closeListen != nil {
			s.closeListen()
			s.listen, s.closeListen = nil, nil
		}
	}
	if lq.Queue > p.ListenQueue || (lq.Queue >= 0 && p.ListenAddr == "") {
		p.ListenQueue, p.ListenAddr, p.ListenBacklog = lq.Queue, lq.Endpoint(), lq.Backlog
	}
	if ssErr != nil {
		s.warnLocked(ssErr.Error())
	} else {
		p.TimeWait = max(p.TimeWait, ss.TimeWait)
	}
	return true
}

func (s *Sampler) warn(w string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warnLocked(w)
}

func (s *Sampler) warnLocked(w string) {
	if s.seen[w] || len(s.peaks.Warnings) >= maxSamplerWarnings {
		return
	}
	s.seen[w] = true
	s.peaks.Warnings = append(s.peaks.Warnings, w)
}
