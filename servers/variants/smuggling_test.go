package variants_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/golden"
	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/servertest"
	"github.com/scalelab/scalelab/servers/smuggling"
	"github.com/scalelab/scalelab/servers/variants"
)

// What a server does with a shape's request, as the probe sees it.
type fate int

const (
	// closes: the server closes the connection right after its answer
	// (or without one).
	closes fate = iota
	// staysOpen: the connection stays usable; a further request on it is
	// answered.
	staysOpen
	// hangs: nothing happens until the read timeout, which closes the
	// connection (with an answer, maybe: 408).
	hangs
)

func (f fate) String() string {
	return [...]string{"closes", "stays open", "hangs until the read timeout"}[f]
}

// outcome is what one variant does with one shape.
type outcome struct {
	// status is the status of the first answer; 0: none.
	status int
	// smuggled: the hidden request was answered.
	smuggled bool
	fate     fate
}

func (o outcome) String() string {
	var parts []string
	if o.status == 0 {
		parts = append(parts, "no answer")
	} else {
		parts = append(parts, fmt.Sprint(o.status))
	}
	if o.smuggled {
		parts = append(parts, "**hidden request served**")
	}
	parts = append(parts, o.fate.String())
	return strings.Join(parts, ", ")
}

// Timing of the probe. The server's read timeout is short so that a hang
// ends soon; an answer or close later than hangAfter counts as a hang.
const (
	smugglingReadTimeout = time.Second
	hangAfter            = 3 * smugglingReadTimeout / 4
	quiet                = 300 * time.Millisecond // no more answers coming
)

// probe sends shape's request to addr on a fresh connection and reports
// what the server does.
func probe(t *testing.T, addr string, shape smuggling.Shape) outcome {
	t.Helper()
	c := dial(t, addr)
	sent := time.Now()
	c.write(shape.Request)
	var o outcome
	var first time.Time // first answer or close
	note := func() {
		if first.IsZero() {
			first = time.Now()
		}
	}
	for {
		// Wait for the first event up to the read timeout and more; after
		// an answer, only for a quiet spell.
		wait := smugglingReadTimeout + 2*time.Second
		if !first.IsZero() {
			wait = quiet
		}
		g, err := c.read(false, wait)
		if err == nil {
			note()
			if o.status == 0 {
				o.status = g.status
			}
			if g.body == string(servers.Action{Kind: servers.KindJSON}.Body()) {
				o.smuggled = true
			}
			continue
		}
		if isClosed(err) {
			note()
			if first.Sub(sent) >= hangAfter {
				o.fate = hangs
			}
			return o
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("reading answers: %v", err)
		}
		if first.IsZero() {
			t.Fatalf("no answer and no close %v after the request: the read timeout did not end it", time.Since(sent))
		}
		break
	}
	if first.Sub(sent) >= hangAfter {
		o.fate = hangs
		return o
	}
	// Answered, still open: is the connection still served?
	c.write(get("/nope"))
	g, err := c.read(false, smugglingReadTimeout+2*time.Second)
	switch {
	case err == nil && g.status == http.StatusNotFound:
		o.fate = staysOpen
	case err == nil:
		t.Fatalf("a further request was answered %d %q", g.status, g.body)
	case isClosed(err):
		o.fate = closes
	default:
		t.Fatalf("a further request: %v", err)
	}
	return o
}

// refusedWith is a variant's 4xx or 5xx answer followed by the close.
func refusedWith(status int) outcome { return outcome{status: status, fate: closes} }

