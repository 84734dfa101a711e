package scorecards

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/internal/atomicfile"
	"github.com/scalelab/scalelab/internal/boundedread"
)

// MaxFileSize bounds the size of a scorecard Load accepts. Histograms and
// timelines of a large sweep stay well below it.
const MaxFileSize = 64 << 20

// Marshal encodes sc as YAML in its written form (see Rounded), with plain
// decimal numbers ("123456.7", never "1.234567e+05") and two-space indent.
// Every measured quantity has a type of package units that rounds itself
// when written, so no field can slip past rounding.
func Marshal(sc *Scorecard) ([]byte, error) {
	c := *sc
	c.Environment.Date = sc.Environment.Date.UTC().Truncate(time.Second)
	var doc yaml.Node
	if err := doc.Encode(&c); err != nil {
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
	sc, err := decode(data)
	if err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return sc, nil
}

// decode reads one scorecard strictly, without validating it.
func decode(data []byte) (*Scorecard, error) {
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
	return &sc, nil
}

// Load reads and decodes the scorecard at path (see Unmarshal).
func Load(path string) (*Scorecard, error) {
	data, err := boundedread.File(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("scorecards: load: %w", err)
	}
	sc, err := Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sc.Status == StatusRunning {
		if gone, why := sc.Owner.Gone(); gone {
			sc.Status = StatusAbandoned
			sc.Error = why
		}
	}
	return sc, nil
}

// WriteFile writes sc to path atomically (see package atomicfile), so a
// reader, or a run killed half-way, only ever sees a whole card. An invalid
// card is refused before anything is written.
func WriteFile(path string, sc *Scorecard) error {
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("scorecards: write %s: %w", path, err)
	}
	data, err := Marshal(sc)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("scorecards: %w", err)
	}
	return nil
}

// WriteReport writes the Markdown report of sc to path atomically.
func WriteReport(path string, sc *Scorecard) error {
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return RenderReport(w, sc) }); err != nil {
		return fmt.Errorf("scorecards: report: %w", err)
	}
	return nil
}

// Validate checks the fields a reader relies on: the schema, the status,
// and that every limit, state and outcome is one the lab knows.
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
		if l := st.Verdict.Limit; l != "" && !l.Known() {
			errs = append(errs, fmt.Errorf("steps[%d].verdict.limit: unknown limit %q", i, l))
		}
		for j, f := range st.Verdict.Also {
			if !f.Limit.Known() {
				errs = append(errs, fmt.Errorf("steps[%d].verdict.also[%d].limit: unknown limit %q", i, j, f.Limit))
			}
		}
		switch st.Ended {
		case "", StepInterrupted, StepFailed:
		default:
			errs = append(errs, fmt.Errorf("steps[%d].ended %q, want interrupted or failed", i, st.Ended))
		}
		if !st.State.Known() {
			errs = append(errs, fmt.Errorf("steps[%d].state %q, want clean, saturated or dropped", i, st.State))
		}
		if r := float64(st.SuccessRate); r < 0 || r > 1 || math.IsNaN(r) {
			errs = append(errs, fmt.Errorf("steps[%d].success_rate: %v is outside 0..1", i, r))
		}
	}
	for i, x := range sc.Verification {
		switch x.Outcome {
		case attrib.Verified, attrib.RefutedBy, attrib.NotVerifiable:
		default:
			errs = append(errs, fmt.Errorf("verification[%d].outcome %q, want verified, refuted or not verifiable", i, x.Outcome))
		}
	}
	if l := sc.Summary.Limit; l != "" && !l.Known() {
		errs = append(errs, fmt.Errorf("summary.limit: unknown limit %q", l))
	}
	if o := sc.Summary.Hypothesis; !o.Known() {
		errs = append(errs, fmt.Errorf("summary.hypothesis %q, want confirmed, refuted or inconclusive", o))
	}
	if len(errs) > 0 {
		return fmt.Errorf("scorecards: invalid scorecard: %w", errors.Join(errs...))
	}
	return nil
}

// Rounded returns a deep copy of sc in the form it is written in, which is
// also the form Load returns: every quantity rounded to its unit's
// precision, the date in UTC to the second, and empty lists and maps as
// nil. It is the card written and read back.
func (sc *Scorecard) Rounded() *Scorecard {
	data, err := Marshal(sc)
	if err == nil {
		var c *Scorecard
		if c, err = decode(data); err == nil {
			return c
		}
	}
	// A card built in Go always encodes; this is a programming error.
	panic(fmt.Sprintf("scorecards: a scorecard does not survive its own encoding: %v", err))
}
