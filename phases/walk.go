package phases

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/scalelab/scalelab/units"
)

// The walk checks a phase file's node tree against the Phase struct, by
// reflection over its yaml tags, before yaml.v3 decodes the file. It finds
// every problem yaml.v3's strict decoding would find (unknown fields,
// repeated keys, values that do not fit their field's type) and some it
// lets through (numbers with a fraction or beyond int, octal-looking
// numbers, fields with no value), each located at the line where the value
// is used and named by its field. It also decodes what fits, so that the
// rest of the file can be validated when some of it is wrong.

// maxAliased bounds the keys and values the walk visits through aliases.
// A phase file needs a few aliases at most; the bound stops alias bombs,
// and it is well below the point where yaml.v3 itself gives up ("excessive
// aliasing", never below 990 aliased values, which count a few things the
// walk does not), so that yaml.v3 never finds what the walk let through.
const maxAliased = 300

// site is where a value is used in the file: the line to blame and, for a
// value reached through an alias, the first alias on the way from the root.
type site struct {
	line  int
	alias *yaml.Node
}

// at returns the site of n, a node below the value at s: its own line,
// unless the way went through an alias, whose line stays the one to blame.
func (s site) at(n *yaml.Node) site {
	if s.alias != nil {
		return s
	}
	return site{line: n.Line}
}

// through returns the site of the value the alias a stands for.
func (s site) through(a *yaml.Node) site {
	if s.alias != nil {
		return s
	}
	return site{line: a.Line, alias: a}
}

// note tells where a value reached through an alias comes from.
func (s site) note() string {
	if s.alias == nil || s.alias.Alias == nil {
		return ""
	}
	return fmt.Sprintf(" (via *%s, from &%s at line %d)", s.alias.Value, s.alias.Value, s.alias.Alias.Line)
}

// index locates the fields of a phase file by dotted path (server.workers,
// sweep.clients[2]), aliases and merges followed, so that every problem can
// name its line.
type index struct {
	root   int             // line of the first field
	fields map[string]site // every field and list item the file sets
}

// has reports whether the file sets the field at path.
func (ix *index) has(path string) bool {
	if ix == nil {
		return false
	}
	_, ok := ix.fields[path]
	return ok
}

// site returns the site of the field at path, or of its nearest enclosing
// field when it is absent, or of the first field of the file.
func (ix *index) site(path string) site {
	if ix == nil {
		return site{}
	}
	for p := path; p != ""; p = parentPath(p) {
		if s, ok := ix.fields[p]; ok {
			return s
		}
	}
	return site{line: ix.root}
}

// parentPath returns the path of the field or list that holds path.
func parentPath(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

// fieldPath returns the path of the field that holds the value at path
// (sweep.clients for sweep.clients[2]).
func fieldPath(path string) string {
	if i := strings.IndexByte(path, '['); i >= 0 {
		return path[:i]
	}
	return path
}

// joinPath appends a mapping key to a path; keys that are not plain words
// are quoted.
func joinPath(parent, key string) string {
	if !plainKey(key) {
		key = strconv.Quote(truncate(key))
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '<') {
			return false
		}
	}
	return true
}

// walker walks one phase file.
type walker struct {
	file    string
	ix      *index
	errs    Errors
	dropped int                 // problems beyond maxErrors: counted, not kept
	aliased int                 // keys and values visited through aliases
	open    map[*yaml.Node]bool // aliases being followed: meeting one again is a cycle
	stop    bool                // aliases expanded too far: the walk is over
}

// walk checks the root mapping of a phase file against Phase and returns
// the walker (problems and index) and what fits, decoded.
func walk(file string, root *yaml.Node) (*walker, Phase) {
	w := &walker{file: file, ix: &index{root: root.Line, fields: map[string]site{}}, open: map[*yaml.Node]bool{}}
	var p Phase
	w.mapping(root, reflect.ValueOf(&p).Elem(), "", site{line: root.Line}, map[string]bool{})
	return w, p
}

// full reports whether the walker keeps no more problems; the caller counts
// the one it found in dropped instead of building its message.
func (w *walker) full() bool {
	if len(w.errs) < maxErrors {
		return false
	}
	w.dropped++
	return true
}