// smugglingTable is what each variant does with each shape: the lab's
// parser (naive, pool, gnet) refuses them all; net/http and fasthttp are
// used as they come, and the table says where they are lenient.
var smugglingTable = map[string]map[string]outcome{
	"CL+TE": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		// net/http goes by the chunks, as RFC 9112 allows, but keeps the
		// connection: the hidden request is served.
		"nethttp": {status: 200, smuggled: true, fate: staysOpen},
		// fasthttp goes by the chunks and closes, as the RFC asks.
		"fasthttp": {status: 200, fate: closes},
	},
	"TE gzip": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		"nethttp": refusedWith(501), "fasthttp": refusedWith(400),
	},
	"CL twice": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		"nethttp": refusedWith(400), "fasthttp": refusedWith(400),
	},
	"CL negative": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		"nethttp": refusedWith(400), "fasthttp": refusedWith(400),
	},
	"CL not digits": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		"nethttp": refusedWith(400), "fasthttp": refusedWith(400),
	},
	"obs-fold": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		"nethttp": {status: 200, fate: staysOpen}, "fasthttp": {status: 200, fate: staysOpen},
	},
	"bare LF": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		"nethttp": {status: 200, fate: staysOpen},
		// fasthttp waits for a CRLF that never comes; its read timeout
		// answers 408.
		"fasthttp": {status: 408, fate: hangs},
	},
	"space before colon": {
		"naive": refusedWith(400), "pool": refusedWith(400), "gnet": refusedWith(400),
		"nethttp": refusedWith(400), "fasthttp": refusedWith(400),
	},
	"version 9.9": {
		"naive": refusedWith(505), "pool": refusedWith(505), "gnet": refusedWith(505),
		"nethttp": refusedWith(505),
		// fasthttp answers any version but HTTP/1.1 as HTTP/1.0: served,
		// then closed.
		"fasthttp": {status: 200, fate: closes},
	},
	"bad chunk size": {
		// The lab's parser decodes no chunks: any chunked request is 411.
		"naive": refusedWith(411), "pool": refusedWith(411), "gnet": refusedWith(411),
		// net/http answers before it reads the body; draining it after
		// the handler fails, so it closes.
		"nethttp":  {status: 200, fate: closes},
		"fasthttp": refusedWith(400),
	},
}

// TestSmuggling sends every request-smuggling shape to every variant and
// checks that it does what smugglingTable says; docs/conformance.md shows
// the table (checked against it: run with -update to rewrite it).
func TestSmuggling(t *testing.T) {
	shapes := smuggling.Shapes()
	t.Run("doc", func(t *testing.T) { checkConformanceDoc(t, shapes) })
	eachVariant(t, func(t *testing.T, name string) {
		for _, shape := range shapes {
			want, ok := smugglingTable[shape.Name][name]
			if !ok {
				t.Errorf("shape %q: no outcome listed for %s", shape.Name, name)
				continue
			}
			t.Run(shape.Name, func(t *testing.T) {
				t.Parallel()
				cfg := baseConfig(true)
				cfg.ReadTimeout = smugglingReadTimeout
				srv := servertest.Start(t, name, cfg)
				if got := probe(t, srv.Addr(), shape); got != want {
					t.Errorf("got %v, want %v", got, want)
				}
			})
		}
	})
}

// The generated part of docs/conformance.md lies between these lines.
const (
	docPath     = "../../docs/conformance.md"
	docBegin    = "<!-- BEGIN smuggling table: generated by TestSmuggling in servers/variants; go test ./servers/variants -run TestSmuggling -update -->\n"
	docEnd      = "<!-- END smuggling table -->\n"
	docVariants = "naive pool gnet nethttp fasthttp"
)

// checkConformanceDoc renders the shapes and smugglingTable as Markdown and
// compares them with the generated part of docs/conformance.md.
func checkConformanceDoc(t *testing.T, shapes []smuggling.Shape) {
	if got := strings.Join(variants.Names(), " "); got != strings.Join(sorted(strings.Fields(docVariants)), " ") {
		t.Errorf("the doc's columns are %q, the variants %q", docVariants, got)
	}
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), docBegin)
	_, after, ok2 := strings.Cut(rest, docEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the lines %q and %q around the generated table", docPath, docBegin, docEnd)
	}
	golden.Check(t, docPath, []byte(before+docBegin+renderSmuggling(shapes)+docEnd+after))
}

// renderSmuggling writes the shapes and what each variant does with them.
func renderSmuggling(shapes []smuggling.Shape) string {
	var b strings.Builder
	b.WriteString("\n### The shapes\n\n| shape | the request | why it matters | what the RFC asks |\n|---|---|---|---|\n")
	for _, s := range shapes {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", s.Name, s.What, s.Why, s.RFC)
	}
	names := strings.Fields(docVariants)
	b.WriteString("\n### What each variant does\n\n| shape |")
	for _, n := range names {
		b.WriteString(" " + n + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(names)) + "\n")
	for _, s := range shapes {
		b.WriteString("| " + s.Name + " |")
		for _, n := range names {
			b.WriteString(" " + smugglingTable[s.Name][n].String() + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n<details><summary>The bytes sent</summary>\n\n")
	for _, s := range shapes {
		fmt.Fprintf(&b, "%s:\n\n```\n%s\n```\n\n", s.Name, strings.TrimSuffix(strings.NewReplacer("\r", "\\r", "\n", "\\n\n").Replace(s.Request), "\n"))
	}
	b.WriteString("</details>\n\n")
	return b.String()
}

// sorted returns s sorted.
func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}
