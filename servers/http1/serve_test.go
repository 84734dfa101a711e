package http1

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers"
)

// fakeConn hands out its reads one chunk per Read call, then ends with end
// (io.EOF unless set), and records what is written.
type fakeConn struct {
	reads      [][]byte
	end        error
	written    bytes.Buffer
	writes     int
	closeWrite bool
	deadlines  int
	// writeErr, when set, fails the write that would go past writeLimit
	// bytes in all: it writes up to the limit and returns writeErr.
	writeErr   error
	writeLimit int
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if len(c.reads) == 0 {
		if c.end != nil {
			return 0, c.end
		}
		return 0, io.EOF
	}
	n := copy(p, c.reads[0])
	if n < len(c.reads[0]) {
		c.reads[0] = c.reads[0][n:]
	} else {
		c.reads = c.reads[1:]
	}
	return n, nil
}

func (c *fakeConn) Write(p []byte) (int, error) {
	c.writes++
	if c.writeErr != nil && c.written.Len()+len(p) > c.writeLimit {
		n, _ := c.written.Write(p[:max(c.writeLimit-c.written.Len(), 0)])
		return n, c.writeErr
	}
	return c.written.Write(p)
}

func (c *fakeConn) SetDeadline(time.Time) error     { c.deadlines++; return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error { c.deadlines++; return nil }
func (c *fakeConn) CloseWrite() error               { c.closeWrite = true; return nil }

// answer is a response as read back with net/http.
type answer struct {
	status int
	body   string
	close  bool
}

// readAnswers parses every response in b; head marks answers to HEAD.
func readAnswers(t *testing.T, b []byte, head bool) []answer {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(b))
	var out []answer
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return out
		}
		req := &http.Request{Method: http.MethodGet}
		if head {
			req.Method = http.MethodHead
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("response %d of %q: %v", len(out)+1, b, err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("body of response %d: %v", len(out)+1, err)
		}
		out = append(out, answer{resp.StatusCode, string(body), resp.Close})
	}
}

func get(target string) string { return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n" }

func TestConnServer(t *testing.T) {
	ok := answer{200, "ok", false}
	okClose := answer{200, "ok", true}
	json := answer{200, string(servers.Action{Kind: servers.KindJSON}.Body()), false}
	notFound := answer{404, "not found\n", false}
	tests := []struct {
		name       string
		reads      []string
		end        error
		keepAlive  bool
		head       bool
		want       []answer
		wantWrites int
		wantErr    error
		wantLinger bool
	}{
		{name: "pipelined in one read, one write", keepAlive: true,
			reads:      []string{get("/") + get("/json") + get("/nope")},
			want:       []answer{ok, json, notFound},
			wantWrites: 1},
		{name: "one request per read", keepAlive: true,
			reads:      []string{get("/"), get("/json")},
			want:       []answer{ok, json},
			wantWrites: 2},
		{name: "request split over reads", keepAlive: true,
			reads:      []string{"GET /js", "on HTTP/1.1\r\nHo", "st: x\r\n", "\r\n"},
			want:       []answer{json},
			wantWrites: 1},
		{name: "keep-alive off answers the first only", keepAlive: false,
			reads:      []string{get("/") + get("/json")},
			want:       []answer{okClose},
			wantWrites: 1},
		{name: "client asks to close", keepAlive: true,
			reads:      []string{get("/json") + "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get("/")},
			want:       []answer{json, okClose},
			wantWrites: 1},
		{name: "http/1.0 closes", keepAlive: true,
			reads:      []string{"GET / HTTP/1.0\r\n\r\n"},
			want:       []answer{okClose},
			wantWrites: 1},
		{name: "http/1.0 keep-alive", keepAlive: true,
			reads:      []string{"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET / HTTP/1.0\r\n\r\n"},
			want:       []answer{ok, okClose},
			wantWrites: 2},
		{name: "head", keepAlive: true, head: true,
			reads:      []string{"HEAD /json HTTP/1.1\r\nHost: x\r\n\r\n"},
			want:       []answer{{200, "", false}},
			wantWrites: 1},
		{name: "bad parameter keeps the connection", keepAlive: true,
			reads:      []string{get("/cpu?us=abc") + get("/")},
			want:       []answer{{400, "bad request\n", false}, ok},
			wantWrites: 1},
		{name: "answers before a malformed request, then 400", keepAlive: true,
			reads:      []string{get("/") + "NOTHTTP\r\n\r\n" + get("/")},
			want:       []answer{ok, {400, "bad request\n", true}},
			wantWrites: 1, wantErr: ErrRequestLine, wantLinger: true},
		{name: "oversize headers", keepAlive: true,
			reads:      []string{"GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 5000)},
			want:       []answer{{431, "request header fields too large\n", true}},
			wantWrites: 1, wantErr: ErrHeaderTooLarge, wantLinger: true},
		{name: "chunked body refused", keepAlive: true,
			reads:      []string{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
			want:       []answer{{411, "length required\n", true}},
			wantWrites: 1, wantErr: ErrTransferEncoding, wantLinger: true},
		{name: "body larger than the buffer", keepAlive: true,
			reads: []string{"POST /json HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\n\r\n",
				strings.Repeat("z", 10000), strings.Repeat("z", 10000) + get("/")},
			want:       []answer{json, ok},
			wantWrites: 1},
		{name: "eof mid-request", keepAlive: true,
			reads:      []string{get("/") + "GET / HT"},
			want:       []answer{ok, {400, "bad request\n", true}},
			wantWrites: 2, wantErr: ErrPartialRequest},
		{name: "timeout mid-request", keepAlive: true, end: os.ErrDeadlineExceeded,
			reads:      []string{"GET / HT"},
			want:       nil,
			wantWrites: 0, wantErr: os.ErrDeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := servers.NewStats()
			cfg := servers.DefaultConfig()
			cfg.MaxHeaderBytes = 4096
			cfg.KeepAlive = tt.keepAlive
			cs := NewConnServer(cfg, st, nil)
			c := &fakeConn{end: tt.end}
			for _, r := range tt.reads {
				c.reads = append(c.reads, []byte(r))
			}
			err := cs.Serve(c)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Serve returned %v, want %v", err, tt.wantErr)
			}
			got := readAnswers(t, c.written.Bytes(), tt.head)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d answers %+v, want %+v", len(got), got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("answer %d = %+v, want %+v", i+1, got[i], tt.want[i])
				}
			}
			if c.writes != tt.wantWrites {
				t.Errorf("%d writes, want %d", c.writes, tt.wantWrites)
			}
			if c.closeWrite != tt.wantLinger {
				t.Errorf("half-closed before closing: %v, want %v", c.closeWrite, tt.wantLinger)
			}
			if c.deadlines == 0 {
				t.Error("no deadline was set")
			}
			if snap := st.Snapshot(); snap.Requests != uint64(len(tt.want)) || snap.HandlerMs.Count != int64(len(tt.want)) {
				t.Errorf("stats count %d requests, %d latencies; want %d", snap.Requests, snap.HandlerMs.Count, len(tt.want))
			}
		})
	}
}

