package glossary

import (
	"strings"
	"testing"
)

func TestEntries(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range All() {
		key := e.Name
		if seen[key] {
			t.Errorf("%s is explained twice", e.Name)
		}
		seen[key] = true
		if e.Kind == "" || len(e.Meaning) < 10 || !strings.HasSuffix(e.Meaning, ".") {
			t.Errorf("%s: kind %q, meaning %q", e.Name, e.Kind, e.Meaning)
		}
	}
	if e, ok := Lookup("listenoverflows"); !ok || e.Name != "ListenOverflows" || e.Limit != "backlog" {
		t.Errorf("lookup ignoring case: %+v %v", e, ok)
	}
	if got := Of("tw", "nope", "fd"); len(got) != 2 || got[0].Name != "tw" || got[1].Name != "fd" {
		t.Errorf("Of = %+v", got)
	}
}
