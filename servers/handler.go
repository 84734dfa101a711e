package servers

import (
	"strconv"
	"time"
)

// Kind is what a request target asks the server to do.
type Kind uint8

// The handlers every variant serves.
const (
	KindOK         Kind = iota // "/": answer "ok"
	KindJSON                   // "/json": a small JSON document
	KindCPU                    // "/cpu?us=N": busy-spin N microseconds, then "ok"
	KindSleep                  // "/sleep?ms=N": sleep N milliseconds, then "ok"
	KindLarge                  // "/large": LargeBody bytes, more than a client's socket buffer holds
	KindNotFound               // any other path: 404
	KindBadRequest             // a known path with a missing or bad parameter: 400
	// KindEcho is "/echo": read the request body and answer its length in
	// bytes, as decimal text ("0" without a body, whatever the method).
	// POST /echo with a body teaches what request bodies cost.
	KindEcho
)

// Limits on the work a single request may ask for.
const (
	MaxCPUMicros   = 1_000_000 // /cpu spins at most one second
	MaxSleepMillis = 60_000    // /sleep sleeps at most one minute
	// LargeBody is the size of /large's answer: 256 KiB, above the
	// receive buffer a client socket starts with (128 KiB), so a client
	// that reads slowly leaves it queued in the server's Send-Q (seed 000).
	LargeBody = 256 << 10
)

// Content types of the answers.
const (
	TextPlain = "text/plain; charset=utf-8"
	AppJSON   = "application/json"
)

var (
	bodyOK         = []byte("ok")
	bodyJSON       = []byte(`{"message":"ok","server":"scalelab"}`)
	bodyLarge      = bytesOf('x', LargeBody)
	bodyNotFound   = []byte("not found\n")
	bodyBadRequest = []byte("bad request\n")
	bodyTooLarge   = []byte("request header fields too large\n")
	bodyNotAllowed = []byte("method not allowed\n")
	bodyBadVersion = []byte("http version not supported\n")
	bodyNoLength   = []byte("length required\n")
	bodyTooLong    = []byte("content too large\n")
)

// Action is a routed request: what to do and how much of it.
type Action struct {
	Kind Kind
	// N is the amount of work: microseconds for KindCPU, milliseconds for
	// KindSleep; the request body's length in bytes for KindEcho.
	N int
}

// Route maps a request path and raw query (without '?') to an Action. It
// does not allocate.
func Route[T ~string | ~[]byte](path, query T) Action {
	switch string(path) {
	case "/":
		return Action{Kind: KindOK}
	case "/json":
		return Action{Kind: KindJSON}
	case "/large":
		return Action{Kind: KindLarge}
	case "/echo":
		return Action{Kind: KindEcho}
	case "/cpu":
		n, ok := queryInt(query, "us")
		if !ok || n < 0 || n > MaxCPUMicros {
			return Action{Kind: KindBadRequest}
		}
		return Action{Kind: KindCPU, N: n}
	case "/sleep":
		n, ok := queryInt(query, "ms")
		if !ok || n < 0 || n > MaxSleepMillis {
			return Action{Kind: KindBadRequest}
		}
		return Action{Kind: KindSleep, N: n}
	}
	return Action{Kind: KindNotFound}
}

// WithBody records the length of the request's body in an /echo action,
// whose answer it is; other actions are returned as they are. Servers call
// it with the body they read: Route(path, query).WithBody(len(body)).
func (a Action) WithBody(n int) Action {
	if a.Kind == KindEcho {
		a.N = n
	}
	return a
}

// RouteTarget splits a request target ("/cpu?us=5") into path and query and
// routes it.
func RouteTarget[T ~string | ~[]byte](target T) Action {
	for i := 0; i < len(target); i++ {
		if target[i] == '?' {
			return Route(target[:i], target[i+1:])
		}
	}
	return Route(target, target[:0])
}

// queryInt finds key=N in a raw query and parses N as a decimal integer.
func queryInt[T ~string | ~[]byte](query T, key string) (int, bool) {
	for len(query) > 0 {
		end := len(query)
		for i := 0; i < len(query); i++ {
			if query[i] == '&' {
				end = i
				break
			}
		}
		pair := query[:end]
		if len(pair) > len(key) && string(pair[:len(key)]) == key && pair[len(key)] == '=' {
			return atoi(pair[len(key)+1:])
		}
		if end == len(query) {
			break
		}
		query = query[end+1:]
	}
	return 0, false
}

