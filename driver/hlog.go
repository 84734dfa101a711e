package driver

import (
	"errors"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// ErrNoSecondHistograms is returned by WriteIntervalLog for a summary
// whose timeline kept no histograms (Config.SecondHistograms was off).
var ErrNoSecondHistograms = errors.New("driver: the summary has no per-second histograms (run with Config.SecondHistograms, scalelab load --hlog)")

// WriteIntervalLog writes the summary's latency as an HdrHistogram
// interval log (format 1.3, as HdrHistogram's HistogramLogWriter and
// HistogramLogAnalyzer read it): one interval per measured second, each
// with that second's histogram of response times in microseconds, the
// start time the measured period's. Seconds without a response are
// written as empty intervals, so the log covers the whole period.
func WriteIntervalLog(w io.Writer, s *Summary) error {
	if len(s.Timeline) > 0 && !hasSecondHistograms(s) {
		return ErrNoSecondHistograms
	}
	lw := hdrhistogram.NewHistogramLogWriter(w)
	start := s.MeasuredFrom.UnixMilli()
	// The log's StartTime and BaseTime lines hold whole seconds: the base
	// is the second the period began in, and each interval's time stamp
	// (relative to it, in ms) keeps the rest.
	base := start - start%1000
	lw.SetBaseTime(base)
	if err := lw.OutputLogFormatVersion(); err != nil {
		return err
	}
	if err := lw.OutputComment(fmt.Sprintf("scalelab load, run %s: response times in microseconds, one interval per measured second", orDash(s.RunID))); err != nil {
		return err
	}
	if err := lw.OutputStartTime(start); err != nil {
		return err
	}
	if err := lw.OutputBaseTime(base); err != nil {
		return err
	}
	if err := lw.OutputLegend(); err != nil {
		return err
	}
	for _, sec := range s.Timeline {
		h := newSecondHist()
		if sec.Histogram != "" {
			var err error
			if h, err = DecodeHistogram(sec.Histogram); err != nil {
				return fmt.Errorf("driver: second %d: %w", sec.T, err)
			}
		}
		h.SetStartTimeMs(start + int64(sec.T)*1000)
		h.SetEndTimeMs(start + int64(sec.T+1)*1000)
		if err := lw.OutputIntervalHistogram(h); err != nil {
			return fmt.Errorf("driver: write interval %d: %w", sec.T, err)
		}
	}
	return nil
}

func hasSecondHistograms(s *Summary) bool {
	for _, sec := range s.Timeline {
		if sec.Histogram != "" {
			return true
		}
	}
	return s.OK+s.Failed == 0 // nothing answered: empty seconds are all there is
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
