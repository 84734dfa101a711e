//go:build linux

package servers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// scratchSocket returns a fresh TCP socket closed at the end of the test.
func scratchSocket(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// connFD runs f on the descriptor of a TCP connection.
func connFD(t *testing.T, c *net.TCPConn, f func(fd int)) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Control(func(fd uintptr) { f(int(fd)) }); err != nil {
		t.Fatal(err)
	}
}

// The option numbers that collide across levels: the reason a SockOpt
// carries its level.
func TestOptionNumbersCollide(t *testing.T) {
	if OptKeepAlive.Opt != OptDeferAccept.Opt || OptKeepAlive.Level == OptDeferAccept.Level {
		t.Fatalf("SO_KEEPALIVE (%d at %d) and TCP_DEFER_ACCEPT (%d at %d) no longer share a number: revisit the seed-002 check",
			OptKeepAlive.Opt, OptKeepAlive.Level, OptDeferAccept.Opt, OptDeferAccept.Level)
	}
	if OptNoDelay.Opt != unix.SO_DEBUG {
		t.Fatalf("TCP_NODELAY (%d) and SO_DEBUG (%d) no longer share a number", OptNoDelay.Opt, unix.SO_DEBUG)
	}
	for _, o := range []SockOpt{OptReuseAddr, OptReusePort, OptKeepAlive} {
		if o.Level != unix.SOL_SOCKET {
			t.Errorf("%s is set at level %d, want SOL_SOCKET", o.Name, o.Level)
		}
	}
	if OptNoDelay.Level != unix.IPPROTO_TCP || OptDeferAccept.Level != unix.IPPROTO_TCP {
		t.Errorf("TCP_* options must be set at IPPROTO_TCP")
	}
}

// TestSeed002 shows what seed 002's bug does on Linux, and that SockOpt
// cannot do it: SO_KEEPALIVE's number at IPPROTO_TCP is TCP_DEFER_ACCEPT,
// so the keep-alive stays off and another option changes instead.
func TestSeed002(t *testing.T) {
	t.Run("wrong level, the bug", func(t *testing.T) {
		fd := scratchSocket(t)
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.SO_KEEPALIVE, 1); err != nil {
			t.Fatalf("setsockopt(IPPROTO_TCP, SO_KEEPALIVE): %v", err)
		}
		ka, _ := OptKeepAlive.Get(fd)
		defer_, _ := OptDeferAccept.Get(fd)
		if ka != 0 || defer_ == 0 {
			t.Errorf("after the wrong-level call SO_KEEPALIVE=%d TCP_DEFER_ACCEPT=%d; want 0 and non-zero", ka, defer_)
		}
	})
	t.Run("SockOpt, the fix", func(t *testing.T) {
		fd := scratchSocket(t)
		if err := OptKeepAlive.SetBool(fd, true); err != nil {
			t.Fatal(err)
		}
		ka, _ := OptKeepAlive.Get(fd)
		defer_, _ := OptDeferAccept.Get(fd)
		if ka != 1 || defer_ != 0 {
			t.Errorf("SO_KEEPALIVE=%d TCP_DEFER_ACCEPT=%d; want 1 and 0", ka, defer_)
		}
	})
}

