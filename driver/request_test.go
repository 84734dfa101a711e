//go:build linux

package driver

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers/servertest"
	"github.com/scalelab/scalelab/servers/variants"
)

// mixServer answers its requests, over all connections, 200, 404, 503,
// 200, 404, 503, ... with bodies of 2, 9 and 7 bytes.
func mixServer(t *testing.T) *testServer {
	var n atomic.Int64
	return startServer(t, func(s *testServer, c net.Conn, path string, closing bool) bool {
		switch n.Add(1) % 3 {
		case 1:
			return respond(c, 200, "ok", closing)
		case 2:
			return respond(c, 404, "not found", closing)
		}
		return respond(c, 503, "busy now", closing)
	})
}

// TestStatusCodesAndBytes: a server answering a known mix is counted by
// exact code, responses per second count them all, ok per second only the
// 200s, and the bytes are the exact bytes of the requests and answers.
func TestStatusCodesAndBytes(t *testing.T) {
	t.Parallel()
	srv := mixServer(t)
	const clients, each = 3, 40 // 120 requests: 40 of each code
	s := run(t, Config{Targets: []string{srv.URL + "/"}, Clients: clients, RequestsPerClient: each})
	want := map[string]uint64{"200": 40, "404": 40, "503": 40}
	for code, n := range want {
		if s.StatusCodes[code] != n {
			t.Errorf("status %s: %d, want %d (all: %v)", code, s.StatusCodes[code], n, s.StatusCodes)
		}
	}
	if len(s.StatusCodes) != 3 || s.Responses != 120 || s.OK != 40 || s.Errors[ClassHTTP4xx] != 40 || s.Errors[ClassHTTP5xx] != 40 {
		t.Errorf("codes %v responses %d ok %d errors %v", s.StatusCodes, s.Responses, s.OK, s.Errors)
	}
	if ratio := s.ResponsesRPS / s.RPS; ratio < 2.9 || ratio > 3.1 {
		t.Errorf("responses/s %v, ok/s %v: want three times as many responses", s.ResponsesRPS, s.RPS)
	}
	tg, err := ParseTarget(srv.URL+"/", false)
	if err != nil {
		t.Fatal(err)
	}
	req := tg.request(requestSpec{method: "GET", keepAlive: true})
	if s.BytesWritten != 120*uint64(len(req)) {
		t.Errorf("bytes written %d, want 120 requests of %d", s.BytesWritten, len(req))
	}
	answer := func(code int, body string) int {
		return len("HTTP/1.1 " + strconv.Itoa(code) + " " + statusText(code) + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	}
	if wantRead := 40 * uint64(answer(200, "ok")+answer(404, "not found")+answer(503, "busy now")); s.BytesRead != wantRead {
		t.Errorf("bytes read %d, want %d", s.BytesRead, wantRead)
	}
	if v, ok := s.Metric("success"); !ok || v < 33.33 || v > 33.34 {
		t.Errorf("success metric %v %v", v, ok)
	}
}

// TestPostWithHeadersAndBody: the method, the headers and the body reach
// the server, with Content-Length, on pipelined keep-alive connections.
func TestPostWithHeadersAndBody(t *testing.T) {
	t.Parallel()
	srv := startServer(t, labServer)
	body := `{"a":1}`
	s := run(t, Config{Targets: []string{srv.URL + "/"}, Clients: 2, RequestsPerClient: 20, Pipeline: 4,
		Method: "POST", Headers: []string{"Content-Type: application/json", " X-Trace :  abc "}, Body: body})
	if s.OK != 40 || s.Method != "POST" || s.BodyBytes != len(body) {
		t.Fatalf("ok %d method %q body %d; errors %v", s.OK, s.Method, s.BodyBytes, s.Errors)
	}
	seen := srv.requestsSeen()
	if len(seen) != 40 {
		t.Fatalf("server read %d requests, want 40", len(seen))
	}
	for _, r := range seen {
		hs := strings.Join(r.headers, "\n")
		if r.method != "POST" || r.body != body || !strings.Contains(hs, "Content-Type: application/json") ||
			!strings.Contains(hs, "X-Trace: abc") || !strings.Contains(hs, "Content-Length: 7") || !strings.Contains(hs, "User-Agent: scalelab") {
			t.Fatalf("request as read: %+v", r)
		}
	}
}

// TestHostAndUserAgentReplaced: headers named Host or User-Agent replace
// the driver's own instead of doubling them.
func TestHostAndUserAgentReplaced(t *testing.T) {
	t.Parallel()
	srv := startServer(t, labServer)
	run(t, Config{Targets: []string{srv.URL + "/"}, Clients: 1, RequestsPerClient: 1,
		Headers: []string{"host: example.test", "User-Agent: curl/8"}})
	seen := srv.requestsSeen()
	if len(seen) != 1 {
		t.Fatalf("%d requests", len(seen))
	}
	hs := strings.ToLower(strings.Join(seen[0].headers, "\n"))
	if strings.Count(hs, "host:") != 1 || !strings.Contains(hs, "host: example.test") ||
		strings.Count(hs, "user-agent:") != 1 || !strings.Contains(hs, "curl/8") {
		t.Errorf("headers: %q", seen[0].headers)
	}
}

// TestHEADPipelined: answers to HEAD carry a Content-Length but no body;
// with four requests in flight per connection the driver must not wait for
// the body (it would eat the next answer, or time out).
func TestHEADPipelined(t *testing.T) {
	t.Parallel()
	srv := startServer(t, labServer)
	s := run(t, Config{Targets: []string{srv.URL + "/"}, Clients: 2, RequestsPerClient: 50, Pipeline: 4,
		Method: "HEAD", Timeout: 2 * time.Second})
	if s.OK != 100 || s.Failed != 0 || s.StatusCodes["200"] != 100 {
		t.Errorf("ok %d failed %d codes %v errors %v", s.OK, s.Failed, s.StatusCodes, s.Errors)
	}
}

// TestOpenLoopServiceTime: an open loop reports the service time beside
// the corrected latency (checkInvariants compares them).
func TestOpenLoopServiceTime(t *testing.T) {
	t.Parallel()
	srv := startServer(t, labServer)
	s := run(t, Config{Targets: []string{srv.URL + "/"}, Clients: 4, Rate: 400, Duration: 500 * time.Millisecond})
	if s.Mode != "open" || s.ServiceMS == nil || s.OK == 0 {
		t.Fatalf("mode %s service %v ok %d", s.Mode, s.ServiceMS, s.OK)
	}
}

// TestEchoEveryVariant: POST /echo with a body against every server
// variant: every answer is a 200 (the variants' conformance suite checks
// the answer's body, the length).
func TestEchoEveryVariant(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("b", 1000)
	for _, name := range variants.Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := servertest.Config()
			cfg.KeepAlive = name != "naive"
			srv := servertest.Start(t, name, cfg)
			s := run(t, Config{Targets: []string{"http://" + srv.Addr() + "/echo"}, Clients: 2, RequestsPerClient: 25,
				Method: "POST", Body: body, Headers: []string{"Content-Type: application/octet-stream"}, DisableKeepAlive: !cfg.KeepAlive})
			if s.OK != 50 || s.StatusCodes["200"] != 50 {
				t.Errorf("ok %d codes %v errors %v", s.OK, s.StatusCodes, s.Errors)
			}
			if s.BytesWritten < 50*uint64(len(body)) {
				t.Errorf("wrote %d bytes for 50 bodies of %d", s.BytesWritten, len(body))
			}
		})
	}
}

