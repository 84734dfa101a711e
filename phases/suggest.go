package phases

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/scalelab/scalelab/internal/suggest"
)

// schemaField is one field a phase file can hold.
type schemaField struct {
	parent string // path of the mapping that holds it; "" at the top level
	name   string
}

// schemaFields lists every field of a phase file, in the order of Phase.
var schemaFields = sync.OnceValue(func() []schemaField {
	var out []schemaField
	var add func(t reflect.Type, parent string)
	add = func(t reflect.Type, parent string) {
		for _, f := range reflect.VisibleFields(t) {
			name := yamlName(f)
			if name == "" {
				continue
			}
			out = append(out, schemaField{parent: parent, name: name})
			if ft := f.Type; ft.Kind() == reflect.Struct {
				add(ft, joinPath(parent, name))
			}
		}
	}
	add(reflect.TypeOf(Phase{}), "")
	return out
})

// unknownField explains that the mapping at path parent has no field name:
// it names the closest known field when one is close (in that mapping or
// another), else lists the fields the mapping takes.
func unknownField(parent, name string) string {
	msg := "unknown field"
	if parent == "" {
		msg += " at the top level"
	}
	if hint := nearestField(parent, name); hint != "" {
		return msg + "; did you mean " + hint + "?"
	}
	var names []string
	for _, f := range schemaFields() {
		if f.parent == parent {
			names = append(names, f.name)
		}
	}
	where := parent
	if where == "" {
		where = "a phase file"
	}
	return fmt.Sprintf("%s; %s takes %s", msg, where, strings.Join(names, ", "))
}

// nearestField returns the known field closest to name, found in the
// mapping at path parent, as `"workers"`, or elsewhere, as `"clients" under
// "sweep"`; "" when none is close. Case, dashes and underscores do not
// count; beyond that, one edit is close for names under 5 characters and two
// for longer ones. An exact match elsewhere beats a near one in the same
// mapping, which beats a near one elsewhere.
func nearestField(parent, name string) string {
	const maxName = 64 // longer keys are not typos of a field name
	if len(name) > maxName {
		return ""
	}
	key := suggest.Normalize(name)
	limit := suggest.Tolerance(key)
	var best *schemaField
	bestScore := 2*limit + 2
	fields := schemaFields()
	for i := range fields {
		f := &fields[i]
		d := suggest.Distance(key, suggest.Normalize(f.name))
		if d > limit {
			continue
		}
		score := 2 * d
		if f.parent != parent {
			score++
		}
		if score < bestScore {
			best, bestScore = f, score
		}
	}
	switch {
	case best == nil:
		return ""
	case best.parent == parent:
		return fmt.Sprintf("%q", best.name)
	case best.parent == "":
		return fmt.Sprintf("%q at the top level", best.name)
	}
	return fmt.Sprintf("%q under %q", best.name, best.parent)
}
