package charts

import (
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TestSafeLog checks the guard behind every log axis: gonum's LogScale
// panics on a value or range end <= 0; safeLog puts them at the bottom.
func TestSafeLog(t *testing.T) {
	for _, tc := range []struct {
		min, max, x float64
		want        float64
	}{
		{1, 100, 10, 0.5},
		{1, 100, 100, 1},
		{1, 100, 0, 0},
		{1, 100, -5, 0},
		{1, 100, math.NaN(), 0},
		{1, 100, math.Inf(-1), 0},
		{0, 100, 10, 0},
		{-1, 100, 10, 0},
		{10, 10, 10, 0},
		{100, 1, 10, 0},
	} {
		if got := (safeLog{}).Normalize(tc.min, tc.max, tc.x); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Normalize(%v, %v, %v) = %v, want %v", tc.min, tc.max, tc.x, got, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("gonum's LogScale no longer panics on 0: the guard may be unneeded")
		}
	}()
	plot.LogScale{}.Normalize(1, 100, 0)
}

func TestDecadeRange(t *testing.T) {
	for _, tc := range []struct {
		vs             []float64
		lo, hi         float64
		ok             bool
		name           string
		defaultLow     float64
		wantLo, wantHi float64
	}{
		{name: "decades", vs: []float64{0.855, 857.6}, wantLo: 0.1, wantHi: 1000, ok: true},
		{name: "on a decade", vs: []float64{10, 100}, wantLo: 10, wantHi: 100, ok: true},
		{name: "one value on a decade", vs: []float64{100}, wantLo: 100, wantHi: 1000, ok: true},
		{name: "zeros and negatives dropped", vs: []float64{0, -3, 5.3, math.NaN(), math.Inf(1), 15.6}, wantLo: 1, wantHi: 100, ok: true},
		{name: "nothing positive", vs: []float64{0, -1, math.NaN()}, defaultLow: 1, wantLo: 1, wantHi: 10},
		{name: "nothing", defaultLow: 100, wantLo: 100, wantHi: 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi, ok := decadeRange(tc.defaultLow, tc.vs...)
			if lo != tc.wantLo || hi != tc.wantHi || ok != tc.ok {
				t.Errorf("decadeRange(%v) = %v, %v, %v; want %v, %v, %v", tc.vs, lo, hi, ok, tc.wantLo, tc.wantHi, tc.ok)
			}
		})
	}
}

// labels returns the labels of the major ticks.
func labels(ts []plot.Tick) []string {
	var out []string
	for _, t := range ts {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ticks    plot.Ticker
		min, max float64
		want     string
	}{
		{"five decades", logTicks{}, 0.01, 1000, "0.01 0.1 1 10 100 1,000"},
		{"two decades", logTicks{}, 1, 100, "1 2 5 10 20 50 100"},
		{"sparse", logTicks{Sparse: true}, 1, 100, "1 10 100"},
		{"four decades", logTicks{}, 1000, 1e7, "1,000 10,000 100,000 1,000,000 10,000,000"},
		{"three decades", logTicks{}, 1000, 1e6, "1,000 2,000 5,000 10,000 20,000 50,000 100,000 200,000 500,000 1,000,000"},
		{"counts from 1", rangeTicks{logTicks{}, 1, math.Inf(1)}, 0.5, 1000, "1 10 100 1,000"},
		{"zero min", logTicks{}, 0, 100, ""},
		{"negative", logTicks{}, -10, 100, ""},
		{"empty range", logTicks{}, 10, 10, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := tc.ticks.Ticks(tc.min, tc.max)
			if got := strings.Join(labels(ts), " "); got != tc.want {
				t.Errorf("labels %q, want %q", got, tc.want)
			}
			for _, tk := range ts {
				if !(tk.Value > 0) {
					t.Errorf("tick at %v on a log axis", tk.Value)
				}
			}
		})
	}
}

// TestNumTicks checks linear ticks over ranges the charts use: labels in
// order, none repeated (a success axis once read "100, 100, 98"), a handful.
func TestNumTicks(t *testing.T) {
	for _, r := range [][2]float64{{0, 1}, {97.5, 100.5}, {98.5, 100.5}, {0, 33698}, {0, 184546}, {60.2, 100.4}, {0, 5}, {0, 155}, {-0.3, 9.3}, {0, 1e9}} {
		ls := labels(numTicks{}.Ticks(r[0], r[1]))
		if len(ls) < 3 || len(ls) > 8 {
			t.Errorf("%v: %d labels %q, want 3 to 8", r, len(ls), ls)
		}
		if c := slices.Compact(slices.Clone(ls)); len(c) != len(ls) {
			t.Errorf("%v: repeated labels %q", r, ls)
		}
	}
	if got := strings.Join(labels(numTicks{}.Ticks(97.5, 100.5)), " "); got != "97.5 98.0 98.5 99.0 99.5 100.0 100.5" {
		t.Errorf("success ticks %q", got)
	}
	if got := strings.Join(labels(numTicks{}.Ticks(0, 160000)), " "); got != "0 50,000 100,000 150,000" {
		t.Errorf("throughput ticks %q", got)
	}
	for _, r := range [][2]float64{{1, 1}, {2, 1}, {math.NaN(), 1}, {0, math.Inf(1)}} {
		if ts := (numTicks{}).Ticks(r[0], r[1]); len(ts) != 0 {
			t.Errorf("%v: ticks %v on a broken range", r, ts)
		}
	}
}

