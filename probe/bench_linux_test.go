//go:build linux

package probe

import (
	"os"
	"testing"
)

// BenchmarkListenersProcTCP reads the listeners from /proc/PID/net/tcp{,6}:
// the kernel walks its whole established hash for every read.
func BenchmarkListenersProcTCP(b *testing.B) {
	pid := os.Getpid()
	var buf []byte = make([]byte, 0, 32<<10)
	for b.Loop() {
		if err := (FS{}).listeners(pid, buf, func(ListenQueue) {}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListenersSockDiag dumps the listeners over one sock_diag socket:
// the kernel walks only its listening hash.
func BenchmarkListenersSockDiag(b *testing.B) {
	c, err := openDiag(nil)
	if err != nil {
		b.Skip(err)
	}
	defer c.Close()
	for b.Loop() {
		if _, err := c.dumpListeners(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListenQueues is the one-shot API: open /proc/PID/ns/net, join
// it on a fresh thread, dump, close.
func BenchmarkListenQueues(b *testing.B) {
	for b.Loop() {
		if _, err := ListenQueues(os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSockstat(b *testing.B) {
	pid := os.Getpid()
	for b.Loop() {
		if _, _, err := (FS{}).Sockstat(pid); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenFDs(b *testing.B) {
	pid := os.Getpid()
	for b.Loop() {
		if _, err := (FS{}).OpenFDs(pid); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStat(b *testing.B) {
	pid := os.Getpid()
	for b.Loop() {
		if _, err := (FS{}).Stat(pid); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTakeBusy takes a full snapshot of a server holding 1,000
// connections (2,000 sockets in its namespace), and one sampler sample.
func BenchmarkTakeBusy(b *testing.B) {
	ns := newNS(b)
	h := startHelper(b, ns, "serve", 1024, 0)
	for i := 0; i < 1000; i++ {
		mustWrite(b, h.dial(b, false), []byte("h"))
	}
	b.Run("Take", func(b *testing.B) {
		for b.Loop() {
			if s := Take(h.pid); s.Sockets.Count(StateEstablished) != 2000 {
				b.Fatalf("ESTABLISHED %d", s.Sockets.Count(StateEstablished))
			}
		}
	})
	b.Run("Sample", func(b *testing.B) {
		s := NewSampler(FS{}, h.pid, 0)
		defer s.Close()
		for b.Loop() {
			s.Sample()
		}
	})
}
