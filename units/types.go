package units

import (
	"encoding/json"
	"math"
)

// Written precision of each quantity, in decimals.
const (
	DecimalsMillis    = 3 // latencies: microsecond resolution
	DecimalsPerSecond = 1 // throughput
	DecimalsRatio     = 4 // success rates: hundredths of a percent
	DecimalsPercent   = 1 // CPU shares
	DecimalsMB        = 1 // memory
	DecimalsSeconds   = 3 // durations
	DecimalsMicros    = 1 // CPU time per request
)

// Round rounds x to the given decimals; NaN and infinities pass through and
// -0 becomes 0.
func Round(x float64, decimals int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow10(decimals)
	r := math.Round(x*p) / p
	if r == 0 {
		return 0
	}
	return r
}

// Millis is a duration in milliseconds (latency, connect time).
type Millis float64

// PerSecond is a rate of events per second (throughput).
type PerSecond float64

// Ratio is a share between 0 and 1 (success rate).
type Ratio float64

// Percent is a share in percent, where 100 is one whole core.
type Percent float64

// MB is an amount of memory in mebibytes.
type MB float64

// Seconds is a duration in seconds.
type Seconds float64

// Micros is a duration in microseconds (CPU time per request).
type Micros float64

// Rounded returns the value as it is written.
func (v Millis) Rounded() Millis { return Millis(Round(float64(v), DecimalsMillis)) }

// Rounded returns the value as it is written.
func (v PerSecond) Rounded() PerSecond { return PerSecond(Round(float64(v), DecimalsPerSecond)) }

// Rounded returns the value as it is written.
func (v Ratio) Rounded() Ratio { return Ratio(Round(float64(v), DecimalsRatio)) }

// Rounded returns the value as it is written.
func (v Percent) Rounded() Percent { return Percent(Round(float64(v), DecimalsPercent)) }

// Rounded returns the value as it is written.
func (v MB) Rounded() MB { return MB(Round(float64(v), DecimalsMB)) }

// Rounded returns the value as it is written.
func (v Seconds) Rounded() Seconds { return Seconds(Round(float64(v), DecimalsSeconds)) }

// Rounded returns the value as it is written.
func (v Micros) Rounded() Micros { return Micros(Round(float64(v), DecimalsMicros)) }

// MarshalYAML writes the value rounded to its precision.
func (v Millis) MarshalYAML() (any, error) { return float64(v.Rounded()), nil }

// MarshalYAML writes the value rounded to its precision.
func (v PerSecond) MarshalYAML() (any, error) { return float64(v.Rounded()), nil }

// MarshalYAML writes the value rounded to its precision.
func (v Ratio) MarshalYAML() (any, error) { return float64(v.Rounded()), nil }

// MarshalYAML writes the value rounded to its precision.
func (v Percent) MarshalYAML() (any, error) { return float64(v.Rounded()), nil }

// MarshalYAML writes the value rounded to its precision.
func (v MB) MarshalYAML() (any, error) { return float64(v.Rounded()), nil }

// MarshalYAML writes the value rounded to its precision.
func (v Seconds) MarshalYAML() (any, error) { return float64(v.Rounded()), nil }

// MarshalYAML writes the value rounded to its precision.
func (v Micros) MarshalYAML() (any, error) { return float64(v.Rounded()), nil }

// jsonFloat writes x, or null when it is not a number JSON can hold.
func jsonFloat(x float64) ([]byte, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(x)
}

// MarshalJSON writes the value rounded to its precision.
func (v Millis) MarshalJSON() ([]byte, error) { return jsonFloat(float64(v.Rounded())) }

// MarshalJSON writes the value rounded to its precision.
func (v PerSecond) MarshalJSON() ([]byte, error) { return jsonFloat(float64(v.Rounded())) }

// MarshalJSON writes the value rounded to its precision.
func (v Ratio) MarshalJSON() ([]byte, error) { return jsonFloat(float64(v.Rounded())) }

// MarshalJSON writes the value rounded to its precision.
func (v Percent) MarshalJSON() ([]byte, error) { return jsonFloat(float64(v.Rounded())) }

// MarshalJSON writes the value rounded to its precision.
func (v MB) MarshalJSON() ([]byte, error) { return jsonFloat(float64(v.Rounded())) }

// MarshalJSON writes the value rounded to its precision.
func (v Seconds) MarshalJSON() ([]byte, error) { return jsonFloat(float64(v.Rounded())) }

// MarshalJSON writes the value rounded to its precision.
func (v Micros) MarshalJSON() ([]byte, error) { return jsonFloat(float64(v.Rounded())) }

// String formats the value with its unit: "4.80 ms".
func (v Millis) String() string { return MS(float64(v)) }

// String formats the value: "25,922 rps".
func (v PerSecond) String() string { return Rate(float64(v)) + "/s" }

// String formats the value as a percentage: "99.99%".
func (v Ratio) String() string { return Pct(float64(v)) }

// String formats the value: "88%".
func (v Percent) String() string { return WholePct(float64(v)) }

// String formats the value: "15.7 MB".
func (v MB) String() string { return Float(float64(v), 1) + " MB" }

// String formats the value: "3.000 s".
func (v Seconds) String() string { return Float(float64(v), DecimalsSeconds) + " s" }

// String formats the value: "12.5 µs".
func (v Micros) String() string { return Float(float64(v), DecimalsMicros) + " µs" }
