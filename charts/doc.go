// Package charts draws the lab's charts with gonum.org/v1/plot, as SVG and
// PNG files next to a run's report.md.
//
// It is a pure renderer: each chart is a function of a small input type of
// its own (Sweep, Connect, Timeline, Utilization, Ladder), filled by the
// caller from a scorecard; the package knows nothing of scorecards or
// verdicts. Every function returns a *Chart, drawn at one fixed size (Width
// × Height, 18 cm × 10 cm; PNG at DPI), which Save writes as name.svg and
// name.png. The SVG output is deterministic, so it can be kept as a golden
// file.
//
// The charts, and the question each one answers:
//
//   - ThroughputChart: where does throughput stop growing with clients?
//     Requests per second against the client count (the median of the
//     trials, with the trials' min–max as error bars) above the success rate
//     with its threshold; the sweet spot (ring) and the breaking point
//     (cross, with the limit the verdict named) are marked and labelled.
//   - LatencyChart: what do more clients cost in waiting? p50, p90, p99 and
//     p99.9 against the client count on a log scale (latency spans
//     decades; a few slow requests must not flatten the rest), with the
//     breaking point marked.
//   - ConnectChart: did the kernel drop connects? Connect times as a
//     histogram with log-spaced bins (ten per decade) on log axes. When the
//     accept queue overflows the kernel drops the SYN, the client retransmits
//     it after 1 s (and again 2 s later), and those connects form separate
//     bumps at 1 s and 3 s, marked on the chart, far from the main hump of
//     micro- to milliseconds, visible even when they are a fraction of a
//     percent of all connects (a CDF would hide them under 99.9 %).
//   - TimelineChart: did the step stay steady? Successful requests, errors
//     and p99 latency second by second, in three panels sharing the time
//     axis, with errors on a scale of their own: a collapse after the first
//     second (TIME_WAIT filling the port range) or errors that start late
//     are invisible in the step's totals.
//   - UtilizationChart: which resource ran out? Horizontal bars of each
//     resource's peak use in percent of its capacity (server and driver CPU,
//     fds of nofile, TIME_WAIT of the port range, the accept queue of the
//     backlog, busy workers of the pool, the pool's queue), each labelled
//     with its amounts; the bottleneck in red, other saturated resources in
//     orange (the USE method's utilization column, drawn).
//   - LadderChart: what did each rung of the ladder buy? The best
//     throughput of every phase as a bar on a log scale (the ladder spans
//     two decades), labelled with the limit that stopped it.
//   - CompareThroughputChart and CompareLatencyChart: runs A and B on one
//     chart, A solid and B dashed, for a before/after report.
//
// Log axes never panic: gonum's log scale panics on a value <= 0, so the
// charts leave such values out (a failed step has no latency) and count
// them in a legend note, and the axes use a log scale that maps anything
// non-positive to the bottom instead of panicking. Log axes are labelled at
// the decades (0.1, 1, 10, 100, 1,000, ...), and at 2× and 5× when they
// span few decades; the client axis is labelled with the client counts
// measured, and turns logarithmic when they span more than a decade.
// Legends are drawn in a strip to the right of the data, never over it.
package charts
