//go:build linux

package probe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/netns"
	"golang.org/x/sys/unix"
)

// The test binary doubles as the "server" whose /proc entries the probes
// read: TestMain runs helperMain when helperEnv is set. The helper lives in
// a namespace of its own, like the lab's servers.
const (
	helperEnv        = "SCALELAB_PROBE_HELPER" // "none": never accept; "serve": accept and serve
	helperBacklogEnv = "SCALELAB_PROBE_BACKLOG"
	helperNoFileEnv  = "SCALELAB_PROBE_NOFILE" // soft RLIMIT_NOFILE the helper sets on itself
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		if err := helperMain(mode); err != nil {
			fmt.Fprintln(os.Stderr, "probe helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperMain listens on 127.0.0.1 and [::1] with the backlog asked for,
// prints "ready PORT4 PORT6", serves (or not) and exits when stdin closes.
func helperMain(mode string) error {
	backlog, err := strconv.Atoi(os.Getenv(helperBacklogEnv))
	if err != nil {
		return fmt.Errorf("%s: %w", helperBacklogEnv, err)
	}
	if s := os.Getenv(helperNoFileEnv); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", helperNoFileEnv, err)
		}
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return err
		}
		rl.Cur = n
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
			return fmt.Errorf("setrlimit nofile %d: %w", n, err)
		}
	}
	l4, p4, err := rawListen(unix.AF_INET, backlog)
	if err != nil {
		return err
	}
	l6, p6, err := rawListen(unix.AF_INET6, backlog)
	if err != nil {
		return err
	}
	if mode == "serve" {
		for _, fd := range []int{l4, l6} {
			f := os.NewFile(uintptr(fd), "listener")
			ln, err := net.FileListener(f)
			f.Close()
			if err != nil {
				return err
			}
			go serve(ln)
		}
	}
	fmt.Printf("ready %d %d\n", p4, p6)
	io.Copy(io.Discard, os.Stdin) // until the test closes our stdin
	return nil
}

// rawListen opens a loopback listener with exactly the backlog given (Go's
// net.Listen would use somaxconn) and returns its fd and port.
func rawListen(family, backlog int) (int, int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, 0, fmt.Errorf("socket: %w", err)
	}
	var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if family == unix.AF_INET6 {
		sa = &unix.SockaddrInet6{Addr: [16]byte{15: 1}}
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("listen(%d): %w", backlog, err)
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, 0, err
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		return fd, a.Port, nil
	case *unix.SockaddrInet6:
		return fd, a.Port, nil
	}
	return -1, 0, errors.New("getsockname: unexpected address type")
}

// serve accepts connections and handles each by its first byte:
//
//	'e' answer "ok\n", then close once the client has closed (client TIME_WAIT)
//	'b' write 256 KiB the client never reads (client Recv-Q, server Send-Q)
//	'h' read nothing more (server Recv-Q holds what the client sends next)
//	'w' never close (server CLOSE_WAIT after the client closes, client FIN_WAIT2)
func serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			var b [1]byte
			if _, err := io.ReadFull(c, b[:]); err != nil {
				c.Close()
				return
			}
			switch b[0] {
			case 'e':
				c.Write([]byte("ok\n"))
				io.Copy(io.Discard, c)
				c.Close()
			case 'b':
				c.Write(make([]byte, 256<<10))
			}
			// 'b', 'h', 'w': keep the connection open until the helper exits.
		}()
	}
}

// helper is a running helper process inside its own namespace.
type helper struct {
	ns           *netns.NS
	cmd          *exec.Cmd
	pid          int
	port4, port6 int
	stdin        io.WriteCloser
}

// newNS creates a namespace or skips the test when not permitted.
func newNS(t testing.TB) *netns.NS {
	t.Helper()
	ns, err := netns.New()
	if errors.Is(err, netns.ErrNotPermitted) {
		t.Skip("network namespaces need root")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// startHelper starts the helper in ns and waits until it listens.
func startHelper(t testing.TB, ns *netns.NS, mode string, backlog, nofile int) *helper {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperBacklogEnv+"="+strconv.Itoa(backlog))
	if nofile > 0 {
		cmd.Env = append(cmd.Env, helperNoFileEnv+"="+strconv.Itoa(nofile))
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Start(cmd, nil); err != nil {
		t.Fatal(err)
	}
	h := &helper{ns: ns, cmd: cmd, pid: cmd.Process.Pid, stdin: stdin}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if _, err := fmt.Sscanf(strings.TrimSpace(s), "ready %d %d", &h.port4, &h.port6); err != nil {
			t.Fatalf("helper said %q: %v", s, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("helper did not get ready in 10 s")
	}
	return h
}

// connectNonBlocking starts n connects to port on loopback (IPv4 or IPv6)
// from inside the helper's namespace and returns the sockets' fds; they are
// closed at cleanup. Connects the listener cannot take stay in SYN_SENT.
func (h *helper) connectNonBlocking(t testing.TB, v6 bool, n int) []int {
	t.Helper()
	var fds []int
	err := h.ns.Do(func() error {
		for i := 0; i < n; i++ {
			family := unix.AF_INET
			var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: h.port4}
			if v6 {
				family = unix.AF_INET6
				sa = &unix.SockaddrInet6{Addr: [16]byte{15: 1}, Port: h.port6}
			}
			fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			fds = append(fds, fd)
			if err := unix.Connect(fd, sa); err != nil && !errors.Is(err, unix.EINPROGRESS) {
				return fmt.Errorf("connect %d: %w", i, err)
			}
		}
		return nil
	})
	t.Cleanup(func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return fds
}

// dial opens a connection to the helper from inside its namespace.
func (h *helper) dial(t testing.TB, v6 bool) net.Conn {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(h.port4))
	if v6 {
		addr = net.JoinHostPort("::1", strconv.Itoa(h.port6))
	}
	var c net.Conn
	err := h.ns.Do(func() error {
		var err error
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond every 10 ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}
