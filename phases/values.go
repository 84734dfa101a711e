package phases

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
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

// durationWant describes what a duration field takes.
const durationWant = `a duration such as "3s" or "500ms"`

// UnmarshalYAML decodes a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error { return decodeWith(d, n) }

// decodeNode implements nodeDecoder: the checks of UnmarshalYAML, with the
// node at fault when they fail.
func (d *Duration) decodeNode(n *yaml.Node) *badValue {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int" {
		var v int64
		if err := n.Decode(&v); err == nil && v == 0 {
			*d = 0 // zero needs no unit
			return nil
		}
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		got := describeValue(n)
		if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!float") {
			got += " without a unit"
		}
		return &badValue{node: n, elem: -1, msg: "expected " + durationWant + ", got " + got}
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return &badValue{node: n, elem: -1, msg: "expected " + durationWant + ", got " + describeValue(n)}
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

// portRangeWant describes what a port range field takes.
const portRangeWant = "a list of two ports such as [32768, 60999]"

// UnmarshalYAML decodes a two-element list of integers.
func (r *PortRange) UnmarshalYAML(n *yaml.Node) error { return decodeWith(r, n) }

// decodeNode implements nodeDecoder: the checks of UnmarshalYAML, with the
// node (and element) at fault when they fail.
func (r *PortRange) decodeNode(n *yaml.Node) *badValue {
	n = resolveAlias(n)
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return &badValue{node: n, elem: -1, msg: "expected " + portRangeWant + ", got " + describeValue(n)}
	}
	var out PortRange
	for i, c := range n.Content {
		v := reflect.ValueOf(&out[i]).Elem()
		if msg := decodeInt(resolveAlias(c), v); msg != "" {
			return &badValue{node: c, elem: i, msg: msg}
		}
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

// nodeDecoder is implemented by the phase file types that decode
// themselves (Duration, PortRange): the walk of a phase file asks them
// whether a node fits, with the same code their UnmarshalYAML runs.
type nodeDecoder interface {
	decodeNode(n *yaml.Node) *badValue
}

// decodeWith runs d's decodeNode for its UnmarshalYAML.
func decodeWith(d nodeDecoder, n *yaml.Node) error {
	if bad := d.decodeNode(n); bad != nil {
		return bad
	}
	return nil
}

// badValue is a value a type cannot decode: the node at fault, the index
// of the element at fault in a list (-1: the value itself) and what was
// expected.
type badValue struct {
	node *yaml.Node
	elem int
	msg  string
}

// Error formats the problem as "line N: message".
func (b *badValue) Error() string { return fmt.Sprintf("line %d: %s", b.node.Line, b.msg) }

// resolveAlias returns the node an alias stands for, or n itself.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// decodeInt decodes the scalar n into the integer out, more strictly than
// yaml.v3: a number with a fraction or an exponent is not truncated, a
// number beyond the integer's range is not rounded, and a leading zero
// (read by YAML as octal: 010 is 8) is refused. It returns what is wrong,
// or "".
func decodeInt(n *yaml.Node, out reflect.Value) string {
	if n.Kind != yaml.ScalarNode {
		return "expected an integer, got " + describeValue(n)
	}
	switch n.ShortTag() {
	case "!!float":
		// yaml.v3 reads an integer beyond 64 bits as a float, which it
		// would round into the field.
		var f float64
		if n.Style&yaml.TaggedStyle == 0 && integerText(n.Value) || n.Decode(&f) == nil && f == math.Trunc(f) && (f >= 1<<63 || f < -1<<63) {
			return outOfRange(n)
		}
		return "expected an integer, got " + describeValue(n)
	case "!!int":
		if err := n.Decode(out.Addr().Interface()); err != nil {
			if n.Style&yaml.TaggedStyle == 0 || integerText(n.Value) {
				return outOfRange(n)
			}
			return "expected an integer, got " + describeValue(n)
		}
		if leadingZero(n.Value) {
			return fmt.Sprintf("%s has a leading zero, so YAML reads it as the octal number %d; write it without the zero",
				truncate(n.Value), out.Int())
		}
		return ""
	}
	if err := n.Decode(out.Addr().Interface()); err != nil {
		return "expected an integer, got " + describeValue(n)
	}
	return ""
}

// outOfRange describes an integer too large for the field's type.
func outOfRange(n *yaml.Node) string {
	if strings.HasPrefix(n.Value, "-") {
		return truncate(n.Value) + " is too small for an integer"
	}
	return truncate(n.Value) + " is too large for an integer"
}

// integerText reports whether s is written as a decimal integer.
func integerText(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789_") == ""
}

// leadingZero reports whether a decimal integer is written with a leading
// zero (010, -07), which YAML 1.1 reads as octal.
func leadingZero(s string) bool {
	s = strings.ReplaceAll(strings.TrimLeft(s, "+-"), "_", "")
	return len(s) > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9'
}