// atoi parses a non-empty run of at most 9 decimal digits.
func atoi[T ~string | ~[]byte](s T) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Blocking reports whether the action waits without using CPU (so an event
// loop should hand it to another goroutine instead of running it inline).
func (a Action) Blocking() bool { return a.Kind == KindSleep && a.N > 0 }

// Do performs the work the action asks for: spin or sleep.
func (a Action) Do() {
	switch a.Kind {
	case KindCPU:
		Spin(time.Duration(a.N) * time.Microsecond)
	case KindSleep:
		time.Sleep(time.Duration(a.N) * time.Millisecond)
	}
}

// Status is the HTTP status code of the action's answer.
func (a Action) Status() int {
	switch a.Kind {
	case KindNotFound:
		return 404
	case KindBadRequest:
		return 400
	}
	return 200
}

// ContentType is the Content-Type of the action's answer.
func (a Action) ContentType() string {
	if a.Kind == KindJSON {
		return AppJSON
	}
	return TextPlain
}

// Body is the action's answer body. The slice is shared: do not modify it.
// For KindEcho it is made anew (it allocates): AppendBody does not.
func (a Action) Body() []byte {
	switch a.Kind {
	case KindEcho:
		return strconv.AppendInt(nil, int64(a.N), 10)
	case KindJSON:
		return bodyJSON
	case KindLarge:
		return bodyLarge
	case KindNotFound:
		return bodyNotFound
	case KindBadRequest:
		return bodyBadRequest
	}
	return bodyOK
}

// bytesOf returns n copies of c.
func bytesOf(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = c
	}
	return b
}

// AppendBody appends the action's answer body to dst without allocating
// (beyond growing dst).
func (a Action) AppendBody(dst []byte) []byte {
	if a.Kind == KindEcho {
		return strconv.AppendInt(dst, int64(a.N), 10)
	}
	return append(dst, a.Body()...)
}

// Spin keeps the CPU busy for d.
func Spin(d time.Duration) {
	if d <= 0 {
		return
	}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
	}
}

// StatusText is the reason phrase of the status codes the lab answers with.
func StatusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 411:
		return "Length Required"
	case 413:
		return "Content Too Large"
	case 431:
		return "Request Header Fields Too Large"
	case 500:
		return "Internal Server Error"
	case 501:
		return "Not Implemented"
	case 503:
		return "Service Unavailable"
	case 505:
		return "HTTP Version Not Supported"
	}
	return "Status " + strconv.Itoa(code)
}

// ErrorBody is the body the raw variants send with an error status.
func ErrorBody(code int) []byte {
	switch code {
	case 400:
		return bodyBadRequest
	case 404:
		return bodyNotFound
	case 405:
		return bodyNotAllowed
	case 411:
		return bodyNoLength
	case 413:
		return bodyTooLong
	case 431:
		return bodyTooLarge
	case 505:
		return bodyBadVersion
	}
	return []byte(StatusText(code) + "\n")
}

// AppendResponse appends a complete HTTP/1.1 response to dst. With
// keepAlive false it carries "Connection: close".
func AppendResponse(dst []byte, status int, contentType string, body []byte, keepAlive bool) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, ' ')
	dst = append(dst, StatusText(status)...)
	dst = append(dst, "\r\nServer: scalelab\r\nContent-Type: "...)
	dst = append(dst, contentType...)
	dst = append(dst, "\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	if !keepAlive {
		dst = append(dst, "\r\nConnection: close"...)
	}
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}

// cannedResponses holds the complete answers of the non-error actions,
// indexed by [kind][keepAlive], built once.
var cannedResponses = func() (r [KindBadRequest + 1][2][]byte) {
	for k := KindOK; k <= KindBadRequest; k++ {
		a := Action{Kind: k}
		for ka := 0; ka < 2; ka++ {
			r[k][ka] = AppendResponse(nil, a.Status(), a.ContentType(), a.Body(), ka == 1)
		}
	}
	return r
}()

// AppendAction appends the complete response of a (after Do) to dst without
// building it anew (an /echo answer is built, without allocating).
func AppendAction(dst []byte, a Action, keepAlive bool) []byte {
	if a.Kind == KindEcho {
		var num [20]byte
		return AppendResponse(dst, a.Status(), a.ContentType(), a.AppendBody(num[:0]), keepAlive)
	}
	ka := 0
	if keepAlive {
		ka = 1
	}
	return append(dst, cannedResponses[a.Kind][ka]...)
}
