//go:build linux

package runner

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
)

// rootLinks lists the interfaces of the test's own namespace: the client
// hosts' links must never appear there.
func rootLinks(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		t.Skip("needs ip(8) from iproute2:", err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, strings.TrimSuffix(f[1], ":"))
		}
	}
	return strings.Join(names, " ")
}

// TestHostsMergeExactly runs a step from three client hosts, one
// connection per request, every client a fixed number of requests: the
// merged shards count exactly what the server accepted and answered, each
// host ran its own shard from its own address, its TIME_WAIT is its own,
// and nothing of the hosts is left afterwards.
func TestHostsMergeExactly(t *testing.T) {
	needNamespaces(t)
	links := rootLinks(t)
	p := loadPhase(t, "hosts.yaml")
	before := labState(t)
	dir := t.TempDir()
	card, err := Run(context.Background(), p, Options{Exe: exe, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if card.Status != scorecards.StatusComplete || len(card.Steps) != 1 {
		t.Fatalf("status %s, %d steps", card.Status, len(card.Steps))
	}
	st := card.Steps[0]
	const want = 6 * 20
	if st.Requests != want || st.OK != want || st.Connects != want {
		t.Errorf("merged: %d requests, %d ok, %d connects; want %d each", st.Requests, st.OK, st.Connects, want)
	}
	if st.Server.Accepted != want || st.Server.Requests != want {
		t.Errorf("the server accepted %d connections and answered %d requests; the shards merged to %d", st.Server.Accepted, st.Server.Requests, st.OK)
	}
	if st.Driver.Shards != 3 || len(st.Hosts) != 3 {
		t.Fatalf("%d shards, %d hosts; want 3", st.Driver.Shards, len(st.Hosts))
	}
	var ok int64
	for i, h := range st.Hosts {
		ok += h.OK
		if wantAddr := "10.77.0." + string(rune('2'+i)); h.Addr != wantAddr || h.Clients != 2 || h.Requests != 40 {
			t.Errorf("host %d: %s, %d clients, %d requests; want %s, 2, 40", i+1, h.Addr, h.Clients, h.Requests, wantAddr)
		}
		// The clients close first: each connection leaves TIME_WAIT on
		// its own host, in its own 5,000 ports.
		if h.PortRangeSize != 5000 || h.TimeWaitMax < 36 || h.TimeWaitMax > 40 {
			t.Errorf("host %d: TIME_WAIT %d of %d ports; want about its 40 connections of 5,000", i+1, h.TimeWaitMax, h.PortRangeSize)
		}
	}
	if ok != st.OK {
		t.Errorf("hosts' ok add up to %d, the step's is %d", ok, st.OK)
	}
	if tw := st.Kernel.TimeWaitPeak(); tw > 3 {
		t.Errorf("%d TIME_WAIT sockets in the server's namespace: the clients close first, on their hosts", tw)
	}
	if after := rootLinks(t); after != links {
		t.Errorf("interfaces of the test's namespace changed: %q -> %q", links, after)
	}
	assertNoLeftovers(t, before)
}

// TestHostsInterruptLeavesNothing stops a run while its client hosts are
// loading: no driver, server, namespace or link is left.
func TestHostsInterruptLeavesNothing(t *testing.T) {
	needNamespaces(t)
	links := rootLinks(t)
	p := loadPhase(t, "hosts.yaml")
	p.Driver.RequestsPerClient, p.Driver.Duration = 0, phases.Duration(20*time.Second)
	before := labState(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && len(children(t, "load")) < 3 {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second)
		cancel()
	}()
	card, err := Run(ctx, p, Options{Exe: exe, OutDir: t.TempDir()})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	if card.Status != scorecards.StatusInterrupted {
		t.Errorf("status %s", card.Status)
	}
	if after := rootLinks(t); after != links {
		t.Errorf("interfaces of the test's namespace changed: %q -> %q", links, after)
	}
	assertNoLeftovers(t, before)
}
