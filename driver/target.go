package driver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Target is one parsed target URL.
type Target struct {
	URL  string         // as given
	Addr netip.AddrPort // where connections go
	Host string         // Host header value
	Path string         // request target: path and query
}

// ErrRemoteTarget is returned when a run would send load to a target that
// is not loopback from a network namespace whose traffic can leave it, and
// neither Config.AllowRemote nor a matching Config.NamespaceMark permits it.
var ErrRemoteTarget = errors.New("driver: target is not loopback")

// ParseTarget parses an http:// URL strictly: no https, no user info, no
// fragment, a numeric port. The host must be an IP address or "localhost"
// unless resolve is true, when other names are looked up.
func ParseTarget(raw string, resolve bool) (Target, error) {
	t, host, err := parseURL(raw)
	if err != nil {
		return Target{}, err
	}
	addr, err := t.literalAddr(host)
	if err != nil && resolve && !errors.Is(err, errZoned) {
		addrs, lerr := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
		if lerr != nil || len(addrs) == 0 {
			return Target{}, fmt.Errorf("target %q: resolve %s: %w", raw, host, lerr)
		}
		addr, err = addrs[0].Unmap(), nil
	}
	if err != nil {
		return Target{}, err
	}
	t.Addr = netip.AddrPortFrom(addr, t.Addr.Port())
	return t, nil
}

var errZoned = errors.New("zoned addresses are not supported")

// parseURL checks the syntax of a target URL and returns the target with
// its port (address unset) and the host name to resolve.
func parseURL(raw string) (t Target, host string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, "", fmt.Errorf("target %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "http":
		return Target{}, "", fmt.Errorf("target %q: scheme must be http (got %q)", raw, u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return Target{}, "", fmt.Errorf("target %q: want http://host:port/path", raw)
	case u.User != nil:
		return Target{}, "", fmt.Errorf("target %q: user info is not supported", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return Target{}, "", fmt.Errorf("target %q: fragments are not sent to servers", raw)
	}
	port := 80
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Target{}, "", fmt.Errorf("target %q: bad port %q", raw, p)
		}
		port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return Target{}, "", fmt.Errorf("target %q: empty port", raw)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		path += "?" + u.RawQuery
	}
	for _, c := range []byte(path) {
		if c <= ' ' || c == 0x7f {
			return Target{}, "", fmt.Errorf("target %q: control or space characters in the path", raw)
		}
	}
	t = Target{URL: raw, Addr: netip.AddrPortFrom(netip.Addr{}, uint16(port)), Host: u.Host, Path: path}
	return t, u.Hostname(), nil
}

// literalAddr returns the address a host names without resolving it: an IP
// address, or "localhost" (127.0.0.1).
func (t Target) literalAddr(host string) (netip.Addr, error) {
	if strings.EqualFold(host, "localhost") {
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), nil
	}
	a, err := netip.ParseAddr(host)
	switch {
	case err == nil && a.Zone() != "":
		return netip.Addr{}, fmt.Errorf("target %q: %w", t.URL, errZoned)
	case err != nil:
		return netip.Addr{}, fmt.Errorf("target %q: host must be an IP address or localhost (names are resolved only when remote targets are allowed: --allow-remote)", t.URL)
	}
	return a.Unmap(), nil
}

// allLoopback reports whether every target is a loopback address.
func allLoopback(ts []Target) bool {
	for _, t := range ts {
		if !t.Addr.Addr().IsLoopback() {
			return false
		}
	}
	return true
}

// nsView is what the remote-target guard saw of the network namespace the
// sockets will live in.
type nsView struct {
	upLinks []string // interfaces other than loopback that are up
	mark    string   // alias of the loopback interface ("" when none)
	// onLink are the prefixes of the addresses on those interfaces: the
	// addresses reached on a link of the namespace, not through a router.
	onLink []netip.Prefix
}

// markPrefix starts the loopback alias that marks a namespace as the lab's.
const markPrefix = "scalelab:"

// onLinkVerdict accepts targets that are loopback or on a link of the
// marked namespace v, and refuses any other: an address reached through a
// route (a default gateway, say) leaves the namespaces the lab made.
func onLinkVerdict(ts []Target, v nsView) error {
	var off []string
	for _, t := range ts {
		a := t.Addr.Addr()
		if a.IsLoopback() || slices.ContainsFunc(v.onLink, func(p netip.Prefix) bool { return p.Contains(a) }) {
			continue
		}
		off = append(off, fmt.Sprintf("%s (%s)", t.URL, a))
	}
	if len(off) == 0 {
		return nil
	}
	links := make([]string, len(v.onLink))
	for i, p := range v.onLink {
		links[i] = p.String()
	}
	return fmt.Errorf("%w: %s: not on a link of the lab's namespace (its links: %s), so load could leave the namespaces the lab made; to load it anyway pass --allow-remote (Config.AllowRemote)",
		ErrRemoteTarget, strings.Join(off, ", "), strings.Join(links, ", "))
}

// guardVerdict decides whether targets that are not all loopback may be
// loaded from the namespace described by v; nil means yes. It is the pure
// half of the remote-target guard (the other half reads v from the kernel).
func guardVerdict(ts []Target, v nsView, mark string) error {
	if len(v.upLinks) == 0 {
		return nil // nothing can leave the namespace
	}
	if mark != "" && v.mark == markPrefix+mark {
		// A namespace the lab made: its own links lead to the lab's other
		// namespaces and nowhere else, so only their addresses are its.
		return onLinkVerdict(ts, v)
	}
	var remote []string
	for _, t := range ts {
		if !t.Addr.Addr().IsLoopback() {
			remote = append(remote, fmt.Sprintf("%s (%s)", t.URL, t.Addr.Addr()))
		}
	}
	why := "its network namespace has interfaces up besides loopback (" + strings.Join(v.upLinks, ", ") + "), so load could leave it"
	switch {
	case mark != "" && v.mark == "":
		why += "; namespace_mark is set but the namespace carries no mark"
	case mark != "":
		why += "; namespace_mark does not match the namespace's mark"
	}
	return fmt.Errorf("%w: %s: %s; to load it anyway pass --allow-remote (Config.AllowRemote), or run inside a namespace the lab created (no interface but lo up, or marked with driver.MarkNamespace and the same Config.NamespaceMark)",
		ErrRemoteTarget, strings.Join(remote, ", "), why)
}
