package driver

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/units"
)

// TextOptions choose what WriteTextOptions adds to the summary.
type TextOptions struct {
	// Spectrum adds the latency distribution as wrk2 prints it: the
	// percentiles 50 to 100 (corrected and, in an open loop, uncorrected
	// side by side) and HdrHistogram's detailed percentile spectrum.
	Spectrum bool
}

// WriteText writes s as text, the way wrk summarizes a run, plus the
// error classes by stage. Every number is formatted by package units, so it
// reads as the lab's reports print it.
func WriteText(w io.Writer, s *Summary) error { return WriteTextOptions(w, s, TextOptions{}) }

// WriteTextOptions is WriteText with the additions o asks for.
func WriteTextOptions(w io.Writer, s *Summary, o TextOptions) error {
	var b strings.Builder
	duration := units.Seconds(s.DurationS).String()
	fmt.Fprintf(&b, "%s load @ %s\n", duration, strings.Join(s.Targets, " "))
	fmt.Fprintf(&b, "  %s%s, %s, %s, pipeline %s, %s%s\n", units.Clients(s.Clients), shardNote(s),
		modeText(s), keepAliveText(s.KeepAlive), units.Int(s.Pipeline), units.Plural(s.Driver.Loops, "event loop", "event loops"), requestNote(s))
	writeH2Text(&b, s)
	writeLatency(&b, s)
	cn := s.ConnectMS
	connects := "(" + units.Int(s.ConnectsOK) + " of " + units.Int(s.ConnectsAttempted) + " connects ok)"
	if cn.Max == 0 {
		fmt.Fprintf(&b, "  Connect  %s %s\n", units.NA, connects)
	} else {
		fmt.Fprintf(&b, "  Connect  p50 %s  p99 %s  max %s  %s\n", units.MS(cn.P50), units.MS(cn.P99), units.MS(cn.Max), connects)
	}
	fmt.Fprintf(&b, "  %s in %s: %s ok, %s failed (%s success), %s unfinished, %s in warmup\n",
		units.Plural(s.Requests, "request", "requests"), duration, units.Int(s.OK), units.Int(s.Failed),
		successRate(s), units.Int(s.Unfinished), units.Int(s.WarmupRequests))
	if len(s.StatusCodes) > 0 {
		fmt.Fprintf(&b, "  Status codes: %s\n", statusCodesText(s.StatusCodes))
	}
	fmt.Fprintf(&b, "  %s read, %s written\n", byteText(float64(s.BytesRead)), byteText(float64(s.BytesWritten)))
	if s.Unsolicited > 0 {
		fmt.Fprintf(&b, "  %s: the server answered what was not asked (connections closed)\n",
			units.Plural(s.Unsolicited, "unsolicited response", "unsolicited responses"))
	}
	fmt.Fprintf(&b, "Requests/sec: %s  (responses of any status, as wrk counts them)\n", units.Rate(s.ResponsesRPS))
	fmt.Fprintf(&b, "OK/sec:       %s  (1xx-3xx responses only)\n", units.Rate(s.RPS))
	fmt.Fprintf(&b, "Transfer/sec: %s read, %s written\n", byteText(s.ReadBPS), byteText(s.WriteBPS))
	if s.Failed > 0 {
		b.WriteString("Errors:\n")
		for _, stage := range slices.Sorted(maps.Keys(s.ErrorsByStage)) {
			m := s.ErrorsByStage[stage]
			for _, cl := range slices.Sorted(maps.Keys(m)) {
				fmt.Fprintf(&b, "  %-22s %10s  (at %s)\n", cl, units.Int(m[cl]), stage)
			}
		}
	}
	if o.Spectrum {
		if err := writeSpectrum(&b, s); err != nil {
			return err
		}
	}
	writeThresholds(&b, s)
	fmt.Fprintf(&b, "Driver: %s of one core, RSS %s (peak %s), %s allowed\n",
		units.WholePct(s.Driver.CPUPct), units.MB(s.Driver.RSSMB), units.MB(s.Driver.RSSPeakMB),
		units.Plural(s.Driver.CPUs, "CPU", "CPUs"))
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLatency writes the latency percentiles; in an open loop the
// corrected latency and the service time, each labelled.
func writeLatency(b *strings.Builder, s *Summary) {
	line := func(label string, l Latency, note string) {
		fmt.Fprintf(b, "  %s  p50 %s  p90 %s  p95 %s  p99 %s  p99.9 %s  max %s  mean %s%s\n", label,
			units.MS(l.P50), units.MS(l.P90), units.MS(l.P95), units.MS(l.P99), units.MS(l.P999), units.MS(l.Max), units.MS(l.Mean), note)
	}
	switch {
	case s.LatencyMS.Max == 0:
		fmt.Fprintf(b, "  Latency  %s (no complete response)\n", units.NA)
		return
	case s.Mode != "open":
		line("Latency", s.LatencyMS, "")
		return
	}
	line("Latency", s.LatencyMS, "  (corrected: from the intended send time)")
	if s.ServiceMS != nil {
		line("Service", *s.ServiceMS, "  (uncorrected: from the actual send)")
	}
}

// spectrumPoints are the percentiles wrk2 lists.
var spectrumPoints = []struct {
	pct string
	get func(Latency) float64
}{
	{" 50.000%", func(l Latency) float64 { return l.P50 }},
	{" 75.000%", func(l Latency) float64 { return l.P75 }},
	{" 90.000%", func(l Latency) float64 { return l.P90 }},
	{" 95.000%", func(l Latency) float64 { return l.P95 }},
	{" 99.000%", func(l Latency) float64 { return l.P99 }},
	{" 99.900%", func(l Latency) float64 { return l.P999 }},
	{" 99.990%", func(l Latency) float64 { return l.P9999 }},
	{" 99.999%", func(l Latency) float64 { return l.P99999 }},
	{"100.000%", func(l Latency) float64 { return l.Max }},
}

// writeSpectrum writes the latency distribution as wrk2 does: the
// percentile list, then HdrHistogram's detailed spectrum of the
// (corrected) latency in milliseconds.
func writeSpectrum(b *strings.Builder, s *Summary) error {
	open := s.Mode == "open" && s.ServiceMS != nil
	b.WriteString("Latency distribution\n")
	if open {
		fmt.Fprintf(b, "  %8s  %12s  %12s\n", "", "corrected", "uncorrected")
	}
	for _, p := range spectrumPoints {
		if open {
			fmt.Fprintf(b, "  %s  %12s  %12s\n", p.pct, units.MS(p.get(s.LatencyMS)), units.MS(p.get(*s.ServiceMS)))
		} else {
			fmt.Fprintf(b, "  %s  %12s\n", p.pct, units.MS(p.get(s.LatencyMS)))
		}
	}
	if s.Histogram == "" {
		return nil
	}
	h, err := DecodeHistogram(s.Histogram)
	if err != nil {
		return err
	}
	if h.TotalCount() == 0 {
		return nil
	}
	what := "latency"
	if open {
		what = "corrected latency"
	}
	fmt.Fprintf(b, "Detailed percentile spectrum of the %s (HdrHistogram, values in ms):\n", what)
	// HdrHistogram's own format, which its plotting tools read.
	if _, err := h.PercentilesPrint(b, 5, 1000); err != nil {
		return fmt.Errorf("driver: percentile spectrum: %w", err)
	}
	return nil
}

// writeThresholds lists the checked thresholds with their measured values.
func writeThresholds(b *strings.Builder, s *Summary) {
	if len(s.Thresholds) == 0 {
		return
	}
	passed := 0
	width := 0
	for _, r := range s.Thresholds {
		width = max(width, len(r.Threshold))
		if r.Passed {
			passed++
		}
	}
	fmt.Fprintf(b, "Thresholds: %s of %s passed\n", units.Int(passed), units.Int(len(s.Thresholds)))
	for _, r := range s.Thresholds {
		fmt.Fprintf(b, "  %-4s  %-*s  measured %s\n", r.Verdict(), width, r.Threshold, r.MeasuredText())
	}
}

// statusCodesText lists status codes and their counts in code order:
// "200 77,766, 503 1".
func statusCodesText(m map[string]uint64) string {
	codes := slices.Collect(maps.Keys(m))
	slices.SortFunc(codes, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = c + " " + units.Int(m[c])
	}
	return strings.Join(parts, ", ")
}

// byteText formats a byte count: in bytes under one MB, in MB above.
func byteText(n float64) string {
	if n < 1<<20 {
		return units.Plural(uint64(n), "byte", "bytes")
	}
	return units.MB(n / (1 << 20)).String()
}

// requestNote names the requests when they are not plain GETs: "; POST
// with a 7-byte body".
func requestNote(s *Summary) string {
	if (s.Method == "" || s.Method == DefaultMethod) && s.BodyBytes == 0 {
		return ""
	}
	note := "; " + s.Method
	if s.Method == "" {
		note = "; " + DefaultMethod
	}
	if s.BodyBytes > 0 {
		note += " with a body of " + units.Plural(s.BodyBytes, "byte", "bytes")
	}
	return note
}

// shardNote names the shard of a sharded run: " (shard 1/4)", or
// " (4 shards merged)"; nothing for a run of one shard.
func shardNote(s *Summary) string {
	switch {
	case s.Shards <= 1:
		return ""
	case s.Shard == "merged":
		return " (" + units.Int(s.Shards) + " shards merged)"
	}
	return " (shard " + s.Shard + ")"
}

// successRate is the success rate, or n/a when no request was measured.
func successRate(s *Summary) string {
	if s.Requests == 0 {
		return units.NA
	}
	return units.Pct(s.SuccessRate)
}

func modeText(s *Summary) string {
	if s.Mode == "open" {
		return "open loop at " + units.Rate(s.Rate) + " req/s"
	}
	return "closed loop"
}

func keepAliveText(on bool) string {
	if on {
		return "keep-alive"
	}
	return "no keep-alive (client closes)"
}
