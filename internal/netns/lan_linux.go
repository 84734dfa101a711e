//go:build linux

package netns

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// MaxHosts is the most hosts a LAN joins.
const MaxHosts = 64

// LAN joins network namespaces on one Ethernet segment: a bridge in the hub
// namespace and, for each host, a fresh namespace with a veth pair whose
// other end is a port of the bridge. The hub has the first address of the
// prefix, host i the (i+2)-th.
//
// Every link is made inside the namespaces, never in the caller's, so
// nothing outlives them: when a host's namespace goes, its veth goes with
// it (and its peer in the hub); when the hub goes, the bridge goes. Links
// are made with ip(8) from iproute2. IPv6 is turned off in every namespace
// of the LAN, so nothing but the lab's traffic crosses the links.
type LAN struct {
	Hub     *NS
	HubAddr netip.Addr
	Hosts   []*NS        // the hosts' namespaces, owned by the LAN
	Addrs   []netip.Addr // the hosts' addresses, on eth0 in each
	Prefix  netip.Prefix
}

// Names of the LAN's links.
const (
	BridgeName = "lab0" // the bridge, in the hub
	HostLink   = "eth0" // each host's end of its veth pair
)

// HostPort is the name of host i's port on the bridge, in the hub.
func HostPort(i int) string { return "h" + strconv.Itoa(i) }

// NewLAN makes hosts fresh namespaces and joins them and hub on a bridge,
// with addresses from prefix (an IPv4 /24 or wider). On error nothing is
// left: the namespaces made are closed.
func NewLAN(hub *NS, hosts int, prefix netip.Prefix) (*LAN, error) {
	switch {
	case hosts < 1 || hosts > MaxHosts:
		return nil, fmt.Errorf("netns: a LAN of %d hosts: want 1 to %d", hosts, MaxHosts)
	case !prefix.Addr().Is4() || prefix.Bits() > 24 || prefix != prefix.Masked():
		return nil, fmt.Errorf("netns: LAN prefix %v: want an IPv4 network of /24 or wider", prefix)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("netns: joining namespaces needs ip(8) from iproute2 (apt-get install iproute2): %w", err)
	}
	l := &LAN{Hub: hub, Prefix: prefix, HubAddr: prefix.Addr().Next()}
	bits := "/" + strconv.Itoa(prefix.Bits())
	err := hub.Do(func() error {
		noIPv6()
		return ip([][]string{
			{"link", "add", BridgeName, "type", "bridge"},
			{"addr", "add", l.HubAddr.String() + bits, "dev", BridgeName},
			{"link", "set", BridgeName, "up"},
		}, nil)
	})
	if err != nil {
		return nil, err
	}
	addr := l.HubAddr
	for i := range hosts {
		addr = addr.Next()
		if err := l.addHost(i, addr, bits); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// addHost makes host i's namespace and its veth pair into the bridge.
func (l *LAN) addHost(i int, addr netip.Addr, bits string) error {
	ns, err := New()
	if err != nil {
		return err
	}
	l.Hosts, l.Addrs = append(l.Hosts, ns), append(l.Addrs, addr)
	port := HostPort(i)
	err = ns.Do(func() error {
		noIPv6()
		// The peer is made in the hub directly (fd 3 is the hub's
		// namespace in the child), so it never exists anywhere else.
		return ip([][]string{
			{"link", "add", HostLink, "type", "veth", "peer", "name", port, "netns", "/proc/self/fd/3"},
			{"addr", "add", addr.String() + bits, "dev", HostLink},
			{"link", "set", HostLink, "up"},
		}, l.Hub.f)
	})
	if err != nil {
		return err
	}
	return l.Hub.Do(func() error {
		return ip([][]string{{"link", "set", port, "master", BridgeName, "up"}}, nil)
	})
}

// Close closes the hosts' namespaces (their links go with them); the hub
// stays the caller's.
func (l *LAN) Close() error {
	var errs []error
	for _, ns := range l.Hosts {
		errs = append(errs, ns.Close())
	}
	l.Hosts = nil
	return errors.Join(errs...)
}

// noIPv6 turns IPv6 off in the calling thread's namespace, for the links
// made after it (default) and before (all); a kernel without IPv6 has
// nothing to turn off.
func noIPv6() {
	for _, k := range []string{"net.ipv6.conf.default.disable_ipv6", "net.ipv6.conf.all.disable_ipv6"} {
		_ = os.WriteFile(sysctlPath(k), []byte("1"), 0)
	}
}

// ip runs ip(8) with each argument list in turn, in the calling thread's
// namespace (a child forked from it starts there), with extra as its fd 3
// when given.
func ip(cmds [][]string, extra *os.File) error {
	for _, args := range cmds {
		cmd := exec.Command("ip", args...)
		if extra != nil {
			cmd.ExtraFiles = []*os.File{extra}
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("netns: ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}
