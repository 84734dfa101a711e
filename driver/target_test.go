package driver

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestTargets(t *testing.T) {
	tests := []struct {
		raw      string
		ok       bool
		addr     string
		path     string
		loopback bool // allowed anywhere without AllowRemote
	}{
		{raw: "http://127.0.0.1:8080/", ok: true, addr: "127.0.0.1:8080", path: "/", loopback: true},
		{raw: "http://localhost:81/x?y=1", ok: true, addr: "127.0.0.1:81", path: "/x?y=1", loopback: true},
		{raw: "http://127.3.4.5", ok: true, addr: "127.3.4.5:80", path: "/", loopback: true},
		{raw: "http://[::1]:9/", ok: true, addr: "[::1]:9", path: "/", loopback: true},
		{raw: "http://192.0.2.7:80/", ok: true, addr: "192.0.2.7:80", path: "/"},
		{raw: "http://[::ffff:10.0.0.1]/", ok: true, addr: "10.0.0.1:80", path: "/"},
		{raw: "https://127.0.0.1/"},
		{raw: "http://example.com/"}, // names are resolved only with AllowRemote
		{raw: "http://u:p@127.0.0.1/"},
		{raw: "http://127.0.0.1:0/"},
		{raw: "http://127.0.0.1:99999/"},
		{raw: "http://127.0.0.1:/"},
		{raw: "http://127.0.0.1/#frag"},
		{raw: "http://[fe80::1%25eth0]/"},
		{raw: "127.0.0.1:80"},
		{raw: "http:///path"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			tg, err := ParseTarget(tt.raw, false)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if tg.Addr.String() != tt.addr || tg.Path != tt.path {
				t.Errorf("addr %s path %s, want %s %s", tg.Addr, tg.Path, tt.addr, tt.path)
			}
			if got := allLoopback([]Target{tg}); got != tt.loopback {
				t.Errorf("loopback = %v, want %v", got, tt.loopback)
			}
		})
	}
}

// TestGuardVerdict: the pure half of the remote-target guard. Outside
// loopback, a run is allowed only when nothing can leave the namespace or
// the namespace carries the run's mark; every refusal wraps
// ErrRemoteTarget and says how to allow it.
func TestGuardVerdict(t *testing.T) {
	remote, err := ParseTarget("http://10.9.9.9:80/", false)
	if err != nil {
		t.Fatal(err)
	}
	up := []string{"veth0"}
	onLink := []netip.Prefix{netip.MustParsePrefix("10.77.0.0/24"), netip.MustParsePrefix("10.9.9.0/24")}
	offLink := []netip.Prefix{netip.MustParsePrefix("10.77.0.0/24")}
	tests := []struct {
		name    string
		view    nsView
		mark    string
		allowed bool
		why     string
	}{
		{name: "only loopback up", view: nsView{}, allowed: true},
		{name: "link up, no mark", view: nsView{upLinks: up}, why: "veth0"},
		{name: "link up, namespace marked, run not", view: nsView{upLinks: up, mark: "scalelab:abc"}, why: "veth0"},
		{name: "link up, run marked, namespace not", view: nsView{upLinks: up}, mark: "abc", why: "carries no mark"},
		{name: "link up, wrong mark", view: nsView{upLinks: up, mark: "scalelab:abd"}, mark: "abc", why: "does not match"},
		{name: "link up, alias without the prefix", view: nsView{upLinks: up, mark: "abc"}, mark: "abc", why: "does not match"},
		{name: "link up, right mark, target on the link", view: nsView{upLinks: up, mark: "scalelab:abc", onLink: onLink}, mark: "abc", allowed: true},
		{name: "link up, right mark, target off the links", view: nsView{upLinks: up, mark: "scalelab:abc", onLink: offLink}, mark: "abc", why: "not on a link of the lab's namespace (its links: 10.77.0.0/24)"},
		{name: "link up, right mark, no address", view: nsView{upLinks: up, mark: "scalelab:abc"}, mark: "abc", why: "not on a link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := guardVerdict([]Target{remote}, tt.view, tt.mark)
			if (err == nil) != tt.allowed {
				t.Fatalf("err = %v, want allowed %v", err, tt.allowed)
			}
			if tt.allowed {
				return
			}
			if !errors.Is(err, ErrRemoteTarget) {
				t.Errorf("err = %v, want ErrRemoteTarget", err)
			}
			for _, want := range []string{tt.why, "10.9.9.9", "--allow-remote"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}
