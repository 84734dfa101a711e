package charts

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/internal/golden"
	"github.com/scalelab/scalelab/units"
)

// connectFixture reads connect histograms of testdata (base64, as the
// scorecard keeps them) into a Connect.
func connectFixture(t *testing.T, label string, files ...string) Connect {
	t.Helper()
	in := Connect{Label: label}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", f+".b64"))
		if err != nil {
			t.Fatal(err)
		}
		bs, err := DecodeHistogram(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// phase05-connect-500 -> "500 clients";
		// busy-phase05-connect-1000-t3 -> "1,000 clients, trial 3"
		parts := strings.Split(f, "-")
		trial := ""
		if last := parts[len(parts)-1]; strings.HasPrefix(last, "t") {
			trial, parts = ", trial "+strings.TrimPrefix(last, "t"), parts[:len(parts)-1]
		}
		n, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := units.Clients(n) + trial
		in.Series = append(in.Series, Distribution{Label: name, Buckets: bs})
	}
	return in
}

// goldenCharts is one chart of each kind from the reference fixtures, and
// a few more that are kept as previews.
func goldenCharts(t *testing.T) []struct {
	name    string
	golden  bool
	build   func() (*Chart, error)
	mention []string // texts the SVG must contain
} {
	p5 := connectFixture(t, "phase 5 pool-backlog", "phase05-connect-50", "phase05-connect-200", "phase05-connect-500", "phase05-connect-1000")
	busy := connectFixture(t, "phase 5 pool-backlog, a busy machine", "busy-phase05-connect-200-t1", "busy-phase05-connect-1000-t1", "busy-phase05-connect-1000-t3")
	return []struct {
		name    string
		golden  bool
		build   func() (*Chart, error)
		mention []string
	}{
		{"throughput", true, func() (*Chart, error) { return ThroughputChart(phase5Trials) }, []string{"sweet spot: 50 clients", "breaking point: 200 clients (backlog)", "min–max of 3 trials", "threshold 99%"}},
		{"latency", true, func() (*Chart, error) { return LatencyChart(phase5) }, []string{"p99.9", "breaking point: 500 clients (backlog)", "1,000"}},
		{"connect", true, func() (*Chart, error) { return ConnectChart(p5) }, []string{"1 s, 3 s: SYN retransmits", "500 clients: 69,239 connects, 529 ≥ 1 s"}},
		{"timeline", true, func() (*Chart, error) { return TimelineChart(phase1Timeline) }, []string{"errors/s", "phase 1 naive, 10 clients"}},
		{"utilization", true, func() (*Chart, error) { return UtilizationChart(phase5Util) }, []string{"bottleneck: accept queue", "100% (128 of 128)", "206% (33 of 16)", "not measured"}},
		{"ladder", true, func() (*Chart, error) { return LadderChart(ladder) }, []string{"queueing", "141,955", "keepalive"}},
		{"compare-throughput", true, func() (*Chart, error) { return CompareThroughputChart(phase6, phase7) }, []string{"A: phase 6 nethttp", "B: phase 7 fasthttp"}},
		{"compare-latency", true, func() (*Chart, error) { return CompareLatencyChart(phase6, phase7) }, []string{"A: phase 6 nethttp", "B: phase 7 fasthttp", "p50"}},
		// previews only
		{"throughput-phase3-trials", false, func() (*Chart, error) { return ThroughputChart(phase3Trials) }, []string{"breaking point: 16 clients (cpu)"}},
		{"throughput-phase1", false, func() (*Chart, error) { return ThroughputChart(phase1) }, []string{"breaking point: 1 client (port)"}},
		{"connect-busy", false, func() (*Chart, error) { return ConnectChart(busy) }, []string{"1,000 clients, trial 3"}},
		{"timeline-phase5", false, func() (*Chart, error) { return TimelineChart(phase5Timeline) }, nil},
		{"utilization-phase1", false, func() (*Chart, error) { return UtilizationChart(phase1Util) }, []string{"bottleneck: ephemeral ports"}},
		{"compare-latency-trials", false, func() (*Chart, error) { return CompareLatencyChart(phase5, phase5Trials) }, nil},
	}
}

