package scorecards

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/scalelab/scalelab/internal/atomicfile"
)

// CSVFile is the name of the table of steps a run writes beside its card.
const CSVFile = "results.csv"

// csvColumns are the columns of results.csv: one row per step and trial,
// numbers plain (no separators), empty where nothing was measured.
var csvColumns = []string{
	"phase", "clients", "trial", "ended", "state", "limit", "resource", "duration_s", "requests", "ok", "success_rate", "rps",
	"p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms", "connect_p99_ms", "clients_starved", "errors",
	"server_cpu_pct", "server_cpu_us_per_request", "driver_cpu_pct", "workers_busy_pct", "listen_queue_max", "backlog",
	"fds_max", "nofile", "listen_overflows", "tw_max", "port_range_size",
}

// WriteCSV writes the card's steps as CSV, a row per step and trial, for
// spreadsheets and other tools.
func WriteCSV(w io.Writer, sc *Scorecard) error {
	sc = sc.Rounded()
	cw := csv.NewWriter(w)
	if err := cw.Write(csvColumns); err != nil {
		return fmt.Errorf("scorecards: csv: %w", err)
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	opt := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	for _, st := range sc.Steps {
		var errs int64
		for _, n := range st.Errors {
			errs += n
		}
		lat := []string{"", "", "", "", "", ""}
		if st.OK > 0 {
			l := st.LatencyMS
			lat = []string{f(float64(l.P50)), f(float64(l.P90)), f(float64(l.P99)), f(float64(l.P999)), f(float64(l.Max)), f(float64(l.Mean))}
		}
		connect := ""
		if st.Connects > 0 {
			connect = f(float64(st.ConnectMS.P99))
		}
		k, sv := st.Kernel, st.Server
		row := []string{strconv.Itoa(sc.Phase.Number), strconv.Itoa(st.Clients), strconv.Itoa(st.Trial), string(st.Ended), string(st.State),
			string(st.Verdict.Limit), string(st.Verdict.Resource), f(float64(st.DurationS)), strconv.FormatInt(st.Requests, 10),
			strconv.FormatInt(st.OK, 10), f(float64(st.SuccessRate)), f(float64(st.RPS))}
		row = append(row, lat...)
		row = append(row, connect, strconv.Itoa(st.ClientsStarved), strconv.FormatInt(errs, 10),
			f(float64(sv.CPUPct)), f(float64(sv.CPUPerRequest)), f(float64(st.Driver.CPUPct)), f(float64(sv.WorkersBusyPct)),
			strconv.Itoa(sv.ListenQueueMax), strconv.Itoa(sv.Backlog), strconv.Itoa(sv.FDsMax), strconv.Itoa(sv.NoFile),
			opt(k.ListenOverflows), opt(k.TimeWaitMax), opt(k.PortRangeSize))
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("scorecards: csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("scorecards: csv: %w", err)
	}
	return nil
}

// WriteCSVFile writes results.csv atomically.
func WriteCSVFile(path string, sc *Scorecard) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return WriteCSV(w, sc) })
}
