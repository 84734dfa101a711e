package driver

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
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
//	targets             target URLs
//	clients             connections this summary covers (a shard's slice, or all)
//	clients_total       connections of the whole run over all shards
//	shard, shards       "i/N" of this run ("merged" after Merge), and N
//	mode, rate          "closed" or "open"; requests/s of this shard (0 closed)
//	pipeline, keepalive requests in flight per connection; keep-alive on or off
//	duration_s          measured period in seconds (warmup excluded)
//	ended_by            "duration", "requests" or "canceled"
//	requests            measured requests: ok + failed
//	ok, failed          ok responses; failed requests (sum of errors)
//	success_rate        ok / requests (0 when no request)
//	rps                 ok responses per second over duration_s
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
//	latency_ms          {p50, p90, p99, p999, max, mean} of complete responses
//	                    (any status), from send, or from the intended send in an open loop
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
//	histogram           base64 of the latency HdrHistogram (V2 compressed, µs)
//	connect_histogram   base64 of the connect-time HdrHistogram (V2 compressed, µs)
//	h2                  only with h2c (Config.H2C): clients are connections, each with
//	                    up to h2.streams streams; stream limits, resets, GOAWAYs, flow
//	                    control and client-side waits for a stream slot (see H2)
type Summary struct {
	Schema            string                       `json:"schema"`
	Targets           []string                     `json:"targets"`
	Clients           int                          `json:"clients"`
	ClientsTotal      int                          `json:"clients_total"`
	Shard             string                       `json:"shard"`
	Shards            int                          `json:"shards"`
	Mode              string                       `json:"mode"`
	Rate              float64                      `json:"rate"`
	Pipeline          int                          `json:"pipeline"`
	KeepAlive         bool                         `json:"keepalive"`
	DurationS         float64                      `json:"duration_s"`
	EndedBy           string                       `json:"ended_by"`
	Requests          uint64                       `json:"requests"`
	OK                uint64                       `json:"ok"`
	Failed            uint64                       `json:"failed"`
	SuccessRate       float64                      `json:"success_rate"`
	RPS               float64                      `json:"rps"`
	WarmupRequests    uint64                       `json:"warmup_requests"`
	Unfinished        uint64                       `json:"unfinished"`
	Unsolicited       uint64                       `json:"unsolicited_responses"`
	ClientsStarved    int                          `json:"clients_starved"`
	ConnectsAttempted uint64                       `json:"connects_attempted"`
	ConnectsOK        uint64                       `json:"connects_ok"`
	LatencyMS         Latency                      `json:"latency_ms"`
	ConnectMS         ConnectTime                  `json:"connect_ms"`
	Errors            map[string]uint64            `json:"errors"`
	ErrorsByStage     map[string]map[string]uint64 `json:"errors_by_step"`
	Timeline          []Second                     `json:"timeline"`
	Driver            Usage                        `json:"driver"`
	Histogram         string                       `json:"histogram"`
	ConnectHistogram  string                       `json:"connect_histogram"`
	H2                *H2                          `json:"h2,omitempty"`
}

// Latency holds response-time percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
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

// ErrMerge is wrapped by errors of Merge.
var ErrMerge = errors.New("driver: cannot merge summaries")

func newLatencyHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

func newSecondHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, secondSigFigs)
}

func encodeHist(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("driver: encode histogram: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeHistogram decodes a histogram field of a Summary.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("driver: histogram is not base64: %w", err)
	}
	h, err := hdrhistogram.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("driver: decode histogram: %w", err)
	}
	return h, nil
}

func usToMS(v int64) float64 { return math.Round(float64(v)) / 1000 }

func latencyOf(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		P50:  usToMS(h.ValueAtQuantile(50)),
		P90:  usToMS(h.ValueAtQuantile(90)),
		P99:  usToMS(h.ValueAtQuantile(99)),
		P999: usToMS(h.ValueAtQuantile(99.9)),
		Max:  usToMS(h.Max()),
		Mean: math.Round(h.Mean()) / 1000,
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
	s.RPS = 0
	if s.DurationS > 0 {
		s.RPS = math.Round(float64(s.OK)/s.DurationS*10) / 10
	}
}

// Merge combines the summaries of the shards of one run: counters are
// summed, histograms merged (so percentiles are exact, not averaged), the
// timeline merged second by second (its cpu_pct the shards' maximum).
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
	out := &Summary{Schema: SummarySchema, Shard: "merged"}
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

// checkPart refuses a summary that cannot be merged with the first one.
func checkPart(i int, p, first *Summary) error {
	if p.Schema != SummarySchema {
		return fmt.Errorf("%w: part %d has schema %q, want %q", ErrMerge, i, p.Schema, SummarySchema)
	}
	if p.Mode != first.Mode || p.Pipeline != first.Pipeline || p.KeepAlive != first.KeepAlive || p.ClientsTotal != first.ClientsTotal {
		return fmt.Errorf("%w: part %d was run with other settings (mode, pipeline, keep-alive or clients differ)", ErrMerge, i)
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