// TestGolden renders one chart of each kind from the reference fixtures,
// checks that two renders are byte-identical, and compares the SVG with
// testdata/NAME.golden.svg. With -update it rewrites the golden files and
// the PNG previews in testdata/preview.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCharts(t) {
		t.Run(tc.name, func(t *testing.T) {
			svg := renderSVG(t, tc.build)
			again := renderSVG(t, tc.build)
			if !bytes.Equal(svg, again) {
				t.Fatal("two renders of the same chart differ")
			}
			for _, m := range tc.mention {
				if !bytes.Contains(svg, []byte(m)) {
					t.Errorf("the SVG does not mention %q", m)
				}
			}
			if tc.golden {
				golden.Check(t, filepath.Join("testdata", tc.name+".golden.svg"), svg)
			}
			if golden.Update() {
				c, err := tc.build()
				if err != nil {
					t.Fatal(err)
				}
				png, err := c.PNG()
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join("testdata", "preview", tc.name+".png"), png, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func renderSVG(t *testing.T, build func() (*Chart, error)) []byte {
	t.Helper()
	c, err := build()
	if err != nil {
		t.Fatal(err)
	}
	svg, err := c.SVG()
	if err != nil {
		t.Fatal(err)
	}
	return svg
}

// render renders both formats and returns the SVG.
func render(t *testing.T, c *Chart, err error) string {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	svg, err := c.SVG()
	if err != nil {
		t.Fatalf("SVG: %v", err)
	}
	png, err := c.PNG()
	if err != nil {
		t.Fatalf("PNG: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("PNG output is not a PNG")
	}
	again, err := c.SVG()
	if err != nil {
		t.Fatalf("SVG again: %v", err)
	}
	if !bytes.Equal(svg, again) {
		t.Fatal("rendering the chart changed it: a second SVG differs from the first")
	}
	return string(svg)
}

var nan = math.NaN()

// failedStep is a step where nothing succeeded: zero throughput and
// success, latencies zero or not measured.
var failedStep = Step{Clients: 2000, Trials: []Trial{
	{RPS: 0, Success: 0, Latency: Latency{}},
	{RPS: 0, Success: 0, Latency: Latency{P50: nan, P90: nan, P99: nan, P999: nan}},
}}

// TestEdgeCases renders every kind from no data, one point and a failed
// step, in SVG and PNG, and checks what the chart says about it.
func TestEdgeCases(t *testing.T) {
	one := Sweep{Label: "one step", SweetSpot: 50, Steps: phase5.Steps[:1]}
	failed := phase5
	failed.Steps = append(append([]Step{}, phase5.Steps...), failedStep)
	allFailed := Sweep{Label: "nothing ok", BreakingPoint: 2000, Limit: "fd", Threshold: 0.99, Steps: []Step{failedStep}}
	noTrials := Sweep{Label: "no trials", Steps: []Step{{Clients: 10}}}
	for _, tc := range []struct {
		name  string
		build func() (*Chart, error)
		want  []string
	}{
		{"throughput/empty", func() (*Chart, error) { return ThroughputChart(Sweep{}) }, []string{"no steps measured"}},
		{"throughput/one", func() (*Chart, error) { return ThroughputChart(one) }, []string{"sweet spot: 50 clients"}},
		{"throughput/failed", func() (*Chart, error) { return ThroughputChart(failed) }, []string{"2,000"}},
		{"throughput/all-failed", func() (*Chart, error) { return ThroughputChart(allFailed) }, []string{"breaking point: 2,000 clients (fd)"}},
		{"throughput/no-trials", func() (*Chart, error) { return ThroughputChart(noTrials) }, nil},
		{"latency/empty", func() (*Chart, error) { return LatencyChart(Sweep{}) }, []string{"no steps measured"}},
		{"latency/one", func() (*Chart, error) { return LatencyChart(one) }, nil},
		{"latency/failed", func() (*Chart, error) { return LatencyChart(failed) }, []string{"4 values not drawn: zero or not measured (log scale)"}},
		{"latency/all-failed", func() (*Chart, error) { return LatencyChart(allFailed) }, []string{"4 values not drawn"}},
		{"compare-throughput/empty", func() (*Chart, error) { return CompareThroughputChart(Sweep{}, Sweep{}) }, []string{"no steps measured"}},
		{"compare-throughput/failed", func() (*Chart, error) { return CompareThroughputChart(failed, one) }, nil},
		{"compare-latency/empty", func() (*Chart, error) { return CompareLatencyChart(Sweep{}, Sweep{}) }, []string{"no steps measured"}},
		{"compare-latency/failed", func() (*Chart, error) { return CompareLatencyChart(one, allFailed) }, []string{"3 values not drawn"}},
		{"connect/empty", func() (*Chart, error) { return ConnectChart(Connect{}) }, []string{"no connects measured"}},
		{"connect/no-connects", func() (*Chart, error) {
			return ConnectChart(Connect{Label: "keep-alive", Series: []Distribution{{Label: "50 clients"}}})
		}, []string{"50 clients: no connects", "no connects measured"}},
		{"connect/one", func() (*Chart, error) {
			return ConnectChart(Connect{Series: []Distribution{{Label: "1 client", Buckets: []Bucket{{FromMS: 0.1, ToMS: 0.1, Count: 1}}}}})
		}, []string{"1 client: 1 connects"}},
		{"connect/zero-time", func() (*Chart, error) {
			return ConnectChart(Connect{Series: []Distribution{{Label: "x", Buckets: []Bucket{{FromMS: 0, ToMS: 0, Count: 7}, {FromMS: 3012, ToMS: 3013, Count: 2}}}}})
		}, []string{"x: 9 connects, 2 ≥ 1 s"}},
		{"timeline/empty", func() (*Chart, error) { return TimelineChart(Timeline{}) }, []string{"no seconds measured"}},
		{"timeline/one", func() (*Chart, error) { return TimelineChart(Timeline{Seconds: phase5Timeline.Seconds[:1]}) }, nil},
		{"timeline/failed", func() (*Chart, error) {
			return TimelineChart(Timeline{Label: "failed", Seconds: []Second{{T: 0, RPS: 0, Errors: 500, P99MS: 0}, {T: 1, RPS: nan, Errors: nan, P99MS: nan}}})
		}, []string{"2 values not drawn"}},
		{"utilization/empty", func() (*Chart, error) { return UtilizationChart(Utilization{}) }, []string{"no resources measured"}},
		{"utilization/one", func() (*Chart, error) {
			return UtilizationChart(Utilization{Resources: []Resource{{Name: "server fds", Used: 256, Capacity: 256}}})
		}, []string{"bottleneck: server fds", "100% (256 of 256)"}},
		{"utilization/failed", func() (*Chart, error) {
			return UtilizationChart(Utilization{Bottleneck: "nothing", Resources: []Resource{{Name: "a", Used: nan, Capacity: 10}, {Name: "b", Used: 0, Capacity: 0}, {Name: "c", Used: 0, Capacity: 5}}})
		}, []string{"not measured", "0% (0 of 5)"}},
		{"ladder/empty", func() (*Chart, error) { return LadderChart(Ladder{}) }, []string{"no phases run"}},
		{"ladder/one", func() (*Chart, error) { return LadderChart(Ladder{Rungs: ladder.Rungs[:1]}) }, []string{"port"}},
		{"long labels", func() (*Chart, error) {
			long := phase6
			long.Label = strings.Repeat("a very long label ", 10)
			return CompareThroughputChart(long, long)
		}, []string{"A: a very long label a very long l…", "Throughput and success vs clients: A vs B"}},
		{"ladder/failed", func() (*Chart, error) {
			return LadderChart(Ladder{Rungs: []Rung{{Phase: 1, Name: "naive", RPS: 0, Limit: "fd"}, {Phase: 2, Name: "pool", RPS: nan}, {Phase: 3, Name: "x", RPS: 1234}}})
		}, []string{"2 phases without throughput", "none named"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.build()
			svg := render(t, c, err)
			for _, w := range tc.want {
				if !strings.Contains(svg, w) {
					t.Errorf("the SVG does not say %q", w)
				}
			}
		})
	}
}

// TestBadInput checks that input no chart can show is an error naming
// the chart, the item and the field.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"clients", func() error {
			_, err := ThroughputChart(Sweep{Label: "x", Steps: []Step{{Clients: 10}, {Clients: 0}}})
			return err
		}, `throughput chart of "x": step 1: clients 0: must be at least 1`},
		{"compare clients", func() error {
			_, err := CompareLatencyChart(phase5, Sweep{Label: "b", Steps: []Step{{Clients: -3}}})
			return err
		}, `latency chart of "b": step 1: clients -3`},
		{"bucket", func() error {
			_, err := ConnectChart(Connect{Label: "c", Series: []Distribution{{Label: "s", Buckets: []Bucket{{FromMS: 1, ToMS: 2, Count: -1}}}}})
			return err
		}, `series 1 (s): bucket 1`},
		{"second", func() error {
			_, err := TimelineChart(Timeline{Label: "t", Seconds: []Second{{T: -1}}})
			return err
		}, `second 1: t -1`},
		{"resource", func() error {
			_, err := UtilizationChart(Utilization{Label: "u", Resources: []Resource{{Name: "fds", Used: -1, Capacity: 3}}})
			return err
		}, `resource 1 (fds): used -1`},
		{"rung", func() error {
			_, err := LadderChart(Ladder{Label: "l", Rungs: []Rung{{Phase: 0, Name: "zero"}}})
			return err
		}, `rung 1 (zero): phase 0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.err()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSave(t *testing.T) {
	c, err := LatencyChart(phase5)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	paths, err := Save(c, dir, "latency")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "latency.svg"), filepath.Join(dir, "latency.png")}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("Save wrote %v, want %v", paths, want)
	}
	svg, err := os.ReadFile(want[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("<svg")) {
		t.Error("latency.svg is not an SVG document")
	}
	png, err := os.ReadFile(want[1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Error("latency.png is not a PNG")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("the directory holds %d entries, want the 2 charts (no temporary file left)", len(entries))
	}

	for _, name := range []string{"", "a/b", "../x"} {
		if _, err := Save(c, dir, name); err == nil {
			t.Errorf("Save accepted the name %q", name)
		}
	}
	if _, err := Save(nil, dir, "x"); err == nil {
		t.Error("Save accepted a nil chart")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(c, file, "x"); err == nil || !strings.Contains(err.Error(), "save x") {
		t.Errorf("Save into a file: got %v, want an error naming the chart", err)
	}
}
