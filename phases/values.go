package phases

import (
	"fmt"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written in phase files as a Go duration
// string: "3s", "500ms", "1m30s". A bare number other than 0 is refused:
// the unit must be explicit.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d the way time.Duration does ("3s", "500ms").
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML decodes a duration string. Errors use yaml.v3's own
// "cannot unmarshal" form so that they are reported with the file, line and
// field like every other type error.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" && n.Value == "0" {
		*d = 0 // zero needs no unit
		return nil
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return typeError(n, "phases.Duration")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return typeError(n, "phases.Duration")
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// PortRange is an inclusive range of local ports, written [low, high].
// The zero value means "not set".
type PortRange [2]int

// IsZero reports whether the range is unset.
func (r PortRange) IsZero() bool { return r == PortRange{} }

// Size returns the number of ports in the range (0 when unset).
func (r PortRange) Size() int {
	if r.IsZero() {
		return 0
	}
	return r[1] - r[0] + 1
}

// String formats the range as the kernel writes ip_local_port_range.
func (r PortRange) String() string { return fmt.Sprintf("%d %d", r[0], r[1]) }

// UnmarshalYAML decodes a two-element list of integers.
func (r *PortRange) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return typeError(n, "phases.PortRange")
	}
	var out PortRange
	for i, c := range n.Content {
		if c.Kind != yaml.ScalarNode || c.ShortTag() != "!!int" {
			return typeError(c, "int")
		}
		v, err := strconv.ParseInt(c.Value, 0, 32)
		if err != nil {
			return typeError(c, "int")
		}
		out[i] = int(v)
	}
	*r = out
	return nil
}

// MarshalYAML writes the range as a flow list: [49152, 65535].
func (r PortRange) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, v := range r {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)})
	}
	return n, nil
}

// typeError reports n as not decodable into the named Go type, in the exact
// form yaml.v3 uses for its own type errors.
func typeError(n *yaml.Node, into string) error {
	value := ""
	if n.Kind == yaml.ScalarNode {
		value = " `" + n.Value + "`"
	}
	return &yaml.TypeError{Errors: []string{
		fmt.Sprintf("line %d: cannot unmarshal %s%s into %s", n.Line, n.ShortTag(), value, into),
	}}
}
