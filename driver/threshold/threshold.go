// Package threshold parses and checks pass/fail criteria on the numbers of
// a load run, in the spirit of k6's thresholds: "success>=99.9%",
// "p99<10ms", "rps>=50000". A threshold names a metric, a comparison and a
// value written in the metric's unit; Check measures the metric through a
// lookup function and says whether the threshold held.
//
// The package knows the metrics' names and units, not where their values
// come from: a load summary (driver.Summary.Metric) and a scorecard step
// both provide them.
package threshold

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/scalelab/scalelab/internal/suggest"
	"github.com/scalelab/scalelab/units"
)

// Unit is what a metric's values measure.
type Unit uint8

// The units of the metrics.
const (
	Percent   Unit = iota + 1 // a share of the measured requests, written with % (99.9%)
	Millis                    // a time, written with us, ms or s; held in milliseconds
	PerSecond                 // a rate, written as a plain number (50000)
)

// Metric describes one metric a threshold may name.
type Metric struct {
	Name  string
	Unit  Unit
	About string
}

// Metrics lists every metric, in the order help texts show them. Latency
// percentiles are response times of complete responses (any status), from
// the intended send time in an open loop.
var Metrics = []Metric{
	{"success", Percent, "ok responses (1xx-3xx) in percent of the measured requests"},
	{"errors", Percent, "failed requests (any error class, 4xx and 5xx included) in percent of the measured requests"},
	{"rps", PerSecond, "ok responses per second"},
	{"responses_rps", PerSecond, "responses of any status per second (what wrk calls Requests/sec)"},
	{"p50", Millis, "median latency"},
	{"p75", Millis, "75th percentile latency"},
	{"p90", Millis, "90th percentile latency"},
	{"p95", Millis, "95th percentile latency"},
	{"p99", Millis, "99th percentile latency"},
	{"p99.9", Millis, "99.9th percentile latency (also p999)"},
	{"p99.99", Millis, "99.99th percentile latency (also p9999)"},
	{"max", Millis, "largest latency"},
	{"mean", Millis, "mean latency"},
}

// aliases are other spellings of metric names.
var aliases = map[string]string{"p999": "p99.9", "p9999": "p99.99", "p100": "max", "ok_rps": "rps"}

// Op is a comparison.
type Op string

// The comparisons a threshold may use.
const (
	Less         Op = "<"
	LessEqual    Op = "<="
	Greater      Op = ">"
	GreaterEqual Op = ">="
)

// Threshold is one parsed criterion: Metric Op Value.
type Threshold struct {
	// Expr is the threshold as written, without surrounding spaces.
	Expr string
	// Metric is the metric's canonical name (p99.9 for p999).
	Metric string
	Op     Op
	// Value is in the metric's unit: percent (99.9), milliseconds, or per
	// second.
	Value float64
	Unit  Unit
}

// ErrSyntax is wrapped by every error of Parse.
var ErrSyntax = errors.New("threshold")

// MaxLen bounds the length of a threshold expression.
const MaxLen = 200

// Parse parses one threshold such as "success>=99.9%", "p99 < 10ms" or
// "rps>=50000". Its errors say what to write instead.
func Parse(expr string) (Threshold, error) {
	s := strings.TrimSpace(expr)
	bad := func(format string, args ...any) (Threshold, error) {
		return Threshold{}, fmt.Errorf("%w %q: %s", ErrSyntax, truncate(s), fmt.Sprintf(format, args...))
	}
	if len(s) > MaxLen {
		return bad("longer than %d bytes", MaxLen)
	}
	i := strings.IndexAny(s, "<>=!")
	if i < 0 {
		return bad("want METRIC OP VALUE with OP one of < <= > >=, e.g. p99<10ms or success>=99.9%%")
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op Op
	for _, o := range []Op{LessEqual, GreaterEqual, Less, Greater} {
		if strings.HasPrefix(rest, string(o)) {
			op = o
			break
		}
	}
	if op == "" {
		return bad("unknown comparison; use one of < <= > >=")
	}
	m, err := lookupMetric(name)
	if err != nil {
		return bad("%v", err)
	}
	v, err := parseValue(m, strings.TrimSpace(rest[len(op):]))
	if err != nil {
		return bad("%v", err)
	}
	return Threshold{Expr: s, Metric: m.Name, Op: op, Value: v, Unit: m.Unit}, nil
}

// lookupMetric finds a metric by name or alias.
func lookupMetric(name string) (Metric, error) {
	key := strings.ToLower(name)
	if a, ok := aliases[key]; ok {
		key = a
	}
	for _, m := range Metrics {
		if m.Name == key {
			return m, nil
		}
	}
	if name == "" {
		return Metric{}, fmt.Errorf("no metric before the comparison (metrics: %s)", names())
	}
	if strings.HasPrefix(key, "p(") && strings.HasSuffix(key, ")") {
		return Metric{}, fmt.Errorf("write percentiles as p99, not %s", name)
	}
	if near := suggest.Nearest(key, append(names0(), "p999")); near != "" {
		return Metric{}, fmt.Errorf("unknown metric %q; did you mean %s?", name, near)
	}
	return Metric{}, fmt.Errorf("unknown metric %q (metrics: %s)", name, names())
}

func names0() []string {
	out := make([]string, len(Metrics))
	for i, m := range Metrics {
		out[i] = m.Name
	}
	return out
}

func names() string { return strings.Join(names0(), ", ") }

// timeUnits maps the time suffixes to milliseconds, longest first.
var timeUnits = []struct {
	suffix string
	ms     float64
}{{"ms", 1}, {"us", 1e-3}, {"µs", 1e-3}, {"ns", 1e-6}, {"s", 1000}}

// parseValue reads the value of a threshold on m, with m's unit.
func parseValue(m Metric, v string) (float64, error) {
	if v == "" {
		return 0, errors.New("no value after the comparison")
	}
	num, unit := splitNumber(v)
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("%q is not a number", v)
	}
	if x < 0 {
		return 0, fmt.Errorf("%s must not be negative", m.Name)
	}
	unit = strings.TrimSpace(unit)
	switch m.Unit {
	case Percent:
		switch {
		case unit == "" && x <= 1:
			return 0, fmt.Errorf("%s is a percentage: write %s%% for a share of %s, or %s%%", m.Name, trimFloat(x*100), num, num)
		case unit == "":
			return 0, fmt.Errorf("%s is a percentage: write %s%%", m.Name, num)
		case unit != "%":
			return 0, fmt.Errorf("%s is a percentage: write it with %%, e.g. %s%%", m.Name, num)
		case x > 100:
			return 0, fmt.Errorf("%s is a percentage: %s%% is above 100%%", m.Name, num)
		}
		return x, nil
	case Millis:
		if unit == "" {
			return 0, fmt.Errorf("%s is a time: write %sms (units: us, ms, s)", m.Name, num)
		}
		for _, u := range timeUnits {
			if unit == u.suffix {
				return x * u.ms, nil
			}
		}
		return 0, fmt.Errorf("%s is a time: unknown unit %q (units: us, ms, s)", m.Name, unit)
	default:
		if (unit == "k" || unit == "K") && x == math.Trunc(x) {
			return 0, fmt.Errorf("write the whole number: %s000 for %s", num, v)
		}
		if unit != "" && unit != "/s" {
			return 0, fmt.Errorf("%s is per second: write a plain number, e.g. %s", m.Name, num)
		}
		return x, nil
	}
}

