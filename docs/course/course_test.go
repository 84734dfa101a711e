package course

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/golden"
	"github.com/scalelab/scalelab/phases"
	"github.com/scalelab/scalelab/scorecards"
	"github.com/scalelab/scalelab/scorecards/reference"
)

var phasesBuiltin = phases.Builtin

// TestRenderedPagesAreCurrent checks that the committed pages and charts
// are what the templates and the reference runs render now: a page cannot
// quote a number its reference card does not hold. -update writes them.
func TestRenderedPagesAreCurrent(t *testing.T) {
	files, err := Files(nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasPrefix(name, "exercises/") {
			continue // the exercise files are sources, embedded as they are
		}
		t.Run(name, func(t *testing.T) { golden.Check(t, filepath.FromSlash(name), files[name]) })
	}
	// A generated file the templates no longer make is stale.
	for _, pattern := range []string{"*.md", "img/*.svg"} {
		onDisk, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range onDisk {
			if _, ok := files[filepath.ToSlash(p)]; !ok {
				if golden.Update() {
					os.Remove(p)
					continue
				}
				t.Errorf("%s is not made by any template any more: remove it (or run with -update)", p)
			}
		}
	}
}

var mdLink = regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)

// TestLinksResolve checks every relative link of every page: the file
// exists in the repository (the site checks them again in its own tree).
func TestLinksResolve(t *testing.T) {
	files, err := Files(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if !strings.HasSuffix(name, ".md") {
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(data), -1) {
			dest := m[1]
			if strings.Contains(dest, "://") {
				continue
			}
			target := filepath.Join(filepath.Dir(name), filepath.FromSlash(dest))
			if _, ok := files[filepath.ToSlash(filepath.Clean(target))]; ok {
				continue
			}
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s: link %s: %v", name, dest, err)
			}
		}
	}
}

// TestExerciseList checks the list against the folder: every file is an
// exercise and every exercise a file that loads, changes at least one
// knob of an existing rung, and is shown on a page.
func TestExerciseList(t *testing.T) {
	onDisk, err := filepath.Glob("exercises/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, x := range Exercises {
		listed[x.File] = true
	}
	for _, f := range onDisk {
		if !listed[filepath.ToSlash(f)] {
			t.Errorf("%s is not in the list of exercises (exercises.go): its promise would go unchecked", f)
		}
	}
	files, err := Files(nil)
	if err != nil {
		t.Fatal(err)
	}
	var pages strings.Builder
	for name, data := range files {
		if strings.HasSuffix(name, ".md") {
			pages.Write(data)
		}
	}
	for _, x := range Exercises {
		t.Run(x.File, func(t *testing.T) {
			p, err := x.Load()
			if err != nil {
				t.Fatal(err)
			}
			if p.Number != x.Rung {
				t.Errorf("number %d, but the exercise changes phase %d", p.Number, x.Rung)
			}
			rung, err := phasesBuiltin(x.Rung)
			if err != nil {
				t.Fatal(err)
			}
			if knobs, _ := Changes(rung, p); len(knobs) == 0 {
				t.Error("changes no knob of its rung")
			}
			if p.Verify.Enabled {
				t.Error("verification on: an exercise must stay short")
			}
			if d := p.EstimateMax(); d > 20*time.Second {
				t.Errorf("takes up to %s: keep an exercise under 20 s", d)
			}
			if !strings.Contains(pages.String(), "]("+x.File+")") {
				t.Error("no page shows it")
			}
		})
	}
}

// TestChecksCanFail runs the exercises' checks on reference runs whose
// outcome they must refuse: a promise that no card could break would
// check nothing.
func TestChecksCanFail(t *testing.T) {
	cases := []struct {
		phase int
		check Check
	}{
		{1, noErrors("addr_unavailable")}, // phase 1 ran out of ports
		{4, noAcceptErrors()},             // phase 4 hit EMFILE
		{4, allClientsAnswered()},         // and starved clients
		{5, noKernelCounter("ListenOverflows", func(st scorecards.Step) *int64 { return st.Kernel.ListenOverflows })},
		{3, cleanAt(500)},                   // phase 3 broke at 500
		{4, breaksAt(50)},                   // phase 4 held at 50
		{8, rpsAtMost(5000)},                // gnet is far faster
		{8, belowReference(8, 0.5)},         // a run is not below half of itself
		{4, someErrors("addr_unavailable")}, // phase 4 had ports to spare
	}
	for _, c := range cases {
		t.Run(c.check.Text, func(t *testing.T) {
			ref, ok := reference.Latest(c.phase)
			if !ok {
				t.Skipf("no reference run of phase %d", c.phase)
			}
			if err := c.check.Holds(ref.Card); err == nil {
				t.Errorf("holds on the reference run of phase %d, which it should refuse", c.phase)
			} else {
				t.Logf("refused, as it should: %v", err)
			}
		})
	}
}
