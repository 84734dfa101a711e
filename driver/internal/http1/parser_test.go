package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// result is what a caller learns from parsing one response.
type result struct {
	n      int
	done   bool
	status int
	close  bool
	err    bool
}

// parseWhole feeds b in one call, then signals EOF when eof is set.
func parseWhole(b []byte, eof bool) result {
	var p Parser
	n, done, err := p.Feed(b)
	if err == nil && !done && eof && n == len(b) {
		done = p.EOF()
	}
	return result{n: n, done: done, status: p.Status(), close: p.Close(), err: err != nil}
}

// parseSplit feeds b in pieces cut at the given sizes (cycled).
func parseSplit(b []byte, cuts []int, eof bool) result {
	var p Parser
	total := 0
	for k := 0; total < len(b); k++ {
		size := 1
		if len(cuts) > 0 {
			size = cuts[k%len(cuts)]
		}
		end := min(total+size, len(b))
		n, done, err := p.Feed(b[total:end])
		total += n
		if err != nil {
			return result{n: total, status: p.Status(), close: p.Close(), err: true}
		}
		if done {
			return result{n: total, done: true, status: p.Status(), close: p.Close()}
		}
		if n != end-(total-n) {
			// Feed returned early without being done or failing.
			return result{n: total, status: -1}
		}
	}
	done := false
	if eof {
		done = p.EOF()
	}
	return result{n: total, done: done, status: p.Status(), close: p.Close()}
}

func TestParser(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		eof    bool
		rest   string // bytes left for the next response
		want   result
		wantIs error
	}{
		{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			want: result{done: true, status: 200}},
		{name: "pipelined keeps the rest", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\n", rest: "HTTP/1.1 404 Not Found\r\n",
			want: result{done: true, status: 200}},
		{name: "zero length", in: "HTTP/1.1 500 Internal Server Error\r\ncontent-length:0\r\n\r\n",
			want: result{done: true, status: 500}},
		{name: "no reason phrase", in: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
			want: result{done: true, status: 200}},
		{name: "bare LF", in: "HTTP/1.1 200 OK\nContent-Length: 1\n\nx",
			want: result{done: true, status: 200}},
		{name: "connection close", in: "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n",
			want: result{done: true, status: 200, close: true}},
		{name: "connection list", in: "HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n",
			want: result{done: true, status: 200, close: true}},
		{name: "http/1.0 closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
			want: result{done: true, status: 200, close: true}},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
			want: result{done: true, status: 200}},
		{name: "chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\nA;ext=1\r\n0123456789\r\n0\r\n\r\n",
			want: result{done: true, status: 200}},
		{name: "chunked with trailers", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\nX-Sum: 1\r\n\r\n",
			want: result{done: true, status: 200}},
		{name: "chunked wins over length", in: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			want: result{done: true, status: 200}},
		{name: "interim 100 continue", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
			want: result{done: true, status: 204}},
		{name: "304 has no body", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
			want: result{done: true, status: 304}},
		{name: "body until close", in: "HTTP/1.1 200 OK\r\n\r\nhello", eof: true,
			want: result{done: true, status: 200, close: true}},
		{name: "non-chunked coding reads to close", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", eof: true,
			want: result{done: true, status: 200, close: true}},
		{name: "truncated body", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", eof: true,
			want: result{status: 200}},
		{name: "truncated header", in: "HTTP/1.1 200 OK\r\nContent-Le", eof: true,
			want: result{status: 200}},
		{name: "garbage", in: "hello world\r\n\r\n", wantIs: ErrMalformed},
		{name: "http/2 version", in: "HTTP/2 200\r\n\r\n", wantIs: ErrMalformed},
		{name: "short status", in: "HTTP/1.1 20 OK\r\n\r\n", wantIs: ErrMalformed},
		{name: "status below 100", in: "HTTP/1.1 099 OK\r\n\r\n", wantIs: ErrMalformed},
		{name: "bad content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", wantIs: ErrMalformed},
		{name: "conflicting lengths", in: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", wantIs: ErrMalformed},
		{name: "space in header name", in: "HTTP/1.1 200 OK\r\nContent Length: 1\r\n\r\n", wantIs: ErrMalformed},
		{name: "folded header", in: "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", wantIs: ErrMalformed},
		{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", wantIs: ErrMalformed},
		{name: "chunk longer than size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n", wantIs: ErrMalformed},
		{name: "huge header", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", MaxHeaderBytes) + "\r\n\r\n", wantIs: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			_, _, err := p.Feed([]byte(tt.in))
			if tt.wantIs != nil {
				if !errors.Is(err, tt.wantIs) {
					t.Fatalf("err = %v, want %v", err, tt.wantIs)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			got := parseWhole([]byte(tt.in), tt.eof)
			tt.want.n = len(tt.in) - len(tt.rest)
			if got != tt.want {
				t.Errorf("whole: got %+v, want %+v", got, tt.want)
			}
			for _, cuts := range [][]int{{1}, {2, 3}, {7}, {64}} {
				if g := parseSplit([]byte(tt.in), cuts, tt.eof); g != got {
					t.Errorf("split %v: got %+v, whole gave %+v", cuts, g, got)
				}
			}
		})
	}
}

// TestParserHEAD: answers to HEAD requests end with their headers, whatever
// their framing headers announce, and the mode survives Reset.
func TestParserHEAD(t *testing.T) {
	in := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n" +
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"
	for _, cut := range []int{1, 5, len(in)} {
		var p Parser
		p.SetNoBody(true)
		var statuses []int
		b := []byte(in)
		for len(b) > 0 {
			chunk := b[:min(cut, len(b))]
			n, done, err := p.Feed(chunk)
			if err != nil {
				t.Fatalf("cut %d: %v", cut, err)
			}
			b = b[n:]
			if done {
				statuses = append(statuses, p.Status())
				p.Reset()
			}
		}
		if len(statuses) != 3 || statuses[0] != 200 || statuses[1] != 200 || statuses[2] != 404 {
			t.Errorf("cut %d: statuses %v, want [200 200 404]", cut, statuses)
		}
		if p.Close() {
			t.Errorf("cut %d: a HEAD answer with a transfer coding does not end the connection", cut)
		}
	}
	var p Parser
	p.SetNoBody(true)
	p.SetNoBody(false)
	if _, done, _ := p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")); done {
		t.Error("SetNoBody(false) still skips the body")
	}
}

