package compare

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/internal/golden"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/stats"
)

// cases are the fixture pairs, each with its golden files under testdata.
var cases = []struct {
	name           string
	a, b           func() *scorecards.Scorecard
	labelA, labelB string
	charts         []string
}{
	{"same-distribution", func() *scorecards.Scorecard { return gnet5("2026-11-25T18:10:55Z", offsetsA) },
		func() *scorecards.Scorecard { return gnet5("2026-11-26T09:31:40Z", offsetsB) }, "gnet-monday", "gnet-tuesday", nil},
	{"clear-gain", nethttp5, gnetGain5, "nethttp", "gnet", []string{"charts/rps.svg", "charts/p99.svg"}},
	{"mismatched-clients", gnet1, gnetOther3, "gnet", "gnet-wide", nil},
	{"phase6-vs-phase8", nethttp1, gnet1, "phase-06", "phase-08", nil},
	{"seed001-keepalive", poolNoKeepAlive, poolKeepAlive, "pool-close", "pool-keepalive", nil},
}

func result(t *testing.T, name string) *Result {
	t.Helper()
	for _, c := range cases {
		if c.name == name {
			r := Runs(c.a(), c.b(), c.labelA, c.labelB)
			r.Charts = c.charts
			return r
		}
	}
	t.Fatalf("no case %s", name)
	return nil
}

func markdown(t *testing.T, r *Result) string {
	t.Helper()
	var buf bytes.Buffer
	if err := r.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func benchText(t *testing.T, r *Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, which := range []string{"a", "b"} {
		if err := r.WriteBenchfmt(&buf, which); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestCompareGolden(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := result(t, c.name)
			golden.Check(t, filepath.Join("testdata", c.name+".md"), []byte(markdown(t, r)))
			golden.Check(t, filepath.Join("testdata", c.name+".bench.txt"), benchText(t, r))
		})
	}
}

func TestCompareSameDistributionIsNoChange(t *testing.T) {
	r := result(t, "same-distribution")
	if len(r.Changes) != 0 || !strings.HasPrefix(r.About(), "The same configuration, run twice") {
		t.Errorf("changes %v, about %q", r.Changes, r.About())
	}
	if len(r.Rows) != 3 {
		t.Fatalf("%d rows, want 3", len(r.Rows))
	}
	for _, row := range r.Rows {
		for _, m := range row.Metrics {
			c := m.Compare
			if c.Significant || !c.CanDetect || !strings.HasPrefix(c.String(), "~ (p=") || !strings.HasSuffix(c.String(), " n=5)") {
				t.Errorf("%d clients, %s: %q (significant %v, can detect %v), want ~ with n=5", row.Clients, m.Name, c, c.Significant, c.CanDetect)
			}
		}
	}
	if md := markdown(t, r); strings.Contains(md, "B better") || strings.Contains(md, "B worse") || strings.Contains(md, "Too few trials") {
		t.Errorf("two runs of one server read as a change:\n%s", md)
	}
}

func TestCompareClearGainIsSignificant(t *testing.T) {
	r := result(t, "clear-gain")
	if len(r.Changes) != 1 || r.Changes[0] != (Change{"server.variant", "nethttp", "gnet"}) {
		t.Errorf("changes %v", r.Changes)
	}
	md := markdown(t, r)
	for _, row := range r.Rows {
		for _, name := range []string{"rps", "p50", "p99"} {
			m, ok := row.Metric(name)
			if !ok {
				t.Fatalf("no metric %s", name)
			}
			c := m.Compare
			// 5 trials against 5 that do not overlap: the smallest p, 2/252.
			if !c.Significant || !strings.HasSuffix(c.String(), "(p=0.008 n=5)") {
				t.Errorf("%d clients, %s: %q, want a significant change at p=0.008", row.Clients, name, c)
			}
			if (name == "rps") != (c.Delta > 0.5) || (name != "rps") != (c.Delta < -0.3) {
				t.Errorf("%d clients, %s: delta %v", row.Clients, name, c.Delta)
			}
			if !strings.Contains(md, c.String()) {
				t.Errorf("the report does not show %q", c)
			}
		}
		if m, _ := row.Metric("success"); m.Compare.Significant {
			t.Errorf("%d clients: success 100%% on both sides called a change", row.Clients)
		}
	}
	if got := strings.Count(md, "**B better**"); got != 9 {
		t.Errorf("%d cells read B better, want 9 (rps, p50, p99 at 3 client counts)", got)
	}
	for _, img := range []string{"![rps](charts/rps.svg)", "![p99](charts/p99.svg)"} {
		if !strings.Contains(md, img) {
			t.Errorf("chart %s not shown", img)
		}
	}
}

