package scorecards

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds the size of a scorecard Load accepts. Histograms and
// timelines of a large sweep stay well below it.
const MaxFileSize = 64 << 20

// Decimals kept when a scorecard is written (see Rounded).
const (
	DecimalsRPS         = 1 // rps, timeline rps, sweet spot and breaking point rps
	DecimalsLatency     = 3 // every *_ms value
	DecimalsSuccessRate = 4 // success_rate
	DecimalsOther       = 1 // cpu_pct, rss_mb
	DecimalsDuration    = 3 // duration_s
)

// Marshal encodes sc as YAML in its written form (see Rounded), with plain
// decimal numbers ("123456.7", never "1.234567e+05") and two-space indent.
func Marshal(sc *Scorecard) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(sc.Rounded()); err != nil {
		return nil, fmt.Errorf("scorecards: encode: %w", err)
	}
	plainFloats(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("scorecards: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("scorecards: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// plainFloats rewrites every float scalar in decimal notation.
func plainFloats(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!float" {
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			n.Value = strconv.FormatFloat(f, 'f', -1, 64)
			n.Tag = "" // plain: an integral value reads back as a float field all the same
		}
	}
	for _, c := range n.Content {
		plainFloats(c)
	}
}

// Unmarshal decodes one scorecard strictly: unknown fields, a second
// document or a schema other than Schema are errors. The card is returned
// in its written form (see Rounded).
func Unmarshal(data []byte) (*Scorecard, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var sc Scorecard
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("scorecards: empty scorecard")
		}
		return nil, fmt.Errorf("scorecards: decode: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("scorecards: decode: more than one YAML document; a scorecard is exactly one")
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc.Rounded(), nil
}

