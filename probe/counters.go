package probe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Counters holds the tables of /proc/net/netstat or /proc/net/snmp: each
// section ("TcpExt", "Tcp", ...) maps field names to values, as in
// c["TcpExt"]["ListenOverflows"].
type Counters map[string]map[string]int64

// Get returns one value and whether the kernel reported it.
func (c Counters) Get(section, field string) (int64, bool) {
	v, ok := c[section][field]
	return v, ok
}

// maxLine bounds one line of a proc file (TcpExt's header is ~3 KB).
const maxLine = 1 << 20

// errFormat marks input that does not have the expected layout.
var errFormat = errors.New("malformed input")

// parseCounters parses the "Section: name name ..." / "Section: value value ..."
// line pairs shared by /proc/net/netstat and /proc/net/snmp.
func parseCounters(r io.Reader) (Counters, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 8192), maxLine)
	c := Counters{}
	var header []byte // the pending names line, nil when none
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if header == nil {
			header = append([]byte(nil), b...)
			continue
		}
		sec, names, err := splitSection(header)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line-1, err)
		}
		vsec, values, err := splitSection(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if sec != vsec {
			return nil, fmt.Errorf("line %d: %w: values of section %q follow names of %q", line, errFormat, vsec, sec)
		}
		if len(names) != len(values) {
			return nil, fmt.Errorf("line %d: %w: section %s has %d names and %d values", line, errFormat, sec, len(names), len(values))
		}
		m := c[sec]
		if m == nil {
			m = make(map[string]int64, len(names))
			c[sec] = m
		}
		for i, name := range names {
			v, err := strconv.ParseInt(values[i], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s %s: %w", line, sec, name, err)
			}
			m[name] = v
		}
		header = nil
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if header != nil {
		return nil, fmt.Errorf("line %d: %w: names without values", line, errFormat)
	}
	return c, nil
}

// splitSection splits "Section: a b c" into "Section" and its fields.
func splitSection(b []byte) (string, []string, error) {
	i := bytes.IndexByte(b, ':')
	if i <= 0 {
		return "", nil, fmt.Errorf("%w: no \"Section:\" prefix in %.40q", errFormat, b)
	}
	sec := string(bytes.TrimSpace(b[:i]))
	if sec == "" || strings.ContainsAny(sec, " \t") {
		return "", nil, fmt.Errorf("%w: bad section name %.40q", errFormat, sec)
	}
	return sec, strings.Fields(string(b[i+1:])), nil
}

// Sections returns the section names in sorted order.
func (c Counters) Sections() []string {
	s := make([]string, 0, len(c))
	for k := range c {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// gauges lists the snmp/netstat fields that are current values, not
// monotonic counters: a delta keeps their after-value.
var gauges = map[string]map[string]bool{
	"Ip":       {"Forwarding": true, "DefaultTTL": true},
	"Tcp":      {"RtoAlgorithm": true, "RtoMin": true, "RtoMax": true, "MaxConn": true, "CurrEstab": true},
	"MPTcpExt": {"MPCurrEstab": true},
}

// IsGauge reports whether section.field is a current value (CurrEstab,
// RtoMin, ...) rather than a counter that only grows.
func IsGauge(section, field string) bool { return gauges[section][field] }

// DeltaCounters returns after minus before for every counter in after; gauges
// keep their after-value. A counter absent from before, or one that went
// backwards (the namespace was replaced), keeps its after-value and is named
// in the warnings.
func DeltaCounters(before, after Counters) (Counters, []string) {
	d := make(Counters, len(after))
	var warn []string
	for _, sec := range after.Sections() {
		am := after[sec]
		bm, hadSection := before[sec]
		if !hadSection {
			warn = append(warn, fmt.Sprintf("section %s missing before: its delta is its value after", sec))
		}
		dm := make(map[string]int64, len(am))
		for name, av := range am {
			if IsGauge(sec, name) {
				dm[name] = av
				continue
			}
			bv, ok := bm[name]
			switch {
			case !ok:
				dm[name] = av
				if hadSection {
					warn = append(warn, fmt.Sprintf("%s.%s missing before: its delta is its value after", sec, name))
				}
			case av < bv:
				dm[name] = av
				warn = append(warn, fmt.Sprintf("%s.%s went backwards (%d -> %d): counters were reset", sec, name, bv, av))
			default:
				dm[name] = av - bv
			}
		}
		d[sec] = dm
	}
	sort.Strings(warn)
	return d, warn
}

// field binds a kernel field name to the struct field that receives it.
type field[T any] struct {
	name string
	ptr  func(*T) *int64
}

// fill copies section's values into v through fields and returns the names
// ("Section.Field") the kernel did not report.
func fill[T any](c Counters, section string, v *T, fields []field[T]) []string {
	var missing []string
	m := c[section]
	for _, f := range fields {
		x, ok := m[f.name]
		if !ok {
			missing = append(missing, section+"."+f.name)
			continue
		}
		*f.ptr(v) = x
	}
	return missing
}
