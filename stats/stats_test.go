package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// seq returns n values from start, step apart.
func seq(start, step float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start + float64(i)*step
	}
	return out
}

// scale returns xs multiplied by f.
func scale(xs []float64, f float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * f
	}
	return out
}

func TestStatsCompareKnownP(t *testing.T) {
	tests := []struct {
		name        string
		old, new    []float64
		alpha       float64
		wantP       float64 // exact two-sided p of the U test
		wantString  string
		significant bool
		canDetect   bool
	}{
		// Two samples that do not overlap give the smallest p their sizes allow: 2 / C(n1+n2, n1).
		{"3 vs 3 apart: never significant", seq(1, 1, 3), seq(10, 1, 3), 0.05, 2.0 / 20, "~ (p=0.100 n=3)", false, false},
		{"4 vs 4 apart", seq(100, 1, 4), seq(200, 1, 4), 0.05, 2.0 / 70, "+98.52% (p=0.029 n=4)", true, true},
		{"5 vs 5 apart, a loss", seq(200, 1, 5), seq(100, 1, 5), 0.05, 2.0 / 252, "-49.50% (p=0.008 n=5)", true, true},
		{"10 vs 10 apart: benchstat's example", seq(100, 0.1, 10), scale(seq(100, 0.1, 10), 1.0997), 0.05, 2.0 / 184756, "+9.97% (p=0.000 n=10)", true, true},
		// Old holds ranks 1,2,3,9,10 of 10: U = 10, P(U <= 10) = 87/252.
		{"5 vs 5 interleaved", []float64{1, 2, 3, 9, 10}, []float64{4, 5, 6, 7, 8}, 0.05, 2 * 87.0 / 252, "~ (p=0.690 n=5)", false, true},
		{"uneven sizes", seq(1, 1, 5), seq(10, 1, 4), 0.05, 2.0 / 126, "+283.33% (p=0.016 n=5+4)", true, true},
		{"3 vs 3 at alpha 0.2", seq(1, 1, 3), seq(10, 1, 3), 0.2, 0.1, "+450.00% (p=0.100 n=3)", true, true},
		{"4 vs 4 at alpha 0.01", seq(100, 1, 4), seq(200, 1, 4), 0.01, 2.0 / 70, "~ (p=0.029 n=4)", false, false},
		{"1 vs 1", []float64{72913.7}, []float64{141955.3}, 0.05, 1, "~ (p=1.000 n=1)", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Compare(tt.old, tt.new, tt.alpha)
			if math.Abs(c.P-tt.wantP) > 1e-9 {
				t.Errorf("P = %v, want %v", c.P, tt.wantP)
			}
			if got := c.String(); got != tt.wantString {
				t.Errorf("String() = %q, want %q", got, tt.wantString)
			}
			if c.Significant != tt.significant || c.CanDetect != tt.canDetect {
				t.Errorf("Significant %v CanDetect %v, want %v %v", c.Significant, c.CanDetect, tt.significant, tt.canDetect)
			}
			if c.N1 != len(tt.old) || c.N2 != len(tt.new) || c.Alpha != tt.alpha {
				t.Errorf("N1 %d N2 %d Alpha %v", c.N1, c.N2, c.Alpha)
			}
			if !c.CanDetect && len(c.Warnings) == 0 {
				t.Errorf("no warning although n=%d+%d can never reach %v", c.N1, c.N2, c.Alpha)
			}
		})
	}
}