func TestRequestConfigErrors(t *testing.T) {
	url := "http://127.0.0.1:1/"
	tests := []struct {
		name  string
		cfg   Config
		field string
		want  string
	}{
		{"lower-case method", Config{Method: "post"}, "method", "did you mean POST?"},
		{"method with space", Config{Method: "GE T"}, "method", "not a method"},
		{"connect", Config{Method: "CONNECT"}, "method", "tunnel"},
		{"header without colon", Config{Headers: []string{"X-Bad"}}, "headers", `want "Name: value"`},
		{"header name with space", Config{Headers: []string{"X Bad: 1"}}, "headers", "not a header name"},
		{"header with CR", Config{Headers: []string{"X: a\r\nY: b"}}, "headers", "line breaks"},
		{"content-length", Config{Headers: []string{"Content-Length: 5"}}, "headers", "set from the body"},
		{"connection", Config{Headers: []string{"connection: close"}}, "headers", "--keepalive=false"},
		{"two hosts", Config{Headers: []string{"Host: a", "host: b"}}, "headers", "Host given 2 times"},
		{"huge body", Config{Body: strings.Repeat("x", MaxBodyBytes+1)}, "body", "longer than"},
		{"body times pipeline", Config{Body: strings.Repeat("x", 100_000), Pipeline: 200}, "body", "pipeline 200"},
		{"run id with space", Config{RunID: "a b"}, "run_id", "printable"},
		{"long run id", Config{RunID: strings.Repeat("r", 65)}, "run_id", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Targets = []string{url}
			err := cfg.Validate()
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Field != tt.field || !strings.Contains(ce.Msg, tt.want) {
				t.Errorf("err = %v, want %s: ...%s...", err, tt.field, tt.want)
			}
		})
	}
	ok := Config{Targets: []string{url}, Method: "PURGE", Headers: []string{"X-A: 1", "Accept:"}, Body: "x", RunID: "run-1"}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid request refused: %v", err)
	}
}
