package driver

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/driver/threshold"
	"github.com/scalelab/scalelab/internal/golden"
)

// TestSummaryJSONGolden pins the JSON form of a Summary (schema
// scalelab/load/v1): the runner parses it, so field names only ever get
// added. Run with -update after adding one.
func TestSummaryJSONGolden(t *testing.T) {
	h := newLatencyHist()
	for _, us := range []int64{900, 1000, 1100, 20000} {
		h.RecordValue(us)
	}
	enc, err := encodeHist(h)
	if err != nil {
		t.Fatal(err)
	}
	svc := latencyOf(h)
	s := &Summary{
		Schema: SummarySchema, RunID: "7f3a9c2e", Targets: []string{"http://127.0.0.1:8080/"}, Method: "POST", BodyBytes: 7, Clients: 2, ClientsTotal: 4,
		Shard: "0/2", Shards: 2, Mode: "closed", Pipeline: 1, KeepAlive: true, DurationS: 2, EndedBy: "duration",
		MeasuredFrom: time.Date(2026, 12, 1, 10, 0, 0, 500e6, time.UTC),
		OK:           3, WarmupRequests: 5, Unfinished: 2, Unsolicited: 1, ConnectsAttempted: 3, ConnectsOK: 2,
		Responses: 4, StatusCodes: map[string]uint64{"200": 3, "503": 1}, BytesRead: 600, BytesWritten: 480,
		LatencyMS: latencyOf(h), ServiceMS: &svc, ConnectMS: connectOf(h),
		Errors:        map[string]uint64{ClassHTTP5xx: 1, ClassConnectRefused: 1, "other_EHOSTUNREACH_connect": 1},
		ErrorsByStage: map[string]map[string]uint64{"status": {ClassHTTP5xx: 1}, "connect": {ClassConnectRefused: 1, "other_EHOSTUNREACH_connect": 1}},
		Timeline:      []Second{{T: 0, RPS: 2, Errors: 2, P99MS: 20}, {T: 1, RPS: 1, Errors: 1, P99MS: 1.1}},
		Driver:        Usage{CPUPct: 12.5, RSSMB: 10.1, RSSPeakMB: 10.4, CPUs: 1, Loops: 1},
		Histogram:     enc, ConnectHistogram: enc, ServiceHistogram: enc,
		Thresholds: []threshold.Result{{Threshold: "p99<10ms", Metric: "p99", Measured: &svc.P99}},
	}
	s.finish()
	got, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "summary.golden.json")
	golden.Check(t, path, got)
	var csvOut bytes.Buffer
	if err := WriteCSV(&csvOut, s); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "summary.golden.csv"), csvOut.Bytes())
	if rows, err := csv.NewReader(&csvOut).ReadAll(); err != nil || len(rows) != 2 || len(rows[1]) != len(CSVHeader) {
		t.Errorf("the CSV does not read back as a header and a row of %d columns: %v %v", len(CSVHeader), rows, err)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Summary
	dec := json.NewDecoder(bytes.NewReader(want))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("golden does not decode strictly: %v", err)
	}
	if back.Requests != 6 || back.SuccessRate != 0.5 || back.RPS != 1.5 || back.ResponsesRPS != 2 || back.ReadBPS != 300 || back.WriteBPS != 240 {
		t.Errorf("derived fields: requests %d success %v rps %v responses/s %v bytes/s %v %v",
			back.Requests, back.SuccessRate, back.RPS, back.ResponsesRPS, back.ReadBPS, back.WriteBPS)
	}
}

// shardParts returns n shard summaries of one run, with status codes,
// bytes and (open) service times.
func shardParts(t *testing.T, n int, open bool) []*Summary {
	t.Helper()
	var parts []*Summary
	for i := range n {
		tl := newTally()
		for _, us := range []int64{100, 200, 300} {
			tl.lat.RecordValue(us * int64(i+1))
		}
		if open {
			tl.svc = newLatencyHist()
			tl.svc.RecordValue(50)
		}
		tl.counts = counts{ok: 2, bytesRead: 100, bytesWritten: 40}
		tl.status = map[int]uint64{200: 2, 404: 1}
		tl.addErr("status", ClassHTTP4xx, 1)
		s := &Summary{Schema: SummarySchema, RunID: "run-1", Shard: Shard{Index: i, Count: n}.String(), Shards: n,
			Mode: "closed", Pipeline: 1, ClientsTotal: 4, Clients: 4 / n, DurationS: 1}
		if err := tl.fill(s); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, s)
	}
	return parts
}

func TestMergeSumsCodesBytesAndServiceTimes(t *testing.T) {
	for _, open := range []bool{false, true} {
		m, err := Merge(shardParts(t, 3, open)...)
		if err != nil {
			t.Fatal(err)
		}
		if m.StatusCodes["200"] != 6 || m.StatusCodes["404"] != 3 || m.Responses != 9 || m.BytesRead != 300 || m.BytesWritten != 120 || m.RunID != "run-1" {
			t.Errorf("merged codes %v responses %d bytes %d/%d run %q", m.StatusCodes, m.Responses, m.BytesRead, m.BytesWritten, m.RunID)
		}
		if m.ResponsesRPS != 9 || m.ReadBPS != 300 {
			t.Errorf("responses/s %v read/s %v", m.ResponsesRPS, m.ReadBPS)
		}
		if open != (m.ServiceMS != nil) {
			t.Errorf("open %v: service %v", open, m.ServiceMS)
		}
		if open {
			if h, err := DecodeHistogram(m.ServiceHistogram); err != nil || h.TotalCount() != 3 {
				t.Errorf("service histogram: %v", err)
			}
		}
	}
}

