package driver

import (
	"bytes"
	"sync/atomic"
	"time"
)

// maxPoll is the longest an event loop waits before it looks at the clock
// and the stop flag again.
const maxPoll = 100 * time.Millisecond

// plan is the immutable part of a run, shared by all loops.
type plan struct {
	targets      []Target
	reqs         [][]byte // per target: Pipeline copies of the request
	reqLen       []uint32
	depth        uint32
	keepAlive    bool
	head         bool // the requests are HEAD: their answers carry no body
	pacer        Pacer
	paced        bool
	perClient    uint32
	timeout      int64 // ns
	connTimeout  int64 // ns
	sweepEvery   int64 // ns
	base         time.Time
	measureStart int64 // ns since base
	end          int64 // ns since base
	netnsFD      int   // namespace the loops join (0: none)
	stop         *atomic.Bool
	timeline     *timeline
}

// newPlan lays out a run of c (defaults filled in) against targets, whose
// sockets live in the namespace nsFD (0: the process's).
func newPlan(c Config, targets []Target, nsFD int) *plan {
	pacer := c.Pacer
	if pacer == nil {
		pacer = PerConnection(c.Rate, c.Clients)
	}
	_, paced := pacer.Due(0)
	p := &plan{
		targets:      targets,
		depth:        uint32(c.Pipeline),
		keepAlive:    !c.DisableKeepAlive,
		pacer:        pacer,
		paced:        paced,
		perClient:    uint32(c.RequestsPerClient),
		timeout:      int64(c.Timeout),
		connTimeout:  int64(c.ConnectTimeout),
		sweepEvery:   int64(min(max(min(c.Timeout, c.ConnectTimeout)/20, time.Millisecond), maxPoll)),
		measureStart: int64(c.Warmup),
		end:          int64(c.Warmup + c.Duration),
		netnsFD:      nsFD,
		stop:         new(atomic.Bool),
		timeline:     &timeline{},
	}
	spec := specOf(c)
	p.head = spec.head()
	for _, t := range targets {
		req := t.request(spec)
		p.reqs = append(p.reqs, bytes.Repeat(req, c.Pipeline))
		p.reqLen = append(p.reqLen, uint32(len(req)))
	}
	return p
}

// deal deals the shard's clients to loops round-robin, so that a ramp
// spreads over all of them, and gives each its start: its share of the ramp
// and, in an open loop, a phase within one interval so that sends do not
// bunch up. clients[j] are the global client indices of loop j.
func (p *plan) deal(c Config, loops int) (clients [][]int, origins [][]int64) {
	lo, hi := c.Shard.clients(c.Clients)
	clients = make([][]int, loops)
	origins = make([][]int64, loops)
	for g := lo; g < hi; g++ {
		j := (g - lo) % loops
		origin := int64(c.Ramp) * int64(g) / int64(c.Clients)
		if cr, ok := p.pacer.(ConstantRate); ok {
			origin += int64(cr.Interval) * int64(g) / int64(c.Clients)
		}
		clients[j] = append(clients[j], g)
		origins[j] = append(origins[j], origin)
	}
	return clients, origins
}

// rate is the open-loop rate of a shard of n of c's clients (0: closed).
func (p *plan) rate(c Config, n int) float64 {
	if !p.paced {
		return 0
	}
	if cr, ok := p.pacer.(ConstantRate); ok && c.Rate == 0 && cr.Interval > 0 {
		return float64(n) * float64(time.Second) / float64(cr.Interval)
	}
	return c.Rate * float64(n) / float64(c.Clients)
}
