package units

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// NA is printed for a value that was not measured.
const NA = "n/a"

// Int formats n with thousands separators: 16384 -> "16,384".
func Int[T ~int | ~int32 | ~int64 | ~uint | ~uint32 | ~uint64](n T) string {
	if n < 0 {
		return "-" + group(strconv.FormatUint(uint64(-int64(n)), 10))
	}
	return group(strconv.FormatUint(uint64(n), 10))
}

// Float formats x with the given decimals and thousands separators; NaN and
// infinities print as NA.
func Float(x float64, decimals int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return NA
	}
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if strings.Trim(s, "0.") == "" {
		sign = "" // no "-0"
	}
	ip, frac, hasFrac := strings.Cut(s, ".")
	out := sign + group(ip)
	if hasFrac {
		out += "." + frac
	}
	return out
}

// group inserts thousands separators into a string of digits.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	b.Grow(len(digits) + len(digits)/3)
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(digits[i])
	}
	return b.String()
}

// MSValue formats milliseconds with the precision that fits their size,
// without the unit: 0.412, 4.80, 37.41, 1,204.
func MSValue(ms float64) string {
	a := math.Abs(ms)
	switch {
	case a < 1:
		return Float(ms, 3)
	case a < 100:
		return Float(ms, 2)
	}
	return Float(ms, 0)
}

// MS formats milliseconds with their unit: "0.412 ms", "4.80 ms", "1,204 ms".
func MS(ms float64) string {
	v := MSValue(ms)
	if v == NA {
		return v
	}
	return v + " ms"
}

// Pct formats a ratio (0..1) as a percentage with two decimals, truncated
// rather than rounded, so that a rate with any failure never reads as
// 100%: 0.99996 -> "99.99%", 1 -> "100%", 0.6408 -> "64.08%".
func Pct(ratio float64) string {
	switch {
	case math.IsNaN(ratio) || ratio < 0:
		return NA
	case ratio >= 1:
		if ratio == 1 {
			return "100%"
		}
		return Float(ratio*100, 2) + "%"
	}
	hundredths := math.Floor(ratio*10000 + 1e-6)
	if hundredths >= 10000 {
		hundredths = 9999
	}
	return strconv.FormatFloat(hundredths/100, 'f', 2, 64) + "%"
}

// WholePct formats a value already in percent (a CPU share) with no
// decimals: 87.6 -> "88%".
func WholePct(p float64) string {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return NA
	}
	return Float(p, 0) + "%"
}

// Rate formats a throughput in requests per second: whole requests with
// separators at 100 and above ("25,922"), one decimal below ("12.5").
func Rate(rps float64) string {
	if math.Abs(rps) >= 100 {
		return Float(rps, 0)
	}
	return Float(rps, 1)
}

// Plural formats a count with its noun: "1 client", "16 clients".
func Plural[T ~int | ~int64 | ~uint64](n T, one, many string) string {
	if n == 1 {
		return Int(n) + " " + one
	}
	return Int(n) + " " + many
}

// Clients formats a client count: "1 client", "1,000 clients".
func Clients(n int) string { return Plural(n, "client", "clients") }

// Cores formats a CPU count: "1 core", "2 cores".
func Cores(n int) string { return Plural(n, "core", "cores") }

// Counts formats the largest non-zero entries of a count map, largest
// first then by name, in Markdown code style: "`connect_timeout` 3,592,
// `reset` 12 (+2 more)"; "none" when all are zero.
func Counts(m map[string]int64, top int) string {
	type entry struct {
		name string
		n    int64
	}
	var es []entry
	for k, v := range m {
		if v != 0 {
			es = append(es, entry{k, v})
		}
	}
	if len(es) == 0 {
		return "none"
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].n != es[j].n {
			return es[i].n > es[j].n
		}
		return es[i].name < es[j].name
	})
	var parts []string
	for i, e := range es {
		if i == top {
			parts[len(parts)-1] += fmt.Sprintf(" (+%d more)", len(es)-top)
			break
		}
		parts = append(parts, fmt.Sprintf("`%s` %s", e.name, Int(e.n)))
	}
	return strings.Join(parts, ", ")
}
