// Package http1 parses HTTP/1.x responses as a stream, one byte slice at a
// time, without keeping any of the bytes it has seen.
//
// A Parser holds a few dozen bytes of state, so a load driver can give one to
// each of ten thousand connections and feed them all from one shared read
// buffer: a response that spans several reads needs no per-connection buffer.
// It understands what a client must know to find where a response ends: the
// status line, Content-Length, Transfer-Encoding: chunked (with extensions
// and trailers), Connection: close / keep-alive, HTTP/1.0 defaults, interim
// 1xx responses, and bodies delimited by the end of the connection.
package http1

import (
	"bytes"
	"errors"
	"fmt"
)

// MaxHeaderBytes bounds the status line plus header section of one response
// (interim 1xx responses included).
const MaxHeaderBytes = 64 << 10

// maxLength bounds Content-Length and chunk sizes (1 TiB): larger values are
// treated as malformed rather than trusted.
const maxLength = 1 << 40

// maxChunkLine bounds a chunk-size line including its extensions.
const maxChunkLine = 4096

// ErrMalformed is wrapped by every error the parser returns.
var ErrMalformed = errors.New("http1: malformed response")

// parser states
const (
	sStatus       uint8 = iota // matching "HTTP/1.x NNN"
	sStatusRest                // skipping the reason phrase
	sLineStart                 // at the first byte of a header line
	sName                      // inside a header name
	sValue                     // inside the value of an interesting header
	sSkipLine                  // skipping the value of another header
	sHeadersCR                 // saw '\r' of the empty line
	sBody                      // counting down a Content-Length body
	sBodyUntilEOF              // body delimited by the end of the connection
	sChunkSize                 // hex digits of a chunk size
	sChunkExt                  // chunk extension up to the end of line
	sChunkSizeLF               // saw '\r' after the chunk size
	sChunkData                 // counting down chunk data
	sChunkDataCR               // expecting '\r' after chunk data
	sChunkDataLF               // expecting '\n' after chunk data
	sTrailerStart              // at the first byte of a trailer line
	sTrailerSkip               // skipping a trailer line
	sTrailerCR                 // saw '\r' of the empty line ending the trailers
	sDone                      // a complete response was parsed
)

// headers the parser cares about
const (
	hNone uint8 = iota
	hContentLength
	hTransferEncoding
	hConnection
)

var headerNames = [...]string{
	hContentLength:    "content-length",
	hTransferEncoding: "transfer-encoding",
	hConnection:       "connection",
}

// flags
const (
	fHaveLength uint16 = 1 << iota
	fChunked
	fTransferEncoding
	fClose
	fKeepAlive
	fHTTP10
	fStarted
	fValueDigits // current Content-Length value has at least one digit
	fValueEnd    // trailing whitespace seen in a Content-Length value
	fChunkDigits
	fTokOverflow
	fNoBody // the responses answer HEAD requests: no body whatever the headers say
)

// Parser is the incremental state of one response being parsed. The zero
// value is ready to parse a response.
type Parser struct {
	length   int64  // Content-Length, then the bytes of body or chunk left
	value    int64  // Content-Length value being read
	hdrBytes uint32 // bytes of the header section so far
	line     uint16 // bytes of the current chunk-size line
	flags    uint16
	status   uint16
	state    uint8
	pos      uint8 // position in the status line or header name
	cand     uint8 // bitmask of header names still matching
	hdr      uint8 // header whose value is being read
	tokLen   uint8
	tok      [12]byte // current token of a Connection / Transfer-Encoding value
}

// Reset prepares p for the next response on the same connection. It keeps
// the mode SetNoBody set.
func (p *Parser) Reset() { *p = Parser{flags: p.flags & fNoBody} }

// SetNoBody tells p whether the responses it parses answer HEAD requests,
// which carry no body whatever their Content-Length or Transfer-Encoding
// say (RFC 9110 section 9.3.2). Reset keeps the setting.
func (p *Parser) SetNoBody(on bool) {
	if on {
		p.flags |= fNoBody
	} else {
		p.flags &^= fNoBody
	}
}

// Status returns the status code of the response (0 before it is known).
func (p *Parser) Status() int { return int(p.status) }

// Started reports whether any byte of the current response was seen.
func (p *Parser) Started() bool { return p.flags&fStarted != 0 }

