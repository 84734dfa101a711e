package phases

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds the size of a phase file; real ones are under 2 KiB.
const MaxFileSize = 1 << 20

// maxErrors bounds how many problems one file reports.
const maxErrors = 50

// Error is one problem in a phase file. Its text is "file:line: message"
// (or "file: message" when no line applies); the message names the field.
type Error struct {
	File  string // the path or name the phase was read from
	Line  int    // 1-based line of the field; 0 when unknown
	Field string // dotted path of the field, e.g. server.workers; "" for the whole file
	Msg   string // the message, naming the field

	scope string // decode errors: the field whose value failed to decode ("" for the whole file)
}

// Error formats the problem as file:line: message.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem found in one phase file, ordered by line.
type Errors []*Error

// Error joins the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	if len(es) > maxErrors {
		rest := len(es) - maxErrors
		es = append(es[:maxErrors:maxErrors], &Error{File: es[0].File, Msg: fmt.Sprintf("%d more problems not shown", rest)})
	}
	return es
}

// Load reads, decodes, defaults and validates the phase file at path.
// Its Source is path.
func Load(path string) (*Phase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("phases: load: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("phases: load %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse decodes, defaults and validates one phase file. name is used in
// error messages and recorded as the phase's Source. The error, when not
// nil, is an Errors value listing every problem found at that stage.
func Parse(name string, data []byte) (*Phase, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: name, Msg: fmt.Sprintf("file is larger than %d bytes; a phase file is a few lines of YAML", MaxFileSize)}}
	}
	root, errs := parseTree(name, data)
	if errs != nil {
		return nil, errs
	}
	ix := newIndex(root)

	var p Phase
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, Errors{syntaxError(name, err)}
		}
		for _, msg := range te.Errors {
			errs = append(errs, ix.typeError(name, msg))
		}
	}
	errs = append(errs, ix.fractions(name)...)
	p.Source = name
	p.fillDefaults(ix.has)
	// Fields that failed to decode hold zeros: check the rest, but do not
	// report what follows from those zeros.
	if skip, ok := skipAfter(errs); ok {
		errs = append(errs, check(&p, name, ix, skip)...)
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return &p, nil
}

// dependents lists fields whose defaults derive from another field.
var dependents = map[string][]string{
	"driver.timeout":             {"driver.connect_timeout"},
	"driver.requests_per_client": {"driver.duration"},
}

// skipAfter returns the rule that silences validation of fields related to
// ones that failed to decode. ok is false when a failure could not be
// located, and validation should not run at all.
func skipAfter(typeErrs Errors) (skip func(path string) bool, ok bool) {
	var bad []string
	for _, e := range typeErrs {
		if e.scope == "" {
			return nil, false
		}
		bad = append(bad, e.scope)
		bad = append(bad, dependents[e.scope]...)
	}
	return func(path string) bool {
		for _, b := range bad {
			if related(path, b) {
				return true
			}
		}
		return false
	}, true
}

// related reports whether one path is the other or encloses it.
func related(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || (strings.HasPrefix(b, a) && (b[len(a)] == '.' || b[len(a)] == '['))
}

// parseTree parses data into a node tree and checks that it holds exactly
// one document whose root is a mapping.
func parseTree(name string, data []byte) (*yaml.Node, Errors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: name, Msg: "empty file: a phase file is one YAML mapping that starts with \"schema: " + Schema + "\""}}
		}
		return nil, Errors{syntaxError(name, err)}
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, Errors{{File: name, Line: documentLine(&extra), Msg: "a second YAML document starts here; a phase file holds exactly one"}}
	case !errors.Is(err, io.EOF):
		return nil, Errors{syntaxError(name, err)}
	}
	if len(doc.Content) == 0 {
		return nil, Errors{{File: name, Msg: "empty document: a phase file is one YAML mapping that starts with \"schema: " + Schema + "\""}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		what := kindName(root)
		if root.ShortTag() == "!!null" && root.Value == "" {
			return nil, Errors{{File: name, Msg: "empty document: a phase file is one YAML mapping that starts with \"schema: " + Schema + "\""}}
		}
		return nil, Errors{{File: name, Line: root.Line, Msg: "a phase file is a mapping of fields (schema: ..., number: ...), found " + what}}
	}
	return root, nil
}

