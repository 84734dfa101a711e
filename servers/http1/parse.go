// Package http1 is the small HTTP/1.1 server side the raw variants (naive,
// pool, and any event loop that wants it) share: an incremental request
// parser that works on a byte buffer without allocating, the canned answers,
// and a loop that serves requests on a blocking connection.
//
// The parser is strict where leniency would make framing ambiguous:
//
//   - Lines end with CRLF. A bare LF (or a CR not followed by LF) is a 400:
//     one way to end a line leaves no room for two parsers to disagree about
//     where a request ends.
//   - The request line is METHOD SP origin-form-target SP HTTP/x.y, with
//     single spaces. HTTP/1.0 and HTTP/1.1 are served; any other well-formed
//     version is a 505. Empty lines before the request line are not skipped.
//   - Header lines are name ":" OWS value OWS. No space before the colon, no
//     control characters but HTAB in values, no obs-fold (a line starting
//     with SP or HTAB): all 400. HTTP/1.1 requests need exactly one Host.
//   - Content-Length: decimal digits only; repeated with the same value it is
//     accepted, with different values (or a list) it is a 400. The body is
//     part of the request: Parse reports a request complete only when its
//     body is in the buffer, and refuses bodies over MaxBodyBytes with 413.
//   - Transfer-Encoding whose final coding is chunked: 411 Length Required,
//     and the connection is closed, because without decoding the chunks
//     nobody can tell where the next request starts. Whose final coding is
//     anything else ("gzip"): 400, as RFC 9112 section 6.3 demands (the
//     body's length cannot be known). With Content-Length as well it is a
//     400 (the classic request-smuggling shape).
//   - The request line plus headers plus the empty line may not exceed
//     MaxHeaderBytes: 431, decided as soon as MaxHeaderBytes bytes have
//     arrived without the block being complete.
//
// Every error is final: answer its status with "Connection: close" and close
// the connection (AppendError writes such an answer).
//
// Not supported: absolute-form and asterisk-form targets (400), and
// "Expect: 100-continue" (no interim 100 is sent; such clients send their
// body after their own wait, curl after 1 s).
package http1

import (
	"bytes"
	"errors"
	"strconv"
)

// Default limits of a Parser whose fields are zero.
const (
	DefaultMaxHeaderBytes = 8 << 10
	DefaultMaxBodyBytes   = 64 << 10
)

// maxContentLengthDigits keeps Content-Length far from int64 overflow.
const maxContentLengthDigits = 18

// ErrIncomplete means the buffer holds the beginning of a request, not all
// of it: read more bytes and parse again from the same start.
var ErrIncomplete = errors.New("http1: incomplete request")

// Error is a request the server refuses: answer Status and close.
type Error struct {
	// Status is the HTTP status code to answer with (400, 411, 413, 431, 505).
	Status int
	// Reason says what was wrong, for logs and tests.
	Reason string
}

// Error implements error.
func (e *Error) Error() string {
	return "http1: " + e.Reason + " (" + strconv.Itoa(e.Status) + ")"
}

// The refusals Parse returns. They are values, so returning them does not
// allocate; compare with errors.Is or read Status through StatusOf.
var (
	ErrRequestLine      = &Error{Status: 400, Reason: "malformed request line"}
	ErrMethod           = &Error{Status: 400, Reason: "malformed method"}
	ErrTarget           = &Error{Status: 400, Reason: "malformed request target"}
	ErrVersionSyntax    = &Error{Status: 400, Reason: "malformed HTTP version"}
	ErrVersion          = &Error{Status: 505, Reason: "HTTP version not supported"}
	ErrLineEnd          = &Error{Status: 400, Reason: "line not ended by CRLF"}
	ErrHeaderLine       = &Error{Status: 400, Reason: "malformed header line"}
	ErrObsFold          = &Error{Status: 400, Reason: "obsolete header line folding"}
	ErrHost             = &Error{Status: 400, Reason: "HTTP/1.1 request without exactly one Host"}
	ErrContentLength    = &Error{Status: 400, Reason: "malformed or conflicting Content-Length"}
	ErrTransferEncoding = &Error{Status: 411, Reason: "Transfer-Encoding not supported, send Content-Length"}
	ErrTransferCoding   = &Error{Status: 400, Reason: "Transfer-Encoding whose final coding is not chunked"}
	ErrFraming          = &Error{Status: 400, Reason: "both Transfer-Encoding and Content-Length"}
	ErrHeaderTooLarge   = &Error{Status: 431, Reason: "request line and headers exceed the limit"}
	ErrBodyTooLarge     = &Error{Status: 413, Reason: "body exceeds the limit"}
)

