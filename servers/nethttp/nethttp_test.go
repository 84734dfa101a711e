package nethttp

import "testing"

// The variant's behaviour is tested with the others in servers/variants
// (conformance, stats, backlog, header limit, fd limit); here only what is
// its own.

// TestMaxHeaderBytes: net/http reads 4096 bytes more than MaxHeaderBytes,
// so the variant asks for the knob minus 4096 (at least 1).
func TestMaxHeaderBytes(t *testing.T) {
	for _, tc := range []struct{ knob, want int }{
		{8192, 4096},
		{4097, 1},
		{4096, 1},
		{256, 1},
		{1 << 20, 1<<20 - 4096},
	} {
		if got := MaxHeaderBytes(tc.knob); got != tc.want {
			t.Errorf("MaxHeaderBytes(%d) = %d, want %d", tc.knob, got, tc.want)
		}
	}
}
