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
