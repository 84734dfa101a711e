package http1

import (
	"bytes"

	"github.com/scalelab/scalelab/servers"
)

// keepAlive10 holds the answers to HTTP/1.0 clients that asked for
// keep-alive: they need "Connection: keep-alive" spelled out, or they wait
// for a close that never comes. Indexed by Kind, built once.
var keepAlive10 = func() (r [servers.KindBadRequest + 1][]byte) {
	for k := servers.KindOK; k <= servers.KindBadRequest; k++ {
		a := servers.Action{Kind: k}
		resp := servers.AppendAction(nil, a, true)
		end := bytes.Index(resp, []byte("\r\n\r\n"))
		var b []byte
		b = append(b, resp[:end]...)
		b = append(b, "\r\nConnection: keep-alive"...)
		r[k] = append(b, resp[end:]...)
	}
	return r
}()

// AppendAnswer appends the complete answer to req, after a (its route) was
// done, to dst. keepAlive is the server's decision to keep the connection:
// false adds "Connection: close". HEAD requests get the headers only.
func AppendAnswer(dst []byte, req *Request, a servers.Action, keepAlive bool) []byte {
	if a.Kind == servers.KindEcho {
		return appendEcho(dst, req, a, keepAlive)
	}
	if keepAlive && req.Minor == 0 {
		dst = append(dst, keepAlive10[a.Kind]...)
	} else {
		dst = servers.AppendAction(dst, a, keepAlive)
	}
	if req.Head() {
		dst = dst[:len(dst)-len(a.Body())]
	}
	return dst
}

// AppendError appends the answer to a refused request (a parse error's
// status): a short text body and "Connection: close".
func AppendError(dst []byte, status int) []byte {
	return servers.AppendResponse(dst, status, servers.TextPlain, servers.ErrorBody(status), false)
}

// keepAliveLine is what an HTTP/1.0 client that asked for keep-alive must
// read to keep the connection.
const keepAliveLine = "Connection: keep-alive\r\n"

// appendEcho appends the answer to an /echo request, built for its length
// (not canned) without allocating: "Connection: keep-alive" for HTTP/1.0
// keep-alive, no body for HEAD.
func appendEcho(dst []byte, req *Request, a servers.Action, keepAlive bool) []byte {
	var num [20]byte
	body := a.AppendBody(num[:0])
	dst = servers.AppendResponse(dst, a.Status(), a.ContentType(), body, keepAlive)
	if keepAlive && req.Minor == 0 {
		// Before the empty line: move "\r\n" + body behind the new line.
		end := len(dst) - len(body) - 2
		var tail [22]byte
		n := copy(tail[:], dst[end:])
		dst = append(dst[:end], keepAliveLine...)
		dst = append(dst, tail[:n]...)
	}
	if req.Head() {
		dst = dst[:len(dst)-len(body)]
	}
	return dst
}