func TestSockOptSetChecks(t *testing.T) {
	fd := scratchSocket(t)
	for _, o := range []SockOpt{OptReuseAddr, OptReusePort, OptKeepAlive, OptNoDelay} {
		for _, on := range []bool{true, false, true} {
			if err := o.SetBool(fd, on); err != nil {
				t.Errorf("%s=%v: %v", o.Name, on, err)
			}
			got, err := o.Get(fd)
			if err != nil || (got != 0) != on {
				t.Errorf("%s reads %d, %v after setting %v", o.Name, got, err, on)
			}
		}
	}
	// A value the kernel does not keep is an error: Linux doubles SO_RCVBUF.
	rcvbuf := SockOpt{Name: "SO_RCVBUF", Level: unix.SOL_SOCKET, Opt: unix.SO_RCVBUF}
	if err := rcvbuf.Set(fd, 8192); err == nil || !strings.Contains(err.Error(), "did not take effect") {
		t.Errorf("SO_RCVBUF=8192 (the kernel keeps 16384): got %v, want a did-not-take-effect error", err)
	}
	// A failing setsockopt is an error naming the option.
	if err := OptNoDelay.SetBool(-1, true); !errors.Is(err, unix.EBADF) || !strings.Contains(err.Error(), "TCP_NODELAY") {
		t.Errorf("set on a bad descriptor: %v", err)
	}
	if _, err := OptNoDelay.Get(-1); !errors.Is(err, unix.EBADF) {
		t.Errorf("get on a bad descriptor: %v", err)
	}
}

// TestListenerOptions reads back what Listen sets on a listening socket.
func TestListenerOptions(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		t.Run(fmt.Sprintf("reuseport=%v", reuse), func(t *testing.T) {
			l, err := Listen("127.0.0.1:0", ListenOptions{Backlog: 16, ReusePort: reuse})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			want := map[SockOpt]int{OptReuseAddr: 1, OptReusePort: 0}
			if reuse {
				want[OptReusePort] = 1
			}
			for o, v := range want {
				if got, err := o.Get(l.FD()); err != nil || got != v {
					t.Errorf("%s = %d, %v; want %d", o.Name, got, err, v)
				}
			}
		})
	}
}

// TestReusePortTakesEffect proves SO_REUSEPORT by its effect: two sockets
// listen on one port only when both set it.
func TestReusePortTakesEffect(t *testing.T) {
	l1, err := Listen("127.0.0.1:0", ListenOptions{Backlog: 16, ReusePort: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	addr := l1.Addr().String()
	l2, err := Listen(addr, ListenOptions{Backlog: 16, ReusePort: true})
	if err != nil {
		t.Fatalf("second listener with SO_REUSEPORT on %s: %v", addr, err)
	}
	defer l2.Close()
	if _, err := Listen(addr, ListenOptions{Backlog: 16}); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("a listener without SO_REUSEPORT on %s: got %v, want EADDRINUSE", addr, err)
	}
	// Both sockets take connections: the kernel spreads them by 4-tuple
	// hash, so dial until each has accepted one (bounded).
	got := [2]int{}
	for i := 0; i < 200 && (got[0] == 0 || got[1] == 0); i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range []*Listener{l1, l2} {
			if q, err := QueueOf(l.FD()); err == nil && q.Queue > 0 {
				sc, err := l.Accept()
				if err != nil {
					t.Fatal(err)
				}
				sc.Close()
				got[j]++
			}
		}
		c.Close()
	}
	if got[0] == 0 || got[1] == 0 {
		t.Errorf("connections accepted per listener: %v; SO_REUSEPORT should spread them over both", got)
	}
}

// TestReuseAddrTakesEffect proves SO_REUSEADDR by its effect: after the
// server closed a connection first, its side sits in TIME_WAIT on the port;
// a socket without SO_REUSEADDR cannot bind the port, Listen can.
func TestReuseAddrTakesEffect(t *testing.T) {
	l, err := Listen("127.0.0.1:0", ListenOptions{Backlog: 16})
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	c, err := net.DialTCP("tcp", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	sc.Close() // the server closes first: TIME_WAIT lands on its side
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read data from a closed connection")
	}
	c.Close()
	l.Close()
	if !waitTimeWait(t, addr.Port) {
		t.Fatalf("no TIME_WAIT socket on port %d", addr.Port)
	}

	fd := scratchSocket(t)
	sa := &unix.SockaddrInet4{Port: addr.Port, Addr: [4]byte{127, 0, 0, 1}}
	if err := unix.Bind(fd, sa); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("bind without SO_REUSEADDR next to TIME_WAIT: %v, want EADDRINUSE", err)
	}
	l2, err := Listen(addr.String(), ListenOptions{Backlog: 16})
	if err != nil {
		t.Fatalf("Listen next to TIME_WAIT (SO_REUSEADDR): %v", err)
	}
	l2.Close()
}