// splitNumber splits "10ms" into "10" and "ms": the number ends at the
// first byte that cannot continue it (an e or E continues it only before a
// digit or sign, as in 1e3).
func splitNumber(v string) (num, unit string) {
	i := 0
	for ; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9', c == '.':
		case (c == '-' || c == '+') && (i == 0 || v[i-1] == 'e' || v[i-1] == 'E'):
		case (c == 'e' || c == 'E') && i > 0 && i+1 < len(v) && strings.IndexByte("0123456789+-", v[i+1]) >= 0:
		default:
			return strings.TrimSpace(v[:i]), v[i:]
		}
	}
	return v, ""
}

// trimFloat prints x without float noise: 0.999*100 is 99.9.
func trimFloat(x float64) string { return strconv.FormatFloat(math.Round(x*1e9)/1e9, 'f', -1, 64) }

func truncate(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// String returns the threshold as written.
func (t Threshold) String() string { return t.Expr }

// Result is a threshold checked against measured numbers.
type Result struct {
	// Threshold is the threshold as written.
	Threshold string `json:"threshold"`
	// Metric is the canonical metric name.
	Metric string `json:"metric"`
	// Measured is the metric's value in its unit (percent, milliseconds or
	// per second); null when it could not be measured (no request).
	Measured *float64 `json:"measured"`
	// Passed reports whether the threshold held.
	Passed bool `json:"passed"`
}

// eps is the relative tolerance of comparisons, so that 999 of 1,000 ok
// meets success>=99.9% whatever floating point makes of 99.9.
const eps = 1e-9

// Holds reports whether the measured value v meets t.
func (t Threshold) Holds(v float64) bool {
	tol := eps * math.Max(1, math.Abs(t.Value))
	equal := math.Abs(v-t.Value) <= tol
	switch t.Op {
	case Less:
		return v < t.Value && !equal
	case LessEqual:
		return v <= t.Value || equal
	case Greater:
		return v > t.Value && !equal
	default:
		return v >= t.Value || equal
	}
}

// Check measures t's metric through lookup (which returns false for a
// metric that was not measured: it then fails) and compares it.
func (t Threshold) Check(lookup func(metric string) (float64, bool)) Result {
	r := Result{Threshold: t.Expr, Metric: t.Metric}
	v, ok := lookup(t.Metric)
	if !ok || math.IsNaN(v) {
		return r
	}
	r.Measured = &v
	r.Passed = t.Holds(v)
	return r
}

// CheckAll checks every threshold and reports whether all held.
func CheckAll(ts []Threshold, lookup func(metric string) (float64, bool)) ([]Result, bool) {
	out := make([]Result, len(ts))
	all := true
	for i, t := range ts {
		out[i] = t.Check(lookup)
		all = all && out[i].Passed
	}
	return out, all
}

// ParseAll parses a list of thresholds; the error joins one per bad one.
func ParseAll(exprs []string) ([]Threshold, error) {
	var errs []error
	out := make([]Threshold, 0, len(exprs))
	for _, e := range exprs {
		t, err := Parse(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// MeasuredText formats the measured value with its unit: "99.93%",
// "12.4 ms", "51,234/s"; n/a when not measured.
func (r Result) MeasuredText() string {
	if r.Measured == nil {
		return units.NA + " (not measured)"
	}
	v := *r.Measured
	m, _ := lookupMetric(r.Metric)
	switch m.Unit {
	case Percent:
		return units.Pct(v / 100)
	case Millis:
		return units.MS(v)
	}
	return units.Rate(v) + "/s"
}

// Verdict is "ok" or "FAIL".
func (r Result) Verdict() string {
	if r.Passed {
		return "ok"
	}
	return "FAIL"
}
