//go:build linux

package driver

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testServer is a small raw HTTP/1.1 server on loopback for the driver's
// tests. Its behaviour decides how it answers each request.
type testServer struct {
	ln       net.Listener
	URL      string
	behave   func(s *testServer, c net.Conn, path string, close bool) bool // false: stop serving the connection
	requests atomic.Int64
	stalled  atomic.Bool
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
	seen     []seenRequest // the first maxSeen requests, under mu
}

// seenRequest is a request as the test server read it.
type seenRequest struct {
	method, path string
	headers      []string // header lines without their CRLF
	body         string
}

const maxSeen = 100

// requestsSeen returns the requests recorded so far.
func (s *testServer) requestsSeen() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...)
}

// headConn is the connection handed to a behaviour for a HEAD request:
// respond then writes the headers only.
type headConn struct {
	net.Conn
}

// startServer listens on 127.0.0.1 and serves until the test ends.
func startServer(t testing.TB, behave func(s *testServer, c net.Conn, path string, close bool) bool) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, behave)
}

func serveOn(t testing.TB, ln net.Listener, behave func(s *testServer, c net.Conn, path string, close bool) bool) *testServer {
	s := &testServer{ln: ln, URL: "http://" + ln.Addr().String(), behave: behave, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serve(c)
			}()
		}
	}()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and every connection it holds.
func (s *testServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *testServer) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return
		}
		closeAfter := false
		req := seenRequest{method: f[0], path: f[1]}
		length := 0
		for {
			h, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if h == "\r\n" || h == "\n" {
				break
			}
			req.headers = append(req.headers, strings.TrimRight(h, "\r\n"))
			k, v, ok := strings.Cut(h, ":")
			switch {
			case !ok:
			case strings.EqualFold(k, "connection") && strings.EqualFold(strings.TrimSpace(v), "close"):
				closeAfter = true
			case strings.EqualFold(k, "content-length"):
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if length > 0 {
			body := make([]byte, length)
			if _, err := io.ReadFull(r, body); err != nil {
				return
			}
			req.body = string(body)
		}
		s.mu.Lock()
		if len(s.seen) < maxSeen {
			s.seen = append(s.seen, req)
		}
		s.mu.Unlock()
		s.requests.Add(1)
		conn := c
		if req.method == "HEAD" {
			conn = headConn{c}
		}
		if !s.behave(s, conn, f[1], closeAfter) || closeAfter {
			return
		}
	}
}

// respond writes a response with a body; closing adds Connection: close.
func respond(c net.Conn, status int, body string, closing bool) bool {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + statusText(status) + "\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n")
	if closing {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	if _, head := c.(headConn); !head {
		b.WriteString(body)
	}
	_, err := c.Write(b.Bytes())
	return err == nil
}

func statusText(code int) string {
	switch code {
	case 200:
		return "OK"
	case 404:
		return "Not Found"
	case 500:
		return "Internal Server Error"
	case 503:
		return "Service Unavailable"
	}
	return "Status"
}

// labServer answers like the lab's servers: "/" ok, /sleep?ms=N sleeps,
// /status?code=N answers N, /stall sleeps one second on its first request
// only.
func labServer(s *testServer, c net.Conn, path string, closing bool) bool {
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return respond(c, 400, "bad", true) && false
	}
	switch u.Path {
	case "/":
		return respond(c, 200, "ok", closing)
	case "/sleep":
		ms, _ := strconv.Atoi(u.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return respond(c, 200, "ok", closing)
	case "/status":
		code, _ := strconv.Atoi(u.Query().Get("code"))
		return respond(c, code, "status", closing)
	case "/stall":
		if !s.stalled.Swap(true) {
			time.Sleep(time.Second)
		}
		return respond(c, 200, "ok", closing)
	}
	return respond(c, 404, "not found", closing)
}

// neverAnswers reads requests and never answers.
func neverAnswers(s *testServer, c net.Conn, path string, closing bool) bool {
	_, _ = c.Read(make([]byte, 1)) // blocks until the driver closes
	return false
}

// resets answers every request with a TCP reset (SO_LINGER 0, then close).
func resets(s *testServer, c net.Conn, path string, closing bool) bool {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	return false
}

// garbage answers with bytes that are not HTTP.
func garbage(s *testServer, c net.Conn, path string, closing bool) bool {
	_, err := c.Write([]byte("this is not http\r\n\r\n"))
	return err == nil
}

// closesEarly closes the connection after reading the request.
func closesEarly(s *testServer, c net.Conn, path string, closing bool) bool {
	return false
}

// closedPort returns a loopback URL where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}

// fullBacklog returns a loopback URL whose listener has a backlog of 0 that
// the test fills and never accepts from: the kernel drops further SYNs, so
// connects hang until they time out.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*unix.SockaddrInet4).Port))
	for range 3 {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return "http://" + addr + "/"
}
