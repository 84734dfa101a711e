package compare

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

// setting is one leaf of a configuration: its scorecard path and its value
// as a reader would write it.
type setting struct {
	key, value string
}

// unset is the value of an optional setting the phase left out: the
// system's (or the variant's) default applies.
const unset = "unset"

// settings flattens v (a struct of the scorecard) field by field, with the
// scorecard's YAML keys joined by dots: "server.variant", "limits.nofile".
func settings(prefix string, v any) []setting {
	var out []setting
	flatten(prefix, reflect.ValueOf(v), &out)
	return out
}

func flatten(prefix string, v reflect.Value, out *[]setting) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := prefix + name
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && !isLeaf(fv) {
			flatten(key+".", fv, out)
			continue
		}
		omitEmpty := strings.Contains(opts, "omitempty")
		*out = append(*out, setting{key, formatValue(fv, omitEmpty)})
	}
}

// isLeaf reports whether a struct value is written as one value.
func isLeaf(v reflect.Value) bool {
	_, ok := v.Interface().(fmt.Stringer)
	return ok
}

// formatValue writes one setting for a reader; an omitted optional field
// (zero with omitempty, or a nil pointer) is "unset".
func formatValue(v reflect.Value, omitEmpty bool) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return unset
		}
		return formatValue(v.Elem(), false)
	}
	if omitEmpty && v.IsZero() && v.Kind() != reflect.Bool {
		return unset
	}
	switch x := v.Interface().(type) {
	case phases.PortRange:
		if x.IsZero() {
			return unset
		}
		return fmt.Sprintf("%d-%d (%s ports)", x[0], x[1], units.Int(x.Size()))
	case fmt.Stringer:
		return x.String()
	}
	switch v.Kind() {
	case reflect.Bool:
		return fmt.Sprint(v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32:
		return units.Int(v.Int())
	case reflect.Float64, reflect.Float32:
		return units.Float(v.Float(), -1)
	case reflect.String:
		return v.String()
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = formatValue(v.Index(i), false)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v.Interface())
}

// machine flattens what identifies the machine and build of a run (not its
// date).
func machine(env scorecards.Environment) []setting {
	var out []setting
	for _, s := range settings("environment.", env) {
		if s.key != "environment.date" {
			out = append(out, s)
		}
	}
	return out
}

// diff returns the settings whose values differ; a and b list the same
// keys in the same order (they flatten one type).
func diff(a, b []setting) []Change {
	var out []Change
	for i := range min(len(a), len(b)) {
		if a[i].value != b[i].value {
			out = append(out, Change{Field: a[i].key, A: a[i].value, B: b[i].value})
		}
	}
	return out
}

// variantName names a server variant the way a reader says it.
func variantName(sv phases.Server) string {
	switch sv.Variant {
	case phases.VariantNetHTTP:
		return "net/http"
	case phases.VariantNaive:
		return "the naive server"
	case phases.VariantPool:
		if sv.Workers > 0 {
			return "a pool of " + units.Plural(sv.Workers, "worker", "workers")
		}
		return "a worker pool"
	}
	return string(sv.Variant)
}

// About says in one sentence what the comparison is about: what B changes
// from A, e.g. "The same load on gnet instead of net/http."
func (r *Result) About() string {
	sa, sb := r.A.Card.Config.Server, r.B.Card.Config.Server
	if len(r.Changes) == 0 {
		return "The same configuration, run twice: a difference below is run-to-run noise unless the test calls it significant."
	}
	changed := map[string]bool{}
	var others []string
	for _, c := range r.Changes {
		section, _, _ := strings.Cut(c.Field, ".")
		changed[section] = true
		if c.Field != "server.variant" {
			others = append(others, c.String())
		}
	}
	var server string
	switch {
	case sa.Variant != sb.Variant:
		server = variantName(sb) + " instead of " + variantName(sa)
	case changed["server"]:
		server = variantName(sb) + " with other server settings"
	default:
		server = "the same server (" + variantName(sb) + ")"
	}
	var s string
	if !changed["driver"] && !changed["limits"] {
		s = "The same load on " + server
	} else {
		var what []string
		if changed["driver"] {
			what = append(what, "another load")
		}
		if changed["limits"] {
			what = append(what, "other limits")
		}
		s = capitalize(server) + ", under " + strings.Join(what, " and ")
	}
	if len(others) > 0 {
		const most = 4
		if len(others) > most {
			others = append(others[:most], fmt.Sprintf("%d more in the table", len(others)-most))
		}
		s += ". Also changed: " + strings.Join(others, "; ")
	}
	return s + "."
}

// String writes the change as "server.variant: nethttp -> gnet".
func (c Change) String() string { return c.Field + ": " + c.A + " -> " + c.B }

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
