// Package hist owns how the lab writes an HdrHistogram down: the standard
// compressed V2 form ("HISTFAAA..."), which every HdrHistogram library and
// tool reads (HistogramLogAnalyzer, hdrhistogram-go's Decode, the Java and
// C implementations). Driver summaries, scorecards and charts all encode and
// decode through it.
package hist

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// standardPrefix starts every V2 compressed histogram in its base64 form.
const standardPrefix = "HISTF"

// Encode returns h in the standard compressed form. hdrhistogram-go's
// Encode already returns base64 text: it is not encoded again.
func Encode(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("hist: encode: %w", err)
	}
	return string(b), nil
}

// Decode reads a histogram in the standard form, and also in the form
// summaries and scorecards written before 2026-12 used (the standard form
// base64-encoded a second time), so old cards still load. An empty string
// is an error: the caller decides what "not measured" means.
func Decode(s string) (*hdrhistogram.Histogram, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("hist: decode: empty")
	}
	if !strings.HasPrefix(s, standardPrefix) {
		inner, err := base64.StdEncoding.DecodeString(s)
		if err != nil || !strings.HasPrefix(string(inner), standardPrefix) {
			return nil, fmt.Errorf("hist: decode: not a compressed HdrHistogram (it should start with %q)", standardPrefix)
		}
		s = string(inner)
	}
	if err := checkHeader(s); err != nil {
		return nil, fmt.Errorf("hist: decode: %w", err)
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("hist: decode: %w", err)
	}
	return h, nil
}

// The bounds checkHeader enforces: every histogram the lab writes tracks
// microseconds up to an hour with 3 significant digits at most.
const (
	maxSigFigs   = 5
	maxTrackable = 1 << 40 // about 12 days in µs
)

// checkHeader reads the header of a V2 compressed histogram and refuses
// one whose range or precision would make the decoder allocate without
// bound: a card is input, and a hostile or corrupt one must not take the
// process down.
func checkHeader(s string) error {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("not base64: %w", err)
	}
	if len(raw) < 8 {
		return errors.New("too short")
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw[8:]))
	if err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	defer zr.Close()
	var hdr struct {
		Cookie, PayloadLen, NormalizingOffset, SigFigs int32
		Lowest, Highest                                int64
	}
	if err := binary.Read(io.LimitReader(zr, 32), binary.BigEndian, &hdr); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if hdr.SigFigs < 1 || hdr.SigFigs > maxSigFigs || hdr.Lowest < 1 || hdr.Highest < 2*hdr.Lowest || hdr.Highest > maxTrackable {
		return fmt.Errorf("header out of bounds: %d significant digits, range %d..%d", hdr.SigFigs, hdr.Lowest, hdr.Highest)
	}
	return nil
}
