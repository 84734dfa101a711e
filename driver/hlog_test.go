package driver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// TestHistogramsReadBackThroughHdrHistogram: the summary's histograms, in
// its JSON and in the interval log, read back through hdrhistogram-go
// itself — the form other HdrHistogram tools read — equal to what the run
// measured.
func TestHistogramsReadBackThroughHdrHistogram(t *testing.T) {
	t.Parallel()
	srv := startServer(t, labServer)
	sum := run(t, Config{Targets: []string{srv.URL + "/"}, Clients: 4, Duration: 2500 * time.Millisecond, SecondHistograms: true})
	if sum.OK == 0 || sum.MeasuredFrom.IsZero() {
		t.Fatalf("ok %d, measured from %v", sum.OK, sum.MeasuredFrom)
	}
	// JSON: the summary as written, decoded by hdrhistogram-go directly.
	js, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Histogram string `json:"histogram"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	total, err := hdrhistogram.Decode([]byte(back.Histogram))
	if err != nil {
		t.Fatalf("hdrhistogram.Decode of the JSON histogram: %v", err)
	}
	if total.TotalCount() != int64(sum.Responses) {
		t.Errorf("JSON histogram holds %d values, the run measured %d responses", total.TotalCount(), sum.Responses)
	}
	// The interval log: one interval per measured second, read back by
	// hdrhistogram-go's log reader, each equal to that second's histogram,
	// together holding every measured response.
	var log bytes.Buffer
	if err := WriteIntervalLog(&log, sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#[Histogram log format version 1.3]", "#[StartTime: ", "#[BaseTime: ", `"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
	r := hdrhistogram.NewHistogramLogReader(&log)
	var n int
	var count int64
	for {
		h, err := r.NextIntervalHistogram()
		if errors.Is(err, io.EOF) || (err == nil && h == nil) {
			break
		}
		if err != nil {
			t.Fatalf("interval %d: %v", n, err)
		}
		if n >= len(sum.Timeline) {
			t.Fatalf("more intervals than the %d seconds measured", len(sum.Timeline))
		}
		if sec := sum.Timeline[n]; sec.Histogram != "" {
			want, err := DecodeHistogram(sec.Histogram)
			if err != nil {
				t.Fatal(err)
			}
			if h.TotalCount() != want.TotalCount() || h.ValueAtQuantile(99) != want.ValueAtQuantile(99) {
				t.Errorf("interval %d: %d values, p99 %d; the summary's second: %d, %d", n, h.TotalCount(), h.ValueAtQuantile(99), want.TotalCount(), want.ValueAtQuantile(99))
			}
		}
		if got, want := h.StartTimeMs()-sum.MeasuredFrom.UnixMilli(), int64(n)*1000; got != want {
			t.Errorf("interval %d starts at +%d ms, want +%d", n, got, want)
		}
		count += h.TotalCount()
		n++
	}
	if n != len(sum.Timeline) || count != total.TotalCount() {
		t.Errorf("%d intervals holding %d values; want %d seconds holding %d", n, count, len(sum.Timeline), total.TotalCount())
	}
}

func TestIntervalLogNeedsSecondHistograms(t *testing.T) {
	s := &Summary{OK: 10, Timeline: []Second{{T: 0, RPS: 10}}}
	if err := WriteIntervalLog(io.Discard, s); !errors.Is(err, ErrNoSecondHistograms) {
		t.Errorf("WriteIntervalLog without histograms = %v", err)
	}
}