// Done reports whether a complete response was parsed.
func (p *Parser) Done() bool { return p.state == sDone }

// Close reports whether the connection cannot carry another response after
// this one: the response said Connection: close, it was HTTP/1.0 without
// keep-alive, or its body ran to the end of the connection.
func (p *Parser) Close() bool {
	if p.flags&fClose != 0 {
		return true
	}
	return p.flags&fHTTP10 != 0 && p.flags&fKeepAlive == 0
}

// EOF tells the parser that the peer closed the connection. It reports
// whether that completes the response (a body delimited by the close).
func (p *Parser) EOF() bool {
	if p.state == sBodyUntilEOF {
		p.state = sDone
		return true
	}
	return p.state == sDone
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Feed consumes bytes of b up to the end of the current response. It returns
// how many bytes it consumed and whether the response is now complete; the
// bytes after n belong to the next response (pipelining). After an error the
// parser must be Reset before reuse.
func (p *Parser) Feed(b []byte) (n int, done bool, err error) {
	if len(b) == 0 {
		return 0, p.state == sDone, nil
	}
	i := 0
	if p.flags&fStarted == 0 {
		// A fresh response: when its whole header section is at hand in the
		// usual shape, read it line by line instead of byte by byte.
		if k, ok := p.fastHeader(b); ok {
			i = k
		} else {
			p.Reset()
		}
	}
	p.flags |= fStarted
	for i < len(b) {
		switch p.state {
		case sStatus, sStatusRest, sLineStart, sName, sValue, sSkipLine, sHeadersCR:
			start := i
			i, err = p.header(b, i)
			p.hdrBytes += uint32(i - start)
			if err != nil {
				return i, false, err
			}
			if p.hdrBytes > MaxHeaderBytes {
				return i, false, malformed("header section longer than %d bytes", MaxHeaderBytes)
			}
		case sBody, sChunkData:
			next := sDone
			if p.state == sChunkData {
				next = sChunkDataCR
			}
			var ended bool
			if i, ended = p.skip(b, i, next); !ended {
				return i, false, nil
			}
		case sBodyUntilEOF:
			return len(b), false, nil
		case sDone:
			return i, true, nil
		default:
			i, err = p.chunked(b, i)
			if err != nil {
				return i, false, err
			}
		}
		if p.state == sDone {
			return i, true, nil
		}
	}
	return i, p.state == sDone, nil
}

// skip consumes what b holds, from i, of the p.length bytes left of a body
// or chunk. Once they are all read it moves to state next and reports true.
func (p *Parser) skip(b []byte, i int, next uint8) (int, bool) {
	k := int64(len(b) - i)
	if k < p.length {
		p.length -= k
		return len(b), false
	}
	i += int(p.length)
	p.length = 0
	p.state = next
	return i, true
}

var crlfcrlf = []byte("\r\n\r\n")

// fastHeader parses a header section that lies entirely in b, with CRLF
// line ends, a final status and a size within MaxHeaderBytes. It reports
// false, leaving p to be reset, for anything else (including any malformed
// input), which the byte-by-byte path then handles, so both paths always
// agree. On success p is positioned at the body.
func (p *Parser) fastHeader(b []byte) (int, bool) {
	end := bytes.Index(b, crlfcrlf)
	if end < 12 || end+4 > MaxHeaderBytes {
		return 0, false
	}
	if string(b[:7]) != "HTTP/1." || b[7] != '0' && b[7] != '1' || b[8] != ' ' || b[12] != ' ' && b[12] != '\r' {
		return 0, false
	}
	status := uint16(0)
	for _, c := range b[9:12] {
		if c < '0' || c > '9' {
			return 0, false
		}
		status = status*10 + uint16(c-'0')
	}
	if status < 200 || status == 101 {
		return 0, false // interim responses and errors take the slow path
	}
	p.status = status
	if b[7] == '0' {
		p.flags |= fHTTP10
	}
	block := b[:end+2] // every line of the section with its CRLF
	pos := bytes.IndexByte(block, '\n') + 1
	if pos < 2 || block[pos-2] != '\r' {
		return 0, false
	}
	for pos < len(block) {
		j := bytes.IndexByte(block[pos:], '\n')
		if j < 1 || block[pos+j-1] != '\r' {
			return 0, false // bare LF, or an empty line before the end
		}
		line := block[pos : pos+j] // ends with '\r'
		pos += j + 1
		switch line[0] | 0x20 {
		case 'c':
			p.cand = 1<<hContentLength | 1<<hConnection
		case 't':
			p.cand = 1 << hTransferEncoding
		default:
			if !isTokenChar(line[0]) {
				return 0, false
			}
			continue
		}
		if !p.fastLine(line) {
			return 0, false
		}
	}
	p.hdrBytes = uint32(end + 4)
	if err := p.headersDone(); err != nil {
		return 0, false
	}
	return end + 4, true
}

// fastLine handles one header line that may be an interesting one, the way
// the byte-by-byte path does; false means that path must decide.
func (p *Parser) fastLine(line []byte) bool {
	k := bytes.IndexByte(line, ':')
	if k < 1 {
		return false
	}
	name := line[:k]
	for _, c := range name {
		if !tokenChars[c] {
			return false
		}
	}
	p.hdr = hNone
	for h := hContentLength; h <= hConnection; h++ {
		if p.cand&(1<<h) != 0 && equalFold(name, headerNames[h]) {
			p.hdr = h
		}
	}
	if p.hdr == hNone {
		return true
	}
	p.startValue()
	for _, v := range line[k+1:] {
		if p.valueByte(v) != nil {
			return false
		}
	}
	return p.valueDone() == nil
}

// equalFold reports whether b equals the lower-case ASCII name, ignoring case.
func equalFold(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i, c := range b {
		if lower(c) != name[i] {
			return false
		}
	}
	return true
}

// header advances through the status line and header section.
func (p *Parser) header(b []byte, i int) (int, error) {
	const prefix = "HTTP/1."
	for i < len(b) {
		c := b[i]
		switch p.state {
		case sStatus:
			switch {
			case p.pos < 7:
				if c != prefix[p.pos] {
					return i, malformed("status line does not start with HTTP/1.")
				}
			case p.pos == 7:
				if c != '0' && c != '1' {
					return i, malformed("unknown HTTP version 1.%c", c)
				}
				if c == '0' {
					p.flags |= fHTTP10
				}
			case p.pos == 8:
				if c != ' ' {
					return i, malformed("no space after the HTTP version")
				}
			case p.pos <= 11:
				if c < '0' || c > '9' {
					return i, malformed("status code is not three digits")
				}
				p.status = p.status*10 + uint16(c-'0')
			default: // pos 12: end of code
				switch c {
				case ' ':
					p.state = sStatusRest
				case '\r':
					p.state = sStatusRest
				case '\n':
					p.state = sLineStart
				default:
					return i, malformed("status code is not three digits")
				}
				if p.status < 100 {
					return i, malformed("status code %d below 100", p.status)
				}
			}
			p.pos++
			i++
		case sStatusRest, sSkipLine:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				return len(b), nil
			}
			i += j + 1
			p.state = sLineStart
		case sLineStart:
			switch c {
			case '\r':
				p.state = sHeadersCR
				i++
			case '\n':
				i++
				return i, p.headersDone()
			case ' ', '\t':
				return i, malformed("obsolete header line folding")
			default:
				// Only Content-Length, Connection and Transfer-Encoding
				// matter; any other header line is skipped in one scan.
				switch c | 0x20 {
				case 'c':
					p.cand = 1<<hContentLength | 1<<hConnection
				case 't':
					p.cand = 1 << hTransferEncoding
				default:
					if !isTokenChar(c) {
						return i, malformed("invalid byte %q starting a header name", c)
					}
					p.state = sSkipLine
					continue
				}
				p.state = sName
				p.pos = 0
			}
		case sHeadersCR:
			if err := lf(c, "ending the header section"); err != nil {
				return i, err
			}
			return i + 1, p.headersDone()
		case sName:
			if c == ':' {
				if p.pos == 0 {
					return i, malformed("empty header name")
				}
				p.hdr = hNone
				for h := hContentLength; h <= hConnection; h++ {
					if p.cand&(1<<h) != 0 && int(p.pos) == len(headerNames[h]) {
						p.hdr = h
					}
				}
				i++
				if p.hdr == hNone {
					p.state = sSkipLine
					continue
				}
				p.state = sValue
				p.startValue()
				continue
			}
			if !isTokenChar(c) {
				return i, malformed("invalid byte %q in header name", c)
			}
			lc := lower(c)
			for h := hContentLength; h <= hConnection; h++ {
				name := headerNames[h]
				if p.cand&(1<<h) != 0 && (int(p.pos) >= len(name) || name[p.pos] != lc) {
					p.cand &^= 1 << h
				}
			}
			if p.pos < 255 {
				p.pos++
			}
			i++
			if p.cand == 0 {
				p.state = sSkipLine
			}
		case sValue:
			if c == '\n' {
				i++
				if err := p.valueDone(); err != nil {
					return i, err
				}
				p.state = sLineStart
				continue
			}
			if err := p.valueByte(c); err != nil {
				return i, err
			}
			i++
		default:
			return i, nil
		}
		if p.state >= sBody {
			return i, nil
		}
	}
	return i, nil
}

