package driver

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalelab/scalelab/driver/threshold"
	"github.com/scalelab/scalelab/internal/hist"
	"github.com/scalelab/scalelab/units"
)

// SummarySchema versions the JSON form of Summary.
const SummarySchema = "scalelab/load/v1"

// Histogram ranges: latency and connect time in microseconds, 1 µs to 60 s.
const (
	histLowest  = 1
	histHighest = 60_000_000
	histSigFigs = 3
	// per-second timeline histograms are coarser (1 % resolution)
	secondSigFigs = 2
)

// Summary is the result of a run, and the JSON that `scalelab load --json`
// prints (schema "scalelab/load/v1"; fields are only ever added).
//
// Counting: a request is one attempt to get one response; it ends as ok (a
// complete 1xx-3xx response) or as an error of exactly one class. A failed
// connect counts as one failed request; a connection that fails with k
// requests in flight counts k. Requests are attributed to the warmup or to
// the measured period by their send time (intended send time in an open
// loop). Requests still in flight when the run ends are Unfinished, neither
// ok nor failed.
//
//	schema              "scalelab/load/v1"
//	run_id              the run's id: the shards of one run share it ("" when none was given)
//	targets             target URLs
//	method, body_bytes  the requests' method and body length
//	clients             connections this summary covers (a shard's slice, or all)
//	clients_total       connections of the whole run over all shards
//	shard, shards       "i/N" of this run ("merged" after Merge), and N
//	start_at            the agreed instant the shards began their warmup (--start-at;
//	                    absent when none was given)
//	started_at          the instant this run began its warmup, the origin of its
//	                    timeline (start_at when given; the earliest shard's after Merge)
//	mode, rate          "closed" or "open"; requests/s of this shard (0 closed)
//	pipeline, keepalive requests in flight per connection; keep-alive on or off
//	duration_s          measured period in seconds (warmup excluded)
//	measured_from       when the measured period began (UTC; merged: the earliest shard)
//	ended_by            "duration", "requests" or "canceled"
//	requests            measured requests: ok + failed
//	ok, failed          ok responses; failed requests (sum of errors)
//	success_rate        ok / requests (0 when no request)
//	rps                 ok responses per second over duration_s
//	responses           complete responses of any status in the measured period
//	                    (ok + http_4xx + http_5xx); what wrk counts as requests
//	responses_rps       responses per second over duration_s (wrk's Requests/sec)
//	status_codes        {code: count} of the responses, by exact code ("200", "404", "503")
//	bytes_read, bytes_written
//	                    socket bytes received and sent in the measured period
//	                    (headers and bodies, as on the wire)
//	read_bytes_per_s, written_bytes_per_s
//	                    the same per second over duration_s (wrk's Transfer/sec is the first)
//	warmup_requests     requests sent during the warmup (discarded)
//	unfinished          requests still in flight at the end
//	unsolicited_responses
//	                    responses (any bytes) that arrived on a connection with no
//	                    request in flight, such as a second answer to one request;
//	                    neither requests nor errors; the driver closes such a
//	                    connection at once and opens a new one
//	clients_starved     clients that got no ok answer to a measured request
//	                    (a server that serves some connections and leaves the
//	                    others waiting shows here, whatever the success rate)
//	connects_attempted  connect attempts in the measured period (socket() failures included)
//	connects_ok         connects that completed (attempted - ok - failed connects =
//	                    connects still in progress when the run ended)
//	latency_ms          {p50, p75, p90, p95, p99, p999, p9999, p99999, max, mean} of
//	                    complete responses (any status), from send, or from the intended
//	                    send in an open loop (corrected for coordinated omission); the
//	                    whole distribution is in histogram
//	service_ms          open loop only: the same percentiles from the actual send
//	                    (uncorrected service time: what the server took once asked)
//	connect_ms          {p50, p99, max} of completed connects
//	errors              {class: count}: every fixed class (zeros included) and
//	                    "other_<ERRNO>_<stage>" for anything else
//	errors_by_step      {stage: {class: count}}, non-zero entries only;
//	                    stages (see Stage): socket, connect, write, read, parse, status
//	timeline            [{t, rps, errors, p99_ms, cpu_pct}] per measured second; t counts
//	                    from 0; cpu_pct is the driver's CPU use in that second (% of one
//	                    core); in shard runs each entry also carries "histogram"
//	driver              {cpu_pct, rss_mb, rss_peak_mb, cpus, loops}: the driver
//	                    process's CPU use in % of one core over the measured period,
//	                    its resident memory at the end and at its peak (VmHWM), the CPUs
//	                    it may run on, the event loops it ran and its RLIMIT_NOFILE
//	histogram           the latency HdrHistogram (µs) in the standard V2 compressed form, HISTFAAA...
//	connect_histogram   the connect-time HdrHistogram (µs), the same form
//	service_histogram   open loop only: the service-time HdrHistogram, the same form
//	thresholds          [{threshold, metric, measured, passed}] when thresholds were
//	                    checked (scalelab load --threshold); measured is in the
//	                    metric's unit (percent, ms, per second), null when not measured
//	h2                  only with h2c (Config.H2C): clients are connections, each with
//	                    up to h2.streams streams; stream limits, resets, GOAWAYs, flow
//	                    control and client-side waits for a stream slot (see H2)
type Summary struct {
	Schema            string                       `json:"schema"`
	RunID             string                       `json:"run_id"`
	Targets           []string                     `json:"targets"`
	Method            string                       `json:"method"`
	BodyBytes         int                          `json:"body_bytes"`
	Clients           int                          `json:"clients"`
	ClientsTotal      int                          `json:"clients_total"`
	Shard             string                       `json:"shard"`
	Shards            int                          `json:"shards"`
	StartAt           time.Time                    `json:"start_at,omitzero"`
	StartedAt         time.Time                    `json:"started_at,omitzero"`
	Mode              string                       `json:"mode"`
	Rate              float64                      `json:"rate"`
	Pipeline          int                          `json:"pipeline"`
	KeepAlive         bool                         `json:"keepalive"`
	DurationS         float64                      `json:"duration_s"`
	MeasuredFrom      time.Time                    `json:"measured_from"`
	EndedBy           string                       `json:"ended_by"`
	Requests          uint64                       `json:"requests"`
	OK                uint64                       `json:"ok"`
	Failed            uint64                       `json:"failed"`
	SuccessRate       float64                      `json:"success_rate"`
	RPS               float64                      `json:"rps"`
	Responses         uint64                       `json:"responses"`
	ResponsesRPS      float64                      `json:"responses_rps"`
	StatusCodes       map[string]uint64            `json:"status_codes"`
	BytesRead         uint64                       `json:"bytes_read"`
	BytesWritten      uint64                       `json:"bytes_written"`
	ReadBPS           float64                      `json:"read_bytes_per_s"`
	WriteBPS          float64                      `json:"written_bytes_per_s"`
	WarmupRequests    uint64                       `json:"warmup_requests"`
	Unfinished        uint64                       `json:"unfinished"`
	Unsolicited       uint64                       `json:"unsolicited_responses"`
	ClientsStarved    int                          `json:"clients_starved"`
	ConnectsAttempted uint64                       `json:"connects_attempted"`
	ConnectsOK        uint64                       `json:"connects_ok"`
	LatencyMS         Latency                      `json:"latency_ms"`
	ServiceMS         *Latency                     `json:"service_ms,omitempty"`
	ConnectMS         ConnectTime                  `json:"connect_ms"`
	Errors            map[string]uint64            `json:"errors"`
	ErrorsByStage     map[string]map[string]uint64 `json:"errors_by_step"`
	Timeline          []Second                     `json:"timeline"`
	Driver            Usage                        `json:"driver"`
	Histogram         string                       `json:"histogram"`
	ConnectHistogram  string                       `json:"connect_histogram"`
	ServiceHistogram  string                       `json:"service_histogram,omitempty"`
	Thresholds        []threshold.Result           `json:"thresholds,omitempty"`
	H2                *H2                          `json:"h2,omitempty"`
}

