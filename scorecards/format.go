package scorecards

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// groupDigits inserts thousands separators into the integer part of a
// decimal number: "16384" -> "16,384", "-3333.3" -> "-3,333.3".
func groupDigits(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return sign + b.String()
}

// fmtInt formats an integer with thousands separators: 16,384.
func fmtInt[T ~int | ~int64](n T) string { return groupDigits(strconv.FormatInt(int64(n), 10)) }

// fmtFloat formats x with the given decimals and thousands separators.
func fmtFloat(x float64, decimals int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "n/a"
	}
	if x == 0 {
		x = 0 // no "-0"
	}
	return groupDigits(strconv.FormatFloat(x, 'f', decimals, 64))
}

// fmtRPS formats a throughput: 3,333.3.
func fmtRPS(x float64) string { return fmtFloat(x, DecimalsRPS) }

// fmtMS formats milliseconds with precision that fits their size:
// 0.412, 4.80, 37.41, 1,204.
func fmtMS(x float64) string {
	switch {
	case x < 1:
		return fmtFloat(x, 3)
	case x < 100:
		return fmtFloat(x, 2)
	}
	return fmtFloat(x, 0)
}

// fmtPct formats a success rate (0..1) as a percentage with two decimals,
// truncated rather than rounded, so that a rate with any failure never
// reads as 100%: 0.99996 -> 99.99%, 1 -> 100%.
func fmtPct(rate float64) string {
	if rate >= 1 {
		return "100%"
	}
	if rate < 0 || math.IsNaN(rate) {
		return "n/a"
	}
	hundredths := math.Floor(rate*10000 + 1e-6)
	if hundredths >= 10000 {
		hundredths = 9999
	}
	return fmt.Sprintf("%.2f%%", hundredths/100)
}

// countEntry is one class of a counter map.
type countEntry struct {
	Name string
	N    int64
}

// sortedCounts returns the non-zero entries, largest first, then by name.
func sortedCounts(m map[string]int64) []countEntry {
	var out []countEntry
	for k, v := range m {
		if v != 0 {
			out = append(out, countEntry{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// topCounts formats the largest classes of a counter map:
// "`connect_timeout` 3,592, `reset` 12 (+2 more)"; "none" when all are zero.
func topCounts(m map[string]int64, top int) string {
	entries := sortedCounts(m)
	if len(entries) == 0 {
		return "none"
	}
	var parts []string
	for i, e := range entries {
		if i == top {
			parts[len(parts)-1] += fmt.Sprintf(" (+%d more)", len(entries)-top)
			break
		}
		parts = append(parts, fmt.Sprintf("`%s` %s", e.Name, fmtInt(e.N)))
	}
	return strings.Join(parts, ", ")
}

// fmtCPUs formats a CPU list: "0", "0, 1".
func fmtCPUs(cpus []int) string {
	parts := make([]string, len(cpus))
	for i, c := range cpus {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ", ")
}

// plural returns "1 client" or "2 clients".
func plural[T ~int | ~int64](n T, one, many string) string {
	if n == 1 {
		return fmtInt(n) + " " + one
	}
	return fmtInt(n) + " " + many
}