// startValue starts reading the value of the interesting header p.hdr.
func (p *Parser) startValue() {
	p.tokLen = 0
	p.value = 0
	p.flags &^= fValueDigits | fValueEnd | fTokOverflow
	if p.hdr == hTransferEncoding {
		p.flags |= fTransferEncoding
		p.flags &^= fChunked
	}
}

// valueByte handles one byte of an interesting header's value.
func (p *Parser) valueByte(c byte) error {
	if p.hdr == hContentLength {
		switch {
		case c >= '0' && c <= '9':
			if p.flags&fValueEnd != 0 {
				return malformed("Content-Length has spaces inside")
			}
			p.flags |= fValueDigits
			p.value = p.value*10 + int64(c-'0')
			if p.value > maxLength {
				return malformed("Content-Length larger than %d", int64(maxLength))
			}
		case c == ' ' || c == '\t' || c == '\r':
			if p.flags&fValueDigits != 0 {
				p.flags |= fValueEnd
			}
		default:
			return malformed("invalid byte %q in Content-Length", c)
		}
		return nil
	}
	// Connection and Transfer-Encoding: comma-separated tokens.
	switch c {
	case ',':
		p.tokenDone()
	case ' ', '\t', '\r':
		// whitespace ends nothing by itself; tokens cannot contain it
	default:
		if int(p.tokLen) < len(p.tok) {
			p.tok[p.tokLen] = lower(c)
			p.tokLen++
		} else {
			p.flags |= fTokOverflow
		}
	}
	return nil
}

