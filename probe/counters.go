package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
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
	c := Counters{}
	var header []byte // the pending names line, nil when none
	headerLine := 0
	lines, err := eachLine(r, func(n int, b []byte) error {
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return nil
		}
		if header == nil {
			header, headerLine = append([]byte(nil), b...), n
			return nil
		}
		sec, names, err := splitSection(header)
		if err != nil {
			return atLine(headerLine, err)
		}
		vsec, values, err := splitSection(b)
		if err != nil {
			return err
		}
		if sec != vsec {
			return fmt.Errorf("%w: values of section %q follow names of %q", errFormat, vsec, sec)
		}
		if len(names) != len(values) {
			return fmt.Errorf("%w: section %s has %d names and %d values", errFormat, sec, len(names), len(values))
		}
		m := c.section(sec, len(names))
		for i, name := range names {
			v, err := strconv.ParseInt(values[i], 10, 64)
			if err != nil {
				return fmt.Errorf("%s %s: %w", sec, name, err)
			}
			m[name] = v
		}
		header = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	if header != nil {
		return nil, atLine(lines, fmt.Errorf("%w: names without values", errFormat))
	}
	return c, nil
}

// counters reads a counters table of the network namespace process pid
// lives in: /proc/PID/net/<file>, file being netstat or snmp.
func (fs FS) counters(pid int, file string) (Counters, error) {
	return readWith(fs, parseCounters, pid, "net", file)
}

// section returns the table of sec, made with room for n values when new.
func (c Counters) section(sec string, n int) map[string]int64 {
	m := c[sec]
	if m == nil {
		m = make(map[string]int64, n)
		c[sec] = m
	}
	return m
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

// sectionOf returns section's values as the struct T (see fill) and the
// names the kernel did not report.
func sectionOf[T any](c Counters, section string) (T, []string) {
	var t T
	missing := fill(c, section, &t)
	return t, missing
}

// fill copies section's values into the int64 fields of the struct v
// points to, each named as the kernel spells it: its `proc:"name"` tag, or
// else the Go field name (TcpExt's ListenOverflows). Fields tagged
// `proc:"-"` are left alone. It returns the names ("Section.Field") the
// kernel did not report.
func fill(c Counters, section string, v any) []string {
	var missing []string
	m := c[section]
	rv := reflect.ValueOf(v).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name := f.Tag.Get("proc")
		if name == "-" || f.Type.Kind() != reflect.Int64 {
			continue
		}
		if name == "" {
			name = f.Name
		}
		x, ok := m[name]
		if !ok {
			missing = append(missing, section+"."+name)
			continue
		}
		rv.Field(i).SetInt(x)
	}
	return missing
}
