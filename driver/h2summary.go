package driver

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalelab/scalelab/units"
)

// H2 is the HTTP/2 part of a Summary (JSON "h2", present only for runs
// with Config.H2C). Clients are connections there, each with up to Streams
// streams; the evidence of HTTP/2's own limits is here:
//
//	streams                  streams per connection asked for (Config.Streams)
//	concurrency              connections × streams: the requests the run keeps
//	                         in flight in a closed loop
//	server_max_streams       the smallest SETTINGS_MAX_CONCURRENT_STREAMS the
//	                         server announced (-1: none announced, no limit)
//	streams_limit            streams a connection could have open at once:
//	                         streams, capped by server_max_streams
//	streams_in_flight_max    most streams open at once on one connection
//	streams_in_flight_mean   streams open on a connection, averaged over the
//	                         measured period and the connections
//	streams_opened           streams opened for measured requests
//	rst_stream               RST_STREAM frames the server sent, by error code
//	                         (REFUSED_STREAM, PROTOCOL_ERROR, ...)
//	goaway, goaway_codes     GOAWAY frames the server sent, and by error code
//	retried                  requests above a graceful GOAWAY's last stream id,
//	                         sent again on a new connection (not errors)
//	flow_control_blocked_ms  time request bodies waited for flow-control window,
//	                         summed over streams
//	stream_waited            requests that waited at the client for a free
//	                         stream slot (client-side queueing)
//	stream_wait_ms           {p50, p90, p99, p999, max, mean} of those waits
//	stream_wait_histogram    HdrHistogram of the waits (µs), standard compressed form
//
// A request's latency runs from when it was ready (closed loop) or due
// (open loop), so it includes its wait for a stream slot.
type H2 struct {
	Streams              int               `json:"streams"`
	Concurrency          int               `json:"concurrency"`
	ServerMaxStreams     int64             `json:"server_max_streams"`
	StreamsLimit         int               `json:"streams_limit"`
	StreamsInFlightMax   int               `json:"streams_in_flight_max"`
	StreamsInFlightMean  float64           `json:"streams_in_flight_mean"`
	StreamsOpened        uint64            `json:"streams_opened"`
	RSTStream            map[string]uint64 `json:"rst_stream"`
	GoAway               uint64            `json:"goaway"`
	GoAwayCodes          map[string]uint64 `json:"goaway_codes"`
	Retried              uint64            `json:"retried"`
	FlowControlBlockedMS float64           `json:"flow_control_blocked_ms"`
	StreamWaited         uint64            `json:"stream_waited"`
	StreamWaitMS         Latency           `json:"stream_wait_ms"`
	StreamWaitHistogram  string            `json:"stream_wait_histogram"`
}

// h2Tally is the additive part of the HTTP/2 evidence of a loop or run.
type h2Tally struct {
	opened, goaway, retried, waited uint64
	rst, goawayCodes                map[string]uint64
	blockedNS                       int64
	wait                            *hdrhistogram.Histogram
	inflightMax                     int
	serverMax                       int64   // -1: none announced
	streamNS                        float64 // streams open × ns, over the measured period
}

func newH2Tally() *h2Tally {
	return &h2Tally{rst: map[string]uint64{}, goawayCodes: map[string]uint64{}, wait: newLatencyHist(), serverMax: -1}
}

// add adds o to t.
func (t *h2Tally) add(o *h2Tally) error {
	t.opened += o.opened
	t.goaway += o.goaway
	t.retried += o.retried
	t.waited += o.waited
	t.blockedNS += o.blockedNS
	t.streamNS += o.streamNS
	t.inflightMax = max(t.inflightMax, o.inflightMax)
	t.serverMax = minAnnounced(t.serverMax, o.serverMax)
	for k, n := range o.rst {
		t.rst[k] += n
	}
	for k, n := range o.goawayCodes {
		t.goawayCodes[k] += n
	}
	if dropped := t.wait.Merge(o.wait); dropped != 0 {
		return fmt.Errorf("stream_wait_histogram: %d values out of range", dropped)
	}
	return nil
}