// exactP computes the two-sided p-value of the U test by enumerating every
// way to pick the old sample's ranks out of all values (no ties): an
// independent check of the library's exact distribution.
func exactP(old, new []float64) float64 {
	all := append(slices.Clone(old), new...)
	slices.Sort(all)
	n1, n := len(old), len(all)
	u := func(ranks []int) int { // U of the old sample: pairs (old, new) with old above new
		sum := 0
		for _, r := range ranks {
			sum += r
		}
		return sum - n1*(n1+1)/2
	}
	var observed []int
	for _, x := range old {
		observed = append(observed, slices.Index(all, x)+1)
	}
	u1 := u(observed)
	usmall := min(u1, n1*(n-n1)-u1)
	if 2*u1 == n1*(n-n1) {
		return 1
	}
	count, total := 0, 0
	var pick func(start int, ranks []int)
	pick = func(start int, ranks []int) {
		if len(ranks) == n1 {
			total++
			if u(ranks) <= usmall {
				count++
			}
			return
		}
		for r := start; r <= n; r++ {
			pick(r+1, append(ranks, r))
		}
	}
	pick(1, nil)
	return min(1, 2*float64(count)/float64(total))
}

func TestStatsCompareMatchesEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		n1, n2 := 2+rng.IntN(6), 2+rng.IntN(6)
		old, new := make([]float64, n1), make([]float64, n2)
		for j := range old {
			old[j] = rng.Float64() * 100
		}
		for j := range new {
			new[j] = rng.Float64()*100 + 20
		}
		c := Compare(old, new, DefaultAlpha)
		if want := exactP(old, new); math.Abs(c.P-want) > 1e-9 {
			t.Errorf("case %d (n=%d+%d): P = %v, enumeration gives %v", i, n1, n2, c.P, want)
		}
	}
}

