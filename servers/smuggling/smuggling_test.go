package smuggling

import (
	"strings"
	"testing"
)

// TestShapes: names are unique (tests and the doc key on them), every
// request is one HTTP/1.x message start, and the shapes built around a
// hidden request carry it whole.
func TestShapes(t *testing.T) {
	seen := map[string]bool{}
	hiding := 0
	for _, s := range Shapes() {
		if seen[s.Name] || s.Name == "" {
			t.Errorf("shape name %q empty or repeated", s.Name)
		}
		seen[s.Name] = true
		if s.What == "" || s.Why == "" || s.RFC == "" {
			t.Errorf("%s: what, why or RFC missing", s.Name)
		}
		if !strings.HasPrefix(s.Request, "GET / HTTP/") && !strings.HasPrefix(s.Request, "POST / HTTP/1.1\r\n") {
			t.Errorf("%s: request starts %q", s.Name, s.Request[:min(len(s.Request), 20)])
		}
		if strings.Contains(s.Request, Hidden) {
			hiding++
		}
	}
	if len(seen) < 9 || hiding < 6 {
		t.Errorf("%d shapes, %d hiding a request: the table lost shapes", len(seen), hiding)
	}
}
