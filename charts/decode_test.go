package charts

import (
	"encoding/base64"
	"os"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/units"
)

// TestDecodeHistogram decodes the connect histogram of phase 5 at 500
// clients from the reference card and checks it against the card's own
// summary of it (connect_ms: p50 3.855, p99 12.343, max 1038.847), and
// that the connects retried after a dropped SYN are there, near 1 s.
func TestDecodeHistogram(t *testing.T) {
	b, err := os.ReadFile("testdata/phase05-connect-500.b64")
	if err != nil {
		t.Fatal(err)
	}
	bs, err := DecodeHistogram(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	var total, slow int64
	for i, bk := range bs {
		if bk.Count <= 0 || bk.ToMS < bk.FromMS || (i > 0 && bk.FromMS < bs[i-1].ToMS) {
			t.Fatalf("bucket %d: %+v: not a non-empty bucket in order", i, bk)
		}
		total += bk.Count
		if bk.FromMS >= 1000 {
			slow += bk.Count
		}
	}
	quantile := func(q float64) Bucket {
		var seen int64
		for _, bk := range bs {
			seen += bk.Count
			if float64(seen) >= q*float64(total) {
				return bk
			}
		}
		return bs[len(bs)-1]
	}
	for _, c := range []struct {
		name string
		q    float64
		ms   float64 // the card's connect_ms
	}{{"p50", 0.50, 3.855}, {"p99", 0.99, 12.343}, {"max", 1, 1038.847}} {
		bk := quantile(c.q)
		// the card prints the bucket's highest equivalent value
		if c.ms < bk.FromMS || c.ms > bk.ToMS+0.001 {
			t.Errorf("%s: the card says %v ms, the decoded bucket is %v..%v ms", c.name, c.ms, bk.FromMS, bk.ToMS)
		}
	}
	if slow == 0 || slow > total/100 {
		t.Errorf("%d of %d connects at 1 s or more: want a few (SYN retransmits), under 1%%", slow, total)
	}
	if max := bs[len(bs)-1]; max.FromMS < 1000 || max.FromMS > 1100 {
		t.Errorf("slowest bucket %v..%v ms, want just over 1 s", max.FromMS, max.ToMS)
	}

	// The decoded buckets draw the 1 s bump on the connect chart.
	c, err := ConnectChart(Connect{Label: "phase 5", Series: []Distribution{{Label: "500 clients", Buckets: bs}}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := c.SVG()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(svg), units500(total, slow)) {
		t.Errorf("the chart's legend does not say %q", units500(total, slow))
	}
}

// units500 is the legend entry of the 500-client series.
func units500(total, slow int64) string {
	return "500 clients: " + units.Int(total) + " connects, " + units.Int(slow) + " ≥ 1 s"
}

func TestDecodeHistogramErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"not base64", "HIST%%%", "not a compressed HdrHistogram"},
		{"not a histogram", base64.StdEncoding.EncodeToString([]byte("hello, world")), "not a compressed HdrHistogram"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeHistogram(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	bs, err := DecodeHistogram("")
	if err != nil || len(bs) != 0 {
		t.Fatalf("empty histogram: got %v, %v; want no buckets", bs, err)
	}
}
