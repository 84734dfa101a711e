package driver

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/", "http://localhost/x?y=1", "http://[::1]:9/a%20b", "https://x/", "http://u@h/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tg, err := ParseTarget(raw, false)
		if err != nil {
			return
		}
		if tg.Addr.Port() == 0 || !tg.Addr.Addr().IsValid() {
			t.Fatalf("%q: bad address %v", raw, tg.Addr)
		}
		if !strings.HasPrefix(tg.Path, "/") {
			t.Fatalf("%q: path %q does not start with /", raw, tg.Path)
		}
		for _, ka := range []bool{true, false} {
			req := tg.request(requestSpec{method: "GET", keepAlive: ka})
			head, ok := bytes.CutSuffix(req, []byte("\r\n\r\n"))
			if !ok || bytes.Contains(head, []byte("\r\n\r\n")) {
				t.Fatalf("%q: request is not one header block: %q", raw, req)
			}
			for _, line := range bytes.Split(head, []byte("\r\n")) {
				if bytes.ContainsAny(line, "\r\n\x00") {
					t.Fatalf("%q: control bytes in request line %q", raw, line)
				}
			}
		}
	})
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "2/3", "3/3", "-1/2", "1/0", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseShard(in)
		if err != nil {
			return
		}
		if s.Index < 0 || s.Index >= s.Count {
			t.Fatalf("%q parsed to %+v", in, s)
		}
		back, err := ParseShard(s.String())
		if err != nil || back != s {
			t.Fatalf("%q: %v does not round-trip: %v %v", in, s, back, err)
		}
	})
}

// FuzzParseStartAt: a start time that parses is after 1970 and its unix
// form parses back to the same instant.
func FuzzParseStartAt(f *testing.F) {
	for _, s := range []string{"2026-12-01T10:00:00Z", "1764583200", "1764583200.5", "-1", "1.2.3", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		at, err := ParseStartAt(in)
		if err != nil {
			return
		}
		if !strings.Contains(in, "T") && at.Unix() <= 0 {
			t.Fatalf("unix seconds %q parsed to %v, before 1970", in, at)
		}
		if at.Unix() <= 0 || at.Unix() > 1<<40 {
			return
		}
		unix := fmt.Sprintf("%d.%09d", at.Unix(), at.Nanosecond())
		if back, err := ParseStartAt(unix); err != nil || !back.Equal(at) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", in, at, unix, back, err)
		}
	})
}

// FuzzConfigShard: every valid configuration deals each of its shard's
// clients, and only those, to a loop.
func FuzzConfigShard(f *testing.F) {
	f.Add(10, 0, 1, 2)
	f.Add(2, 1, 3, 4)
	f.Add(10, 1<<62, 1<<62+1, 1)
	f.Fuzz(func(t *testing.T, clients, index, count, loops int) {
		c, err := Config{Targets: []string{"http://127.0.0.1/"}, Clients: clients, Shard: Shard{Index: index, Count: count}}.withDefaults()
		if err != nil || loops < 1 || loops > 64 {
			return
		}
		lo, hi := c.Shard.clients(c.Clients)
		if lo < 0 || hi > c.Clients || hi <= lo {
			t.Fatalf("valid config %+v has shard clients [%d, %d)", c, lo, hi)
		}
		dealt, _ := newPlan(c, nil, 0).deal(c, min(loops, hi-lo))
		n := 0
		for _, l := range dealt {
			for _, g := range l {
				if g < lo || g >= hi {
					t.Fatalf("client %d outside [%d, %d)", g, lo, hi)
				}
				n++
			}
		}
		if n != hi-lo {
			t.Fatalf("%d clients dealt, want %d", n, hi-lo)
		}
	})
}

// FuzzRequest: whatever method, header and body a Config carries, a
// request that Validate accepts is one request line, header lines without
// control bytes, one empty line, and exactly the body its Content-Length
// announces.
func FuzzRequest(f *testing.F) {
	for _, s := range [][3]string{{"POST", "Content-Type: application/json", `{"a":1}`}, {"GET", "X: y", ""},
		{"HEAD", "Host: h", ""}, {"post", "Content-Length: 3", "abc"}, {"PUT", "A:\r\nB: c", "\r\n\r\n"}, {"", "", ""}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, method, header, body string) {
		c := Config{Targets: []string{"http://127.0.0.1:8080/x"}, Method: method, Body: body}
		if header != "" {
			c.Headers = []string{header}
		}
		if c.Validate() != nil {
			return
		}
		tg, err := ParseTarget(c.Targets[0], false)
		if err != nil {
			t.Fatal(err)
		}
		req := tg.request(specOf(c))
		head, rest, ok := bytes.Cut(req, []byte("\r\n\r\n"))
		if !ok || string(rest) != body {
			t.Fatalf("request %q: body %q, want %q", req, rest, body)
		}
		lines := bytes.Split(head, []byte("\r\n"))
		if want := specOf(c).method + " /x HTTP/1.1"; string(lines[0]) != want {
			t.Fatalf("request line %q, want %q", lines[0], want)
		}
		lengths := 0
		for _, l := range lines[1:] {
			if len(l) == 0 || bytes.ContainsAny(l, "\r\n\x00") || bytes.IndexByte(l, ':') < 1 {
				t.Fatalf("header line %q in %q", l, req)
			}
			if name, v, _ := bytes.Cut(l, []byte(":")); strings.EqualFold(string(name), "content-length") {
				lengths++
				if n, err := strconv.Atoi(strings.TrimSpace(string(v))); err != nil || n != len(body) {
					t.Fatalf("Content-Length %q for a body of %d", v, len(body))
				}
			}
		}
		if lengths > 1 || lengths == 0 && body != "" {
			t.Fatalf("%d Content-Length lines for a body of %d: %q", lengths, len(body), req)
		}
	})
}