// Load reads and decodes the scorecard at path (see Unmarshal).
func Load(path string) (*Scorecard, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scorecards: load: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("scorecards: load %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("scorecards: load %s: larger than %d bytes", path, MaxFileSize)
	}
	sc, err := Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// WriteFile writes sc to path atomically: it writes a temporary file in the
// same directory, syncs it, renames it over path and syncs the directory,
// so a reader (or a run killed half-way) only ever sees a whole card.
// An invalid card is refused before anything is written.
func WriteFile(path string, sc *Scorecard) (err error) {
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("scorecards: write %s: %w", path, err)
	}
	data, err := Marshal(sc)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("scorecards: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("scorecards: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("scorecards: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("scorecards: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("scorecards: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("scorecards: write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		// The rename is durable once the directory is synced; failing to
		// sync it does not make the card invalid, so the error is ignored.
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Validate checks the fields a reader relies on: the schema, the status,
// and that every limit and outcome is one the lab knows.
func (sc *Scorecard) Validate() error {
	var errs []error
	if sc.Schema != Schema {
		errs = append(errs, fmt.Errorf("schema %q, want %s", sc.Schema, Schema))
	}
	if !sc.Status.Known() {
		errs = append(errs, fmt.Errorf("status %q, want running, complete, interrupted or failed", sc.Status))
	}
	if l := sc.Phase.Hypothesis.Limit; l != "" && !l.Known() {
		errs = append(errs, fmt.Errorf("phase.hypothesis.limit: unknown limit %q", l))
	}
	for i, st := range sc.Steps {
		if st.Verdict.Limit != "" && !st.Verdict.Limit.Known() {
			errs = append(errs, fmt.Errorf("steps[%d].verdict.limit: unknown limit %q", i, st.Verdict.Limit))
		}
		for j, f := range st.Verdict.Also {
			if !f.Limit.Known() {
				errs = append(errs, fmt.Errorf("steps[%d].verdict.also[%d].limit: unknown limit %q", i, j, f.Limit))
			}
		}
		switch st.State {
		case "", "clean", "saturated", "dropped":
		default:
			errs = append(errs, fmt.Errorf("steps[%d].state %q, want clean, saturated or dropped", i, st.State))
		}
		if st.SuccessRate < 0 || st.SuccessRate > 1 || math.IsNaN(st.SuccessRate) {
			errs = append(errs, fmt.Errorf("steps[%d].success_rate: %v is outside 0..1", i, st.SuccessRate))
		}
	}
	if l := sc.Summary.Limit; l != "" && !l.Known() {
		errs = append(errs, fmt.Errorf("summary.limit: unknown limit %q", l))
	}
	if o := sc.Summary.Hypothesis; o != "" && !o.Known() {
		errs = append(errs, fmt.Errorf("summary.hypothesis %q, want confirmed, refuted or inconclusive", o))
	}
	if len(errs) > 0 {
		return fmt.Errorf("scorecards: invalid scorecard: %w", errors.Join(errs...))
	}
	return nil
}

// Rounded returns a deep copy of sc in the form it is written in, which is
// also the form Load returns: rps to DecimalsRPS decimals, latencies to
// DecimalsLatency, success rates to DecimalsSuccessRate, the date in UTC
// to the second, and empty lists and maps as nil. It is the one place
// where written numbers are rounded.
func (sc *Scorecard) Rounded() *Scorecard {
	c := *sc
	c.Environment.Date = sc.Environment.Date.UTC().Truncate(time.Second)
	c.Applied = roundApplied(sc.Applied)
	c.Config = copyConfig(sc.Config)
	c.Steps = nil
	for _, st := range sc.Steps {
		c.Steps = append(c.Steps, roundStep(st))
	}
	c.Summary.SweetSpot = roundPoint(sc.Summary.SweetSpot)
	c.Summary.BreakingPoint = roundPoint(sc.Summary.BreakingPoint)
	return &c
}

func round(x float64, decimals int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	p := math.Pow10(decimals)
	r := math.Round(x*p) / p
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

func roundLatency(l Latency) Latency {
	return Latency{
		P50: round(l.P50, DecimalsLatency), P90: round(l.P90, DecimalsLatency),
		P99: round(l.P99, DecimalsLatency), P999: round(l.P999, DecimalsLatency),
		Max: round(l.Max, DecimalsLatency), Mean: round(l.Mean, DecimalsLatency),
	}
}

func roundStep(st Step) Step {
	c := st
	c.DurationS = round(st.DurationS, DecimalsDuration)
	c.SuccessRate = round(st.SuccessRate, DecimalsSuccessRate)
	c.RPS = round(st.RPS, DecimalsRPS)
	c.LatencyMS = roundLatency(st.LatencyMS)
	c.ConnectMS = roundLatency(st.ConnectMS)
	c.Errors = copyCounts(st.Errors)
	c.Timeline = nil
	for _, s := range st.Timeline {
		c.Timeline = append(c.Timeline, Second{T: s.T, RPS: round(s.RPS, DecimalsRPS), Errors: s.Errors,
			P99MS: round(s.P99MS, DecimalsLatency)})
	}
	c.Server.CPUPct = round(st.Server.CPUPct, DecimalsOther)
	c.Server.RSSMB = round(st.Server.RSSMB, DecimalsOther)
	c.Server.AcceptErrors = copyCounts(st.Server.AcceptErrors)
	c.Server.HandlerMS = roundLatency(st.Server.HandlerMS)
	c.Driver.CPUPct = round(st.Driver.CPUPct, DecimalsOther)
	c.Driver.RSSMB = round(st.Driver.RSSMB, DecimalsOther)
	c.Kernel = copyCounts(st.Kernel)
	c.Verdict = Verdict{Limit: st.Verdict.Limit, Evidence: copyStrings(st.Verdict.Evidence)}
	for _, f := range st.Verdict.Also {
		c.Verdict.Also = append(c.Verdict.Also, Finding{Limit: f.Limit, Evidence: copyStrings(f.Evidence)})
	}
	c.Warnings = copyStrings(st.Warnings)
	return c
}

func roundPoint(p *Point) *Point {
	if p == nil {
		return nil
	}
	return &Point{Clients: p.Clients, RPS: round(p.RPS, DecimalsRPS),
		SuccessRate: round(p.SuccessRate, DecimalsSuccessRate), Reason: p.Reason}
}

func roundApplied(a Applied) Applied {
	c := a
	c.TCPTwReuse = copyInt(a.TCPTwReuse)
	c.SynCookies = copyInt(a.SynCookies)
	c.Pinned = Pinning{Server: copyInts(a.Pinned.Server), Driver: copyInts(a.Pinned.Driver)}
	c.NotApplied = nil
	if len(a.NotApplied) > 0 {
		c.NotApplied = append([]NotApplied(nil), a.NotApplied...)
	}
	return c
}

func copyConfig(cf Config) Config {
	c := cf
	c.Limits.TCPTwReuse = copyInt(cf.Limits.TCPTwReuse)
	c.Limits.SynCookies = copyInt(cf.Limits.SynCookies)
	c.Driver.Targets = copyStrings(cf.Driver.Targets)
	c.Sweep.Clients = copyInts(cf.Sweep.Clients)
	return c
}

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func copyInts(s []int) []int {
	if len(s) == 0 {
		return nil
	}
	return append([]int(nil), s...)
}

func copyStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}

func copyCounts(m map[string]int64) map[string]int64 {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]int64, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