// fail records a problem with the value at path, blamed on at. scope is
// the field whose validation the problem silences ("": all validation).
func (w *walker) fail(path, scope string, at site, format string, args ...any) {
	if w.full() {
		return
	}
	msg := fmt.Sprintf(format, args...) + at.note()
	if path != "" {
		msg = path + ": " + msg
	}
	w.errs = append(w.errs, &Error{File: w.file, Line: at.line, Field: path, Msg: msg, scope: scope})
}

// count counts one key or value visited through an alias and stops the
// walk when there are too many.
func (w *walker) count(path string, at site) bool {
	if at.alias == nil {
		return true
	}
	w.aliased++
	if w.aliased <= maxAliased {
		return true
	}
	w.stop = true
	w.fail(path, "", at, "aliases expand to more than %d keys and values; a phase file needs only a few", maxAliased)
	return false
}

// follow returns the node the alias a stands for, or reports a cycle.
func (w *walker) follow(a *yaml.Node, path, scope string, at site) (*yaml.Node, bool) {
	if w.open[a] || a.Alias == nil {
		w.fail(path, scope, at.at(a), "*%s stands for a value that contains it", truncate(a.Value))
		return nil, false
	}
	return a.Alias, true
}

// value checks the node n against the type of out and decodes it there.
// path names the field (or list item) and at is the site of its key.
func (w *walker) value(n *yaml.Node, out reflect.Value, path string, at site) {
	if w.stop || !w.count(path, at) {
		return
	}
	if n.Kind == yaml.AliasNode {
		target, ok := w.follow(n, path, fieldPath(path), at)
		if !ok {
			return
		}
		w.open[n] = true
		defer delete(w.open, n)
		n, at = target, at.through(n)
	}
	if _, ok := w.ix.fields[path]; !ok {
		w.ix.fields[path] = at
	}
	at = at.at(n)
	if isNull(n) {
		switch out.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Struct: // unset, empty list, empty section
			out.SetZero()
		default:
			w.fail(path, fieldPath(path), at, "no value; write one or leave the field out")
		}
		return
	}
	for out.Kind() == reflect.Pointer {
		out.Set(reflect.New(out.Type().Elem()))
		out = out.Elem()
	}
	if d, ok := out.Addr().Interface().(nodeDecoder); ok {
		if bad := d.decodeNode(n); bad != nil {
			p := path
			if bad.elem >= 0 {
				p = fmt.Sprintf("%s[%d]", path, bad.elem)
			}
			w.fail(p, fieldPath(path), at.at(bad.node), "%s", bad.msg)
		}
		return
	}
	w.typed(n, out, path, at)
}

// typed checks and decodes n into out, a value of a type without its own
// decoder.
func (w *walker) typed(n *yaml.Node, out reflect.Value, path string, at site) {
	switch out.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.mistyped(n, out.Type(), path, at)
			return
		}
		w.mapping(n, out, path, at, map[string]bool{})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.mistyped(n, out.Type(), path, at)
			return
		}
		items := reflect.MakeSlice(out.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			w.value(c, items.Index(i), fmt.Sprintf("%s[%d]", path, i), at.at(c))
		}
		out.Set(items)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if msg := decodeInt(n, out); msg != "" {
			w.fail(path, fieldPath(path), at, "%s", msg)
		}
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || n.Decode(out.Addr().Interface()) != nil {
			w.mistyped(n, out.Type(), path, at)
		}
	default: // a field type added to Phase that the walk does not know yet
		panic("phases: the walk of a phase file cannot check a field of type " + out.Type().String())
	}
}

func (w *walker) mistyped(n *yaml.Node, t reflect.Type, path string, at site) {
	w.fail(path, fieldPath(path), at, "expected %s, got %s", describeType(t), describeValue(n))
}

