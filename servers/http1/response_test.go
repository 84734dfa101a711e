package http1

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/scalelab/scalelab/internal/golden"
	"github.com/scalelab/scalelab/servers"
)

// checkGolden compares got with testdata/name (rewritten with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), got)
}

// TestAnswersGolden pins every answer the raw variants can write: each
// route for HTTP/1.1 and HTTP/1.0, kept alive or not, GET and HEAD, and
// each refusal.
func TestAnswersGolden(t *testing.T) {
	var out bytes.Buffer
	p := &Parser{}
	for _, version := range []string{"HTTP/1.1", "HTTP/1.0"} {
		for _, method := range []string{"GET", "HEAD"} {
			for _, target := range []string{"/", "/json", "/cpu?us=1", "/sleep?ms=0", "/nope", "/cpu?us=abc", "/echo"} {
				for _, keep := range []bool{true, false} {
					in := method + " " + target + " " + version + "\r\nHost: x\r\n\r\n"
					var req Request
					if _, err := p.Parse([]byte(in), &req); err != nil {
						t.Fatalf("%q: %v", in, err)
					}
					a := servers.RouteTarget(req.Target)
					fmt.Fprintf(&out, "=== %s %s %s keep-alive=%v\n", method, target, version, keep)
					out.Write(AppendAnswer(nil, &req, a, keep))
					out.WriteString("\n")
				}
			}
		}
	}
	for _, version := range []string{"HTTP/1.1", "HTTP/1.0"} {
		for _, keep := range []bool{true, false} {
			in := "POST /echo " + version + "\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world"
			var req Request
			if _, err := p.Parse([]byte(in), &req); err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			a := servers.RouteTarget(req.Target).WithBody(len(req.Body))
			fmt.Fprintf(&out, "=== POST /echo (11 bytes) %s keep-alive=%v\n", version, keep)
			out.Write(AppendAnswer(nil, &req, a, keep))
			out.WriteString("\n")
		}
	}
	for _, status := range []int{400, 411, 413, 431, 505} {
		fmt.Fprintf(&out, "=== refused %d\n", status)
		out.Write(AppendError(nil, status))
		out.WriteString("\n")
	}
	checkGolden(t, "answers.golden", out.Bytes())
}
