package phases

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/scalelab/scalelab/internal/boundedread"
	"github.com/scalelab/scalelab/units"
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

	scope    string // the field whose validation this problem silences ("": all of it)
	fallback bool   // yaml.v3 refused what the walk accepted: a gap in the walk
}

// Error formats the problem as file:line: message.
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem found in one phase file, ordered by line, at
// most 50 of them (then a last one counts the others).
type Errors []*Error

// Error joins the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sorted orders the problems by line and keeps maxErrors of them; hidden
// more were found and not kept.
func (es Errors) sorted(hidden int) Errors {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	if len(es) > maxErrors {
		hidden += len(es) - maxErrors
		es = es[:maxErrors:maxErrors]
	}
	if hidden > 0 {
		es = append(es, &Error{File: es[0].File, Msg: fmt.Sprintf("%s not shown", units.Plural(hidden, "more problem", "more problems"))})
	}
	return es
}

// Load reads, decodes, defaults and validates the phase file at path.
// Its Source is path.
func Load(path string) (*Phase, error) {
	data, err := boundedread.File(path, MaxFileSize)
	if errors.Is(err, boundedread.ErrTooLarge) {
		return nil, tooLarge(path)
	}
	if err != nil {
		return nil, fmt.Errorf("phases: load: %w", err)
	}
	return Parse(path, data)
}

// tooLarge is the error for a phase file over MaxFileSize.
func tooLarge(name string) error {
	return Errors{{File: name, Msg: fmt.Sprintf("file is larger than %d bytes; a phase file is a few lines of YAML", MaxFileSize)}}
}

// Parse decodes, defaults and validates one phase file. name is used in
// error messages and recorded as the phase's Source. The error, when not
// nil, is an Errors value listing every problem found at that stage.
func Parse(name string, data []byte) (*Phase, error) {
	if len(data) > MaxFileSize {
		return nil, tooLarge(name)
	}
	root, errs := parseTree(name, data)
	if errs != nil {
		return nil, errs
	}
	w, p := walk(name, root)
	errs = w.errs
	if len(errs) == 0 {
		// The walk found nothing: yaml.v3 decodes the file. Should it still
		// refuse it, the walk has a gap: its error is reported as it is.
		p = Phase{}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			return nil, Errors{{File: name, Msg: err.Error(), fallback: true}}
		}
	}
	p.Source = name
	p.fillDefaults(w.ix.has)
	// Fields that failed to decode hold zeros: check the rest, but do not
	// report what follows from those zeros.
	if skip, ok := skipAfter(errs); ok {
		errs = append(errs, check(&p, name, w.ix, skip)...)
	}
	if len(errs) > 0 {
		return nil, errs.sorted(w.dropped)
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

// reLine finds the line in a yaml.v3 syntax error ("yaml: line 3: ...").
// The match is tolerant, and a message it does not match is still shown.
var reLine = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)

// syntaxError turns a yaml.v3 parse error into an Error: with its line
// when the text gives one, as is otherwise.
func syntaxError(name string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := reLine.FindStringSubmatch(msg); m != nil {
		if line, err := strconv.Atoi(m[1]); err == nil && line > 0 {
			return &Error{File: name, Line: line, Msg: m[2]}
		}
	}
	return &Error{File: name, Msg: msg}
}

// kindNames name the kinds of YAML node a reader may find where another
// was expected; any other node is a single value.
var kindNames = map[yaml.Kind]string{
	yaml.SequenceNode: "a list",
	yaml.MappingNode:  "a mapping",
	yaml.AliasNode:    "an alias",
}

func kindName(n *yaml.Node) string {
	if name, ok := kindNames[n.Kind]; ok {
		return name
	}
	return "a single value"
}
