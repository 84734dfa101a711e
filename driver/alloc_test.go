//go:build linux

package driver

import (
	"bytes"
	"context"
	"net"
	"runtime"
	"testing"
)

// constServer answers every request with the same bytes, reusing one buffer
// per connection, so that it allocates nothing per request itself.
func constServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					for k := bytes.Count(buf[:n], []byte("\r\n\r\n")); k > 0; k-- {
						if _, err := c.Write(resp); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// TestHotPathDoesNotAllocate: the allocations of a run do not grow with
// the number of requests (setup, the per-second timeline and encoding the
// histograms allocate, the last a little more the more distinct latencies
// there are; sending, parsing and recording do not). One allocation per
// request would add 20,000 here.
func TestHotPathDoesNotAllocate(t *testing.T) {
	url := constServer(t)
	for _, tt := range []struct {
		name string
		cfg  Config
	}{
		{"GET", Config{}},
		{"POST with headers and a body", Config{Method: "POST", Headers: []string{"Content-Type: application/json"}, Body: `{"a":1}`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mallocs := func(perClient int) uint64 {
				cfg := tt.cfg
				cfg.Targets, cfg.Clients, cfg.RequestsPerClient, cfg.Loops = []string{url}, 2, perClient, 1
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				s, err := Run(context.Background(), cfg)
				runtime.ReadMemStats(&after)
				if err != nil {
					t.Fatal(err)
				}
				if s.OK != uint64(2*perClient) {
					t.Fatalf("ok %d, want %d", s.OK, 2*perClient)
				}
				return after.Mallocs - before.Mallocs
			}
			mallocs(100) // warm up lazily initialised runtime and package state
			small, large := mallocs(100), mallocs(10100)
			extra := float64(large) - float64(small)
			t.Logf("mallocs: %d for 200 requests, %d for 20200", small, large)
			if perRequest := extra / 20000; perRequest > 0.1 {
				t.Errorf("%.3f allocations per extra request (%d vs %d mallocs)", perRequest, large, small)
			}
		})
	}
}
