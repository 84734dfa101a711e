//go:build linux

package driver

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/netns"
)

// newNamespace makes a fresh network namespace (loopback up) or skips.
func newNamespace(t *testing.T) *netns.NS {
	t.Helper()
	ns, err := netns.New()
	if errors.Is(err, netns.ErrNotPermitted) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	return ns
}

// vethNamespace makes the scenario: a namespace with a veth pair up
// (10.9.9.1/24 on veth0) and a neighbour entry for 10.9.9.9, so that a SYN
// to 10.9.9.9 leaves on veth0. IPv6 is off, so nothing else is sent on the
// link by itself and its transmit counter counts the driver's packets only.
func vethNamespace(t *testing.T) *netns.NS {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) from iproute2 to make a veth pair")
	}
	ns := newNamespace(t)
	for _, k := range []string{"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"} {
		if err := ns.SetSysctl(k, "1"); err != nil {
			t.Fatal(err)
		}
	}
	err := ns.Do(func() error {
		for _, args := range [][]string{
			{"link", "add", "veth0", "type", "veth", "peer", "name", "veth1"},
			{"addr", "add", "10.9.9.1/24", "dev", "veth0"},
			{"link", "set", "veth0", "up"},
			{"link", "set", "veth1", "up"},
			{"neigh", "replace", "10.9.9.9", "lladdr", "02:00:00:00:00:09", "dev", "veth0", "nud", "permanent"},
		} {
			// A child forked from this thread starts in its namespace.
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				return errors.New("ip " + strings.Join(args, " ") + ": " + err.Error() + ": " + string(out))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// txPackets returns the packets sent on interface name in ns.
func txPackets(t *testing.T, ns *netns.NS, name string) uint64 {
	t.Helper()
	var n uint64
	err := ns.Do(func() error {
		b, err := os.ReadFile("/proc/thread-self/net/dev")
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			iface, counters, ok := strings.Cut(line, ":")
			if f := strings.Fields(counters); ok && strings.TrimSpace(iface) == name && len(f) >= 10 {
				n, err = strconv.ParseUint(f[9], 10, 64) // receive: 8 fields, then transmit bytes, packets
				return err
			}
		}
		return errors.New("no interface " + name + " in /proc/net/dev")
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRemoteGuardInNamespace reproduces the issue: from a namespace whose
// traffic can leave it (a veth up), a target outside loopback is refused
// unless the run carries the namespace's mark or AllowRemote, and when it
// is refused nothing is sent; when allowed, the SYN does leave on the veth.
func TestRemoteGuardInNamespace(t *testing.T) {
	ns := vethNamespace(t)
	target := "http://10.9.9.9:80/"
	run := func(t *testing.T, mark string, allowRemote bool) (*Summary, error, uint64) {
		before := txPackets(t, ns, "veth0")
		s, err := Run(context.Background(), Config{Targets: []string{target}, Clients: 1, RequestsPerClient: 1,
			ConnectTimeout: 200 * time.Millisecond, NetnsFD: ns.Fd(), NamespaceMark: mark, AllowRemote: allowRemote})
		return s, err, txPackets(t, ns, "veth0") - before
	}
	refused := func(t *testing.T, mark, why string) {
		t.Helper()
		_, err, sent := run(t, mark, false)
		if !errors.Is(err, ErrRemoteTarget) || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "--allow-remote") {
			t.Errorf("err = %v, want ErrRemoteTarget saying %q and how to allow it", err, why)
		}
		if sent != 0 {
			t.Errorf("%d packets left on veth0 for a refused run", sent)
		}
	}
	allowed := func(t *testing.T, mark string, allowRemote bool) {
		t.Helper()
		s, err, sent := run(t, mark, allowRemote)
		if err != nil {
			t.Fatal(err)
		}
		if s.ConnectsAttempted != 1 || s.Errors[ClassConnectTimeout] != 1 {
			t.Errorf("connects %d, errors %v: want one connect that times out", s.ConnectsAttempted, s.Errors)
		}
		if sent == 0 {
			t.Error("no packet left on veth0: the run did not reach the link")
		}
	}
	t.Run("unmarked namespace, no mark", func(t *testing.T) { refused(t, "", "veth0") })
	t.Run("unmarked namespace, a mark", func(t *testing.T) { refused(t, "tok", "carries no mark") })
	t.Run("allow remote", func(t *testing.T) { allowed(t, "", true) })
	if err := ns.Do(func() error { return MarkNamespace("tok") }); err != nil {
		t.Fatal(err)
	}
	t.Run("marked namespace, no mark", func(t *testing.T) { refused(t, "", "veth0") })
	t.Run("marked namespace, wrong mark", func(t *testing.T) { refused(t, "tak", "does not match") })
	t.Run("marked namespace, right mark", func(t *testing.T) { allowed(t, "tok", false) })
	// A marked namespace with a route out: only the addresses on its own
	// links are the lab's; one reached through the gateway is refused.
	if err := ns.Do(func() error {
		out, err := exec.Command("ip", "route", "add", "default", "via", "10.9.9.9", "dev", "veth0").CombinedOutput()
		if err != nil {
			return errors.New(err.Error() + ": " + string(out))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	target = "http://192.0.2.1:80/"
	t.Run("marked namespace, right mark, target off its links", func(t *testing.T) { refused(t, "tok", "not on a link of the lab's namespace (its links: 10.9.9.0/24)") })
	t.Run("off its links, allow remote", func(t *testing.T) { allowed(t, "", true) })
}

// TestRemoteGuardCallingThread: without NetnsFD the namespace checked is
// the calling thread's, and the loops load from that very namespace.
func TestRemoteGuardCallingThread(t *testing.T) {
	ns := vethNamespace(t)
	if err := ns.Do(func() error { return MarkNamespace("tok") }); err != nil {
		t.Fatal(err)
	}
	before := txPackets(t, ns, "veth0")
	var refusedErr, allowedErr error
	var s *Summary
	if err := ns.Do(func() error {
		cfg := Config{Targets: []string{"http://10.9.9.9:80/"}, Clients: 1, RequestsPerClient: 1, ConnectTimeout: 200 * time.Millisecond}
		_, refusedErr = Run(context.Background(), cfg)
		cfg.NamespaceMark = "tok"
		s, allowedErr = Run(context.Background(), cfg)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(refusedErr, ErrRemoteTarget) {
		t.Errorf("without the mark: err = %v, want ErrRemoteTarget", refusedErr)
	}
	if allowedErr != nil {
		t.Fatalf("with the mark: %v", allowedErr)
	}
	if sent := txPackets(t, ns, "veth0") - before; s.Errors[ClassConnectTimeout] != 1 || sent == 0 {
		t.Errorf("errors %v, %d packets on veth0: want one connect timeout from inside the namespace", s.Errors, sent)
	}
}

// TestLoopbackOnlyNamespaceAllowed: in a namespace where only lo is up
// nothing can leave, so any target is allowed; the connects fail at once.
func TestLoopbackOnlyNamespaceAllowed(t *testing.T) {
	ns := newNamespace(t)
	v, err := readNamespace(ns.Fd())
	if err != nil || len(v.upLinks) != 0 || v.mark != "" {
		t.Fatalf("fresh namespace read as %+v, %v; want no link up and no mark", v, err)
	}
	sum, err := Run(context.Background(), Config{Targets: []string{"http://192.0.2.1/"}, Clients: 1,
		RequestsPerClient: 2, Duration: time.Second, NetnsFD: ns.Fd()})
	if err != nil {
		t.Fatal(err)
	}
	// No route exists in the namespace: the errno is kept in the class name.
	if sum.OK != 0 || sum.Errors["other_ENETUNREACH_connect"] != 2 {
		t.Errorf("ok %d errors %v, want 2 other_ENETUNREACH_connect", sum.OK, sum.Errors)
	}
}

// TestHostNamespaceRefused: the namespace the tests run in has a link up
// (on this machine, eth0), so a target outside loopback is refused, mark or
// no mark, and a host name is refused before it is resolved.
func TestHostNamespaceRefused(t *testing.T) {
	own, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	v, err := readNamespace(int(own.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.upLinks) == 0 {
		t.Skip("the test runs in a namespace with no link up besides lo")
	}
	for _, cfg := range []Config{
		{Targets: []string{"http://192.0.2.1/"}},
		{Targets: []string{"http://127.0.0.1:1/", "http://192.0.2.1/"}, NamespaceMark: "tok"},
	} {
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrRemoteTarget) {
			t.Errorf("%v: err = %v, want ErrRemoteTarget", cfg.Targets, err)
		}
	}
	if _, err := Run(context.Background(), Config{Targets: []string{"http://example.com/"}}); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "allow-remote") {
		t.Errorf("host name: err = %v, want a config error pointing at --allow-remote", err)
	}
}

func TestMarkNamespace(t *testing.T) {
	ns := newNamespace(t)
	for _, tok := range []string{"first", "second"} {
		if err := ns.Do(func() error { return MarkNamespace(tok) }); err != nil {
			t.Fatal(err)
		}
		v, err := readNamespace(ns.Fd())
		if err != nil || v.mark != "scalelab:"+tok {
			t.Errorf("mark read back as %q (%v), want scalelab:%s", v.mark, err, tok)
		}
	}
	for _, bad := range []string{"", "with space", strings.Repeat("x", MaxNamespaceMark+1)} {
		if err := ns.Do(func() error { return MarkNamespace(bad) }); err == nil {
			t.Errorf("MarkNamespace(%q) accepted", bad)
		}
	}
}

// TestEnterOwnNamespace: joining the namespace a thread already lives in
// is a no-op, so a process without CAP_SYS_ADMIN can pass its own.
func TestEnterOwnNamespace(t *testing.T) {
	own, err := os.Open("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	err = inNamespace(int(own.Fd()), func() error {
		joined, err := enterNamespace(int(own.Fd()))
		if err == nil && joined {
			err = errors.New("moved into the namespace it was in")
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}
