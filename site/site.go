// Package site writes the lab's results as a static, self-contained HTML
// site: the story of the ladder with its chart, every run's report with
// its charts, comparisons (each rung against the one before it, each run
// against the reference of its phase), the phase files, the glossary and
// the course. Pages are rendered from Markdown (the same Markdown the
// reports and the course are written in) with goldmark; charts are inline
// SVG; one stylesheet; every link is relative and checked when the site is
// built, so the site opens from file:// with no network and no script.
package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/scalelab/scalelab/internal/atomicfile"
	"github.com/scalelab/scalelab/runner"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/scorecards/reference"
)

// Options says what goes into the site.
type Options struct {
	// Runs are run directories, scorecard files, or directories holding
	// run directories (results/): every run found gets its report and a
	// comparison with the reference of its phase, and the newest run of
	// each phase makes the ladder of "your runs".
	Runs []string
	// References are the reference runs (nil: the embedded ones,
	// reference.All).
	References []reference.Entry
	// Course holds the course's files by their path within docs/course
	// ("README.md", "01-naive.md", "img/ladder.svg",
	// "exercises/04-nofile-2048.yaml"); nil leaves the course out.
	Course map[string][]byte
}

// Run is one run the site shows.
type Run struct {
	// ID names the run's pages: "ref-2026-11-25-phase-01" or
	// "run-20261125-180301-phase-01".
	ID string
	// Label is how the pages name it: "reference 2026-11-25" or the run
	// directory's name.
	Label string
	// Source is the card's path in the repository (references) or on
	// disk.
	Source string
	Card   *scorecards.Scorecard
	// Reference is true for a committed reference run.
	Reference bool
}

// Page returns the site path of the run's report.
func (r Run) Page() string { return "reports/" + r.ID + ".html" }

// Result lists what Build wrote.
type Result struct {
	Dir   string
	Pages []string // site paths of the HTML pages, sorted
	Files []string // every file written, site paths, sorted
}

// Build writes the site into dir and returns what it wrote. Every page is
// rendered before anything is written, so a broken link or an unreadable
// card writes nothing.
func Build(dir string, opt Options) (*Result, error) {
	refs := opt.References
	if refs == nil {
		all, err := reference.All()
		if err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
		refs = all
	}
	runs, err := loadRuns(opt.Runs)
	if err != nil {
		return nil, err
	}
	if gofiles, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(gofiles) > 0 {
		return nil, fmt.Errorf("site: %s holds Go source (%s): write the site somewhere else", dir, filepath.Base(gofiles[0]))
	}
	b := newBuilder(refs, runs, opt.Course)
	files, err := b.build()
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: dir}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return res, fmt.Errorf("site: %w", err)
		}
		if err := atomicfile.WriteFile(dst, files[name], 0o644); err != nil {
			return res, fmt.Errorf("site: %w", err)
		}
		res.Files = append(res.Files, name)
		if strings.HasSuffix(name, ".html") {
			res.Pages = append(res.Pages, name)
		}
	}
	return res, nil
}

// loadRuns reads the runs named by args: a run directory, a scorecard
// file, or a directory of run directories.
func loadRuns(args []string) ([]Run, error) {
	var runs []Run
	seen := map[string]bool{}
	add := func(card, label string) error {
		abs, _ := filepath.Abs(card)
		if seen[abs] {
			return nil
		}
		seen[abs] = true
		sc, err := scorecards.Load(card)
		if err != nil {
			return fmt.Errorf("site: %w", err)
		}
		runs = append(runs, Run{ID: "run-" + slug(label), Label: label, Source: card, Card: sc})
		return nil
	}
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("site: %s: %w", a, errors.Unwrap(err))
		}
		if !st.IsDir() {
			name := filepath.Base(a)
			if name == runner.ScorecardFile {
				name = filepath.Base(filepath.Dir(a))
			}
			if err := add(a, strings.TrimSuffix(name, filepath.Ext(name))); err != nil {
				return nil, err
			}
			continue
		}
		if card := filepath.Join(a, runner.ScorecardFile); exists(card) {
			if err := add(card, filepath.Base(filepath.Clean(a))); err != nil {
				return nil, err
			}
			continue
		}
		inner, err := filepath.Glob(filepath.Join(a, "*", runner.ScorecardFile))
		if err != nil {
			return nil, fmt.Errorf("site: %w", err)
		}
		if len(inner) == 0 {
			return nil, fmt.Errorf("site: %s: no run in it (a run directory holds %s)", a, runner.ScorecardFile)
		}
		sort.Strings(inner)
		for _, card := range inner {
			if err := add(card, filepath.Base(filepath.Dir(card))); err != nil {
				return nil, err
			}
		}
	}
	return runs, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// slug keeps letters, digits, dots and dashes of s: a file name.
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// referenceRuns turns the reference entries into runs.
func referenceRuns(refs []reference.Entry) []Run {
	out := make([]Run, 0, len(refs))
	for _, e := range refs {
		id := fmt.Sprintf("ref-%s-phase-%02d", e.Date, e.Card.Phase.Number)
		src := path.Join("scorecards/reference", e.Path)
		out = append(out, Run{ID: id, Label: fmt.Sprintf("reference %s", e.Date), Source: src, Card: e.Card, Reference: true})
	}
	return out
}

// latestPerPhase keeps the newest run of each phase, in phase order.
func latestPerPhase(runs []Run) []Run {
	by := map[int]Run{}
	for _, r := range runs {
		n := r.Card.Phase.Number
		if old, ok := by[n]; !ok || r.Card.Environment.Date.After(old.Card.Environment.Date) ||
			(r.Card.Environment.Date.Equal(old.Card.Environment.Date) && r.ID > old.ID) {
			by[n] = r
		}
	}
	out := make([]Run, 0, len(by))
	for _, r := range by {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Card.Phase.Number < out[j].Card.Phase.Number })
	return out
}

// courseFS lists the course's files in a stable order.
func courseNames(course map[string][]byte) []string {
	names := make([]string, 0, len(course))
	for n := range course {
		if fs.ValidPath(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
