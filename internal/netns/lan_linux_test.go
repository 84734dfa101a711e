//go:build linux

package netns

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rootLinks lists the interfaces of the caller's namespace.
func rootLinks(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Skip("needs ip(8):", err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, strings.TrimSuffix(f[1], ":"))
		}
	}
	return strings.Join(names, " ")
}

// TestLAN: hosts on the hub's bridge reach the hub's address from their
// own addresses, and nothing of the LAN ever appears in the caller's
// namespace, during or after.
func TestLAN(t *testing.T) {
	hub := newOrSkip(t)
	before := rootLinks(t)
	lan, err := NewLAN(hub, 3, netip.MustParsePrefix("10.77.0.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	if lan.HubAddr.String() != "10.77.0.1" || len(lan.Hosts) != 3 || lan.Addrs[2].String() != "10.77.0.4" {
		t.Fatalf("hub %v, hosts %v", lan.HubAddr, lan.Addrs)
	}
	var ln net.Listener
	if err := hub.Do(func() (err error) { ln, err = net.Listen("tcp", "10.77.0.1:8080"); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var inos []uint64
	for i, h := range lan.Hosts {
		var st unix.Stat_t
		if err := unix.Fstat(h.Fd(), &st); err != nil {
			t.Fatal(err)
		}
		inos = append(inos, st.Ino)
		err := h.Do(func() error {
			c, err := net.DialTimeout("tcp", "10.77.0.1:8080", 2*time.Second)
			if err != nil {
				return err
			}
			return c.Close()
		})
		if err != nil {
			t.Fatalf("host %d: %v", i, err)
		}
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if got := c.RemoteAddr().(*net.TCPAddr).IP.String(); got != lan.Addrs[i].String() {
			t.Errorf("host %d connected from %s, want %s", i, got, lan.Addrs[i])
		}
		c.Close()
	}
	if during := rootLinks(t); during != before {
		t.Errorf("the caller's interfaces changed while the LAN stood: %q -> %q", before, during)
	}
	if err := lan.Close(); err != nil {
		t.Fatal(err)
	}
	if after := rootLinks(t); after != before {
		t.Errorf("the caller's interfaces changed: %q -> %q", before, after)
	}
	// The bridge's ports went with the hosts' namespaces. The kernel tears
	// a namespace's devices down in a work queue after its last user is
	// gone, so give it a moment (bounded).
	var ports string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := hub.Do(func() error {
			out, err := exec.Command("ip", "-o", "link", "show", "master", BridgeName).CombinedOutput()
			ports = strings.TrimSpace(string(out))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if ports == "" || time.Now().After(deadline) {
			break
		}
	}
	if ports != "" {
		t.Errorf("bridge ports left after the hosts closed: %s", ports)
	}
	// No open descriptor of this process holds a host's namespace.
	fds, _ := os.ReadDir("/proc/self/fd")
	for _, fd := range fds {
		var st unix.Stat_t
		if unix.Stat("/proc/self/fd/"+fd.Name(), &st) == nil {
			for _, ino := range inos {
				if st.Ino == ino && st.Dev != 0 {
					t.Errorf("fd %s still holds a host namespace", fd.Name())
				}
			}
		}
	}
}

func TestLANRefuses(t *testing.T) {
	hub := newOrSkip(t)
	for _, tt := range []struct {
		hosts  int
		prefix string
		want   string
	}{
		{0, "10.77.0.0/24", "want 1 to 64"},
		{65, "10.77.0.0/24", "want 1 to 64"},
		{2, "10.77.0.0/25", "IPv4 network of /24 or wider"},
		{2, "10.77.0.1/24", "IPv4 network of /24 or wider"},
		{2, "fd00::/64", "IPv4"},
	} {
		if _, err := NewLAN(hub, tt.hosts, netip.MustParsePrefix(tt.prefix)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewLAN(%d, %s) = %v, want %q", tt.hosts, tt.prefix, err, tt.want)
		}
	}
}