// documentLine returns the line where a document's content starts.
func documentLine(doc *yaml.Node) int {
	if len(doc.Content) > 0 {
		return doc.Content[0].Line
	}
	return doc.Line
}

var reSyntax = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error ("yaml: line 3: ...") into an Error.
func syntaxError(name string, err error) *Error {
	msg := err.Error()
	if m := reSyntax.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: m[2]}
	}
	return &Error{File: name, Msg: strings.TrimPrefix(msg, "yaml: ")}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a single value"
}

// entry is one node of the tree with its dotted path.
type entry struct {
	path string
	key  *yaml.Node // nil for list items
	val  *yaml.Node
}

// index locates fields of a phase file by path and by line, so that every
// error can name the line and the field.
type index struct {
	root   *yaml.Node
	byPath map[string]entry
	keys   map[int][]entry // mapping keys by line
	vals   map[int][]entry // values and list items by line

	reported map[*yaml.Node]bool // values already named by an error
}

func newIndex(root *yaml.Node) *index {
	ix := &index{root: root, byPath: map[string]entry{}, keys: map[int][]entry{}, vals: map[int][]entry{},
		reported: map[*yaml.Node]bool{}}
	ix.walk(root, "")
	return ix
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (ix *index) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			e := entry{path: joinPath(path, k.Value), key: k, val: v}
			if _, dup := ix.byPath[e.path]; !dup {
				ix.byPath[e.path] = e
			}
			ix.keys[k.Line] = append(ix.keys[k.Line], e)
			ix.vals[v.Line] = append(ix.vals[v.Line], e)
			ix.walk(v, e.path)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			e := entry{path: fmt.Sprintf("%s[%d]", path, i), val: c}
			if _, dup := ix.byPath[e.path]; !dup {
				ix.byPath[e.path] = e
			}
			ix.vals[c.Line] = append(ix.vals[c.Line], e)
			ix.walk(c, e.path)
		}
	}
	// Alias nodes are not followed: their target is indexed where it is defined.
}

// has reports whether the file sets the field at path.
func (ix *index) has(path string) bool {
	if ix == nil {
		return false
	}
	_, ok := ix.byPath[path]
	return ok
}

// line returns the line of the field at path, or of its nearest enclosing
// field when it is absent, or of the first field of the file.
func (ix *index) line(path string) int {
	if ix == nil {
		return 0
	}
	for p := path; p != ""; {
		if e, ok := ix.byPath[p]; ok {
			if e.key != nil {
				return e.key.Line
			}
			return e.val.Line
		}
		if i := strings.LastIndexAny(p, ".["); i >= 0 {
			p = p[:i]
		} else {
			p = ""
		}
	}
	return ix.root.Line
}

// parentName names the mapping that holds the field at path.
func parentName(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[:i]
	}
	return ""
}

