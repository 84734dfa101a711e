// Package reference holds the committed reference runs of the ladder, one
// folder per date (scorecard and report of every phase as measured on the
// lab's machine), embedded in the binary so that any run can be set
// against the latest reference of its phase and the dated history can be
// printed anywhere (`make reference`).
package reference

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/scalelab/scalelab/attrib"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/units"
)

//go:embed */phase-*.yaml
var files embed.FS

// Entry is one reference run of one phase.
type Entry struct {
	Date string // the folder: "2026-11-25"
	Path string // within the folder tree: "2026-11-25/phase-05.yaml"
	Card *scorecards.Scorecard
}

// All returns every reference run, by phase then date.
func All() ([]Entry, error) {
	paths, err := fs.Glob(files, "*/phase-*.yaml")
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, p := range paths {
		data, err := files.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reference: %w", err)
		}
		card, err := scorecards.Unmarshal(data)
		if err != nil {
			return nil, fmt.Errorf("reference %s: %w", p, err)
		}
		out = append(out, Entry{Date: path.Dir(p), Path: p, Card: card})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Card.Phase.Number != b.Card.Phase.Number {
			return a.Card.Phase.Number < b.Card.Phase.Number
		}
		return a.Date < b.Date
	})
	return out, nil
}

// Latest returns the newest reference run of phase n.
func Latest(n int) (Entry, bool) {
	all, err := All()
	if err != nil {
		return Entry{}, false
	}
	var found Entry
	ok := false
	for _, e := range all {
		if e.Card.Phase.Number == n {
			found, ok = e, true
		}
	}
	return found, ok
}

// Compare sets a run's best throughput against the latest reference of its
// phase: the ratio, and whether it is within the run-to-run noise of this
// machine (attrib.SingleTrialMargin). ok is false without a reference.
func Compare(sc *scorecards.Scorecard) (*scorecards.ReferenceComparison, bool) {
	e, ok := Latest(sc.Phase.Number)
	if !ok {
		return nil, false
	}
	ref, run := e.Card.BestRPS(), sc.BestRPS()
	if ref <= 0 || run <= 0 {
		return nil, false
	}
	ratio := run / ref
	return &scorecards.ReferenceComparison{Date: e.Date, Commit: e.Card.Environment.Commit, RPS: units.PerSecond(ref),
		Ratio: ratio, WithinNoise: math.Abs(ratio-1) <= attrib.SingleTrialMargin, Limit: e.Card.Summary.Limit}, true
}

// ErrNone is returned by WriteHistory for a phase with no reference run.
var ErrNone = errors.New("reference: no reference run")

// WriteHistory writes every reference run as one dated history: a row per
// phase and date (older references kept), with the machine, the kernel and
// the commit that measured it. A phase above 0 keeps only its rows.
func WriteHistory(w io.Writer, phase int) error {
	all, err := All()
	if err != nil {
		return err
	}
	if phase > 0 {
		all = slices.DeleteFunc(all, func(e Entry) bool { return e.Card.Phase.Number != phase })
		if len(all) == 0 {
			return fmt.Errorf("%w of phase %d", ErrNone, phase)
		}
	}
	t := scorecards.Table{Header: []string{"Phase", "Date", "Limit", "Best rps", "Breaking point", "Hypothesis", "Verified", "Machine", "Kernel", "Commit"},
		Right: []bool{true, false, false, true, false, false, false, false, false, false}}
	for _, e := range all {
		c := e.Card
		bp := "none"
		if b := c.Summary.BreakingPoint; b != nil {
			bp = units.Clients(b.Clients)
		}
		verified := string(c.Summary.Verified)
		if verified == "" {
			verified = "not tried"
		}
		machine := fmt.Sprintf("%s, %s CPUs", orNA(c.Environment.Host), units.Int(c.Environment.CPUs))
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%d %s", c.Phase.Number, c.Phase.Name), e.Date, "`" + string(c.Summary.Limit) + "`",
			units.Rate(c.BestRPS()), bp, string(c.Summary.Hypothesis), verified, machine, orNA(c.Environment.Kernel), orNA(c.Environment.Commit)})
	}
	r := &scorecards.Report{Title: "Reference runs of the ladder"}
	r.Sections = append(r.Sections, scorecards.Section{Blocks: []scorecards.Block{
		scorecards.Paragraph("Every committed reference run (`scorecards/reference/<date>/`), a row per phase and date. " +
			"The machine is noisy: compare ratios measured side by side in one run, not absolute numbers across dates."), t}})
	return r.WriteMarkdown(w)
}

func orNA(s string) string {
	if strings.TrimSpace(s) == "" {
		return units.NA
	}
	return s
}
