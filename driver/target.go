package driver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
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

// ErrRemoteTarget is returned for a target that is neither loopback nor in
// a lab-made network namespace, when remote targets are not allowed.
var ErrRemoteTarget = errors.New("driver: target is not loopback")

// ParseTarget parses an http:// URL strictly: no https, no user info, no
// fragment, a numeric port. The host must be an IP address or "localhost"
// unless resolve is true, when other names are looked up.
func ParseTarget(raw string, resolve bool) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("target %q: %w", raw, err)
	}
	switch {
	case u.Scheme != "http":
		return Target{}, fmt.Errorf("target %q: scheme must be http (got %q)", raw, u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return Target{}, fmt.Errorf("target %q: want http://host:port/path", raw)
	case u.User != nil:
		return Target{}, fmt.Errorf("target %q: user info is not supported", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return Target{}, fmt.Errorf("target %q: fragments are not sent to servers", raw)
	}
	host, portStr := u.Hostname(), u.Port()
	port := 80
	if portStr != "" {
		p, err := strconv.Atoi(portStr)
		if err != nil || p < 1 || p > 65535 {
			return Target{}, fmt.Errorf("target %q: bad port %q", raw, portStr)
		}
		port = p
	} else if strings.HasSuffix(u.Host, ":") {
		return Target{}, fmt.Errorf("target %q: empty port", raw)
	}
	var addr netip.Addr
	switch {
	case strings.EqualFold(host, "localhost"):
		addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	default:
		a, err := netip.ParseAddr(host)
		if err == nil && a.Zone() != "" {
			return Target{}, fmt.Errorf("target %q: zoned addresses are not supported", raw)
		}
		if err != nil {
			if !resolve {
				return Target{}, fmt.Errorf("target %q: host must be an IP address or localhost (names are resolved only with --allow-remote)", raw)
			}
			addrs, lerr := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
			if lerr != nil || len(addrs) == 0 {
				return Target{}, fmt.Errorf("target %q: resolve %s: %w", raw, host, lerr)
			}
			a = addrs[0]
		}
		addr = a.Unmap()
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
			return Target{}, fmt.Errorf("target %q: control or space characters in the path", raw)
		}
	}
	return Target{URL: raw, Addr: netip.AddrPortFrom(addr, uint16(port)), Host: u.Host, Path: path}, nil
}

// checkTargets refuses targets the lab may not load: only loopback, or any
// address when the driver runs in a network namespace the lab created (the
// lab never routes such a namespace to the outside), or allowRemote.
func checkTargets(ts []Target, inLabNamespace, allowRemote bool) error {
	if allowRemote || inLabNamespace {
		return nil
	}
	for _, t := range ts {
		if !t.Addr.Addr().IsLoopback() {
			return fmt.Errorf("%w: %s (%s) is outside 127.0.0.0/8 and ::1 and the driver runs in the host's network namespace; load it only with --allow-remote", ErrRemoteTarget, t.URL, t.Addr.Addr())
		}
	}
	return nil
}

// request returns the bytes of one GET request to t.
func (t Target) request(keepAlive bool) []byte {
	var b strings.Builder
	b.WriteString("GET ")
	b.WriteString(t.Path)
	b.WriteString(" HTTP/1.1\r\nHost: ")
	b.WriteString(t.Host)
	b.WriteString("\r\nUser-Agent: scalelab\r\n")
	if !keepAlive {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}