// waitTimeWait waits (bounded) for a TIME_WAIT socket whose local port is
// port to appear in /proc/net/tcp.
func waitTimeWait(t *testing.T, port int) bool {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, s := range procNetTCP(t) {
			if s.localPort == port && s.state == 0x06 { // TCP_TIME_WAIT
				return true
			}
		}
	}
	return false
}

// tcpEntry is one line of /proc/net/tcp.
type tcpEntry struct {
	localPort, remotePort int
	state                 int
	timer                 int // "tr": 0 none, 1 retransmit, 2 keep-alive (sk_timer), 3 TIME_WAIT, 4 probe
}

func procNetTCP(t *testing.T) []tcpEntry {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	var out []tcpEntry
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		// sl local_address rem_address st tx_queue:rx_queue tr:tm->when ...
		port := func(s string) int {
			i := strings.LastIndexByte(s, ':')
			n, _ := strconv.ParseInt(s[i+1:], 16, 32)
			return int(n)
		}
		st, _ := strconv.ParseInt(f[3], 16, 32)
		tr, _ := strconv.ParseInt(strings.SplitN(f[5], ":", 2)[0], 16, 32)
		out = append(out, tcpEntry{localPort: port(f[1]), remotePort: port(f[2]), state: int(st), timer: int(tr)})
	}
	return out
}

// TestAcceptedConnOptions reads back what Go sets on a connection accepted
// from a Listener (TCP_NODELAY, SO_KEEPALIVE), shows each landed at its own
// level (the same numbers at the other level are untouched), and proves
// SO_KEEPALIVE took effect: the kernel runs a keep-alive timer for the
// socket, visible in /proc/net/tcp, and stops it when the option is off.
func TestAcceptedConnOptions(t *testing.T) {
	l, err := Listen("127.0.0.1:0", ListenOptions{Backlog: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc, err := l.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	serverPort := l.Addr().(*net.TCPAddr).Port
	clientPort := c.LocalAddr().(*net.TCPAddr).Port

	timer := func() int {
		for _, e := range procNetTCP(t) {
			if e.localPort == serverPort && e.remotePort == clientPort {
				return e.timer
			}
		}
		t.Fatalf("accepted connection %d->%d not in /proc/net/tcp", clientPort, serverPort)
		return -1
	}
	connFD(t, sc, func(fd int) {
		want := []struct {
			o    SockOpt
			want int
		}{
			{OptNoDelay, 1},
			{SockOpt{Name: "SO_DEBUG", Level: unix.SOL_SOCKET, Opt: unix.SO_DEBUG}, 0}, // TCP_NODELAY's number at SOL_SOCKET
			{OptKeepAlive, 1},
			{OptDeferAccept, 0}, // SO_KEEPALIVE's number at IPPROTO_TCP
		}
		for _, w := range want {
			if got, err := w.o.Get(fd); err != nil || got != w.want {
				t.Errorf("accepted connection: %s = %d, %v; want %d", w.o.Name, got, err, w.want)
			}
		}
		if tr := timer(); tr != 2 {
			t.Errorf("with SO_KEEPALIVE the kernel timer is %d, want 2 (keep-alive)", tr)
		}
		if err := OptKeepAlive.SetBool(fd, false); err != nil {
			t.Fatal(err)
		}
		if tr := timer(); tr != 0 {
			t.Errorf("without SO_KEEPALIVE the kernel timer is %d, want 0 (none)", tr)
		}
		if err := OptKeepAlive.SetBool(fd, true); err != nil {
			t.Fatal(err)
		}
		if tr := timer(); tr != 2 {
			t.Errorf("with SO_KEEPALIVE set again the kernel timer is %d, want 2", tr)
		}
	})
}