func TestCompareMismatchedClientCounts(t *testing.T) {
	r := result(t, "mismatched-clients")
	var rows []int
	for _, row := range r.Rows {
		rows = append(rows, row.Clients)
	}
	if !slices.Equal(rows, []int{200, 1000}) || !slices.Equal(r.OnlyA, []int{50, 3000}) || !slices.Equal(r.OnlyB, []int{5000}) {
		t.Errorf("rows %v, only in A %v, only in B %v", rows, r.OnlyA, r.OnlyB)
	}
	md := markdown(t, r)
	for _, want := range []string{"only in A (gnet): 50, 3,000 clients", "only in B (gnet-wide): 5,000 clients", "Too few trials to tell a change from noise"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report does not say %q", want)
		}
	}
	if r.Rows[0].Metrics[0].Compare.N1 != 1 || r.Rows[0].Metrics[0].Compare.N2 != 3 {
		t.Errorf("n = %d+%d, want 1+3", r.Rows[0].Metrics[0].Compare.N1, r.Rows[0].Metrics[0].Compare.N2)
	}
}

func TestCompareDifferentPhasesShowTheConfigDiff(t *testing.T) {
	r := result(t, "phase6-vs-phase8")
	if want := []Change{{"server.variant", "nethttp", "gnet"}}; !slices.Equal(r.Changes, want) {
		t.Errorf("changes %v, want %v", r.Changes, want)
	}
	if got, want := r.About(), "The same load on gnet instead of net/http."; got != want {
		t.Errorf("About() = %q, want %q", got, want)
	}
	if len(r.Machine) != 0 {
		t.Errorf("machine differs: %v", r.Machine)
	}
	md := markdown(t, r)
	for _, want := range []string{"| `server.variant` | nethttp | gnet |", "phase 6 (net/http", "phase 8 (gnet", "1 trial each cannot tell it from noise"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report does not say %q", want)
		}
	}
}

// evidenceRows returns the cells of the evidence table of a report.
func evidenceRows(t *testing.T, md string) [][]string {
	t.Helper()
	_, rest, ok := strings.Cut(md, "### Evidence at the breaking point\n\n")
	if !ok {
		t.Fatal("no evidence section")
	}
	var rows [][]string
	for _, line := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	return rows
}

func TestCompareSeed001GoneWithKeepAlive(t *testing.T) {
	r := result(t, "seed001-keepalive")
	var fields []string
	for _, c := range r.Changes {
		fields = append(fields, c.Field)
	}
	if want := []string{"server.workers", "server.keepalive", "driver.keepalive"}; !slices.Equal(fields, want) {
		t.Errorf("changed %v, want %v", fields, want)
	}
	if r.A.Breaking == nil || r.A.Breaking.Verdict.Limit != attrib.Port || r.B.Breaking != nil {
		t.Fatalf("breaking steps: A %+v, B %+v", r.A.Breaking, r.B.Breaking)
	}
	rows := evidenceRows(t, markdown(t, r))
	if len(rows) < 4 || rows[0][0] != "A: pool-close, 10 clients, `port`" || rows[0][1] != "B: pool-keepalive, no breaking point" {
		t.Fatalf("evidence table %q", rows)
	}
	var portA bool
	for _, row := range rows[2:] {
		portA = portA || strings.Contains(row[0], "EADDRNOTAVAIL")
		if strings.Contains(row[1], "EADDRNOTAVAIL") || strings.Contains(row[1], "TIME_WAIT") {
			t.Errorf("port evidence in B: %q", row[1])
		}
	}
	if !portA || rows[2][1] != "no step broke within the sweep: no evidence" {
		t.Errorf("evidence rows %q", rows[2:])
	}
}