// TestParserAgreesWithNetHTTP checks framing against net/http's reader for
// well-formed responses: same status, same end of message.
func TestParserAgreesWithNetHTTP(t *testing.T) {
	responses := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\nok",
		"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot found",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	}
	for _, raw := range responses {
		t.Run(strings.SplitN(raw, "\r\n", 2)[0], func(t *testing.T) {
			next := "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
			r := bufio.NewReader(strings.NewReader(raw + next))
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(r)
			var p Parser
			n, done, err := p.Feed([]byte(raw + next))
			if err != nil || !done {
				t.Fatalf("done=%v err=%v", done, err)
			}
			if p.Status() != resp.StatusCode {
				t.Errorf("status %d, net/http %d", p.Status(), resp.StatusCode)
			}
			if !bytes.Equal([]byte(raw + next)[n:], rest) {
				t.Errorf("message ends at %d; net/http leaves %q", n, rest)
			}
			if p.Close() != resp.Close {
				t.Errorf("close %v, net/http %v", p.Close(), resp.Close)
			}
		})
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), uint8(3))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\r\nok\r\n0\r\nT: 1\r\n\r\n"), uint8(1))
	f.Add([]byte("HTTP/1.0 404 Not Found\r\nConnection: keep-alive\r\n\r\nbody"), uint8(5))
	f.Fuzz(func(t *testing.T, b []byte, cut uint8) {
		whole := parseWhole(b, true)
		if whole.n < 0 || whole.n > len(b) {
			t.Fatalf("consumed %d of %d bytes", whole.n, len(b))
		}
		if whole.done && whole.err {
			t.Fatal("done and failed at once")
		}
		if whole.done && (whole.status < 100 || whole.status > 999) {
			t.Fatalf("done with status %d", whole.status)
		}
		split := parseSplit(b, []int{int(cut%17) + 1, int(cut%5) + 1}, true)
		if whole.err != split.err || (!whole.err && split != whole) {
			t.Fatalf("whole %+v, split %+v", whole, split)
		}
		// A parser reset after a response parses the next one from scratch.
		var p Parser
		n, done, err := p.Feed(b)
		if done && err == nil {
			p.Reset()
			if p.Started() || p.Status() != 0 {
				t.Fatal("Reset left state behind")
			}
			if _, _, err := p.Feed(b[n:]); err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not wrapping ErrMalformed: %v", err)
			}
		}
	})
}

func BenchmarkParseNginxResponse(b *testing.B) {
	resp := []byte("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 16:40:00 GMT\r\n" +
		"Content-Type: application/octet-stream\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	var p Parser
	for b.Loop() {
		p.Reset()
		if _, done, err := p.Feed(resp); !done || err != nil {
			b.Fatal(done, err)
		}
	}
}
