package variants_test

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
	"github.com/scalelab/scalelab/servers/servertest"
	"github.com/scalelab/scalelab/servers/variants"
)

// pending lists the variants still being written: the suite skips them
// unless -pending is given. Empty it once they are done; from then on a
// variant that fails to build or start fails the suite.
var pending = map[string]bool{}

var runPending = flag.Bool("pending", false, "run the conformance suite on pending variants too")

// ignoresKeepAlive lists the variants documented to answer one request per
// connection whatever --keepalive says.
var ignoresKeepAlive = map[string]bool{"naive": true}

// baseConfig is the configuration every case starts from.
func baseConfig(keepAlive bool) servers.Config {
	cfg := servertest.Config()
	cfg.Backlog = 64
	cfg.Workers = 4
	cfg.Queue = 8
	cfg.KeepAlive = keepAlive
	cfg.ReadTimeout = 5 * time.Second
	cfg.MaxHeaderBytes = 4096
	return cfg
}

// eachVariant runs f for every registered variant in its own parallel
// subtest, skipping the pending ones.
func eachVariant(t *testing.T, f func(t *testing.T, name string)) {
	for _, name := range variants.Names() {
		t.Run(name, func(t *testing.T) {
			if pending[name] && !*runPending {
				t.Skip("variant not implemented yet")
			}
			t.Parallel()
			f(t, name)
		})
	}
}

// answer is an expected (or received) response.
type answer struct {
	status int
	// body is compared unless anyBody: refusals (malformed, oversize) are
	// worded by each library its own way, the handlers' answers are not.
	body    string
	anyBody bool
	// ctype is the expected Content-Type prefix ("" = not checked).
	ctype string
	// close is the expected "Connection: close"; closeAny skips the check.
	close    bool
	closeAny bool
	// optional answers may be missing (a 408 before a timeout close).
	optional bool
}

// exchange is one round: what the client writes, then the answers it reads.
type exchange struct {
	send []string // written in order, gap apart
	gap  time.Duration
	want []answer
	head bool // the answers are to HEAD requests
	// http10: the requests are HTTP/1.0, so an answer keeps the
	// connection only with "Connection: keep-alive" (RFC 9112 9.3).
	http10 bool
}

// ending is what happens to the connection after the last exchange.
type ending int

const (
	// open: the connection stays usable; one more request is answered.
	open ending = iota
	// closed: the server closes right after the last answer.
	closed
	// timedOut: the server closes after the read timeout, answering
	// nothing but an optional 408.
	timedOut
)

func (e ending) String() string {
	return [...]string{"open", "closed", "timed out"}[e]
}

// conformanceCase is one row of the shared table.
type conformanceCase struct {
	name      string
	cfg       func(*servers.Config)
	exchanges []exchange
	halfClose bool // shutdown(SHUT_WR) after the last send
	end       ending
}