// minAnnounced is the smaller of two announced stream limits, -1 standing
// for none announced.
func minAnnounced(a, b int64) int64 {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

// summary returns the H2 part of a summary of conns connections with
// streams streams each, measured for durationS seconds.
func (t *h2Tally) summary(conns, streams int, durationS float64) (*H2, error) {
	s := &H2{
		Streams:              streams,
		Concurrency:          conns * streams,
		ServerMaxStreams:     t.serverMax,
		StreamsLimit:         streamsLimit(streams, t.serverMax),
		StreamsInFlightMax:   t.inflightMax,
		StreamsOpened:        t.opened,
		RSTStream:            maps.Clone(t.rst),
		GoAway:               t.goaway,
		GoAwayCodes:          maps.Clone(t.goawayCodes),
		Retried:              t.retried,
		FlowControlBlockedMS: math.Round(float64(t.blockedNS)/1e3) / 1e3,
		StreamWaited:         t.waited,
		StreamWaitMS:         latencyOf(t.wait),
	}
	if conns > 0 && durationS > 0 {
		s.StreamsInFlightMean = math.Round(t.streamNS/(durationS*1e9)/float64(conns)*100) / 100
	}
	var err error
	s.StreamWaitHistogram, err = encodeHist(t.wait)
	return s, err
}

func streamsLimit(streams int, serverMax int64) int {
	if serverMax >= 0 && serverMax < int64(streams) {
		return int(serverMax)
	}
	return streams
}

// mergeH2 merges the H2 parts of shard summaries (nil when the run was
// not h2c). The mean streams in flight is weighed by each part's
// connections.
func mergeH2(parts []*Summary) (*H2, error) {
	if parts[0].H2 == nil {
		return nil, nil
	}
	t := newH2Tally()
	var conns int
	var weighted float64
	for i, p := range parts {
		h := p.H2
		pt, err := h2TallyOf(h)
		if err == nil {
			err = t.add(pt)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: part %d: %w", ErrMerge, i, err)
		}
		conns += p.Clients
		weighted += h.StreamsInFlightMean * float64(p.Clients)
	}
	out, err := t.summary(conns, parts[0].H2.Streams, 0)
	if err != nil {
		return nil, err
	}
	if conns > 0 {
		out.StreamsInFlightMean = math.Round(weighted/float64(conns)*100) / 100
	}
	return out, nil
}

// h2TallyOf reads the additive part back from the H2 part of a summary
// (whose histogram it decodes). The streams open over time are not in it:
// a merge weighs the means instead.
func h2TallyOf(h *H2) (*h2Tally, error) {
	w, err := DecodeHistogram(h.StreamWaitHistogram)
	if err != nil {
		return nil, fmt.Errorf("stream_wait_histogram: %w", err)
	}
	return &h2Tally{
		opened:      h.StreamsOpened,
		goaway:      h.GoAway,
		retried:     h.Retried,
		waited:      h.StreamWaited,
		rst:         h.RSTStream,
		goawayCodes: h.GoAwayCodes,
		blockedNS:   int64(math.Round(h.FlowControlBlockedMS * 1e6)),
		wait:        w,
		inflightMax: h.StreamsInFlightMax,
		serverMax:   h.ServerMaxStreams,
	}, nil
}

// checkH2Part refuses to merge an h2c summary with one that is not, or
// with other streams per connection.
func checkH2Part(i int, p, first *Summary) error {
	switch {
	case (p.H2 == nil) != (first.H2 == nil):
		return fmt.Errorf("%w: part %d: h2c and HTTP/1.1 summaries do not merge", ErrMerge, i)
	case p.H2 != nil && p.H2.Streams != first.H2.Streams:
		return fmt.Errorf("%w: part %d was run with %d streams per connection, part 0 with %d", ErrMerge, i, p.H2.Streams, first.H2.Streams)
	}
	return nil
}

// writeH2Text adds the HTTP/2 lines of WriteText.
func writeH2Text(b *strings.Builder, s *Summary) {
	h := s.H2
	if h == nil {
		return
	}
	limit := "no stream limit announced"
	if h.ServerMaxStreams >= 0 {
		limit = "server allows " + units.Int(h.ServerMaxStreams) + " per connection"
	}
	fmt.Fprintf(b, "  h2c: %s × %s (%s in flight), %s; in flight per connection: mean %s, max %s of %s\n",
		units.Plural(s.Clients, "connection", "connections"), units.Plural(h.Streams, "stream", "streams"),
		units.Int(h.Concurrency), limit, units.Float(h.StreamsInFlightMean, 1), units.Int(h.StreamsInFlightMax), units.Int(h.StreamsLimit))
	if h.StreamWaited > 0 {
		w := h.StreamWaitMS
		fmt.Fprintf(b, "  %s waited for a stream slot: p50 %s  p99 %s  max %s\n",
			units.Plural(h.StreamWaited, "request", "requests"), units.MS(w.P50), units.MS(w.P99), units.MS(w.Max))
	}
	if len(h.RSTStream) > 0 || h.GoAway > 0 || h.Retried > 0 || h.FlowControlBlockedMS > 0 {
		fmt.Fprintf(b, "  RST_STREAM %s, GOAWAY %s, retried after GOAWAY %s, bodies blocked on flow control %s\n",
			codesText(h.RSTStream), codesText(h.GoAwayCodes), units.Int(h.Retried), units.MS(h.FlowControlBlockedMS))
	}
}

// codesText lists counts by code: "REFUSED_STREAM 3, CANCEL 1", or 0.
func codesText(m map[string]uint64) string {
	if len(m) == 0 {
		return "0"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+" "+units.Int(m[k]))
	}
	return strings.Join(parts, ", ")
}