// TestMergeKeepsTheStart: shards of one start merge into a run with that
// start, begun at the earliest shard's start.
func TestMergeKeepsTheStart(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	parts := shardParts(t, 3, false)
	for i, p := range parts {
		p.StartAt, p.StartedAt = at, at.Add(time.Duration(2-i)*time.Millisecond)
	}
	m, err := Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if !m.StartAt.Equal(at) || !m.StartedAt.Equal(at) {
		t.Errorf("merged start_at %v started_at %v, want %v for both", m.StartAt, m.StartedAt, at)
	}
}

// TestMergeRefusesWrongShards: every shard of one run, each once.
func TestMergeRefusesWrongShards(t *testing.T) {
	tests := []struct {
		name   string
		change func(p []*Summary) []*Summary
		want   string
	}{
		{"same shard twice", func(p []*Summary) []*Summary { return []*Summary{p[0], p[1], p[1]} }, "shard 1/3 twice: part 1 and part 2"},
		{"missing shard", func(p []*Summary) []*Summary { return p[:2] }, "shard 2/3 is missing (have 2 of 3 shards)"},
		{"two missing", func(p []*Summary) []*Summary { return p[:1] }, "shards 1/3, 2/3 are missing"},
		{"another run", func(p []*Summary) []*Summary { p[2].RunID = "run-2"; return p }, `part 2 is from run "run-2", part 0 from run "run-1"`},
		{"shard counts differ", func(p []*Summary) []*Summary { p[1].Shard = "1/4"; return p }, "a run has one shard count"},
		{"a merge", func(p []*Summary) []*Summary { p[0].Shard = "merged"; return p }, "already a merge of 3 shards"},
		{"no shard", func(p []*Summary) []*Summary { p[0].Shard = ""; return p }, "want i/N"},
		{"another start", func(p []*Summary) []*Summary {
			p[0].StartAt = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			p[1].StartAt = p[0].StartAt.Add(time.Second)
			return p
		}, "part 1 started at 2026-12-01T10:00:01Z, part 0 at 2026-12-01T10:00:00Z: the shards of one run start together"},
		{"one without a start", func(p []*Summary) []*Summary {
			p[0].StartAt = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			return p
		}, "part 1 started at no agreed time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(tt.change(shardParts(t, 3, false))...)
			if !errors.Is(err, ErrMerge) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrMerge saying %q", err, tt.want)
			}
		})
	}
	if err := CheckShards([]string{"a.json", "b.json"}, []*Summary{{Shard: "0/2"}, {Shard: "0/2"}}); err == nil || !strings.Contains(err.Error(), "shard 0/2 twice: a.json and b.json") {
		t.Errorf("CheckShards names the files: %v", err)
	}
}

func TestSummaryMetric(t *testing.T) {
	s := &Summary{Requests: 1000, OK: 999, Failed: 1, SuccessRate: 0.999, RPS: 333, ResponsesRPS: 334, DurationS: 3,
		LatencyMS: Latency{P50: 1, P95: 2, P99: 3, P999: 4, P9999: 5, Max: 6, Mean: 1.5}}
	for name, want := range map[string]float64{"success": 99.9, "errors": 0.1, "rps": 333, "responses_rps": 334,
		"p50": 1, "p95": 2, "p99": 3, "p99.9": 4, "p99.99": 5, "max": 6, "mean": 1.5} {
		if v, ok := s.Metric(name); !ok || math.Abs(v-want) > 1e-9 {
			t.Errorf("%s = %v %v, want %v", name, v, ok, want)
		}
	}
	for _, name := range threshold.Metrics {
		if _, ok := s.Metric(name.Name); !ok {
			t.Errorf("threshold metric %s has no value in a summary", name.Name)
		}
	}
	empty := &Summary{}
	for _, name := range []string{"success", "errors", "rps", "p99", "nonsense"} {
		if _, ok := empty.Metric(name); ok {
			t.Errorf("%s measured in an empty summary", name)
		}
	}
}

func TestMergeRefusesMismatch(t *testing.T) {
	h, _ := encodeHist(newLatencyHist())
	base := Summary{Schema: SummarySchema, Mode: "closed", Pipeline: 1, ClientsTotal: 4, Histogram: h, ConnectHistogram: h}
	tests := []struct {
		name   string
		change func(s *Summary)
	}{
		{"schema", func(s *Summary) { s.Schema = "other/v9" }},
		{"mode", func(s *Summary) { s.Mode = "open" }},
		{"clients", func(s *Summary) { s.ClientsTotal = 5 }},
		{"no histogram", func(s *Summary) { s.Histogram = "" }},
		{"bad histogram", func(s *Summary) { s.ConnectHistogram = "!!" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := base, base
			tt.change(&b)
			if _, err := Merge(&a, &b); !errors.Is(err, ErrMerge) {
				t.Errorf("err = %v, want ErrMerge", err)
			}
		})
	}
}
