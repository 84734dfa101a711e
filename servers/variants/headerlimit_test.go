package variants_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/servers/servertest"
)

// TestHeaderLimit checks that the 431 threshold is the knob itself on
// every variant: a request of exactly --max-header-bytes bytes (request
// line, headers and the blank line) is served, one byte more is not.
func TestHeaderLimit(t *testing.T) {
	eachVariant(t, func(t *testing.T, name string) {
		cfg := baseConfig(false)
		cfg.MaxHeaderBytes = 8192
		srv := servertest.Start(t, name, cfg)
		request := func(size int) string {
			head := "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: "
			return head + strings.Repeat("a", size-len(head)-len("\r\n\r\n")) + "\r\n\r\n"
		}
		for _, tc := range []struct {
			size   int
			answer answer
		}{
			{cfg.MaxHeaderBytes, withClose(ansOK)},
			{cfg.MaxHeaderBytes + 1, refused(431)},
		} {
			c := dial(t, srv.Addr())
			c.write(request(tc.size))
			g, err := c.read(false, 5*time.Second)
			if err != nil {
				t.Fatalf("request of %d bytes: %v", tc.size, err)
			}
			tc.answer.check(t, fmt.Sprintf("request of %d bytes", tc.size), g)
		}
	})
}
