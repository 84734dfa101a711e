package driver

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalelab/scalelab/driver/threshold"
	"github.com/scalelab/scalelab/internal/golden"
)

// reportSummary is a summary with every part of the text report filled in.
func reportSummary(t *testing.T) *Summary {
	t.Helper()
	h := newLatencyHist()
	for _, us := range []int64{412, 4800, 37410, 1204000} {
		h.RecordValue(us)
	}
	s := &Summary{Schema: SummarySchema, Targets: []string{"http://127.0.0.1:8080/", "http://127.0.0.1:8081/"},
		Clients: 1000, ClientsTotal: 1000, Shard: "0/1", Shards: 1, Mode: "closed", Pipeline: 1, KeepAlive: true,
		DurationS: 3.0004, EndedBy: "duration",
		Driver: Usage{CPUPct: 87.6, RSSMB: 15.7, RSSPeakMB: 16.2, CPUs: 2, Loops: 2}}
	tl := newTally()
	tl.lat, tl.conn = h, h
	tl.counts = counts{ok: 77766, warmup: 1500, unfinished: 3, connectsAttempted: 1040, connectsOK: 1000,
		bytesRead: 9_876_543, bytesWritten: 4_321_000}
	tl.status = map[int]uint64{200: 77700, 304: 66, 503: 1}
	tl.addErr("connect", ClassConnectRefused, 40)
	tl.addErr("status", ClassHTTP5xx, 1)
	if err := tl.fill(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestWriteTextGolden pins the text report of a run, of a shard, of a
// merge and of an open loop. Run with -update after changing it.
func TestWriteTextGolden(t *testing.T) {
	var out bytes.Buffer
	for _, v := range []struct {
		name   string
		change func(s *Summary)
	}{
		{"one run", func(*Summary) {}},
		{"shard", func(s *Summary) { s.Shard, s.Shards, s.Clients = "1/4", 4, 250 }},
		{"merged", func(s *Summary) { s.Shard, s.Shards = "merged", 4 }},
		{"open loop without keep-alive", func(s *Summary) {
			s.Mode, s.Rate, s.KeepAlive, s.Unsolicited = "open", 25000, false, 2
			svc := Latency{P50: 0.2, P90: 0.3, P95: 0.35, P99: 0.9, P999: 4, Max: 4.1, Mean: 0.25}
			s.ServiceMS = &svc
		}},
		{"POST with thresholds", func(s *Summary) {
			s.Method, s.BodyBytes = "POST", 7
			s.Thresholds = []threshold.Result{
				{Threshold: "success>=99.9%", Metric: "success", Measured: ptr(99.94), Passed: true},
				{Threshold: "p99<10ms", Metric: "p99", Measured: ptr(37.41)},
				{Threshold: "rps>=50000", Metric: "rps", Measured: ptr(25922)},
			}
		}},
		{"nothing measured", func(s *Summary) { *s = Summary{Targets: []string{"http://[::1]:9/"}, Clients: 1} }},
	} {
		s := reportSummary(t)
		v.change(s)
		out.WriteString("== " + v.name + "\n")
		if err := WriteText(&out, s); err != nil {
			t.Fatal(err)
		}
	}
	golden.Check(t, filepath.Join("testdata", "report.golden.txt"), out.Bytes())
}

func ptr(v float64) *float64 { return &v }

// TestWriteTextSpectrum pins --latency: the percentile list (corrected and
// uncorrected side by side in an open loop) and HdrHistogram's spectrum.
func TestWriteTextSpectrum(t *testing.T) {
	var out bytes.Buffer
	for _, open := range []bool{false, true} {
		s := reportSummary(t)
		if open {
			s.Mode, s.Rate = "open", 25000
			svc := latencyOf(func() *hdrhistogram.Histogram {
				h := newLatencyHist()
				for _, us := range []int64{300, 2000, 9000, 40000} {
					h.RecordValue(us)
				}
				return h
			}())
			s.ServiceMS = &svc
		}
		fmt.Fprintf(&out, "== open %v\n", open)
		if err := WriteTextOptions(&out, s, TextOptions{Spectrum: true}); err != nil {
			t.Fatal(err)
		}
	}
	text := out.String()
	for _, want := range []string{"Latency distribution", " 99.999%", "100.000%", "Percentile", "#[Max     =", "corrected", "uncorrected"} {
		if !strings.Contains(text, want) {
			t.Errorf("spectrum lacks %q", want)
		}
	}
	golden.Check(t, filepath.Join("testdata", "spectrum.golden.txt"), out.Bytes())
}

// TestWriteTextShardNote: "shard i/N" only for a sharded run.
func TestWriteTextShardNote(t *testing.T) {
	for _, tt := range []struct {
		shard  string
		shards int
		want   string
	}{{"0/1", 1, ""}, {"", 0, ""}, {"2/3", 3, "(shard 2/3)"}, {"merged", 3, "(3 shards merged)"}} {
		var b strings.Builder
		if err := WriteText(&b, &Summary{Shard: tt.shard, Shards: tt.shards}); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); tt.want == "" && strings.Contains(got, "shard") || !strings.Contains(got, tt.want) {
			t.Errorf("shard %q of %d:\n%s\nwant %q", tt.shard, tt.shards, got, tt.want)
		}
	}
}
