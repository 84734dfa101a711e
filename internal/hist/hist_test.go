package hist

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func sample(t *testing.T) *hdrhistogram.Histogram {
	t.Helper()
	h := hdrhistogram.New(1, 60_000_000, 3)
	for _, v := range []int64{120, 250, 250, 980, 1_000_000, 3_000_000} {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// TestRoundTrip: a histogram written in the standard form reads back equal,
// through this package and through hdrhistogram-go directly (the form
// other tools read).
func TestRoundTrip(t *testing.T) {
	h := sample(t)
	s, err := Encode(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "HISTFAAA") {
		t.Fatalf("not the standard form: %.20s", s)
	}
	for name, decode := range map[string]func(string) (*hdrhistogram.Histogram, error){
		"hist.Decode":         Decode,
		"hdrhistogram.Decode": func(s string) (*hdrhistogram.Histogram, error) { return hdrhistogram.Decode([]byte(s)) },
	} {
		back, err := decode(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !back.Equals(h) {
			t.Errorf("%s: read back %d values, mean %v; want %d, %v", name, back.TotalCount(), back.Mean(), h.TotalCount(), h.Mean())
		}
	}
}

// TestDecodeLegacy: the doubly encoded form of older cards still loads.
func TestDecodeLegacy(t *testing.T) {
	h := sample(t)
	s, _ := Encode(h)
	back, err := Decode(base64.StdEncoding.EncodeToString([]byte(s)))
	if err != nil || !back.Equals(h) {
		t.Fatalf("legacy form: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{"", "   ", "not base64 !", base64.StdEncoding.EncodeToString([]byte("hello")), "HISTFAAAgarbage"} {
		if _, err := Decode(in); err == nil {
			t.Errorf("Decode(%q) accepted it", in)
		}
	}
}

func FuzzDecode(f *testing.F) {
	s, _ := Encode(hdrhistogram.New(1, 1000, 2))
	f.Add(s)
	f.Add(base64.StdEncoding.EncodeToString([]byte(s)))
	f.Add("HISTF")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := Decode(in)
		if err == nil && h == nil {
			t.Fatal("no error and no histogram")
		}
	})
}

// TestDecodeBounds: a histogram whose range would make the decoder
// allocate without bound is refused by its header.
func TestDecodeBounds(t *testing.T) {
	s, err := Encode(hdrhistogram.New(1, 1<<45, 3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(s); err == nil || !strings.Contains(err.Error(), "out of bounds") {
		t.Errorf("Decode of a 2^45 range = %v, want out of bounds", err)
	}
}