func TestCompareLeftOutSteps(t *testing.T) {
	b := gnetGain5()
	b.Steps[0].Ended = scorecards.StepInterrupted
	b.Status = scorecards.StatusInterrupted
	r := Runs(nethttp5(), b, "nethttp", "gnet")
	if r.B.Skipped != 1 {
		t.Errorf("skipped %d, want 1", r.B.Skipped)
	}
	m, _ := r.Rows[0].Metric("rps")
	if m.B.N != 4 || m.Compare.N2 != 4 {
		t.Errorf("B has %d trials at 50 clients, want 4 (one interrupted)", m.B.N)
	}
	if md := markdown(t, r); !strings.Contains(md, "gnet: 1 step left out.") {
		t.Error("the report does not say a step was left out")
	}
	var buf bytes.Buffer
	if err := r.WriteBenchfmt(&buf, "b"); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\nBenchmarkPhase08/clients=50 "); n != 4 {
		t.Errorf("%d benchmark lines at 50 clients, want 4", n)
	}
}

func TestCompareBenchfmtReadsBack(t *testing.T) {
	r := result(t, "clear-gain")
	rd := benchfmt.NewReader(bytes.NewReader(benchText(t, r)), "trials.txt")
	byLabel := map[string]map[string][]float64{} // label -> "clients=N unit" -> values
	better := map[string]string{}
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			label := rec.GetConfig("label")
			if byLabel[label] == nil {
				byLabel[label] = map[string][]float64{}
			}
			_, parts := rec.Name.Parts()
			for _, v := range rec.Values {
				key := strings.TrimPrefix(string(parts[0]), "/") + " " + v.Unit
				byLabel[label][key] = append(byLabel[label][key], v.Value)
			}
		case *benchfmt.UnitMetadata:
			better[rec.Unit] = rec.Value
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt: %v", rec)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if better["rps"] != "higher" || better["p99-ms"] != "lower" || better["success-%"] != "higher" {
		t.Errorf("unit metadata %v", better)
	}
	a, b := byLabel["nethttp"], byLabel["gnet"]
	if len(a) != 12 || len(b) != 12 {
		t.Fatalf("read %d and %d series, want 12 each (3 client counts × 4 units): %v", len(a), len(b), byLabel)
	}
	// What benchstat computes from the file must be what the report says.
	for _, row := range r.Rows {
		m, _ := row.Metric("rps")
		key := "clients=" + strconv.Itoa(row.Clients) + " rps"
		if got := stats.Compare(a[key], b[key], stats.DefaultAlpha).String(); got != m.Compare.String() {
			t.Errorf("%s: from benchfmt %q, in the result %q", key, got, m.Compare)
		}
	}
	if got := a["clients=50 success-%"]; !slices.Equal(got, []float64{100, 100, 100, 100, 100}) {
		t.Errorf("success %v", got)
	}
}