// Latency holds response-time percentiles in milliseconds: the spectrum
// wrk2 prints (50, 75, 90, 99, 99.9, 99.99, 99.999, 100) with p95 beside.
type Latency struct {
	P50    float64 `json:"p50"`
	P75    float64 `json:"p75"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p999"`
	P9999  float64 `json:"p9999"`
	P99999 float64 `json:"p99999"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
}

// ConnectTime holds connect-time percentiles in milliseconds.
type ConnectTime struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Second is one entry of the per-second timeline.
type Second struct {
	T         int     `json:"t"`
	RPS       uint64  `json:"rps"`
	Errors    uint64  `json:"errors"`
	P99MS     float64 `json:"p99_ms"`
	CPUPct    float64 `json:"cpu_pct"`
	Histogram string  `json:"histogram,omitempty"`
}

// Usage is the driver's own resource use.
type Usage struct {
	CPUPct    float64 `json:"cpu_pct"`
	RSSMB     float64 `json:"rss_mb"`
	RSSPeakMB float64 `json:"rss_peak_mb"`
	CPUs      int     `json:"cpus"`
	Loops     int     `json:"loops"`
	// NoFile is the driver's soft RLIMIT_NOFILE (0: unknown).
	NoFile int `json:"nofile"`
}

// Metric returns the value of a threshold metric (see package threshold)
// in its unit: percent, milliseconds or per second. It reports false for a
// metric that was not measured: rates without a measured request,
// latencies without a complete response, anything unknown.
func (s *Summary) Metric(name string) (float64, bool) {
	l := s.LatencyMS
	switch name {
	case "success":
		return s.SuccessRate * 100, s.Requests > 0
	case "errors":
		if s.Requests == 0 {
			return 0, false
		}
		return float64(s.Failed) / float64(s.Requests) * 100, true
	case "rps":
		return s.RPS, s.DurationS > 0
	case "responses_rps":
		return s.ResponsesRPS, s.DurationS > 0
	}
	v, ok := map[string]float64{"p50": l.P50, "p75": l.P75, "p90": l.P90, "p95": l.P95, "p99": l.P99,
		"p99.9": l.P999, "p99.99": l.P9999, "max": l.Max, "mean": l.Mean}[name]
	return v, ok && l.Max > 0
}

// ErrMerge is wrapped by errors of Merge.
var ErrMerge = errors.New("driver: cannot merge summaries")

func newLatencyHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

func newSecondHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, secondSigFigs)
}

func encodeHist(h *hdrhistogram.Histogram) (string, error) {
	s, err := hist.Encode(h)
	if err != nil {
		return "", fmt.Errorf("driver: %w", err)
	}
	return s, nil
}

// DecodeHistogram decodes a histogram field of a Summary: the standard
// compressed form ("HISTFAAA..."), or the doubly encoded form of summaries
// written before 2026-12.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	h, err := hist.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("driver: %w", err)
	}
	return h, nil
}

func usToMS(v int64) float64 { return math.Round(float64(v)) / 1000 }

// LatencyOf returns the percentiles of a latency histogram (values in µs,
// such as a decoded Summary.Histogram) in milliseconds.
func LatencyOf(h *hdrhistogram.Histogram) Latency { return latencyOf(h) }

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		P50:    usToMS(h.ValueAtQuantile(50)),
		P75:    usToMS(h.ValueAtQuantile(75)),
		P90:    usToMS(h.ValueAtQuantile(90)),
		P95:    usToMS(h.ValueAtQuantile(95)),
		P99:    usToMS(h.ValueAtQuantile(99)),
		P999:   usToMS(h.ValueAtQuantile(99.9)),
		P9999:  usToMS(h.ValueAtQuantile(99.99)),
		P99999: usToMS(h.ValueAtQuantile(99.999)),
		Max:    usToMS(h.Max()),
		Mean:   math.Round(h.Mean()) / 1000,
	}
}

func connectOf(h *hdrhistogram.Histogram) ConnectTime {
	l := latencyOf(h)
	return ConnectTime{P50: l.P50, P99: l.P99, Max: l.Max}
}

func p99Of(h *hdrhistogram.Histogram) float64 {
	if h.TotalCount() == 0 {
		return 0
	}
	return usToMS(h.ValueAtQuantile(99))
}

// finish fills the derived fields (success rate, rps, failed) from counters.
func (s *Summary) finish() {
	s.Failed = 0
	for _, n := range s.Errors {
		s.Failed += n
	}
	s.Requests = s.OK + s.Failed
	s.SuccessRate = 0
	if s.Requests > 0 {
		s.SuccessRate = float64(s.OK) / float64(s.Requests)
	}
	s.RPS, s.ResponsesRPS, s.ReadBPS, s.WriteBPS = 0, 0, 0, 0
	if s.DurationS > 0 {
		s.RPS = math.Round(float64(s.OK)/s.DurationS*10) / 10
		s.ResponsesRPS = math.Round(float64(s.Responses)/s.DurationS*10) / 10
		s.ReadBPS = math.Round(float64(s.BytesRead) / s.DurationS)
		s.WriteBPS = math.Round(float64(s.BytesWritten) / s.DurationS)
	}
}

// Merge combines the summaries of the shards of one run: counters are
// summed, histograms merged (so percentiles are exact, not averaged), the
// timeline merged second by second (its cpu_pct the shards' maximum).
// The parts must be every shard of one run, each once (CheckShards).
// duration_s is the longest shard's;
// driver usage is each field's maximum over the shards (a shard whose driver
// was client-bound makes the merged run client-bound). Every summary must
// carry its histograms; timeline p99 is exact when the entries carry
// histograms (shard runs write them) and the maximum of the shards' p99
// otherwise.
func Merge(parts ...*Summary) (*Summary, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: nothing to merge", ErrMerge)
	}
	names := make([]string, len(parts))
	for i := range parts {
		names[i] = fmt.Sprintf("part %d", i)
	}
	if err := CheckShards(names, parts); err != nil {
		return nil, err
	}
	first := parts[0]
	out := &Summary{Schema: SummarySchema, Shard: "merged", RunID: first.RunID, Method: first.Method, BodyBytes: first.BodyBytes}
	total := newTally()
	seen := map[string]bool{}
	endedBy := map[string]bool{}
	for i, p := range parts {
		if err := checkPart(i, p, parts[0]); err != nil {
			return nil, err
		}
		if err := checkH2Part(i, p, parts[0]); err != nil {
			return nil, err
		}
		t, err := tallyOf(p)
		if err == nil {
			err = total.add(t)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: part %d: %w", ErrMerge, i, err)
		}
		for _, u := range p.Targets {
			if !seen[u] {
				seen[u] = true
				out.Targets = append(out.Targets, u)
			}
		}
		endedBy[p.EndedBy] = true
		out.Clients += p.Clients
		out.ClientsTotal = p.ClientsTotal
		out.Shards++
		out.Mode, out.Pipeline, out.KeepAlive = p.Mode, p.Pipeline, p.KeepAlive
		out.Rate += p.Rate
		out.DurationS = math.Max(out.DurationS, p.DurationS)
		if out.MeasuredFrom.IsZero() || (!p.MeasuredFrom.IsZero() && p.MeasuredFrom.Before(out.MeasuredFrom)) {
			out.MeasuredFrom = p.MeasuredFrom
		}
		out.StartAt = p.StartAt
		if out.StartedAt.IsZero() || p.StartedAt.Before(out.StartedAt) {
			out.StartedAt = p.StartedAt
		}
		out.Driver = maxUsage(out.Driver, p.Driver)
	}
	switch {
	case endedBy["canceled"]:
		out.EndedBy = "canceled"
	case endedBy["duration"]:
		out.EndedBy = "duration"
	default:
		out.EndedBy = "requests"
	}
	var err error
	if out.Timeline, err = mergeTimelines(parts); err != nil {
		return nil, err
	}
	if out.H2, err = mergeH2(parts); err != nil {
		return nil, err
	}
	if err := total.fill(out); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckShards checks that parts (named by names, such as their files) are
// every shard of one run, each once: the same run id, the same shard
// count, no shard twice, none missing, none already a merge. The error
// wraps ErrMerge.
func CheckShards(names []string, parts []*Summary) error {
	if len(parts) == 0 {
		return fmt.Errorf("%w: nothing to merge", ErrMerge)
	}
	first := parts[0]
	seen := map[int]string{}
	count := 0
	for i, p := range parts {
		if p.Shard == "merged" {
			return fmt.Errorf("%w: %s is already a merge of %s; merge the shards' own summaries", ErrMerge, names[i], units.Plural(p.Shards, "shard", "shards"))
		}
		sh, err := ParseShard(p.Shard)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrMerge, names[i], err)
		}
		if i == 0 {
			count = sh.Count
		}
		switch {
		case p.RunID != first.RunID:
			return fmt.Errorf("%w: %s is from run %q, %s from run %q: shards of different runs (give every shard the same --run-id)",
				ErrMerge, names[i], p.RunID, names[0], first.RunID)
		case !p.StartAt.Equal(first.StartAt):
			return fmt.Errorf("%w: %s started at %s, %s at %s: the shards of one run start together (give every shard the same --start-at)",
				ErrMerge, names[i], startText(p.StartAt), names[0], startText(first.StartAt))
		case sh.Count != count:
			return fmt.Errorf("%w: %s is shard %v, %s shard %v: a run has one shard count", ErrMerge, names[i], sh, names[0], first.Shard)
		case seen[sh.Index] != "":
			return fmt.Errorf("%w: shard %v twice: %s and %s", ErrMerge, sh, seen[sh.Index], names[i])
		}
		seen[sh.Index] = names[i]
	}
	var missing []string
	for k := range count {
		if seen[k] == "" {
			missing = append(missing, Shard{Index: k, Count: count}.String())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s missing (have %d of %d shards)", ErrMerge, pick(len(missing), "shard "+strings.Join(missing, ", ")+" is", "shards "+strings.Join(missing, ", ")+" are"), len(seen), count)
	}
	return nil
}

// startText is a start_at for messages.
func startText(t time.Time) string {
	if t.IsZero() {
		return "no agreed time"
	}
	return t.Format(time.RFC3339Nano)
}

// pick chooses one or many by n, for messages: "shard 1/2 is" / "shards 1/3, 2/3 are".
func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkPart refuses a summary that cannot be merged with the first one.
func checkPart(i int, p, first *Summary) error {
	if p.Schema != SummarySchema {
		return fmt.Errorf("%w: part %d has schema %q, want %q", ErrMerge, i, p.Schema, SummarySchema)
	}
	if p.Mode != first.Mode || p.Pipeline != first.Pipeline || p.KeepAlive != first.KeepAlive || p.ClientsTotal != first.ClientsTotal ||
		p.Method != first.Method || p.BodyBytes != first.BodyBytes {
		return fmt.Errorf("%w: part %d was run with other settings (mode, pipeline, keep-alive, clients, method or body differ)", ErrMerge, i)
	}
	return nil
}

// maxUsage is each field's maximum.
func maxUsage(a, b Usage) Usage {
	return Usage{
		CPUPct:    math.Max(a.CPUPct, b.CPUPct),
		RSSMB:     math.Max(a.RSSMB, b.RSSMB),
		RSSPeakMB: math.Max(a.RSSPeakMB, b.RSSPeakMB),
		CPUs:      max(a.CPUs, b.CPUs),
		Loops:     max(a.Loops, b.Loops),
		NoFile:    max(a.NoFile, b.NoFile),
	}
}

// mergeTimelines merges the shards' timelines second by second.
func mergeTimelines(parts []*Summary) ([]Second, error) {
	type sec struct {
		s    Second
		hist *hdrhistogram.Histogram // nil once a shard's entry lacks one
	}
	secs := map[int]*sec{}
	for i, p := range parts {
		for _, e := range p.Timeline {
			m := secs[e.T]
			if m == nil {
				m = &sec{s: Second{T: e.T}, hist: newSecondHist()}
				secs[e.T] = m
			}
			m.s.RPS += e.RPS
			m.s.Errors += e.Errors
			m.s.P99MS = math.Max(m.s.P99MS, e.P99MS)
			m.s.CPUPct = math.Max(m.s.CPUPct, e.CPUPct)
			if e.Histogram == "" {
				m.hist = nil
			} else if m.hist != nil {
				h, err := DecodeHistogram(e.Histogram)
				if err != nil {
					return nil, fmt.Errorf("%w: part %d timeline second %d: %w", ErrMerge, i, e.T, err)
				}
				m.hist.Merge(h)
			}
		}
	}
	out := make([]Second, 0, len(secs))
	for _, k := range slices.Sorted(maps.Keys(secs)) {
		m := secs[k]
		if m.hist != nil {
			m.s.P99MS = p99Of(m.hist)
			enc, err := encodeHist(m.hist)
			if err != nil {
				return nil, err
			}
			m.s.Histogram = enc
		}
		out = append(out, m.s)
	}
	return out, nil
}
