package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

// step is a judged scorecard step whose latencies are all us microseconds.
func step(t *testing.T, clients int, ok, requests int64, rps float64, us int64) scorecards.Step {
	t.Helper()
	h := hdrhistogram.New(1, 60_000_000, 3)
	for range ok {
		h.RecordValue(us)
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(b)
	return scorecards.Step{Step: attrib.Step{Clients: clients, Requests: requests, OK: ok, DurationS: 1,
		SuccessRate: units.Ratio(float64(ok) / float64(requests)), RPS: units.PerSecond(rps), Histogram: enc}}
}

// TestPhaseThresholdsOnMedians: each client count is judged on the median
// of its trials, not on its best or worst one; steps cut short do not
// count.
func TestPhaseThresholdsOnMedians(t *testing.T) {
	cut := step(t, 10, 1, 100, 1, 50_000)
	cut.Ended = scorecards.StepInterrupted
	steps := []scorecards.Step{
		// 10 clients: p99 of 2, 4 and 30 ms: median 4 ms (passes p99<5ms,
		// though one trial is far above); rps median 1,000.
		step(t, 10, 1000, 1000, 900, 2000), step(t, 10, 1000, 1000, 1000, 4000), step(t, 10, 1000, 1000, 5000, 30000), cut,
		// 50 clients: two trials, success 99% and 100%: median 99.5%.
		step(t, 50, 990, 1000, 2000, 6000), step(t, 50, 1000, 1000, 2000, 6000),
	}
	var out bytes.Buffer
	failed, err := checkPhaseThresholds(&out, []string{"p99<5ms", "success>=99.5%", "rps>=1000"}, steps)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"     10 clients  ok    p99<5ms         measured 4.00 ms",
		"     10 clients  ok    success>=99.5%  measured 100%",
		"     10 clients  ok    rps>=1000       measured 1,000/s",
		"     50 clients  FAIL  p99<5ms         measured 6.00 ms",
		"     50 clients  ok    success>=99.5%  measured 99.50%",
		"     50 clients  ok    rps>=1000       measured 2,000/s",
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	if failed != 1 {
		t.Errorf("%d failed, want 1", failed)
	}
	if n, _ := checkPhaseThresholds(&out, nil, steps); n != 0 {
		t.Errorf("no thresholds: %d failed", n)
	}
	if n, _ := checkPhaseThresholds(&out, []string{"p99<5ms"}, []scorecards.Step{cut}); n != 1 {
		t.Errorf("nothing judged: %d failed, want every threshold", n)
	}
}

// TestPhaseOutcome maps a finished run to its exit status.
func TestPhaseOutcome(t *testing.T) {
	steps := []scorecards.Step{step(t, 10, 1000, 1000, 1000, 2000)}
	for _, tt := range []struct {
		hyp        attrib.Outcome
		thresholds []string
		want       int
	}{
		{attrib.Confirmed, nil, exitOK},
		{attrib.Confirmed, []string{"p99<10ms"}, exitOK},
		{attrib.Confirmed, []string{"p99<1ms"}, exitFailed},
		{attrib.Refuted, nil, exitFailed},
		{attrib.Inconclusive, nil, exitInconclusive},
		{attrib.Inconclusive, []string{"p99<1ms"}, exitFailed},
	} {
		card := &scorecards.Scorecard{Steps: steps, Summary: attrib.Summary{Hypothesis: tt.hyp}}
		card.Phase.Hypothesis.Limit = attrib.Limit("cpu")
		p := &phases.Phase{Thresholds: tt.thresholds}
		if got := exitCode(phaseOutcome(&bytes.Buffer{}, p, card)); got != tt.want {
			t.Errorf("%s with %v: exit %d, want %d", tt.hyp, tt.thresholds, got, tt.want)
		}
	}
}
