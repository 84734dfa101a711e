package http1

import (
	"testing"

	"github.com/scalelab/scalelab/servers/smuggling"
)

// smugglingRefusal is the parser's answer to each request-smuggling shape:
// every one is refused, so nothing after it on the connection is read.
var smugglingRefusal = map[string]*Error{
	"CL+TE":              ErrFraming,
	"TE gzip":            ErrTransferCoding,
	"CL twice":           ErrContentLength,
	"CL negative":        ErrContentLength,
	"CL not digits":      ErrContentLength,
	"obs-fold":           ErrObsFold,
	"bare LF":            ErrLineEnd,
	"space before colon": ErrHeaderLine,
	"version 9.9":        ErrVersion,
	"bad chunk size":     ErrTransferEncoding,
}

// TestSmugglingShapesRefused parses every shape of the conformance table
// whole and cut at every byte: the parser refuses it with the same error
// before it could read a request after it.
func TestSmugglingShapesRefused(t *testing.T) {
	var p Parser
	for _, shape := range smuggling.Shapes() {
		t.Run(shape.Name, func(t *testing.T) {
			want, ok := smugglingRefusal[shape.Name]
			if !ok {
				t.Fatalf("no refusal listed for shape %q", shape.Name)
			}
			data := []byte(shape.Request)
			wantStream := parseStream(t, &p, data, nil)
			for cut := 1; cut < len(data); cut++ {
				if got := parseStream(t, &p, data, []int{cut}); got != wantStream {
					t.Fatalf("cut at %d: %s; whole: %s", cut, got, wantStream)
				}
			}
			var req Request
			n, err := p.Parse(data, &req)
			if err != want || n != 0 {
				t.Errorf("Parse = (%d, %v), want (0, %v)", n, err, want)
			}
		})
	}
}
