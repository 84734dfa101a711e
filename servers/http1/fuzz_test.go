package http1

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/scalelab/scalelab/servers/smuggling"
)

// fuzzParser derives the limits from the fuzzer's input, small enough that
// 431 and 413 are reached with short inputs.
func fuzzParser(limit uint16) *Parser {
	return &Parser{MaxHeaderBytes: 32 + int(limit%1024), MaxBodyBytes: int(limit >> 10)} // 0: the default
}

// FuzzParse checks the parser on arbitrary bytes:
//   - it never panics, never consumes more than it was given, and reports
//     either a request, ErrIncomplete or an *Error with a status it documents;
//   - a request it accepts satisfies the grammar it promises;
//   - every proper prefix of a request is ErrIncomplete (a server never acts
//     on half a request);
//   - the stream cut into arbitrary pieces (from cuts) and fed the way a
//     server reads it parses exactly as the whole: the same requests, the
//     same error, at the same places.
func FuzzParse(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzParse.
	f.Add([]byte(wrkRequest), uint64(0x0102030405060708), uint16(8000))
	f.Add([]byte(browserRequest+wrkRequest), uint64(7), uint16(300))
	for i, shape := range smuggling.Shapes() {
		f.Add([]byte(shape.Request), uint64(0x1f0e0d0c0b0a0908)>>(i%8), uint16(8000))
	}
	f.Fuzz(func(t *testing.T, data []byte, cuts uint64, limit uint16) {
		p := fuzzParser(limit)
		whole := parseStream(t, p, data, nil)
		pieces := parseStream(t, p, data, splitPoints(len(data), cuts))
		if whole != pieces {
			t.Fatalf("input %q cut at %v:\nwhole:  %s\npieces: %s", data, splitPoints(len(data), cuts), whole, pieces)
		}
		// Every proper prefix of the first request is incomplete.
		var req Request
		if n, err := p.Parse(data, &req); err == nil && n <= 4096 {
			for k := range n {
				if m, err := p.Parse(data[:k], &req); err != ErrIncomplete {
					t.Fatalf("prefix %q of request %q: got (%d, %v), want ErrIncomplete", data[:k], data[:n], m, err)
				}
			}
		}
	})
}

// parseStream parses data as a server reading it in pieces ending at the
// given offsets (nil: all at once) would, and describes what it found:
// each request, then how the stream ended.
func parseStream(t *testing.T, p *Parser, data []byte, ends []int) string {
	t.Helper()
	ends = append(ends, len(data))
	var out bytes.Buffer
	var req Request
	start := 0 // first unconsumed byte of data
	for _, end := range ends {
		for {
			buf := data[start:end]
			n, err := p.Parse(buf, &req)
			checkResult(t, p, buf, &req, n, err)
			if err == ErrIncomplete {
				break
			}
			if err != nil {
				fmt.Fprintf(&out, "@%d error %d (%v)", start, StatusOf(err), err)
				return out.String()
			}
			fmt.Fprintf(&out, "@%d %q %q 1.%d ka=%v cl=%d body=%q hdr=%d; ",
				start, req.Method, req.Target, req.Minor, req.KeepAlive, req.ContentLength, req.Body, req.HeaderBytes)
			start += n
		}
	}
	fmt.Fprintf(&out, "@%d incomplete, %d bytes pending", start, len(data)-start)
	return out.String()
}

// checkResult checks the promises of one Parse call.
func checkResult(t *testing.T, p *Parser, buf []byte, req *Request, n int, err error) {
	t.Helper()
	if err != nil {
		if n != 0 {
			t.Fatalf("Parse(%q) = (%d, %v): an error must consume nothing", buf, n, err)
		}
		if req.Method != nil || req.Target != nil || req.Body != nil {
			t.Fatalf("Parse(%q) failed (%v) but left a request behind: %+v", buf, err, req)
		}
		var e *Error
		switch {
		case err == ErrIncomplete:
		case errors.As(err, &e):
			switch e.Status {
			case 400, 411, 413, 431, 505:
			default:
				t.Fatalf("Parse(%q): undocumented status %d", buf, e.Status)
			}
		default:
			t.Fatalf("Parse(%q): unexpected error type %T", buf, err)
		}
		return
	}
	switch {
	case n <= 0 || n > len(buf):
		t.Fatalf("Parse(%q) consumed %d of %d bytes", buf, n, len(buf))
	case req.HeaderBytes > p.maxHeader() || req.HeaderBytes+len(req.Body) != n:
		t.Fatalf("Parse(%q): header %d + body %d != consumed %d (limit %d)", buf, req.HeaderBytes, len(req.Body), n, p.maxHeader())
	case int64(len(req.Body)) != req.ContentLength || req.ContentLength > int64(p.maxBody()):
		t.Fatalf("Parse(%q): body of %d bytes, Content-Length %d", buf, len(req.Body), req.ContentLength)
	case len(req.Method) == 0 || !isToken(req.Method):
		t.Fatalf("Parse(%q): method %q is not a token", buf, req.Method)
	case len(req.Target) == 0 || req.Target[0] != '/':
		t.Fatalf("Parse(%q): target %q is not origin-form", buf, req.Target)
	case req.Minor != 0 && req.Minor != 1:
		t.Fatalf("Parse(%q): HTTP/1.%d", buf, req.Minor)
	case !bytes.HasSuffix(buf[:req.HeaderBytes], []byte("\r\n\r\n")) && req.HeaderBytes != 0:
		t.Fatalf("Parse(%q): header block %q does not end with an empty line", buf, buf[:req.HeaderBytes])
	}
}

// splitPoints turns the bits of cuts into up to 8 increasing offsets in
// [1, n): where a reader's pieces end.
func splitPoints(n int, cuts uint64) []int {
	if n < 2 {
		return nil
	}
	var ends []int
	last := 0
	for i := 0; i < 8; i++ {
		step := int(cuts>>(8*i)) & 0xff
		if step == 0 {
			continue
		}
		next := last + step
		if next >= n {
			break
		}
		ends = append(ends, next)
		last = next
	}
	return ends
}

// TestSplitPoints pins the helper the fuzz target relies on.
func TestSplitPoints(t *testing.T) {
	tests := []struct {
		n    int
		cuts uint64
		want []int
	}{
		{n: 100, cuts: 0, want: nil},
		{n: 100, cuts: 0x0000000000000a01, want: []int{1, 11}},
		{n: 10, cuts: 0x0505050505050505, want: []int{5}},
		{n: 1, cuts: 0xff, want: nil},
	}
	for _, tt := range tests {
		got := splitPoints(tt.n, tt.cuts)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("splitPoints(%d, %#x) = %v, want %v", tt.n, tt.cuts, got, tt.want)
		}
	}
}
