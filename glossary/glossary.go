// Package glossary says, in plain words, what the lab's limits, resources,
// kernel counters and error classes mean. The report's glossary and
// `scalelab explain` read this one source, terms.yaml, embedded.
package glossary

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed terms.yaml
var termsYAML []byte

// entries is terms.yaml, decoded once; a bad file panics at init (a test
// decodes it too, so it cannot ship).
var entries = mustDecode(termsYAML)

// decode reads a glossary file strictly: an unknown field or a term without
// a name, kind or meaning is an error naming its line.
func decode(data []byte) ([]Entry, error) {
	var nodes []yaml.Node
	if err := yaml.Unmarshal(data, &nodes); err != nil {
		return nil, fmt.Errorf("glossary: terms.yaml: %w", err)
	}
	out := make([]Entry, 0, len(nodes))
	for i := range nodes {
		var e Entry
		dec := yaml.NewDecoder(bytes.NewReader(mustEncode(&nodes[i])))
		dec.KnownFields(true)
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("glossary: terms.yaml:%d: %w", nodes[i].Line, err)
		}
		if e.Name == "" || e.Kind == "" || e.Meaning == "" {
			return nil, fmt.Errorf("glossary: terms.yaml:%d: a term needs a name, a kind and a meaning", nodes[i].Line)
		}
		out = append(out, e)
	}
	return out, nil
}

func mustEncode(n *yaml.Node) []byte {
	b, err := yaml.Marshal(n)
	if err != nil {
		panic(err)
	}
	return b
}

func mustDecode(data []byte) []Entry {
	e, err := decode(data)
	if err != nil {
		panic(err)
	}
	return e
}

// Entry explains one term.
type Entry struct {
	// Name is the term as the lab writes it: "ListenOverflows", "tw",
	// "backlog", "addr_unavailable".
	Name string `yaml:"name"`
	// Kind says what it is: "limit", "kernel counter", "lab gauge",
	// "error class".
	Kind string `yaml:"kind"`
	// Source is where it is read, e.g. "/proc/net/netstat (TcpExt)".
	Source string `yaml:"source"`
	// Meaning is one or two sentences in plain words.
	Meaning string `yaml:"meaning"`
	// Limit names the limit it is evidence of ("" when none).
	Limit string `yaml:"limit"`
	// Proof, for a limit, is the evidence that names it and how the lab
	// verifies it by intervention.
	Proof string `yaml:"proof"`
}

// Evidence returns the terms that are evidence of the limit named limit,
// in the file's order.
func Evidence(limit string) []Entry {
	var out []Entry
	for _, e := range entries {
		if e.Limit == limit {
			out = append(out, e)
		}
	}
	return out
}

// Lookup finds a term by its exact name, or else ignoring case ("TW" is
// the kernel's counter, "tw" the lab's gauge).
func Lookup(name string) (Entry, bool) {
	for _, e := range entries {
		if e.Name == name {
			return e, true
		}
	}
	for _, e := range entries {
		if strings.EqualFold(e.Name, name) {
			return e, true
		}
	}
	return Entry{}, false
}

// All returns every entry, sorted by kind then name.
func All() []Entry {
	out := append([]Entry(nil), entries...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// Of returns the entries for a set of names, in the order given; unknown
// names are left out.
func Of(names ...string) []Entry {
	var out []Entry
	for _, n := range names {
		if e, ok := Lookup(n); ok {
			out = append(out, e)
		}
	}
	return out
}
