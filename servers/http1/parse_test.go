package http1

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// result is what a Parse call reports, in comparable form.
type result struct {
	n         int
	err       error
	method    string
	target    string
	minor     int
	keepAlive bool
	length    int64
	body      string
	header    int
}

func parseResult(p *Parser, buf []byte) result {
	var req Request
	n, err := p.Parse(buf, &req)
	return result{
		n: n, err: err,
		method: string(req.Method), target: string(req.Target), minor: req.Minor,
		keepAlive: req.KeepAlive, length: req.ContentLength, body: string(req.Body),
		header: req.HeaderBytes,
	}
}

func TestParse(t *testing.T) {
	const get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	big := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 300) + "\r\n\r\n"
	tests := []struct {
		name string
		in   string
		tail string // bytes after the request (successes only)
		max  int    // MaxHeaderBytes; 0: default
		want result
	}{
		{name: "simple", in: get,
			want: result{method: "GET", target: "/", minor: 1, keepAlive: true}},
		{name: "query and pipelined tail left alone", in: "GET /cpu?us=5 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n", tail: "GET / HTTP/1.1\r\n",
			want: result{method: "GET", target: "/cpu?us=5", minor: 1, keepAlive: true}},
		{name: "connection close", in: "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			want: result{method: "GET", target: "/", minor: 1, keepAlive: false}},
		{name: "connection tokens, any case", in: "GET / HTTP/1.1\r\nhost: x\r\nCONNECTION: Upgrade ,\tCLOSE\r\n\r\n",
			want: result{method: "GET", target: "/", minor: 1, keepAlive: false}},
		{name: "http/1.0 closes by default", in: "GET / HTTP/1.0\r\n\r\n",
			want: result{method: "GET", target: "/", minor: 0, keepAlive: false}},
		{name: "http/1.0 keep-alive asked", in: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
			want: result{method: "GET", target: "/", minor: 0, keepAlive: true}},
		{name: "http/1.0 close beats keep-alive", in: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
			want: result{method: "GET", target: "/", minor: 0, keepAlive: false}},
		{name: "body", in: "POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET", tail: "GET",
			want: result{method: "POST", target: "/json", minor: 1, keepAlive: true, length: 5, body: "hello"}},
		{name: "repeated identical content-length", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nz",
			want: result{method: "POST", target: "/", minor: 1, keepAlive: true, length: 1, body: "z"}},
		{name: "header value trimmed, obs-text kept", in: "GET / HTTP/1.1\r\nHost:x\r\nX: \t\xff v \t\r\n\r\n",
			want: result{method: "GET", target: "/", minor: 1, keepAlive: true}},
		{name: "block of exactly the limit", in: big, max: len(big),
			want: result{method: "GET", target: "/", minor: 1, keepAlive: true}},

		{name: "empty", in: "", want: result{err: ErrIncomplete}},
		{name: "partial request line", in: "GET / HT", want: result{err: ErrIncomplete}},
		{name: "partial headers", in: "GET / HTTP/1.1\r\nHost: x\r\n", want: result{err: ErrIncomplete}},
		{name: "partial body", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhel", want: result{err: ErrIncomplete}},

		{name: "one byte over the limit", in: big, max: len(big) - 1, want: result{err: ErrHeaderTooLarge}},
		{name: "431 before the block ends", in: big[:300], max: 256, want: result{err: ErrHeaderTooLarge}},
		{name: "431 once the limit is reached", in: big[:256], max: 256, want: result{err: ErrHeaderTooLarge}},
		{name: "no 431 below the limit", in: big[:255], max: 256, want: result{err: ErrIncomplete}},

		{name: "no spaces", in: "GARBAGE\r\n\r\n", want: result{err: ErrRequestLine}},
		{name: "no version", in: "GET /\r\nHost: x\r\n\r\n", want: result{err: ErrRequestLine}},
		{name: "double space", in: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", want: result{err: ErrTarget}},
		{name: "trailing space", in: "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", want: result{err: ErrVersionSyntax}},
		{name: "empty method", in: " / HTTP/1.1\r\n\r\n", want: result{err: ErrMethod}},
		{name: "bad method char", in: "G(T / HTTP/1.1\r\n\r\n", want: result{err: ErrMethod}},
		{name: "leading empty line", in: "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", want: result{err: ErrRequestLine}},
		{name: "absolute form", in: "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n", want: result{err: ErrTarget}},
		{name: "control in target", in: "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", want: result{err: ErrTarget}},
		{name: "non-ascii target", in: "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", want: result{err: ErrTarget}},
		{name: "http/2.0", in: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", want: result{err: ErrVersion}},
		{name: "http/1.2", in: "GET / HTTP/1.2\r\nHost: x\r\n\r\n", want: result{err: ErrVersion}},
		{name: "http/0.9 style", in: "GET / HTTP/0.9\r\n\r\n", want: result{err: ErrVersion}},
		{name: "version garbage", in: "GET / HTTX/1.1\r\nHost: x\r\n\r\n", want: result{err: ErrVersionSyntax}},
		{name: "two-digit version", in: "GET / HTTP/1.10\r\nHost: x\r\n\r\n", want: result{err: ErrVersionSyntax}},
		{name: "bare LF request line", in: "GET / HTTP/1.1\nHost: x\r\n\r\n", want: result{err: ErrLineEnd}},
		{name: "bare LF header", in: "GET / HTTP/1.1\r\nHost: x\n\r\n", want: result{err: ErrLineEnd}},
		{name: "bare LF end of block", in: "GET / HTTP/1.1\r\nHost: x\r\n\n", want: result{err: ErrLineEnd}},
		{name: "CR inside a header", in: "GET / HTTP/1.1\r\nHost: x\rY\r\n\r\n", want: result{err: ErrHeaderLine}},
		{name: "header without colon", in: "GET / HTTP/1.1\r\nHost: x\r\nBadHeader\r\n\r\n", want: result{err: ErrHeaderLine}},
		{name: "space before colon", in: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", want: result{err: ErrHeaderLine}},
		{name: "empty header name", in: "GET / HTTP/1.1\r\n: x\r\n\r\n", want: result{err: ErrHeaderLine}},
		{name: "obs-fold", in: "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", want: result{err: ErrObsFold}},
		{name: "missing host", in: "GET / HTTP/1.1\r\n\r\n", want: result{err: ErrHost}},
		{name: "two hosts", in: "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", want: result{err: ErrHost}},
		{name: "content-length letters", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1a\r\n\r\n", want: result{err: ErrContentLength}},
		{name: "content-length negative", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", want: result{err: ErrContentLength}},
		{name: "content-length empty", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", want: result{err: ErrContentLength}},
		{name: "content-length list", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n", want: result{err: ErrContentLength}},
		{name: "content-length overflow", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", want: result{err: ErrContentLength}},
		{name: "conflicting content-length", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", want: result{err: ErrContentLength}},
		{name: "body over the limit", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65537\r\n\r\n", want: result{err: ErrBodyTooLarge}},
		{name: "chunked", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", want: result{err: ErrTransferEncoding}},
		{name: "gzip", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", want: result{err: ErrTransferCoding}},
		{name: "chunked then gzip", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", want: result{err: ErrTransferCoding}},
		{name: "gzip then chunked", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip ,\tChunked\r\n\r\n", want: result{err: ErrTransferEncoding}},
		{name: "chunked line then gzip line", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", want: result{err: ErrTransferCoding}},
		{name: "empty transfer-encoding", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n", want: result{err: ErrTransferCoding}},
		{name: "chunked and length", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", want: result{err: ErrFraming}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Parser{MaxHeaderBytes: tt.max}
			if tt.want.err == nil {
				tt.want.n = len(tt.in) - len(tt.tail)
				tt.want.header = tt.want.n - len(tt.want.body)
			}
			got := parseResult(p, []byte(tt.in))
			if got != tt.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{ErrRequestLine, 400},
		{ErrVersion, 505},
		{ErrHeaderTooLarge, 431},
		{ErrBodyTooLarge, 413},
		{ErrTransferEncoding, 411},
		{ErrTransferCoding, 400},
		{errors.New("anything else"), 400},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestParseHead(t *testing.T) {
	var req Request
	p := &Parser{}
	for method, want := range map[string]bool{"HEAD": true, "GET": false, "head": false} {
		if _, err := p.Parse([]byte(method+" / HTTP/1.1\r\nHost: x\r\n\r\n"), &req); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if req.Head() != want {
			t.Errorf("%s: Head() = %v, want %v", method, req.Head(), want)
		}
	}
}

// TestParseResetsRequest proves no field of an earlier request leaks into a
// later, failed or incomplete parse.
func TestParseResetsRequest(t *testing.T) {
	p := &Parser{}
	var req Request
	if _, err := p.Parse([]byte("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nz"), &req); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"GET", "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n", "BAD\r\n"} {
		_, _ = p.Parse([]byte(in), &req)
		if req.Method != nil || req.Target != nil || req.Body != nil || req.ContentLength != 0 || req.KeepAlive {
			t.Errorf("after Parse(%q) the request still holds %+v", in, req)
		}
	}
}

func TestParseZeroAllocs(t *testing.T) {
	p := &Parser{}
	buf := []byte(browserRequest)
	var req Request
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Parse(buf, &req); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Parse allocates %.1f times per request, want 0", allocs)
	}
	bad := []byte("GET / HTTP/1.1\r\n\r\n") // no Host
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := p.Parse(bad, &req); err != ErrHost {
			t.Fatalf("got %v, want ErrHost", err)
		}
	})
	if allocs != 0 {
		t.Errorf("a refused request allocates %.1f times, want 0", allocs)
	}
}

const (
	wrkRequest     = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
	browserRequest = "GET /cpu?us=50 HTTP/1.1\r\n" +
		"Host: 127.0.0.1:8080\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate, br\r\n" +
		"Connection: keep-alive\r\n" +
		"Upgrade-Insecure-Requests: 1\r\n" +
		"Cache-Control: max-age=0\r\n\r\n"
)

// BenchmarkParse measures one request of each shape; it must not allocate.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"wrk", wrkRequest},
		{"browser", browserRequest},
		{"pipelined16", strings.Repeat(wrkRequest, 16)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := &Parser{}
			buf := []byte(bc.in)
			var req Request
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				for rest := buf; len(rest) > 0; {
					n, err := p.Parse(rest, &req)
					if err != nil {
						b.Fatal(err)
					}
					rest = rest[n:]
				}
			}
		})
	}
}

// the benchmark inputs must themselves parse the way the benchmark assumes.
func TestBenchmarkInputs(t *testing.T) {
	p := &Parser{}
	for _, in := range []string{wrkRequest, browserRequest} {
		got := parseResult(p, []byte(in))
		if got.err != nil || got.n != len(in) || !bytes.HasPrefix([]byte(in), []byte(got.method)) {
			t.Errorf("Parse(%q) = %+v", in, got)
		}
	}
}
