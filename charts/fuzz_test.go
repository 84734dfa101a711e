package charts

import (
	"encoding/base64"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// encodeHist encodes values (µs) as the driver does: an HdrHistogram of
// 1 µs to 60 s at 3 digits, V2 compressed, in base64.
func encodeHist(t testing.TB, values ...int64) string {
	h := hdrhistogram.New(1, 60_000_000, 3)
	for _, v := range values {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// TestDecodeHistogramUnits records known connect times in microseconds and
// finds them in the decoded buckets in milliseconds.
func TestDecodeHistogramUnits(t *testing.T) {
	bs, err := DecodeHistogram(encodeHist(t, 85, 85, 1200, 1_003_000, 3_001_000))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ms    float64
		count int64
	}{{0.085, 2}, {1.2, 1}, {1003, 1}, {3001, 1}}
	if len(bs) != len(want) {
		t.Fatalf("%d buckets %+v, want %d", len(bs), bs, len(want))
	}
	for i, w := range want {
		if b := bs[i]; w.ms < b.FromMS || w.ms > b.ToMS || b.Count != w.count {
			t.Errorf("bucket %d: %+v, want %v ms × %d", i, b, w.ms, w.count)
		}
	}
}

// FuzzDecodeHistogram feeds DecodeHistogram arbitrary input: it must
// return buckets or an error, never panic, and its buckets must be
// non-empty and in order.
func FuzzDecodeHistogram(f *testing.F) {
	f.Add(encodeHist(f, 85, 1200, 1_003_000))
	f.Add(encodeHist(f))
	f.Add("")
	f.Add("SElTVEZBQUFB")
	f.Fuzz(func(t *testing.T, s string) {
		bs, err := DecodeHistogram(s)
		if err != nil {
			return
		}
		for i, bk := range bs {
			if bk.Count <= 0 || bk.ToMS < bk.FromMS || (i > 0 && bk.FromMS < bs[i-1].ToMS) {
				t.Fatalf("bucket %d: %+v", i, bk)
			}
		}
	})
}
