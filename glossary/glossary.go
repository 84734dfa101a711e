// Package glossary says, in plain words, what the lab's limits, resources,
// kernel counters and error classes mean. The report's glossary and
// `scalelab explain` read this one source.
package glossary

import (
	"sort"
	"strings"
)

// Entry explains one term.
type Entry struct {
	// Name is the term as the lab writes it: "ListenOverflows", "tw",
	// "backlog", "addr_unavailable".
	Name string
	// Kind says what it is: "limit", "kernel counter", "lab gauge",
	// "error class".
	Kind string
	// Source is where it is read, e.g. "/proc/net/netstat (TcpExt)".
	Source string
	// Meaning is one or two sentences in plain words.
	Meaning string
	// Limit names the limit it is evidence of ("" when none).
	Limit string
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