// StatusOf returns the status to answer a parse error with: the Status of an
// *Error, 400 for anything else.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 400
}

// Request is a parsed request. Its byte slices point into the buffer given
// to Parse and are valid until that buffer is changed.
type Request struct {
	// Method is the method token as sent ("GET").
	Method []byte
	// Target is the origin-form request target ("/cpu?us=5").
	Target []byte
	// Minor is the HTTP/1 minor version: 0 or 1.
	Minor int
	// KeepAlive reports whether the client lets the connection persist
	// after the answer: HTTP/1.1 unless "Connection: close", HTTP/1.0 only
	// with "Connection: keep-alive" (and without "close").
	KeepAlive bool
	// ContentLength is the declared body length (0 without the header).
	ContentLength int64
	// Body is the request body (ContentLength bytes).
	Body []byte
	// HeaderBytes is the length of the request line, headers and empty line.
	HeaderBytes int
}

// Head reports whether the request is a HEAD (answered without a body).
func (r *Request) Head() bool { return string(r.Method) == "HEAD" }

// Parser parses requests from a buffer under its limits. The zero value uses
// the default limits. A Parser holds no state between calls, so one may be
// shared by any number of goroutines.
type Parser struct {
	// MaxHeaderBytes bounds the request line, headers and empty line
	// together; beyond it the answer is 431.
	MaxHeaderBytes int
	// MaxBodyBytes bounds Content-Length; beyond it the answer is 413.
	MaxBodyBytes int
}

// MaxRequestBytes is the largest complete request the parser accepts: a
// buffer this large can always hold the request Parse is waiting for.
func (p *Parser) MaxRequestBytes() int { return p.maxHeader() + p.maxBody() }

func (p *Parser) maxHeader() int {
	if p.MaxHeaderBytes > 0 {
		return p.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}

func (p *Parser) maxBody() int {
	if p.MaxBodyBytes > 0 {
		return p.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// headerState collects what the headers say about framing and persistence.
type headerState struct {
	hosts        int
	haveLength   bool
	length       int64
	transferEnc  bool
	chunkedLast  bool // the final transfer coding is chunked
	connClose    bool
	connKeepAliv bool
}

// Parse reads one request from the start of buf. It returns the number of
// bytes the request occupies (request line, headers and body) and nil; or 0
// and ErrIncomplete when buf holds only the beginning of a request; or 0 and
// an *Error whose Status is the answer to give before closing.
//
// Parse is consistent under any split of the input: for every prefix of a
// byte stream it returns either ErrIncomplete or exactly what it returns for
// the whole stream. It never allocates.
func (p *Parser) Parse(buf []byte, req *Request) (int, error) {
	n, err := p.parse(buf, req)
	if err != nil {
		*req = Request{}
	}
	return n, err
}

func (p *Parser) parse(buf []byte, req *Request) (int, error) {
	*req = Request{}
	maxHeader := p.maxHeader()
	window := buf
	if len(window) > maxHeader {
		window = window[:maxHeader]
	}
	// incomplete is the verdict when the header block has not ended
	// inside window.
	incomplete := ErrIncomplete
	if len(buf) >= maxHeader {
		incomplete = ErrHeaderTooLarge
	}

	eol := bytes.IndexByte(window, '\n')
	if eol < 0 {
		return 0, incomplete
	}
	if err := parseRequestLine(window[:eol+1], req); err != nil {
		return 0, err
	}
	pos := eol + 1
	var hs headerState
	for {
		eol = bytes.IndexByte(window[pos:], '\n')
		if eol < 0 {
			return 0, incomplete
		}
		line := window[pos : pos+eol+1]
		pos += eol + 1
		if len(line) < 2 || line[len(line)-2] != '\r' {
			return 0, ErrLineEnd
		}
		if len(line) == 2 {
			break // the empty line ending the header block
		}
		if err := parseHeaderLine(line[:len(line)-2], &hs); err != nil {
			return 0, err
		}
	}
	req.HeaderBytes = pos

	switch {
	case hs.transferEnc && hs.haveLength:
		return 0, ErrFraming
	case hs.transferEnc && !hs.chunkedLast:
		return 0, ErrTransferCoding
	case hs.transferEnc:
		return 0, ErrTransferEncoding
	case req.Minor == 1 && hs.hosts != 1:
		return 0, ErrHost
	case hs.length > int64(p.maxBody()):
		return 0, ErrBodyTooLarge
	}
	if req.Minor == 1 {
		req.KeepAlive = !hs.connClose
	} else {
		req.KeepAlive = hs.connKeepAliv && !hs.connClose
	}
	req.ContentLength = hs.length
	end := pos + int(hs.length)
	if len(buf) < end {
		return 0, ErrIncomplete
	}
	req.Body = buf[pos:end]
	return end, nil
}

// parseRequestLine parses "METHOD SP target SP HTTP/x.y CRLF".
func parseRequestLine(line []byte, req *Request) error {
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return ErrLineEnd
	}
	line = line[:len(line)-2]
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 {
		return ErrRequestLine
	}
	method := line[:sp]
	if len(method) == 0 || !isToken(method) {
		return ErrMethod
	}
	rest := line[sp+1:]
	sp = bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return ErrRequestLine
	}
	target, version := rest[:sp], rest[sp+1:]
	if len(target) == 0 || target[0] != '/' {
		return ErrTarget
	}
	for _, c := range target {
		if c <= ' ' || c >= 0x7f {
			return ErrTarget
		}
	}
	minor, err := parseVersion(version)
	if err != nil {
		return err
	}
	req.Method, req.Target, req.Minor = method, target, minor
	return nil
}

// parseVersion parses "HTTP/d.d" and accepts 1.0 and 1.1.
func parseVersion(v []byte) (int, error) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || !isDigit(v[5]) || v[6] != '.' || !isDigit(v[7]) {
		return 0, ErrVersionSyntax
	}
	if v[5] != '1' || (v[7] != '0' && v[7] != '1') {
		return 0, ErrVersion
	}
	return int(v[7] - '0'), nil
}