// TestConnServerAbandoned: when a write fails because the client is gone,
// the answers written before the failure are served, the others abandoned;
// any other write error abandons nothing (the client may not be gone).
func TestConnServerAbandoned(t *testing.T) {
	one := len(servers.AppendAction(nil, servers.Action{Kind: servers.KindOK}, true))
	pipelined := []byte(get("/") + get("/") + get("/"))
	tests := []struct {
		name         string
		err          error
		limit        int
		served, gone uint64
	}{
		{"reset after the first answer", os.NewSyscallError("write", syscall.ECONNRESET), one, 1, 2},
		{"broken pipe in the first answer", os.NewSyscallError("write", syscall.EPIPE), one / 2, 0, 3},
		{"write timeout", os.ErrDeadlineExceeded, one, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := servers.NewStats()
			cs := NewConnServer(servers.DefaultConfig(), st, nil)
			c := &fakeConn{reads: [][]byte{pipelined}, writeErr: tt.err, writeLimit: tt.limit}
			if err := cs.Serve(c); !errors.Is(err, tt.err) {
				t.Errorf("Serve = %v, want %v", err, tt.err)
			}
			if s := st.Snapshot(); s.Requests != tt.served || s.AbandonedResponses != tt.gone {
				t.Errorf("served %d, abandoned %d; want %d and %d", s.Requests, s.AbandonedResponses, tt.served, tt.gone)
			}
		})
	}
}

// TestConnServerSleepStops proves a /sleep handler ends when Stop closes.
func TestConnServerSleepStops(t *testing.T) {
	stop := make(chan struct{})
	cs := NewConnServer(servers.DefaultConfig(), servers.NewStats(), stop)
	c := &fakeConn{reads: [][]byte{[]byte(get("/sleep?ms=60000"))}}
	done := make(chan struct{})
	go func() {
		_ = cs.Serve(c)
		close(done)
	}()
	close(stop)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a 60 s sleep did not end after Stop was closed")
	}
}

// TestConnServerZeroAllocs proves that serving keep-alive requests, one
// per read or pipelined, allocates nothing once the buffers exist.
func TestConnServerZeroAllocs(t *testing.T) {
	for _, tt := range []struct {
		name string
		read string
	}{
		{"one per read", get("/")},
		{"pipelined", strings.Repeat(get("/")+get("/json")+get("/nope"), 5)},
		{"http/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cs := NewConnServer(servers.DefaultConfig(), servers.NewStats(), nil)
			reads := make([][]byte, 100)
			for i := range reads {
				reads[i] = []byte(tt.read)
			}
			c := &fakeConn{}
			c.written.Grow(1 << 20)
			backing := make([][]byte, len(reads)) // Read consumes c.reads from the front
			run := func() {
				c.reads = append(backing[:0], reads...)
				c.written.Reset()
				if err := cs.Serve(c); err != nil {
					t.Fatal(err)
				}
			}
			run() // buffers are allocated on the first connection
			if allocs := testing.AllocsPerRun(20, run); allocs != 0 {
				t.Errorf("serving %d reads allocates %.1f times, want 0", len(reads), allocs)
			}
		})
	}
}

// BenchmarkServe measures the serving path without sockets: parse, route,
// answer, count.
func BenchmarkServe(b *testing.B) {
	cs := NewConnServer(servers.DefaultConfig(), servers.NewStats(), nil)
	req := []byte(wrkRequest)
	reads := make([][]byte, 1000)
	for i := range reads {
		reads[i] = req
	}
	c := &fakeConn{}
	backing := make([][]byte, len(reads))
	b.ReportAllocs()
	for b.Loop() {
		c.reads = append(backing[:0], reads...)
		c.written.Reset()
		if err := cs.Serve(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(reads)), "ns/request")
}