// TestValueTicks checks that the client axis is labelled with the counts
// measured, leaving out a label that would touch the previous one.
func TestValueTicks(t *testing.T) {
	st := textStyle(tickSize, false, draw.XCenter, draw.YTop)
	for _, tc := range []struct {
		name     string
		vt       valueTicks
		min, max float64
		want     string
	}{
		{"log sweep", valueTicks{Values: []float64{50, 200, 1000, 3000}, Log: true}, 40, 3750, "50 200 1,000 3,000"},
		{"crowded", valueTicks{Values: []float64{1000, 1010, 1020, 5000}}, 900, 5100, "1,000 5,000"},
		{"duplicates", valueTicks{Values: []float64{10, 10, 20}}, 5, 25, "10 20"},
		{"broken log range", valueTicks{Values: []float64{10}, Log: true}, 0, 25, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.vt.Style, tc.vt.Length = st, 12*vg.Centimeter
			ts := tc.vt.Ticks(tc.min, tc.max)
			if got := strings.Join(labels(ts), " "); got != tc.want {
				t.Errorf("labels %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSeriesDropsWhatLogCannotShow checks the data side of the log guard:
// zero, negative and NaN values are left out and counted, and break the
// line instead of joining over a failed step.
func TestSeriesDropsWhatLogCannotShow(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6}
	ys := []float64{5, 0, 7, -2, math.NaN(), 9}
	ls, gs := lineStyle(colBlue, 1, false), glyphStyle(colBlue, draw.CircleGlyph{}, 2)
	ps, dropped, err := series(xs, ys, true, ls, gs)
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 3 {
		t.Errorf("dropped %d values, want 3", dropped)
	}
	// No segment has two points, so there is no line, only the glyphs.
	if len(ps) != 1 {
		t.Errorf("%d plotters, want the scatter alone", len(ps))
	}
	_, dropped, err = series(xs, ys, false, ls, gs)
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 1 {
		t.Errorf("linear axis: dropped %d values, want only the NaN", dropped)
	}
}

// TestLogChartsWithZerosAndNegatives renders the log-scale charts from
// zeros and negatives only: no panic, no error, and a note saying so.
func TestLogChartsWithZerosAndNegatives(t *testing.T) {
	bad := Sweep{Label: "bad", Steps: []Step{
		{Clients: 1, Trials: []Trial{{RPS: -5, Success: -1, Latency: Latency{P50: 0, P90: -1, P99: -0.001, P999: math.Inf(-1)}}}},
		{Clients: 100, Trials: []Trial{{RPS: 0, Latency: Latency{P50: -3, P90: 0, P99: 0, P999: 0}}}},
	}}
	for _, tc := range []struct {
		name  string
		build func() (*Chart, error)
		want  string
	}{
		{"latency", func() (*Chart, error) { return LatencyChart(bad) }, "8 values not drawn"},
		{"compare-latency", func() (*Chart, error) { return CompareLatencyChart(bad, bad) }, "12 values not drawn"},
		{"throughput", func() (*Chart, error) { return ThroughputChart(bad) }, "requests/s"},
		{"timeline", func() (*Chart, error) {
			return TimelineChart(Timeline{Seconds: []Second{{T: 0, RPS: -1, Errors: -1, P99MS: -4}, {T: 1, P99MS: 0}}})
		}, "2 values not drawn"},
		{"ladder", func() (*Chart, error) {
			return LadderChart(Ladder{Rungs: []Rung{{Phase: 1, RPS: -100, Limit: "port"}, {Phase: 2, RPS: 0}}})
		}, "2 phases without throughput"},
		{"connect", func() (*Chart, error) {
			return ConnectChart(Connect{Series: []Distribution{{Label: "zero", Buckets: []Bucket{{FromMS: 0, ToMS: 0, Count: 3}}}}})
		}, "zero: 3 connects"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.build()
			svg := render(t, c, err)
			if !strings.Contains(svg, tc.want) {
				t.Errorf("the SVG does not say %q", tc.want)
			}
		})
	}
}
