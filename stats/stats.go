// Package stats is the lab's one owner of statistics over samples: the
// trials of one step, measured again on a fresh namespace and server. It is
// a thin layer over golang.org/x/perf/benchmath with the assumptions
// benchstat makes: no distribution is assumed, a sample is summarized by its
// median (with a 95 % confidence interval when there are enough trials),
// and two samples are compared with the Mann–Whitney U test.
//
// Everything here is a pure function of numbers: no I/O. What makes a
// result less trustworthy (too few trials, equal samples) is returned as
// warnings, never as an error, so a caller can always show the numbers and
// say what they are worth.
package stats

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"

	"github.com/scalelab/scalelab/units"
)

// DefaultAlpha is the significance level the lab uses: two samples differ
// when the U test gives p <= DefaultAlpha, as in benchstat.
const DefaultAlpha = 0.05

// Confidence is the level of the confidence interval of a median.
const Confidence = 0.95

// Summary describes one sample: how many values, their median, their
// spread and the confidence interval of the median.
type Summary struct {
	N                int
	Median, Min, Max float64 // NaN when N is 0
	// Lo and Hi bound the 95 % confidence interval of the median; NaN
	// when the sample is too small to have one (fewer than 6 values).
	Lo, Hi   float64
	Warnings []string
}

// Summarize summarizes xs (left unchanged). NaN values are left out, with a
// warning.
func Summarize(xs []float64) Summary {
	vals, warn := clean(xs)
	nan := math.NaN()
	s := Summary{N: len(vals), Median: nan, Min: nan, Max: nan, Lo: nan, Hi: nan, Warnings: warn}
	if len(vals) == 0 {
		s.Warnings = append(s.Warnings, "no samples")
		return s
	}
	th := benchmath.DefaultThresholds
	sample := benchmath.NewSample(vals, &th) // sorts vals
	sum := benchmath.AssumeNothing.Summary(sample, Confidence)
	s.Median, s.Min, s.Max = sum.Center, vals[0], vals[len(vals)-1]
	if !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) {
		s.Lo, s.Hi = sum.Lo, sum.Hi
	}
	s.Warnings = append(s.Warnings, errStrings(sample.Warnings)...)
	s.Warnings = append(s.Warnings, errStrings(sum.Warnings)...)
	return s
}

// Comparison is the outcome of comparing an old sample with a new one.
type Comparison struct {
	N1, N2 int     // sizes of the old and the new sample
	P      float64 // p-value of the U test: the chance of a difference this large if both came from one distribution
	Alpha  float64 // the significance level the test was held to
	// Delta is the relative change of the medians, new/old - 1: +0.10
	// for 10 % more. It is 0 when the medians are equal and NaN when the
	// old median is 0 and the new one is not (or a sample is empty).
	Delta float64
	// Significant is true when P <= Alpha: the samples differ.
	Significant bool
	// CanDetect is whether samples of these sizes can reach Alpha at
	// all, even when every new value is above every old one. 3 against
	// 3 cannot (the smallest p is 0.100); 4 against 4 can (0.029).
	CanDetect bool
	Warnings  []string
}

// Compare tests whether old and new come from the same distribution with
// the Mann–Whitney U test (benchmath.AssumeNothing) at level alpha. An
// alpha outside (0, 1) is replaced by DefaultAlpha, with a warning. NaN
// values are left out, with a warning.
func Compare(old, new []float64, alpha float64) Comparison {
	var warn []string
	if !(alpha > 0 && alpha < 1) {
		warn = append(warn, fmt.Sprintf("alpha %v is not in (0, 1): used %v", alpha, DefaultAlpha))
		alpha = DefaultAlpha
	}
	o, wo := clean(old)
	n, wn := clean(new)
	warn = append(warn, prefix("old: ", wo)...)
	warn = append(warn, prefix("new: ", wn)...)

	th := benchmath.Thresholds{CompareAlpha: alpha}
	so, sn := Summarize(o), Summarize(n)
	cmp := benchmath.AssumeNothing.Compare(benchmath.NewSample(o, &th), benchmath.NewSample(n, &th))
	c := Comparison{
		N1: len(o), N2: len(n), P: cmp.P, Alpha: alpha,
		Delta:       relative(so.Median, sn.Median),
		Significant: cmp.P <= alpha,
		CanDetect:   smallestP(len(o), len(n)) <= alpha,
	}
	c.Warnings = append(warn, errStrings(cmp.Warnings)...)
	if !c.CanDetect && len(cmp.Warnings) == 0 && c.N1 > 0 && c.N2 > 0 {
		// benchmath warns only when both samples are short; say it for
		// uneven sizes too.
		c.Warnings = append(c.Warnings, fmt.Sprintf("n=%d+%d can never reach p <= %v: the smallest possible p is %s",
			c.N1, c.N2, alpha, units.Float(smallestP(c.N1, c.N2), 3)))
	}
	return c
}

// String words the comparison exactly as benchstat does: the change of the
// medians and the test, "+9.97% (p=0.000 n=10)", or "~ (p=0.690 n=5)" when
// the difference is not significant. n is "5+4" when the sizes differ; "?"
// stands for a change from a median of 0.
func (c Comparison) String() string {
	bc := benchmath.Comparison{P: c.P, N1: c.N1, N2: c.N2, Alpha: c.Alpha}
	delta := bc.FormatDelta(1, 1+c.Delta)
	if c.Significant && math.IsNaN(c.Delta) {
		delta = "?"
	}
	return delta + " (" + bc.String() + ")"
}

// MinSamples returns the fewest trials each side needs for the U test to
// ever reach alpha: 4 for 0.05, 5 for 0.01. It returns 0 when alpha is not
// in (0, 1) or would need more than 100 trials.
func MinSamples(alpha float64) int {
	if !(alpha > 0 && alpha < 1) {
		return 0
	}
	for n := 1; n <= 100; n++ {
		if smallestP(n, n) <= alpha {
			return n
		}
	}
	return 0
}

// smallestP is the smallest p-value the U test can give for samples of
// sizes n1 and n2: the p of two samples that do not overlap at all, as
// benchmath computes it.
func smallestP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	lo := make([]float64, n1)
	hi := make([]float64, n2)
	for i := range lo {
		lo[i] = float64(i)
	}
	for i := range hi {
		hi[i] = float64(n1 + i)
	}
	th := benchmath.DefaultThresholds
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(lo, &th), benchmath.NewSample(hi, &th)).P
}

// relative returns new/old - 1, 0 when both are equal, NaN when old is 0
// (or either is NaN).
func relative(old, new float64) float64 {
	switch {
	case math.IsNaN(old) || math.IsNaN(new):
		return math.NaN()
	case old == new:
		return 0
	case old == 0:
		return math.NaN()
	}
	return new/old - 1
}

// clean returns a copy of xs without its NaN values, and a warning when it
// left some out.
func clean(xs []float64) ([]float64, []string) {
	out := slices.DeleteFunc(slices.Clone(xs), math.IsNaN)
	if dropped := len(xs) - len(out); dropped > 0 {
		return out, []string{units.Plural(dropped, "NaN value", "NaN values") + " left out"}
	}
	return out, nil
}

func errStrings(errs []error) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func prefix(p string, ss []string) []string {
	for i := range ss {
		ss[i] = p + ss[i]
	}
	return ss
}
