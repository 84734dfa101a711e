package driver

import (
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CSVHeader names the columns WriteCSV writes, in order.
var CSVHeader = []string{"run_id", "shard", "targets", "mode", "clients", "measured_from", "duration_s", "requests", "ok", "failed",
	"success_rate", "rps", "responses_rps", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms",
	"connect_p50_ms", "connect_p99_ms", "bytes_read", "bytes_written", "clients_starved", "driver_cpu_pct", "errors"}

// WriteCSV writes the summary as CSV: the header (CSVHeader) and one row,
// so that the rows of several runs concatenate into one table (skip the
// later headers). Numbers are plain (no thousands separators), times in
// milliseconds, errors as "class=count" pairs joined by ";".
func WriteCSV(w io.Writer, s *Summary) error {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	var errs []string
	for _, k := range slices.Sorted(maps.Keys(s.Errors)) {
		if s.Errors[k] > 0 {
			errs = append(errs, k+"="+u(s.Errors[k]))
		}
	}
	from := ""
	if !s.MeasuredFrom.IsZero() {
		from = s.MeasuredFrom.UTC().Format(time.RFC3339Nano)
	}
	l, c := s.LatencyMS, s.ConnectMS
	row := []string{s.RunID, s.Shard, strings.Join(s.Targets, " "), s.Mode, strconv.Itoa(s.Clients), from, f(s.DurationS),
		u(s.Requests), u(s.OK), u(s.Failed), f(s.SuccessRate), f(s.RPS), f(s.ResponsesRPS),
		f(l.P50), f(l.P90), f(l.P99), f(l.P999), f(l.Max), f(l.Mean), f(c.P50), f(c.P99),
		u(s.BytesRead), u(s.BytesWritten), strconv.Itoa(s.ClientsStarved), f(s.Driver.CPUPct), strings.Join(errs, ";")}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
