package driver

import (
	"fmt"
	"strconv"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// numStatus bounds the status codes counted: the parser reads three digits.
const numStatus = 1000

// counts are the plain counters of a run.
type counts struct {
	ok, warmup, unfinished, unsolicited uint64
	starved                             uint64 // clients without one ok measured answer
	connectsAttempted, connectsOK       uint64
	bytesRead, bytesWritten             uint64 // socket bytes in the measured period
}

// tally is the additive part of a run: its counters, its errors by stage
// and class, and its latency and connect-time histograms. The event loops
// of one run and the shards of a sharded run are summed the same way, by
// add, so a merge of shards counts exactly as one run would.
type tally struct {
	counts
	errs      map[string]map[string]uint64 // stage -> class -> count; non-zero entries only
	status    map[int]uint64               // complete responses by status code; non-zero entries only
	lat, conn *hdrhistogram.Histogram
	svc       *hdrhistogram.Histogram // open loop: service times (nil: none)
}

func newTally() *tally {
	return &tally{errs: map[string]map[string]uint64{}, status: map[int]uint64{}, lat: newLatencyHist(), conn: newLatencyHist()}
}

// add adds o's counters, errors and histograms to t.
func (t *tally) add(o *tally) error {
	c, oc := &t.counts, &o.counts
	c.ok += oc.ok
	c.warmup += oc.warmup
	c.unfinished += oc.unfinished
	c.unsolicited += oc.unsolicited
	c.starved += oc.starved
	c.connectsAttempted += oc.connectsAttempted
	c.connectsOK += oc.connectsOK
	c.bytesRead += oc.bytesRead
	c.bytesWritten += oc.bytesWritten
	if t.status == nil {
		t.status = map[int]uint64{}
	}
	for code, n := range o.status {
		t.status[code] += n
	}
	for stage, m := range o.errs {
		for cl, n := range m {
			t.addErr(stage, cl, n)
		}
	}
	if dropped := t.lat.Merge(o.lat); dropped != 0 {
		return fmt.Errorf("histogram: %d values out of range", dropped)
	}
	if dropped := t.conn.Merge(o.conn); dropped != 0 {
		return fmt.Errorf("connect_histogram: %d values out of range", dropped)
	}
	if o.svc != nil {
		if t.svc == nil {
			t.svc = newLatencyHist()
		}
		if dropped := t.svc.Merge(o.svc); dropped != 0 {
			return fmt.Errorf("service_histogram: %d values out of range", dropped)
		}
	}
	return nil
}

// addErr counts n errors of class cl at stage.
func (t *tally) addErr(stage, cl string, n uint64) {
	if n == 0 {
		return
	}
	if t.errs[stage] == nil {
		t.errs[stage] = map[string]uint64{}
	}
	t.errs[stage][cl] += n
}

// fill writes t into s: counters, errors (every fixed class, zeros
// included), percentiles, encoded histograms and the derived fields.
func (t *tally) fill(s *Summary) error {
	s.OK = t.ok
	s.WarmupRequests = t.warmup
	s.Unfinished = t.unfinished
	s.Unsolicited = t.unsolicited
	s.ClientsStarved = int(t.starved)
	s.ConnectsAttempted = t.connectsAttempted
	s.ConnectsOK = t.connectsOK
	s.BytesRead, s.BytesWritten = t.bytesRead, t.bytesWritten
	s.Responses = 0
	s.StatusCodes = make(map[string]uint64, len(t.status))
	for code, n := range t.status {
		s.StatusCodes[strconv.Itoa(code)] = n
		s.Responses += n
	}
	s.Errors = make(map[string]uint64, numClasses)
	for _, name := range classNames {
		s.Errors[name] = 0
	}
	s.ErrorsByStage = make(map[string]map[string]uint64, len(t.errs))
	for stage, m := range t.errs {
		s.ErrorsByStage[stage] = make(map[string]uint64, len(m))
		for cl, n := range m {
			s.ErrorsByStage[stage][cl] = n
			s.Errors[cl] += n
		}
	}
	s.LatencyMS = latencyOf(t.lat)
	s.ConnectMS = connectOf(t.conn)
	var err error
	if s.Histogram, err = encodeHist(t.lat); err != nil {
		return err
	}
	if s.ConnectHistogram, err = encodeHist(t.conn); err != nil {
		return err
	}
	s.ServiceMS, s.ServiceHistogram = nil, ""
	if t.svc != nil {
		l := latencyOf(t.svc)
		s.ServiceMS = &l
		if s.ServiceHistogram, err = encodeHist(t.svc); err != nil {
			return err
		}
	}
	s.finish()
	return nil
}

// tallyOf reads the tally back from a summary (whose histograms it decodes).
func tallyOf(s *Summary) (*tally, error) {
	t := &tally{
		counts: counts{
			ok: s.OK, warmup: s.WarmupRequests, unfinished: s.Unfinished, unsolicited: s.Unsolicited,
			starved: uint64(max(s.ClientsStarved, 0)), connectsAttempted: s.ConnectsAttempted, connectsOK: s.ConnectsOK,
			bytesRead: s.BytesRead, bytesWritten: s.BytesWritten,
		},
		errs:   s.ErrorsByStage,
		status: make(map[int]uint64, len(s.StatusCodes)),
	}
	for code, n := range s.StatusCodes {
		c, err := strconv.Atoi(code)
		if err != nil || c < 100 || c >= numStatus || strconv.Itoa(c) != code {
			return nil, fmt.Errorf("status_codes: %q is not a status code", code)
		}
		t.status[c] = n
	}
	if s.ServiceHistogram != "" {
		h, err := DecodeHistogram(s.ServiceHistogram)
		if err != nil {
			return nil, fmt.Errorf("service_histogram: %w", err)
		}
		t.svc = h
	}
	for _, f := range []struct {
		enc  string
		dst  **hdrhistogram.Histogram
		name string
	}{{s.Histogram, &t.lat, "histogram"}, {s.ConnectHistogram, &t.conn, "connect_histogram"}} {
		if f.enc == "" {
			return nil, fmt.Errorf("no %s", f.name)
		}
		h, err := DecodeHistogram(f.enc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = h
	}
	return t, nil
}
