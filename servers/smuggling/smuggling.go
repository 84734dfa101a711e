// Package smuggling holds the request shapes of HTTP request smuggling the
// lab's conformance table sends to every server variant: requests whose
// framing (where the request ends, so where the next one starts) two HTTP/1.1
// parsers can read differently. A front end that reads one request and a
// back end that reads two let an attacker's second request ride inside the
// first. RFC 9112 closes each of these gaps with a MUST; the table records
// which servers follow it.
//
// Most shapes carry a hidden request (Hidden, a GET /json) where a lenient
// parser would find it, so that a server which reads the framing the wrong
// way answers it: the answer with the /json body is the smuggled one.
package smuggling

import (
	"strconv"
	"strings"
)

// Host is the Host header of every shape.
const Host = "scalelab.test"

// Hidden is the request a shape hides after or inside the first one.
const Hidden = "GET /json HTTP/1.1\r\nHost: " + Host + "\r\n\r\n"

// Shape is one request shape of the table.
type Shape struct {
	// Name is the shape's short name, used in test names and the table.
	Name string
	// What says what is wrong with the request, in a few words.
	What string
	// Why says what a lenient parser makes of it and why that matters.
	Why string
	// RFC is what the RFCs (9112 unless named) ask of a server receiving
	// it.
	RFC string
	// Request is the bytes sent.
	Request string
}

// post builds a POST / request with the header lines and body given.
func post(headers []string, body string) string {
	var b strings.Builder
	b.WriteString("POST / HTTP/1.1\r\nHost: " + Host + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	return b.String()
}

// length is a Content-Length header for body.
func length(body string) string { return "Content-Length: " + strconv.Itoa(len(body)) }

// Shapes returns the request shapes of the table, in its order.
func Shapes() []Shape {
	lastChunk := "0\r\n\r\n" + Hidden
	return []Shape{
		{
			Name: "CL+TE",
			What: "Content-Length and Transfer-Encoding: chunked together",
			Why: "the classic: a parser going by Content-Length reads one request, one going by the chunks " +
				"ends the body at the last chunk and reads the hidden request after it",
			RFC:     "§6.1: Transfer-Encoding overrides Content-Length, and the server MUST close the connection after answering",
			Request: post([]string{length(lastChunk), "Transfer-Encoding: chunked"}, lastChunk),
		},
		{
			Name: "TE gzip",
			What: "Transfer-Encoding whose final coding is not chunked",
			Why: "the body's length cannot be known; a parser ignoring the header reads no body " +
				"and takes the hidden request for the next one",
			RFC:     "§6.3: MUST answer 400 and close",
			Request: post([]string{"Transfer-Encoding: gzip"}, Hidden),
		},
		{
			Name:    "CL twice",
			What:    "two different Content-Length values",
			Why:     "a parser taking the first (0) reads the hidden request as the next one, one taking the last reads it as the body",
			RFC:     "§6.3: MUST treat it as an unrecoverable error: 400 and close",
			Request: post([]string{"Content-Length: 0", length(Hidden)}, Hidden),
		},
		{
			Name:    "CL negative",
			What:    "Content-Length: -1",
			Why:     "a parser reading it as \"no body\" takes the hidden request for the next one",
			RFC:     "§6.3: an invalid Content-Length is an unrecoverable error: 400 and close",
			Request: post([]string{"Content-Length: -1"}, Hidden),
		},
		{
			Name: "CL not digits",
			What: "Content-Length: +N (a sign before the digits)",
			Why: "Content-Length is 1*DIGIT; a parser built on a general integer parser takes +N for N " +
				"while a strict one refuses it, so the two disagree on the body",
			RFC:     "§6.3: an invalid Content-Length is an unrecoverable error: 400 and close",
			Request: post([]string{"Content-Length: +" + strconv.Itoa(len(Hidden))}, Hidden),
		},
		{
			Name: "obs-fold",
			What: "a header line starting with a space (obsolete line folding)",
			Why: "one parser joins the line to the header above, another reads it as a header of its own " +
				"(here \" Transfer-Encoding: chunked\", which would change the framing)",
			RFC:     "§5.2: MUST reject with 400, or replace each fold with a space",
			Request: "GET / HTTP/1.1\r\nHost: " + Host + "\r\nX-Note: folded\r\n Transfer-Encoding: chunked\r\n\r\n",
		},
		{
			Name: "bare LF",
			What: "lines ended by LF alone, no CR",
			Why: "a parser that ends lines only at CRLF reads \"A: 1\\nB: 2\" as one header where a bare-LF parser " +
				"reads two: the two see different headers, or a different end of the header block",
			RFC:     "§2.2: a recipient MAY accept a bare LF as a line end (ignoring a preceding CR)",
			Request: "GET / HTTP/1.1\nHost: " + Host + "\n\n",
		},
		{
			Name: "space before colon",
			What: "Content-Length : N (whitespace between the field name and the colon)",
			Why: "a parser trimming the name honours the Content-Length, one keeping the space ignores it " +
				"and reads the hidden request as the next one",
			RFC:     "§5.1: MUST reject with 400",
			Request: post([]string{"Content-Length : " + strconv.Itoa(len(Hidden))}, Hidden),
		},
		{
			Name:    "version 9.9",
			What:    "an unknown protocol version",
			Why:     "a server answering as HTTP/1.1 assumes framing rules the client never agreed to",
			RFC:     "RFC 9110 §15.6.6: 505 (HTTP Version Not Supported) for a major version it does not support",
			Request: "GET / HTTP/9.9\r\nHost: " + Host + "\r\n\r\n",
		},
		{
			Name: "bad chunk size",
			What: "chunked body whose size line is \"0z\"",
			Why: "a chunk-size parser that stops at the first non-hex digit reads 0, the last chunk, " +
				"and takes the hidden request for the next one",
			RFC:     "§7.1: chunk-size is 1*HEXDIG; with anything else the body cannot be framed",
			Request: post([]string{"Transfer-Encoding: chunked"}, "0z\r\n\r\n"+Hidden),
		},
	}
}