func TestCompareWriteBenchfmtWhich(t *testing.T) {
	r := result(t, "phase6-vs-phase8")
	if err := r.WriteBenchfmt(io.Discard, "c"); err == nil || !strings.Contains(err.Error(), `"c"`) {
		t.Errorf("which c: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCompareWriteErrors(t *testing.T) {
	r := result(t, "phase6-vs-phase8")
	if err := r.WriteMarkdown(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("markdown: %v", err)
	}
	if err := r.WriteBenchfmt(failWriter{}, "a"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("benchfmt: %v", err)
	}
}

func TestCompareSettings(t *testing.T) {
	cfg := pool8(8, false)
	got := map[string]string{}
	for _, s := range settings("", cfg) {
		got[s.key] = s.value
	}
	want := map[string]string{
		"server.variant":       "pool",
		"server.workers":       "8",
		"server.reuseport":     "false",
		"server.read_timeout":  "unset",
		"driver.duration":      "10s",
		"driver.warmup":        "0s",
		"driver.keepalive":     "false",
		"driver.targets":       "unset",
		"limits.nofile":        "1,024",
		"limits.somaxconn":     "unset",
		"limits.port_range":    "49152-65535 (16,384 ports)",
		"limits.tcp_tw_reuse":  "0",
		"limits.syn_cookies":   "unset",
		"sweep.clients":        "10, 50, 200",
		"success_threshold":    "0.99",
		"limits.driver_nofile": "20,000",
		"server.h2c":           "false",
		"server.max_streams":   "unset",
		"driver.h2c":           "false",
		"driver.streams":       "unset",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if n := leaves(reflect.TypeOf(cfg)); len(got) != n {
		t.Errorf("%d settings, want %d (every leaf of the configuration)", len(got), n)
	}
}

// leaves counts the yaml-tagged leaf fields of a configuration type: a
// struct field whose type is itself a struct of tagged fields counts its
// leaves; every other tagged field counts one.
func leaves(t reflect.Type) int {
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Struct && ft.NumField() > 0 && ft.Field(0).Tag.Get("yaml") != "" {
			n += leaves(ft)
			continue
		}
		n++
	}
	return n
}

func TestCompareAbout(t *testing.T) {
	tests := []struct {
		name string
		a, b *scorecards.Scorecard
		want string
	}{
		{"variant", nethttp1(), gnet1(), "The same load on gnet instead of net/http."},
		{"same", gnet1(), gnet1(), "The same configuration, run twice"},
		{"knobs and load", poolNoKeepAlive(), poolKeepAlive(),
			"A pool of 256 workers with other server settings, under another load. Also changed: server.workers: 8 -> 256; server.keepalive: false -> true; driver.keepalive: false -> true."},
		{"load only", gnet1(), func() *scorecards.Scorecard { c := gnet1(); c.Config.Driver.Pipeline = 4; return c }(),
			"The same server (gnet), under another load. Also changed: driver.pipeline: 1 -> 4."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Runs(tt.a, tt.b, "a", "b").About(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("About() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCompareH2CByRequestsInFlight: an h2c run (connections × streams)
// meets an HTTP/1.1 run at the same requests in flight, not at the same
// client count (rung 11's side by side).
func TestCompareH2CByRequestsInFlight(t *testing.T) {
	h1 := nethttp1() // 50, 200, 1,000, 3,000 clients over HTTP/1.1
	h2 := nethttp1()
	h2.Config.Driver.H2C, h2.Config.Driver.Streams = true, 100
	h2.Config.Server.H2C, h2.Config.Server.MaxStreams = true, 100
	for i := range h2.Steps {
		h2.Steps[i].Clients = h2.Steps[i].Clients / 100 // 0 (dropped below), 2, 10, 30 connections
	}
	h2.Steps = slices.DeleteFunc(h2.Steps, func(st scorecards.Step) bool { return st.Clients == 0 })
	r := Runs(h1, h2, "http1", "h2c")
	if !r.InFlight {
		t.Fatal("an h2c run with 100 streams is not compared by requests in flight")
	}
	var rows []int
	for _, row := range r.Rows {
		rows = append(rows, row.Clients)
	}
	if !slices.Equal(rows, []int{200, 1000, 3000}) || !slices.Equal(r.OnlyA, []int{50}) {
		t.Errorf("rows %v, only in A %v; want 200, 1,000, 3,000 in flight and 50 only in A", rows, r.OnlyA)
	}
	md := markdown(t, r)
	for _, want := range []string{"| In flight |", "Rows are requests in flight", "only in A (http1): 50 requests in flight"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report does not say %q", want)
		}
	}
	if plain := Runs(h1, nethttp1(), "a", "b"); plain.InFlight {
		t.Error("two HTTP/1.1 runs are compared by requests in flight")
	}
}
