package attrib

import (
	"fmt"
	"math"

	"github.com/scalelab/scalelab/internal/hist"

	"github.com/scalelab/scalelab/units"
)

// LittlesLaw compares the latency Little's law predicts for a closed loop
// (N clients in flight over X completions per second: R = N / X) with the
// latency measured.
type LittlesLaw struct {
	// Clients are the clients that were served (the starved ones hold no
	// request that completes): N, the requests in the system, unless
	// Streams is above 1.
	Clients int
	// Streams is the requests each client keeps in flight (HTTP/2 streams
	// per connection; 1 otherwise): N = Clients × Streams.
	Streams int
	// Throughput is X: requests completed per second, ok or failed.
	Throughput units.PerSecond
	// Predicted is N / X; Measured the mean response time.
	Predicted, Measured units.Millis
}

// Little applies Little's law to the step; the zero value when the step
// has no throughput or no latency. X counts every request that completed,
// failed ones included (a timed-out request held its client as long).
func (s Step) Little() LittlesLaw {
	served := s.Clients - s.ClientsStarved
	x := s.Completions()
	if x <= 0 || s.LatencyMS.Mean <= 0 || served <= 0 {
		return LittlesLaw{}
	}
	streams := 1
	if h := s.Driver.H2; h != nil && h.Streams > 1 {
		streams = h.Streams
	}
	n := float64(served * streams)
	return LittlesLaw{Clients: served, Streams: streams, Throughput: units.PerSecond(x), Predicted: units.Millis(n / x * 1000), Measured: s.LatencyMS.Mean}
}

// InSystem says what N was: "200 clients", or "10 connections × 100
// streams".
func (l LittlesLaw) InSystem() string {
	if l.Streams > 1 {
		return units.Plural(l.Clients, "connection", "connections") + " × " + units.Int(l.Streams) + " streams"
	}
	return units.Plural(l.Clients, "client", "clients")
}

// Completions is the requests that completed per second, ok or failed.
func (s Step) Completions() float64 {
	if s.DurationS > 0 && s.Requests > 0 {
		return float64(s.Requests) / float64(s.DurationS)
	}
	return float64(s.RPS)
}

// Costs are what one request cost each side, from the utilization law
// D = U / X: a resource busy U of the time while X requests go through it
// per second spends U / X on each.
type Costs struct {
	// Server and Driver are CPU microseconds per request (0: unknown).
	Server, Driver units.Micros
	// DriverHeadroom is how many more requests per second the driver's
	// CPUs could have driven: (cores or quota - used) / its cost per
	// request.
	DriverHeadroom units.PerSecond
	// DriverHeadroomShare is that headroom as a share of the throughput.
	DriverHeadroomShare float64
}

// Costs applies the utilization law to both sides of the step.
func (s Step) Costs() Costs {
	c := Costs{Server: s.Server.CPUPerRequest}
	completed := float64(s.Requests) / float64(s.DurationS)
	if s.DurationS <= 0 || completed <= 0 || s.Driver.CPUPct <= 0 {
		return c
	}
	busy := float64(s.Driver.CPUPct) / 100 // cores
	c.Driver = units.Micros(busy / completed * 1e6)
	capacity := float64(max(s.Driver.CPUs, 1))
	if q := float64(s.Driver.CPUQuotaPct) / 100; q > 0 && q < capacity {
		capacity = q // a capped driver has its quota, not its cores
	}
	spare := capacity - busy
	if spare < 0 {
		spare = 0
	}
	c.DriverHeadroom = units.PerSecond(spare / (float64(c.Driver) / 1e6))
	c.DriverHeadroomShare = float64(c.DriverHeadroom) / completed
	return c
}

// Budget splits a request's time, as measured, not estimated: the
// connect (a new connection's share per request), the wait for a worker
// (the pool's queue, measured by the server), the handler (measured by the
// server), and the rest — network, scheduling and the client itself —
// which is what the client saw minus those.
type Budget struct {
	Total     units.Millis // connect share + mean response time seen by the client
	Connect   units.Millis // mean connect time × connects per request
	QueueWait units.Millis // mean wait in the pool's queue (pool only)
	Handler   units.Millis // mean time in the handler
	Rest      units.Millis // Total minus the parts above
}

// Budget splits the step's mean latency; the zero value when the step has
// no latency. A part that was not measured (no connect histogram, no pool,
// an older card) is NaN, and Rest then holds it too.
func (s Step) Budget() Budget {
	if s.LatencyMS.Mean <= 0 {
		return Budget{}
	}
	nan := units.Millis(math.NaN())
	b := Budget{Connect: nan, QueueWait: nan, Handler: nan, Total: s.LatencyMS.Mean, Rest: s.LatencyMS.Mean}
	if mean, ok := histogramMeanMS(s.ConnectHistogram); ok && s.Requests > 0 {
		b.Connect = units.Millis(mean * float64(s.Connects) / float64(s.Requests))
		b.Total += b.Connect
	}
	if s.Server.Workers > 0 && s.Server.QueueWaitMS.Mean > 0 {
		b.QueueWait = s.Server.QueueWaitMS.Mean
		b.Rest -= b.QueueWait
	}
	if s.Server.HandlerMS.Mean > 0 {
		b.Handler = s.Server.HandlerMS.Mean
		b.Rest -= b.Handler
	}
	b.Rest = max(b.Rest, 0)
	return b
}

// histogramMeanMS decodes a compressed HdrHistogram of microseconds and returns
// its mean in milliseconds.
func histogramMeanMS(enc string) (float64, bool) {
	if enc == "" {
		return 0, false
	}
	h, err := hist.Decode(enc)
	if err != nil || h.TotalCount() == 0 {
		return 0, false
	}
	return h.Mean() / 1000, true
}

// Goodput sets the work the server did against what the clients got.
type Goodput struct {
	// Handled is the requests the server answered; OK the ok answers the
	// clients received in the measured window.
	Handled, OK int64
	// Abandoned is the answers the server wrote to clients that had gone.
	Abandoned int64
	// Wasted is the share of the server's answers no client received as
	// ok (0 when the server answered no more than the clients got).
	Wasted float64
}

// Goodput compares the server's work with the clients' ok answers.
func (s Step) Goodput() Goodput {
	g := Goodput{Handled: s.Server.Requests, OK: s.OK, Abandoned: s.Server.Abandoned}
	if g.Handled > 0 && g.Handled > g.OK {
		g.Wasted = 1 - float64(g.OK)/float64(g.Handled)
	}
	return g
}

// String says it in one line: "the server answered 2,000 requests/s, the
// clients got 49 ok/s: 98% of its answers did not reach a client as ok".
func (g Goodput) String(durationS units.Seconds) string {
	if durationS <= 0 || g.Handled == 0 {
		return ""
	}
	d := float64(durationS)
	line := fmt.Sprintf("the server answered %s requests/s, the clients got %s ok/s", units.Rate(float64(g.Handled)/d), units.Rate(float64(g.OK)/d))
	if g.Wasted >= 0.01 {
		line += fmt.Sprintf(": %.0f%% of its answers did not reach a client as ok within the window (still in flight, or for clients that had given up)", 100*g.Wasted)
	}
	return line
}
