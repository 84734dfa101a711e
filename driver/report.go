package driver

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/scalelab/scalelab/units"
)

// WriteText writes s as text, the way wrk summarizes a run, plus the
// error classes by stage. Every number is formatted by package units, so it
// reads as the lab's reports print it.
func WriteText(w io.Writer, s *Summary) error {
	var b strings.Builder
	duration := units.Seconds(s.DurationS).String()
	fmt.Fprintf(&b, "%s load @ %s\n", duration, strings.Join(s.Targets, " "))
	fmt.Fprintf(&b, "  %s%s, %s, %s, pipeline %s, %s\n", units.Clients(s.Clients), shardNote(s),
		modeText(s), keepAliveText(s.KeepAlive), units.Int(s.Pipeline), units.Plural(s.Driver.Loops, "event loop", "event loops"))
	writeH2Text(&b, s)
	l := s.LatencyMS
	fmt.Fprintf(&b, "  Latency  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s\n",
		units.MS(l.P50), units.MS(l.P90), units.MS(l.P99), units.MS(l.P999), units.MS(l.Max), units.MS(l.Mean))
	cn := s.ConnectMS
	fmt.Fprintf(&b, "  Connect  p50 %s  p99 %s  max %s  (%s of %s connects ok)\n",
		units.MS(cn.P50), units.MS(cn.P99), units.MS(cn.Max), units.Int(s.ConnectsOK), units.Int(s.ConnectsAttempted))
	fmt.Fprintf(&b, "  %s in %s: %s ok, %s failed (%s success), %s unfinished, %s in warmup\n",
		units.Plural(s.Requests, "request", "requests"), duration, units.Int(s.OK), units.Int(s.Failed),
		successRate(s), units.Int(s.Unfinished), units.Int(s.WarmupRequests))
	if s.Unsolicited > 0 {
		fmt.Fprintf(&b, "  %s: the server answered what was not asked (connections closed)\n",
			units.Plural(s.Unsolicited, "unsolicited response", "unsolicited responses"))
	}
	fmt.Fprintf(&b, "Requests/sec: %s\n", units.Rate(s.RPS))
	if s.Failed > 0 {
		b.WriteString("Errors:\n")
		for _, stage := range slices.Sorted(maps.Keys(s.ErrorsByStage)) {
			m := s.ErrorsByStage[stage]
			for _, cl := range slices.Sorted(maps.Keys(m)) {
				fmt.Fprintf(&b, "  %-22s %10s  (at %s)\n", cl, units.Int(m[cl]), stage)
			}
		}
	}
	fmt.Fprintf(&b, "Driver: %s of one core, RSS %s (peak %s), %s allowed\n",
		units.WholePct(s.Driver.CPUPct), units.MB(s.Driver.RSSMB), units.MB(s.Driver.RSSPeakMB),
		units.Plural(s.Driver.CPUs, "CPU", "CPUs"))
	_, err := io.WriteString(w, b.String())
	return err
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
