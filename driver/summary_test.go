package driver

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

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
	s := &Summary{
		Schema: SummarySchema, Targets: []string{"http://127.0.0.1:8080/"}, Clients: 2, ClientsTotal: 4,
		Shard: "0/2", Shards: 2, Mode: "closed", Pipeline: 1, KeepAlive: true, DurationS: 2, EndedBy: "duration",
		OK: 3, WarmupRequests: 5, Unfinished: 2, Unsolicited: 1, ConnectsAttempted: 3, ConnectsOK: 2,
		LatencyMS: latencyOf(h), ConnectMS: connectOf(h),
		Errors:        map[string]uint64{ClassHTTP5xx: 1, ClassConnectRefused: 1, "other_EHOSTUNREACH_connect": 1},
		ErrorsByStage: map[string]map[string]uint64{"status": {ClassHTTP5xx: 1}, "connect": {ClassConnectRefused: 1, "other_EHOSTUNREACH_connect": 1}},
		Timeline:      []Second{{T: 0, RPS: 2, Errors: 2, P99MS: 20}, {T: 1, RPS: 1, Errors: 1, P99MS: 1.1}},
		Driver:        Usage{CPUPct: 12.5, RSSMB: 10.1, RSSPeakMB: 10.4, CPUs: 1, Loops: 1},
		Histogram:     enc, ConnectHistogram: enc,
	}
	s.finish()
	got, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "summary.golden.json")
	golden.Check(t, path, got)
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
	if back.Requests != 6 || back.SuccessRate != 0.5 || back.RPS != 1.5 {
		t.Errorf("derived fields: requests %d success %v rps %v", back.Requests, back.SuccessRate, back.RPS)
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
