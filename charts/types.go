package charts

// Trial is one measured run of a step.
type Trial struct {
	RPS     float64 // successful requests per second
	Success float64 // success rate, 0..1
	Latency Latency
}

// Latency holds latency percentiles in milliseconds. A zero, negative or
// NaN value means not measured (a step with no answer) and is not drawn.
type Latency struct {
	P50, P90, P99, P999 float64
}

// Step is one client count of a sweep, with every trial measured at it.
type Step struct {
	Clients int
	Trials  []Trial
}

// Sweep is one phase run: its steps and what the verdicts made of them.
// It feeds ThroughputChart, LatencyChart and the compare charts.
type Sweep struct {
	Label         string  // what the run is: "phase 5 pool-backlog"
	Steps         []Step  // in any order; drawn by client count
	SweetSpot     int     // clients of the sweet spot; 0: none
	BreakingPoint int     // clients of the breaking point; 0: none
	Limit         string  // the limit named at the breaking point ("backlog"); may be empty
	Threshold     float64 // the success threshold (0.99), drawn as a line; 0: none
}

// Bucket is one bin of a distribution: Count values in [FromMS, ToMS].
type Bucket struct {
	FromMS, ToMS float64
	Count        int64
}

// Distribution is one measured distribution of times, as buckets (see
// DecodeHistogram).
type Distribution struct {
	Label   string // "500 clients"
	Buckets []Bucket
}

// Connect is the input of ConnectChart: the connect-time distributions of
// one or more steps of a run.
type Connect struct {
	Label  string // the run: "phase 5 pool-backlog"
	Series []Distribution
}

// Second is one second of a step's timeline.
type Second struct {
	T      int     // seconds since the step's measurement began
	RPS    float64 // successful requests in that second
	Errors float64 // failed requests in that second
	P99MS  float64 // p99 latency of that second in ms; 0: no answer
}

// Timeline is the input of TimelineChart: one step, second by second.
type Timeline struct {
	Label   string // the run: "phase 1 naive"
	Clients int
	Seconds []Second
}

// Resource is one resource of a step and how much of it was used.
type Resource struct {
	Name     string  // "server fds"
	Used     float64 // the peak amount used; NaN: not measured
	Capacity float64 // what there is; 0 or NaN: unknown (drawn as "not measured")
	// Detail replaces the amounts written after the percentage beside the
	// bar ("49% (31,485 of 64,512)"), for a resource whose amounts need a
	// unit: "of 1 core" reads "86% of 1 core".
	Detail string
}

// Utilization is the input of UtilizationChart: the resources of one step.
type Utilization struct {
	Label     string // the run: "phase 5 pool-backlog"
	Clients   int
	Resources []Resource // drawn top to bottom in this order
	// Bottleneck is the Name of the resource the verdict blamed. Empty: the
	// most used resource, when it is at SaturatedPct or above.
	Bottleneck string
}

// Rung is one phase of the ladder with its best throughput.
type Rung struct {
	Phase int     // 1..N
	Name  string  // short name: "naive", "pool-8"
	RPS   float64 // best throughput of the phase
	Limit string  // the limit that stopped it: "port", "cpu"; empty: none named
}

// Ladder is the input of LadderChart: every rung in order.
type Ladder struct {
	Label string // the ladder's run: "2026-11-25"
	Rungs []Rung
}