var (
	reNotFound  = regexp.MustCompile(`(?s)^line (\d+): field (.*) not found in type \S+$`)
	reDuplicate = regexp.MustCompile(`(?s)^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	reUnmarshal = regexp.MustCompile("(?s)^line (\\d+): cannot unmarshal (!!\\w+)(?: `(.*)`)? into (.+)$")
	reAnyLine   = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
)

// typeError rewrites one of yaml.v3's type error lines as file:line: message
// naming the field.
func (ix *index) typeError(name, msg string) *Error {
	if m := reNotFound.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := m[2]
		for _, e := range ix.keys[line] {
			if e.key.Value == m[2] {
				path = e.path
				break
			}
		}
		where := "at the top level"
		if parent := parentName(path); parent != "" {
			where = "in " + parent
		}
		return &Error{File: name, Line: line, Field: path, scope: path, Msg: fmt.Sprintf("field %q not found %s", m[2], where)}
	}
	if m := reDuplicate.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := m[2]
		for _, e := range ix.keys[line] {
			if e.key.Value == m[2] {
				path = e.path
				break
			}
		}
		// yaml.v3 skips the whole mapping that holds a repeated key.
		return &Error{File: name, Line: line, Field: path, scope: parentName(path), Msg: fmt.Sprintf("%s: set twice (first at line %s)", path, m[3])}
	}
	if m := reUnmarshal.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		tag, value, into := m[2], m[3], m[4]
		found := ix.match(line, tag, value, into)
		if found == nil {
			return &Error{File: name, Line: line, Msg: fmt.Sprintf("expected %s, got %s", describeType(into), describeValue(nil, tag, value))}
		}
		return &Error{File: name, Line: line, Field: found.path, scope: found.path,
			Msg: fmt.Sprintf("%s: expected %s, got %s", found.path, describeType(into), describeValue(found.val, tag, value))}
	}
	if m := reAnyLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: name, Line: line, Msg: m[2]}
	}
	return &Error{File: name, Msg: msg}
}

// match finds the value yaml.v3 described at line: the first one not yet
// reported whose tag and text match and whose field has the Go type the
// message names (several values can share a line in flow style).
func (ix *index) match(line int, tag, value, into string) *entry {
	var fallback *entry
	for i := range ix.vals[line] {
		e := &ix.vals[line][i]
		if ix.reported[e.val] || !valueMatches(e.val, tag, value) {
			continue
		}
		if t := typeAt(e.path); t != nil && t.String() == into {
			ix.reported[e.val] = true
			return e
		}
		if fallback == nil {
			fallback = e
		}
	}
	if fallback != nil {
		ix.reported[fallback.val] = true
	}
	return fallback
}

// typeAt returns the Go type that decodes the field at a dotted path of a
// phase file (pointers removed), or nil when no field has that path.
func typeAt(path string) reflect.Type {
	t := reflect.TypeOf(Phase{})
	for _, seg := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name != "" || t.Kind() == reflect.Struct {
			f, ok := fieldByTag(t, name)
			if !ok {
				return nil
			}
			t = f.Type
		}
		for ; rest != ""; _, rest, _ = strings.Cut(rest, "[") {
			if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
				return nil
			}
			t = t.Elem()
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
	}
	return t
}

// fieldByTag finds the struct field whose yaml tag names key.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key && name != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// fractions reports numbers with a fraction written where an integer is
// expected: yaml.v3 would silently truncate workers: 1.5 to 1.
func (ix *index) fractions(name string) Errors {
	var errs Errors
	for _, e := range ix.byPath {
		t := typeAt(e.path)
		if t == nil || ix.reported[e.val] || e.val.Kind != yaml.ScalarNode || e.val.ShortTag() != "!!float" {
			continue
		}
		switch t.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			errs = append(errs, &Error{File: name, Line: e.val.Line, Field: e.path, scope: e.path,
				Msg: fmt.Sprintf("%s: expected an integer, got %s", e.path, describeValue(e.val, "!!float", e.val.Value))})
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}

// valueMatches reports whether n is the node yaml.v3 described by tag and
// (possibly truncated to 7 characters plus "...") value.
func valueMatches(n *yaml.Node, tag, value string) bool {
	if n.ShortTag() != tag && n.Tag != tag {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		return true
	}
	if n.Value == value {
		return true
	}
	return strings.HasSuffix(value, "...") && strings.HasPrefix(n.Value, strings.TrimSuffix(value, "..."))
}

// describeType names a Go type the way a phase file author thinks of it.
func describeType(goType string) string {
	switch goType {
	case "int", "int64", "int32", "*int":
		return "an integer"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string", "phases.Variant", "attrib.Limit":
		return "a string"
	case "phases.Duration":
		return `a duration such as "3s" or "500ms"`
	case "phases.PortRange":
		return "a list of two ports such as [32768, 60999]"
	case "[]int":
		return "a list of integers"
	case "[]string":
		return "a list of strings"
	}
	if strings.HasPrefix(goType, "phases.") {
		return "a mapping"
	}
	return "a value of type " + goType
}

// describeValue names the value found in the file.
func describeValue(n *yaml.Node, tag, value string) string {
	switch tag {
	case "!!seq":
		if n != nil {
			if len(n.Content) == 1 {
				return "a list of 1 item"
			}
			return fmt.Sprintf("a list of %d items", len(n.Content))
		}
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!null":
		return "null"
	}
	if n != nil {
		value = n.Value
	}
	if len(value) > 40 {
		value = value[:37] + "..."
	}
	if tag == "!!str" {
		return strconv.Quote(value)
	}
	return value
}