func TestStatsCompareEdgeCases(t *testing.T) {
	t.Run("all equal", func(t *testing.T) {
		c := Compare([]float64{1, 1, 1, 1}, []float64{1, 1, 1, 1}, DefaultAlpha)
		if c.Significant || c.Delta != 0 || c.String() != "~ (p=1.000 n=4)" || len(c.Warnings) == 0 {
			t.Errorf("got %+v, %q", c, c)
		}
	})
	t.Run("empty", func(t *testing.T) {
		c := Compare(nil, []float64{1, 2}, DefaultAlpha)
		if c.Significant || c.CanDetect || !math.IsNaN(c.Delta) || len(c.Warnings) == 0 {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("from zero", func(t *testing.T) {
		c := Compare([]float64{0, 0, 0, 0}, []float64{1, 2, 3, 4}, DefaultAlpha)
		if !c.Significant || !math.IsNaN(c.Delta) || !strings.HasPrefix(c.String(), "? (p=0.0") {
			t.Errorf("got %+v, %q", c, c)
		}
	})
	t.Run("NaN left out", func(t *testing.T) {
		c := Compare([]float64{1, 2, math.NaN(), 3, 4}, []float64{10, 11, 12, 13}, DefaultAlpha)
		if c.N1 != 4 || !c.Significant || !slices.Contains(c.Warnings, "old: 1 NaN value left out") {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("bad alpha", func(t *testing.T) {
		c := Compare(seq(1, 1, 4), seq(10, 1, 4), 0)
		if c.Alpha != DefaultAlpha || !c.Significant || len(c.Warnings) == 0 {
			t.Errorf("got %+v", c)
		}
	})
	t.Run("inputs untouched", func(t *testing.T) {
		old, new := []float64{3, 1, 2}, []float64{9, 7, 8}
		Compare(old, new, DefaultAlpha)
		Summarize(old)
		if !slices.Equal(old, []float64{3, 1, 2}) || !slices.Equal(new, []float64{9, 7, 8}) {
			t.Errorf("inputs reordered: %v %v", old, new)
		}
	})
}

// normal draws n values of mean mu and standard deviation sd.
func normal(rng *rand.Rand, n int, mu, sd float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = mu + sd*rng.NormFloat64()
	}
	return out
}

func TestStatsSameDistributionIsNoChange(t *testing.T) {
	// Throughput of one server, 5 trials per side, 5 % spread: the test
	// must call a difference at most about alpha of the time.
	rng := rand.New(rand.NewPCG(7, 8))
	const runs = 300
	falseAlarms := 0
	for range runs {
		c := Compare(normal(rng, 5, 80000, 4000), normal(rng, 5, 80000, 4000), DefaultAlpha)
		if c.Significant {
			falseAlarms++
			continue
		}
		if !strings.HasPrefix(c.String(), "~ (p=") {
			t.Fatalf("not significant but worded %q", c)
		}
	}
	if falseAlarms > runs/10 {
		t.Errorf("%d of %d pairs from one distribution called different (alpha %v)", falseAlarms, runs, DefaultAlpha)
	}
	t.Logf("%d of %d pairs from one distribution called different", falseAlarms, runs)
}

func TestStatsClearShiftIsSignificant(t *testing.T) {
	// The same spread, B 25 % faster: 5 trials each must show it.
	rng := rand.New(rand.NewPCG(9, 10))
	const runs = 300
	missed := 0
	for range runs {
		c := Compare(normal(rng, 5, 80000, 4000), normal(rng, 5, 100000, 4000), DefaultAlpha)
		if !c.Significant {
			missed++
			continue
		}
		if c.Delta < 0.10 || c.Delta > 0.40 || !strings.HasPrefix(c.String(), "+") {
			t.Fatalf("shift of +25%% reported as %q (delta %v)", c, c.Delta)
		}
	}
	if missed > runs/20 {
		t.Errorf("a 25%% shift was missed %d times of %d", missed, runs)
	}
	t.Logf("a 25%% shift was missed %d times of %d", missed, runs)
}

func TestStatsMinSamples(t *testing.T) {
	tests := []struct {
		alpha float64
		want  int
	}{
		// The smallest p of n against n is 2 / C(2n, n): 0.333, 0.100, 0.029, 0.0079, 0.0022, 0.00058.
		{0.05, 4}, {0.2, 3}, {0.01, 5}, {0.005, 6}, {0.001, 7}, {0.5, 2}, {0, 0}, {1, 0}, {math.NaN(), 0},
	}
	for _, tt := range tests {
		if got := MinSamples(tt.alpha); got != tt.want {
			t.Errorf("MinSamples(%v) = %d, want %d", tt.alpha, got, tt.want)
		}
	}
}

func TestStatsSummarize(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name             string
		xs               []float64
		median, min, max float64
		lo, hi           float64
		wantWarning      string
		wantN            int
	}{
		{"empty", nil, nan, nan, nan, nan, nan, "no samples", 0},
		{"one", []float64{72913.7}, 72913.7, 72913.7, 72913.7, nan, nan, "need >= 6 samples", 1},
		{"five: no interval", []float64{5, 1, 4, 2, 3}, 3, 1, 5, nan, nan, "need >= 6 samples", 5},
		// For n = 6 the 95 % interval of the median runs from the 1st to the 6th value;
		// for n = 10 from the 2nd to the 9th (binomial tables).
		{"six", []float64{6, 5, 4, 3, 2, 1}, 3.5, 1, 6, 1, 6, "", 6},
		{"ten", seq(1, 1, 10), 5.5, 1, 10, 2, 9, "", 10},
		{"NaN left out", []float64{1, nan, 3}, 2, 1, 3, nan, nan, "1 NaN value left out", 2},
	}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Summarize(tt.xs)
			if s.N != tt.wantN || !same(s.Median, tt.median) || !same(s.Min, tt.min) || !same(s.Max, tt.max) ||
				!same(s.Lo, tt.lo) || !same(s.Hi, tt.hi) {
				t.Errorf("got %+v", s)
			}
			found := tt.wantWarning == "" && len(s.Warnings) == 0
			for _, w := range s.Warnings {
				if tt.wantWarning != "" && strings.Contains(w, tt.wantWarning) {
					found = true
				}
			}
			if !found {
				t.Errorf("warnings %q, want one containing %q", s.Warnings, tt.wantWarning)
			}
		})
	}
}
