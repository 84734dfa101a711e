package driver

import (
	"fmt"
	"strconv"
	"strings"
)

// Bounds on what a request may carry.
const (
	MaxBodyBytes    = 1 << 20  // longest Config.Body
	MaxHeaders      = 64       // most Config.Headers
	MaxHeaderLine   = 8 << 10  // longest "Name: value" of Config.Headers
	MaxRequestBytes = 16 << 20 // a target's requests for one pipeline (request × Config.Pipeline), built once per run
	maxMethod       = 32
	maxRunID        = 64
)

// DefaultMethod is the method of a Config without one.
const DefaultMethod = "GET"

// reserved are the header names the driver sets itself, with what to do
// instead.
var reserved = map[string]string{
	"content-length":    "it is set from the body",
	"transfer-encoding": "the body is sent with its Content-Length",
	"connection":        "keep-alive is the driver's: turn it off with --keepalive=false (disable_keepalive)",
	"expect":            "the driver sends the body at once and does not wait for 100 Continue",
}

// standardMethods are the methods of RFC 9110 and 5789, to catch "post".
var standardMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"}

// validateRequest checks the method, headers, body and run id.
func (c Config) validateRequest(bad func(field, format string, args ...any)) {
	if m := c.Method; m != "" {
		switch {
		case len(m) > maxMethod || !isToken(m):
			bad("method", "%q is not a method (a token such as GET or POST)", truncated(m))
		case m == "CONNECT":
			bad("method", "CONNECT opens a tunnel; it cannot be load-tested here")
		default:
			for _, s := range standardMethods {
				if m != s && strings.EqualFold(m, s) {
					bad("method", "methods are case-sensitive: did you mean %s?", s)
				}
			}
		}
	}
	if len(c.Headers) > MaxHeaders {
		bad("headers", "%d headers; at most %d", len(c.Headers), MaxHeaders)
	}
	hosts := 0
	for _, h := range c.Headers {
		name, _, err := splitHeader(h)
		if err != nil {
			bad("headers", "%v", err)
			continue
		}
		if why, ok := reserved[strings.ToLower(name)]; ok {
			bad("headers", "%s: %s", name, why)
		}
		if strings.EqualFold(name, "host") {
			hosts++
		}
	}
	if hosts > 1 {
		bad("headers", "Host given %d times; a request has one", hosts)
	}
	if len(c.Body) > MaxBodyBytes {
		bad("body", "%d bytes, longer than the %d allowed", len(c.Body), MaxBodyBytes)
	} else if size := requestSize(c) * max(c.Pipeline, 1); size > MaxRequestBytes {
		field := "body"
		if c.Body == "" {
			field = "pipeline"
		}
		bad(field, "with pipeline %d the requests of one target take %d bytes, more than the %d allowed (the driver builds them once)",
			max(c.Pipeline, 1), size, MaxRequestBytes)
	}
	if err := checkMark(c.RunID); err != nil || len(c.RunID) > maxRunID {
		if err == nil {
			err = fmt.Errorf("%d bytes, longer than the %d allowed", len(c.RunID), maxRunID)
		}
		bad("run_id", "%v", err)
	}
}

// requestSize is the size of the longest request of c (targets that do
// not parse are left to validateTargets).
func requestSize(c Config) int {
	spec := specOf(c)
	n := 0
	for _, raw := range c.Targets {
		if t, _, err := parseURL(raw); err == nil {
			n = max(n, len(t.request(spec)))
		}
	}
	return n
}

// splitHeader splits "Name: value" into its trimmed name and value and
// checks both.
func splitHeader(h string) (name, value string, err error) {
	name, value, ok := strings.Cut(h, ":")
	name, value = strings.TrimSpace(name), strings.Trim(value, " \t")
	switch {
	case len(h) > MaxHeaderLine:
		return "", "", fmt.Errorf("header %q: longer than %d bytes", truncated(h), MaxHeaderLine)
	case !ok:
		return "", "", fmt.Errorf("header %q: want \"Name: value\"", truncated(h))
	case !isToken(name):
		return "", "", fmt.Errorf("header %q: %q is not a header name", truncated(h), truncated(name))
	case strings.ContainsAny(value, "\r\n"):
		return "", "", fmt.Errorf("header %q: line breaks in the value", truncated(h))
	case strings.IndexFunc(value, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) >= 0:
		return "", "", fmt.Errorf("header %q: control characters in the value", truncated(h))
	}
	return name, value, nil
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

func truncated(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// requestSpec is what every request of a run carries besides its target.
type requestSpec struct {
	method    string
	headers   []string // checked "Name: value" lines
	body      string
	keepAlive bool
}

// specOf returns the request shape of c (validated).
func specOf(c Config) requestSpec {
	m := c.Method
	if m == "" {
		m = DefaultMethod
	}
	return requestSpec{method: m, headers: c.Headers, body: c.Body, keepAlive: !c.DisableKeepAlive}
}

// head reports whether the answers carry no body (HEAD).
func (r requestSpec) head() bool { return r.method == "HEAD" }

// request returns the bytes of one request to t: the request line, Host
// and User-Agent (unless the headers give their own), the headers,
// Content-Length when there is a body (or the method expects one),
// Connection: close without keep-alive, and the body.
func (t Target) request(r requestSpec) []byte {
	var b strings.Builder
	b.WriteString(r.method)
	b.WriteByte(' ')
	b.WriteString(t.Path)
	b.WriteString(" HTTP/1.1\r\n")
	own := map[string]bool{}
	var lines []string
	for _, h := range r.headers {
		name, value, err := splitHeader(h)
		if err != nil {
			continue // Validate refused it already
		}
		own[strings.ToLower(name)] = true
		lines = append(lines, name+": "+value)
	}
	if !own["host"] {
		b.WriteString("Host: " + t.Host + "\r\n")
	}
	if !own["user-agent"] {
		b.WriteString("User-Agent: scalelab\r\n")
	}
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	switch r.method {
	case "POST", "PUT", "PATCH":
		b.WriteString("Content-Length: " + strconv.Itoa(len(r.body)) + "\r\n")
	default:
		if r.body != "" {
			b.WriteString("Content-Length: " + strconv.Itoa(len(r.body)) + "\r\n")
		}
	}
	if !r.keepAlive {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(r.body)
	return []byte(b.String())
}