// request builds an HTTP/1.1 request with Host and extra header lines.
func request(method, target string, headers ...string) string {
	var b strings.Builder
	b.WriteString(method + " " + target + " HTTP/1.1\r\nHost: scalelab.test\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func get(target string, headers ...string) string { return request("GET", target, headers...) }

// post builds an HTTP/1.1 POST with a body and its Content-Length.
func post(target, body string) string {
	return request("POST", target, "Content-Type: application/octet-stream", "Content-Length: "+strconv.Itoa(len(body))) + body
}

// echoed is the answer of /echo to a body of n bytes: its length.
func echoed(n int) answer { return answer{status: 200, body: strconv.Itoa(n), ctype: "text/plain"} }

// The answers of the handlers, from the shared bodies every variant serves.
var (
	ansOK       = answer{status: 200, body: "ok", ctype: "text/plain"}
	ansJSON     = answer{status: 200, body: string(servers.Action{Kind: servers.KindJSON}.Body()), ctype: "application/json"}
	ansNotFound = answer{status: 404, body: string(servers.Action{Kind: servers.KindNotFound}.Body())}
	ansBadParam = answer{status: 400, body: string(servers.Action{Kind: servers.KindBadRequest}.Body())}
)

func withClose(a answer) answer { a.close = true; return a }

// silentTimeout is the read timeout of the silent-sender case.
const silentTimeout = 400 * time.Millisecond

// refused is a library's own refusal: the status is fixed, the wording and
// the closing are each library's.
func refused(status int) answer { return answer{status: status, anyBody: true, closeAny: true} }

// conformanceTable is the one table every variant answers the same way
// (written for keep-alive on; see forKeepAliveOff for off).
func conformanceTable() []conformanceCase {
	pipeTargets := []string{"/", "/json", "/nope", "/cpu?us=1"}
	pipeAnswers := []answer{ansOK, ansJSON, ansNotFound, ansOK}
	var pipe strings.Builder
	var pipeWant []answer
	for i := range 16 {
		pipe.WriteString(get(pipeTargets[i%4]))
		pipeWant = append(pipeWant, pipeAnswers[i%4])
	}
	slow := get("/json")
	var dribble []string
	for i := 0; i < len(slow); i += 5 {
		dribble = append(dribble, slow[i:min(i+5, len(slow))])
	}
	return []conformanceCase{
		{name: "simple", exchanges: []exchange{{send: []string{get("/")}, want: []answer{ansOK}}}},
		{name: "json", exchanges: []exchange{{send: []string{get("/json")}, want: []answer{ansJSON}}}},
		{name: "cpu", exchanges: []exchange{{send: []string{get("/cpu?us=100")}, want: []answer{ansOK}}}},
		{name: "sleep", exchanges: []exchange{{send: []string{get("/sleep?ms=5")}, want: []answer{ansOK}}}},
		{name: "not found", exchanges: []exchange{{send: []string{get("/nope")}, want: []answer{ansNotFound}}}},
		{name: "bad parameter", exchanges: []exchange{{send: []string{get("/cpu?us=abc")}, want: []answer{ansBadParam}}}},
		{name: "echo", exchanges: []exchange{{send: []string{post("/echo", `{"a":1}`)}, want: []answer{echoed(7)}}}},
		{name: "echo 10000 bytes", exchanges: []exchange{{send: []string{post("/echo", strings.Repeat("x", 10000))}, want: []answer{echoed(10000)}}}},
		{name: "echo without body", exchanges: []exchange{{send: []string{get("/echo")}, want: []answer{echoed(0)}}}},
		{name: "echo pipelined", exchanges: []exchange{{send: []string{post("/echo", "abc") + post("/echo", strings.Repeat("y", 1234)) + get("/")},
			want: []answer{echoed(3), echoed(1234), ansOK}}}},
		{name: "echo body in pieces", exchanges: []exchange{{send: []string{post("/echo", strings.Repeat("z", 300))[:120], post("/echo", strings.Repeat("z", 300))[120:]},
			gap: 50 * time.Millisecond, want: []answer{echoed(300)}}}},
		{name: "echo http/1.0 keep-alive asked", exchanges: []exchange{
			{send: []string{"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello"}, http10: true, want: []answer{echoed(5)}}}},
		{name: "head", exchanges: []exchange{{send: []string{request("HEAD", "/json")}, head: true,
			want: []answer{{status: 200, body: "", ctype: "application/json"}}}}},
		{name: "keep-alive three requests", exchanges: []exchange{
			{send: []string{get("/")}, want: []answer{ansOK}},
			{send: []string{get("/json")}, want: []answer{ansJSON}},
			{send: []string{get("/nope")}, want: []answer{ansNotFound}},
		}},
		{name: "connection close", end: closed, exchanges: []exchange{
			{send: []string{get("/", "Connection: close")}, want: []answer{withClose(ansOK)}}}},
		{name: "pipelined 16", exchanges: []exchange{{send: []string{pipe.String()}, want: pipeWant}}},
		{name: "malformed request line", end: closed, exchanges: []exchange{
			{send: []string{"NOTHTTP\r\n\r\n"}, want: []answer{refused(400)}}}},
		{name: "malformed header", end: closed, exchanges: []exchange{
			{send: []string{"GET / HTTP/1.1\r\nHost: scalelab.test\r\nBadHeader\r\n\r\n"}, want: []answer{refused(400)}}}},
		{name: "oversize headers", end: closed, exchanges: []exchange{
			{send: []string{get("/", "X-Big: "+strings.Repeat("b", 32<<10))}, want: []answer{refused(431)}}}},
		{name: "slow sender", exchanges: []exchange{
			{send: dribble, gap: 300 * time.Millisecond / time.Duration(len(dribble)), want: []answer{ansJSON}}}},
		{name: "silent sender", end: timedOut,
			cfg:       func(c *servers.Config) { c.ReadTimeout = silentTimeout },
			exchanges: []exchange{{send: []string{"GET /json HTTP/1.1\r\nHost: scalelab.test\r\n"}}}},
		{name: "half-close after request", end: closed, halfClose: true, exchanges: []exchange{
			{send: []string{get("/json")}, want: []answer{{status: 200, body: ansJSON.body, closeAny: true}}}}},
		{name: "http/1.0", end: closed, exchanges: []exchange{
			{send: []string{"GET / HTTP/1.0\r\n\r\n"}, http10: true, want: []answer{withClose(ansOK)}}}},
		{name: "http/1.0 keep-alive asked", exchanges: []exchange{
			{send: []string{"GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}, http10: true, want: []answer{ansJSON}}}},
	}
}

// forKeepAliveOff turns a case into what a server without keep-alive must
// do: answer the first request with "Connection: close", then close.
func forKeepAliveOff(c conformanceCase) conformanceCase {
	if c.end == timedOut || len(c.exchanges) == 0 || len(c.exchanges[0].want) == 0 {
		return c
	}
	first := c.exchanges[0]
	a := first.want[0]
	if !a.closeAny {
		a.close = true
	}
	first.want = []answer{a}
	c.exchanges = []exchange{first}
	c.end = closed
	return c
}

// TestConformance runs the shared table against every variant, with
// keep-alive on and off.
func TestConformance(t *testing.T) {
	eachVariant(t, func(t *testing.T, name string) {
		for _, keepAlive := range []bool{true, false} {
			t.Run(fmt.Sprintf("keepalive=%v", keepAlive), func(t *testing.T) {
				t.Parallel()
				for _, tc := range conformanceTable() {
					if !keepAlive || ignoresKeepAlive[name] {
						tc = forKeepAliveOff(tc)
					}
					t.Run(tc.name, func(t *testing.T) {
						t.Parallel()
						cfg := baseConfig(keepAlive)
						if tc.cfg != nil {
							tc.cfg(&cfg)
						}
						srv := servertest.Start(t, name, cfg)
						runCase(t, srv.Addr(), cfg, tc)
					})
				}
			})
		}
	})
}

// runCase plays one case on a fresh connection.
func runCase(t *testing.T, addr string, cfg servers.Config, tc conformanceCase) {
	c := dial(t, addr)
	for i, ex := range tc.exchanges {
		for j, s := range ex.send {
			if j > 0 && ex.gap > 0 {
				time.Sleep(ex.gap)
			}
			c.write(s)
		}
		if i == len(tc.exchanges)-1 && tc.halfClose {
			if err := c.conn.CloseWrite(); err != nil {
				t.Fatalf("half-close: %v", err)
			}
		}
		for k, want := range ex.want {
			got, err := c.read(ex.head, 5*time.Second)
			if err != nil {
				t.Fatalf("exchange %d, answer %d of %d: %v", i+1, k+1, len(ex.want), err)
			}
			if ex.http10 {
				got.close = got.close || !got.keepAlive
			}
			want.check(t, fmt.Sprintf("exchange %d, answer %d", i+1, k+1), got)
		}
	}
	switch tc.end {
	case open:
		c.write(get("/"))
		got, err := c.read(false, 5*time.Second)
		if err != nil {
			t.Fatalf("connection should stay open, but a further request failed: %v", err)
		}
		ansOK.check(t, "further request", got)
	case closed:
		c.expectClosed(5 * time.Second)
	case timedOut:
		sent := time.Now()
		for {
			got, err := c.read(false, cfg.ReadTimeout+5*time.Second)
			if err != nil {
				if !isClosed(err) {
					t.Fatalf("want the connection closed after the read timeout, got %v", err)
				}
				break
			}
			if got.status != http.StatusRequestTimeout {
				t.Fatalf("a silent sender got an answer: %d %q", got.status, got.body)
			}
		}
		if waited := time.Since(sent); waited < cfg.ReadTimeout/2 {
			t.Errorf("closed %v after the partial request, before the read timeout of %v", waited, cfg.ReadTimeout)
		}
	}
}

// got is a response as read.
type got struct {
	status int
	body   string
	ctype  string
	// close: "Connection: close" (or an HTTP/1.0 answer without
	// keep-alive); keepAlive: "Connection: keep-alive".
	close, keepAlive bool
}

func (a answer) check(t *testing.T, what string, g got) {
	t.Helper()
	if g.status != a.status {
		t.Errorf("%s: status %d (%q), want %d", what, g.status, g.body, a.status)
	}
	if !a.anyBody && g.body != a.body {
		t.Errorf("%s: body %q, want %q", what, g.body, a.body)
	}
	if a.ctype != "" && !strings.HasPrefix(g.ctype, a.ctype) {
		t.Errorf("%s: Content-Type %q, want %s", what, g.ctype, a.ctype)
	}
	if !a.closeAny && g.close != a.close {
		t.Errorf("%s: Connection: close is %v, want %v", what, g.close, a.close)
	}
}

// client is a test connection with a response reader.
type client struct {
	t    *testing.T
	conn *net.TCPConn
	br   *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, conn: c.(*net.TCPConn), br: bufio.NewReader(c)}
}

func (c *client) write(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, s); err != nil {
		// A server that refuses a request may close (even reset) before
		// reading all of it; the answer is still to be read.
		c.t.Logf("write: %v", err)
	}
}

// read reads one response (strictly, through net/http's parser).
func (c *client) read(head bool, timeout time.Duration) (got, error) {
	c.conn.SetReadDeadline(time.Now().Add(timeout))
	req := &http.Request{Method: http.MethodGet}
	if head {
		req.Method = http.MethodHead
	}
	resp, err := http.ReadResponse(c.br, req)
	if err != nil {
		return got{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return got{}, fmt.Errorf("body: %w", err)
	}
	g := got{status: resp.StatusCode, body: string(body), ctype: resp.Header.Get("Content-Type"), close: resp.Close}
	for _, v := range resp.Header.Values("Connection") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "keep-alive") {
				g.keepAlive = true
			}
		}
	}
	return g, nil
}

// expectClosed checks that the server closes the connection without
// sending anything more.
func (c *client) expectClosed(within time.Duration) {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(within))
	b, err := c.br.ReadByte()
	switch {
	case err == nil:
		rest, _ := c.br.Peek(c.br.Buffered())
		c.t.Errorf("want the connection closed, got more bytes: %q", append([]byte{b}, rest...))
	case !isClosed(err):
		c.t.Errorf("want the connection closed within %v, got %v", within, err)
	}
}

// isClosed reports whether err means the peer closed (FIN or RST).
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}
