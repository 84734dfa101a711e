//go:build linux

package probe

import (
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestListenQueuesBacklog fills a real accept queue in a namespace and
// checks what sock_diag, /proc/PID/net/tcp and the counters say.
//
// Measured kernel behaviour (6.18): a listener holds backlog+1 connections,
// because the queue counts as full only when its length is *above* the
// backlog (sk_acceptq_is_full uses >). Every further SYN is dropped and
// counted in ListenOverflows and ListenDrops; the client stays in SYN_SENT
// and retransmits after ~1 s, which counts again.
func TestListenQueuesBacklog(t *testing.T) {
	tests := []struct {
		name      string
		somaxconn int // 0: leave the namespace default (4096)
		backlog   int // passed to listen(2)
		connects  int
		effective int // the backlog the kernel applies: min(backlog, somaxconn)
	}{
		{name: "backlog 16, 24 connects", backlog: 16, connects: 24, effective: 16},
		{name: "backlog 16, 5 connects", backlog: 16, connects: 5, effective: 16},
		{name: "somaxconn 8 caps backlog 16", somaxconn: 8, backlog: 16, connects: 12, effective: 8},
		{name: "backlog 0 still queues one", backlog: 0, connects: 3, effective: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newNS(t)
			if tt.somaxconn > 0 {
				if err := ns.SetSysctl("net.core.somaxconn", strconv.Itoa(tt.somaxconn)); err != nil {
					t.Fatal(err)
				}
			}
			h := startHelper(t, ns, "none", tt.backlog, 0)
			before := Take(h.pid)
			h.connectNonBlocking(t, false, tt.connects)
			wantQueue := min(tt.connects, tt.effective+1)
			var qs []ListenQueue
			if !waitFor(2*time.Second, func() bool {
				var err error
				qs, err = ListenQueues(h.pid)
				return err == nil && maxQueue(qs) == wantQueue
			}) {
				t.Fatalf("accept queue never reached %d: %+v", wantQueue, qs)
			}
			after := Take(h.pid)
			if len(after.Warnings) > 0 {
				t.Errorf("warnings: %q", after.Warnings)
			}
			want := []ListenQueue{
				{Addr: "127.0.0.1", Port: h.port4, Queue: wantQueue, Backlog: tt.effective},
				{Addr: "::1", Port: h.port6, Queue: 0, Backlog: tt.effective},
			}
			sortListeners(want)
			if !reflect.DeepEqual(after.Listeners, want) {
				t.Errorf("sock_diag: %+v\nwant       %+v", after.Listeners, want)
			}
			for i, l := range after.Sockets.Listeners {
				if i >= len(want) || l.Endpoint() != want[i].Endpoint() || l.Queue != want[i].Queue {
					t.Errorf("/proc/PID/net/tcp listener %+v disagrees with sock_diag %+v", l, want)
				}
			}
			quick, err := FS{}.Listeners(h.pid)
			if err != nil || !reflect.DeepEqual(quick, after.Sockets.Listeners) {
				t.Errorf("early-stop scan %+v (%v), full parse %+v", quick, err, after.Sockets.Listeners)
			}

			d := Delta(before, after)
			refused := tt.connects - wantQueue
			if got := after.Sockets.Count(StateSynSent); got != refused {
				t.Errorf("SYN_SENT = %d, want %d", got, refused)
			}
			if refused == 0 && d.TCPExt.ListenOverflows != 0 || d.TCPExt.ListenOverflows < int64(refused) {
				t.Errorf("ListenOverflows delta = %d with %d refused connects", d.TCPExt.ListenOverflows, refused)
			}
			if d.TCPExt.ListenDrops < d.TCPExt.ListenOverflows {
				t.Errorf("ListenDrops %d < ListenOverflows %d", d.TCPExt.ListenDrops, d.TCPExt.ListenOverflows)
			}
			if d.TCP.ActiveOpens != int64(tt.connects) || d.TCP.PassiveOpens != int64(wantQueue) {
				t.Errorf("ActiveOpens %d (want %d), PassiveOpens %d (want %d)", d.TCP.ActiveOpens, tt.connects, d.TCP.PassiveOpens, wantQueue)
			}
			t.Logf("backlog %d: queue %d, ListenOverflows +%d, ListenDrops +%d, SYN_SENT %d, in %v",
				tt.effective, wantQueue, d.TCPExt.ListenOverflows, d.TCPExt.ListenDrops, refused, d.Wall.Round(time.Millisecond))
		})
	}
}

func TestListenQueuesNoProcess(t *testing.T) {
	if _, err := ListenQueues(1 << 30); err == nil {
		t.Fatal("no error for a pid that cannot exist")
	}
}