// mapping checks the keys of the mapping n against the fields of the struct
// out and decodes their values. set holds the fields already set: when n is
// merged into another mapping (a << key), the fields that mapping set keep
// their value, as do those set by a mapping merged before n.
func (w *walker) mapping(n *yaml.Node, out reflect.Value, path string, at site, set map[string]bool) {
	fields := structFields(out.Type())
	own := map[string]*yaml.Node{}
	var merge *yaml.Node
	for i := 0; i+1 < len(n.Content) && !w.stop; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kat := at.at(k)
		name, ok := w.key(k, path, kat)
		if !ok {
			continue
		}
		fpath := joinPath(path, name)
		if first, dup := own[name]; dup {
			w.fail(fpath, fpath, kat, "set twice (first at line %d)", first.Line)
			continue
		}
		own[name] = k
		switch {
		case isMerge(k):
			merge = v
		case set[name]: // set by the mapping this one is merged into
		default:
			set[name] = true
			if f, known := fields[name]; known {
				w.value(v, out.FieldByIndex(f.Index), fpath, kat)
			} else if !w.full() {
				w.fail(fpath, fpath, kat, "%s", unknownField(path, name))
			}
		}
	}
	if merge != nil && !w.stop {
		w.merge(merge, out, path, at, set)
	}
}

// key returns the field name the mapping key k spells, or reports why it
// spells none.
func (w *walker) key(k *yaml.Node, path string, at site) (string, bool) {
	if !w.count(path, at) {
		return "", false
	}
	if isMerge(k) {
		return k.Value, true
	}
	kn := resolveAlias(k)
	var name string
	switch {
	case kn.Kind == yaml.ScalarNode && kn.Value == "":
		w.fail(path, joinPath(path, "?"), at, "a field has no name")
		return "", false
	case kn.Kind != yaml.ScalarNode || kn.Decode(&name) != nil || name != kn.Value:
		// yaml.v3 decodes a key as a string: !!binary ones differ from
		// their text, nulls are skipped.
		w.fail(path, joinPath(path, "?"), at, "a field name is a plain word, got %s", describeValue(kn))
		return "", false
	}
	return name, true
}

// isMerge reports whether k is YAML's merge key <<, as yaml.v3 decides it.
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// merge decodes into out the mappings a << key merges: a mapping, an alias
// of one, or a list of those, the first to set a field winning.
func (w *walker) merge(v *yaml.Node, out reflect.Value, path string, at site, set map[string]bool) {
	mpath := joinPath(path, "<<")
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	for _, m := range items {
		mat := at.at(m)
		if m.Kind == yaml.AliasNode {
			target, ok := w.follow(m, mpath, path, mat)
			if !ok {
				return
			}
			w.open[m] = true
			defer delete(w.open, m)
			m, mat = target, mat.through(m)
		}
		if m.Kind != yaml.MappingNode {
			w.fail(mpath, path, mat, "merges a mapping or a list of mappings, got %s", describeValue(m))
			return
		}
		w.mapping(m, out, path, mat, set)
	}
}

// isNull reports whether n is a null that decodes as one (yaml.v3 refuses
// "!!null text").
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && n.Decode(new(any)) == nil
}

// structFields maps the yaml names of a struct's fields to the fields.
func structFields(t reflect.Type) map[string]reflect.StructField {
	fields := make(map[string]reflect.StructField, t.NumField())
	for _, f := range reflect.VisibleFields(t) {
		if name := yamlName(f); name != "" {
			fields[name] = f
		}
	}
	return fields
}

// yamlName returns the name a field has in YAML ("" when it has none).
func yamlName(f reflect.StructField) string {
	if !f.IsExported() || f.Anonymous {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return name
}

// describeType names a Go type the way a phase file's author thinks of it.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Struct:
		return "a mapping"
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.Slice:
		switch t.Elem().Kind() {
		case reflect.Int:
			return "a list of integers"
		case reflect.String:
			return "a list of strings"
		}
		return "a list"
	}
	return "a value of type " + t.String()
}

// describeValue names the value a node holds: a quoted string, a number as
// written, "a list of 3 items", "a mapping".
func describeValue(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list of " + units.Plural(len(n.Content), "item", "items")
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "*" + truncate(n.Value)
	case yaml.ScalarNode:
	default:
		return "a document"
	}
	v := truncate(n.Value)
	switch {
	case n.ShortTag() == "!!null" && n.Value == "":
		v = "nothing"
	case n.ShortTag() == "!!str":
		v = strconv.Quote(v)
	}
	if n.Style&yaml.TaggedStyle != 0 {
		v = n.Tag + " " + v
	}
	return v
}

// truncate shortens s to 40 characters at most.
func truncate(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:37]) + "..."
}
