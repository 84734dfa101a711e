package attrib

import (
	"fmt"
	"math"
	"strconv"
)

// Int formats n with thousands separators: 16384 -> "16,384".
func Int[T ~int | ~int64 | ~uint64](n T) string {
	neg := n < 0
	u := uint64(n)
	if neg {
		u = uint64(-int64(n))
	}
	s := strconv.FormatUint(u, 10)
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Ms formats a duration in milliseconds with sensible precision.
func Ms(v float64) string {
	switch {
	case v >= 100:
		return Int(int64(math.Round(v))) + " ms"
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 1, 64) + " ms"
	default:
		return strconv.FormatFloat(v, 'f', 3, 64) + " ms"
	}
}

// Pct formats a 0..1 ratio as a percentage: 0.6408 -> "64.08%".
func Pct(r float64) string { return fmt.Sprintf("%.2f%%", r*100) }

func cores(n int) string {
	if n == 1 {
		return "1 core"
	}
	return strconv.Itoa(n) + " cores"
}
