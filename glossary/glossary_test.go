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

func TestDecodeRejects(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"unknown field", "- name: x\n  kind: limit\n  meaning: m.\n  colour: red\n", "terms.yaml:1"},
		{"no meaning", "- name: x\n  kind: limit\n- name: y\n", "terms.yaml:1: a term needs"},
		{"not a list", "name: x\n", "terms.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("decode = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestLimitsHaveProofAndEvidence(t *testing.T) {
	for _, e := range All() {
		if e.Kind != "limit" || e.Name == "none" {
			continue
		}
		if len(e.Proof) < 40 {
			t.Errorf("limit %s: proof %q", e.Name, e.Proof)
		}
		if len(Evidence(e.Name)) == 0 {
			t.Errorf("limit %s: no term is evidence of it", e.Name)
		}
	}
}

func TestKinds(t *testing.T) {
	for _, e := range All() {
		switch e.Kind {
		case "limit", "kernel counter", "lab gauge", "error class":
		default:
			t.Errorf("%s: kind %q is not one `scalelab explain` lists", e.Name, e.Kind)
		}
	}
}