// tokenDone evaluates the token just read from a list-valued header.
func (p *Parser) tokenDone() {
	if p.tokLen == 0 && p.flags&fTokOverflow == 0 {
		return // empty list element
	}
	tok := string(p.tok[:p.tokLen])
	if p.flags&fTokOverflow != 0 {
		tok = ""
	}
	switch p.hdr {
	case hTransferEncoding:
		// chunked counts only as the last coding
		if tok == "chunked" {
			p.flags |= fChunked
		} else {
			p.flags &^= fChunked
		}
	case hConnection:
		switch tok {
		case "close":
			p.flags |= fClose
		case "keep-alive":
			p.flags |= fKeepAlive
		}
	}
	p.tokLen = 0
	p.flags &^= fTokOverflow
}

// valueDone finishes an interesting header at the end of its line.
func (p *Parser) valueDone() error {
	switch p.hdr {
	case hContentLength:
		if p.flags&fValueDigits == 0 {
			return malformed("empty Content-Length")
		}
		if p.flags&fHaveLength != 0 && p.length != p.value {
			return malformed("conflicting Content-Length values %d and %d", p.length, p.value)
		}
		p.flags |= fHaveLength
		p.length = p.value
	default:
		p.tokenDone()
	}
	p.hdr = hNone
	return nil
}

// headersDone decides how the body is delimited once the header section ended.
func (p *Parser) headersDone() error {
	s := p.status
	switch {
	case s >= 100 && s < 200 && s != 101:
		// interim response: the final one follows
		hdr := p.hdrBytes
		*p = Parser{hdrBytes: hdr, flags: fStarted | p.flags&fNoBody}
		p.state = sStatus
		return nil
	case s == 101:
		return malformed("unexpected 101 Switching Protocols")
	case s == 204 || s == 304 || p.flags&fNoBody != 0:
		p.state = sDone
	case p.flags&fTransferEncoding != 0:
		if p.flags&fChunked != 0 {
			p.state = sChunkSize
			p.length = 0
			p.line = 0
			p.flags &^= fChunkDigits
		} else {
			p.state = sBodyUntilEOF
			p.flags |= fClose
		}
	case p.flags&fHaveLength != 0:
		if p.length == 0 {
			p.state = sDone
		} else {
			p.state = sBody
		}
	default:
		p.state = sBodyUntilEOF
		p.flags |= fClose
	}
	return nil
}