// parseHeaderLine parses "name: value" (CRLF already cut off) and records
// the headers that matter for framing and persistence.
func parseHeaderLine(line []byte, hs *headerState) error {
	if line[0] == ' ' || line[0] == '\t' {
		return ErrObsFold
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return ErrHeaderLine
	}
	name := line[:colon]
	value := line[colon+1:]
	for _, c := range value {
		if !valueChars[c] {
			return ErrHeaderLine
		}
	}
	value = trimOWS(value)
	switch {
	case equalFold(name, "host"):
		hs.hosts++
	case equalFold(name, "content-length"):
		n, ok := parseLength(value)
		if !ok || (hs.haveLength && n != hs.length) {
			return ErrContentLength
		}
		hs.haveLength, hs.length = true, n
	case equalFold(name, "transfer-encoding"):
		// The codings are listed in the order applied; a later line
		// continues the list, so the last element of the last line is
		// the final coding.
		hs.transferEnc = true
		last := value
		if i := bytes.LastIndexByte(value, ','); i >= 0 {
			last = trimOWS(value[i+1:])
		}
		hs.chunkedLast = equalFold(last, "chunked")
	case equalFold(name, "connection"):
		connectionTokens(value, hs)
	}
	return nil
}

// connectionTokens reads the comma-separated Connection options.
func connectionTokens(v []byte, hs *headerState) {
	for len(v) > 0 {
		end := bytes.IndexByte(v, ',')
		if end < 0 {
			end = len(v)
		}
		tok := trimOWS(v[:end])
		switch {
		case equalFold(tok, "close"):
			hs.connClose = true
		case equalFold(tok, "keep-alive"):
			hs.connKeepAliv = true
		}
		if end == len(v) {
			return
		}
		v = v[end+1:]
	}
}

// parseLength parses a Content-Length value: 1 to 18 decimal digits.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > maxContentLengthDigits {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// tokenChars marks the tchar set of RFC 9110 section 5.6.2.
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// valueChars marks the bytes allowed in a field value: visible ASCII,
// obs-text (0x80-0xff), space and tab; no other control character.
var valueChars = func() (t [256]bool) {
	for c := range t {
		t[c] = (c >= ' ' && c != 0x7f) || c == '\t'
	}
	return t
}()

func isToken(b []byte) bool {
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// trimOWS cuts spaces and tabs from both ends.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold compares b with the lower-case ASCII string lower, ignoring the
// case of b's letters.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