// chunked advances through a chunked body's framing.
func (p *Parser) chunked(b []byte, i int) (int, error) {
	for i < len(b) {
		c := b[i]
		switch p.state {
		case sChunkSize:
			p.line++
			if p.line > maxChunkLine {
				return i, malformed("chunk-size line too long")
			}
			switch {
			case isHex(c):
				if p.flags&fValueEnd != 0 {
					return i, malformed("space inside chunk size")
				}
				p.flags |= fChunkDigits
				p.length = p.length<<4 | int64(unhex(c))
				if p.length > maxLength {
					return i, malformed("chunk larger than %d", int64(maxLength))
				}
			case c == ';':
				p.state = sChunkExt
			case c == ' ' || c == '\t':
				p.flags |= fValueEnd
			case c == '\r':
				p.state = sChunkSizeLF
			case c == '\n':
				i++
				return i, p.chunkSizeDone()
			default:
				return i, malformed("invalid byte %q in chunk size", c)
			}
			i++
		case sChunkExt:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				p.line += uint16(min(len(b)-i, maxChunkLine+1))
				if p.line > maxChunkLine {
					return len(b), malformed("chunk extension too long")
				}
				return len(b), nil
			}
			i += j + 1
			return i, p.chunkSizeDone()
		case sChunkSizeLF:
			if err := lf(c, "after chunk size"); err != nil {
				return i, err
			}
			return i + 1, p.chunkSizeDone()
		case sChunkDataCR:
			switch c {
			case '\r':
				p.state = sChunkDataLF
			case '\n':
				p.startChunk()
			default:
				return i, malformed("chunk data longer than its size")
			}
			i++
		case sChunkDataLF:
			if err := lf(c, "after chunk data"); err != nil {
				return i, err
			}
			p.startChunk()
			i++
		case sTrailerStart:
			switch c {
			case '\r':
				p.state = sTrailerCR
			case '\n':
				p.state = sDone
				return i + 1, nil
			default:
				p.state = sTrailerSkip
				continue
			}
			i++
		case sTrailerSkip:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				p.hdrBytes += uint32(len(b) - i)
				if p.hdrBytes > MaxHeaderBytes {
					return len(b), malformed("trailers longer than %d bytes", MaxHeaderBytes)
				}
				return len(b), nil
			}
			p.hdrBytes += uint32(j + 1)
			if p.hdrBytes > MaxHeaderBytes {
				return i, malformed("trailers longer than %d bytes", MaxHeaderBytes)
			}
			i += j + 1
			p.state = sTrailerStart
		case sTrailerCR:
			if err := lf(c, "ending the trailers"); err != nil {
				return i, err
			}
			p.state = sDone
			return i + 1, nil
		default:
			return i, nil
		}
	}
	return i, nil
}

func (p *Parser) startChunk() {
	p.state = sChunkSize
	p.length = 0
	p.line = 0
	p.flags &^= fChunkDigits | fValueEnd
}

func (p *Parser) chunkSizeDone() error {
	if p.flags&fChunkDigits == 0 {
		return malformed("chunk size has no digits")
	}
	p.flags &^= fValueEnd
	if p.length == 0 {
		p.state = sTrailerStart
		return nil
	}
	p.state = sChunkData
	return nil
}

// lf checks that c, the byte after a CR, is LF; where says what the CRLF
// ends or follows.
func lf(c byte, where string) error {
	if c != '\n' {
		return malformed("CR without LF %s", where)
	}
	return nil
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// tokenChars marks the bytes that may appear in a header name.
var tokenChars = func() (t [256]bool) {
	for c := range 256 {
		t[c] = isTokenChar(byte(c))
	}
	return t
}()

// isTokenChar reports whether c may appear in a header name (RFC 9110 tchar).
func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
