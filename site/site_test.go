package site

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scalelab/scalelab/scorecards/reference"
)

var attrLink = regexp.MustCompile(`(?:href|src)="([^"]*)"`)

// TestBuildIsSelfContained builds the site from the reference runs, one
// run of ours and a small course, and checks that every page links only
// files of the site (or fragments), draws its charts inline, and uses the
// one stylesheet.
func TestBuildIsSelfContained(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "20261201-120000-phase-04")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ref, ok := reference.Latest(4)
	if !ok {
		t.Skip("no reference run of phase 4")
	}
	card, err := os.ReadFile(filepath.Join("..", "scorecards", "reference", filepath.FromSlash(ref.Path)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runDir, "scorecard.yaml"), card, 0o644); err != nil {
		t.Fatal(err)
	}
	course := map[string][]byte{
		"README.md":         []byte("# The course\n\n[Phase 4](04-pool-nofile.md) · [the phase file](../../phases/04-pool-nofile.yaml)\n"),
		"04-pool-nofile.md": []byte("# Phase 4\n\n![a chart](img/c.svg)\n\n[back](README.md#the-course) · [the reference report](../../" + "scorecards/reference/" + strings.TrimSuffix(ref.Path, ".yaml") + ".md)\n"),
		"img/c.svg":         []byte(`<?xml version="1.0"?><svg width="10pt" height="10pt" viewBox="0 0 10 10" xmlns="http://www.w3.org/2000/svg"><path d="M0,0L1,1"/></svg>`),
	}
	out := t.TempDir()
	res, err := Build(out, Options{Runs: []string{filepath.Dir(runDir)}, Course: course})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"index.html", "style.css", "glossary.html", "reports/index.html", "course/index.html",
		"course/04-pool-nofile.html", "reports/run-20261201-120000-phase-04.html", "compare/run-20261201-120000-phase-04-vs-reference.html",
		"phases/04-pool-nofile.html"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("missing %s: %v", want, err)
		}
	}
	for _, p := range res.Pages {
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		html := string(data)
		for _, m := range attrLink.FindAllStringSubmatch(html, -1) {
			dest := m[1]
			switch {
			case dest == "" || strings.HasPrefix(dest, "#") || strings.HasPrefix(dest, "data:"):
				continue
			case strings.Contains(dest, "://"):
				t.Errorf("%s links outside the site: %s", p, dest)
				continue
			}
			target, _, _ := strings.Cut(dest, "#")
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(path.Join(path.Dir(p), target)))); err != nil {
				t.Errorf("%s: broken link %s", p, dest)
			}
		}
		if !strings.Contains(html, `style.css"`) {
			t.Errorf("%s does not use the stylesheet", p)
		}
		if strings.Contains(html, "<script") {
			t.Errorf("%s has a script", p)
		}
	}
	report, _ := os.ReadFile(filepath.Join(out, "reports", "run-20261201-120000-phase-04.html"))
	if n := strings.Count(string(report), `<span class="chart"`); n != 5 {
		t.Errorf("the run's report draws %d charts inline, want 5", n)
	}
	if strings.Contains(string(report), `<?xml`) || strings.Contains(string(report), `<img`) {
		t.Error("the report's charts are not inline SVG")
	}
	page, _ := os.ReadFile(filepath.Join(out, "course", "04-pool-nofile.html"))
	if !strings.Contains(string(page), `href="../reports/ref-`) || !strings.Contains(string(page), `<svg role="img"`) {
		t.Errorf("the course page's link to the reference report or its chart was not rewritten:\n%s", page)
	}
}

// TestBrokenLinkFails checks that a link to a file the site does not hold
// fails the build, naming the page and the link, and writes nothing.
func TestBrokenLinkFails(t *testing.T) {
	out := t.TempDir()
	_, err := Build(out, Options{Course: map[string][]byte{"README.md": []byte("# C\n\n[gone](05-nowhere.md)\n")}})
	if err == nil || !strings.Contains(err.Error(), "docs/course/README.md") || !strings.Contains(err.Error(), "05-nowhere.md") {
		t.Fatalf("got %v, want an error naming the page and the link", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		t.Errorf("a failed build wrote %d files", len(entries))
	}
}

func TestRunsArgument(t *testing.T) {
	if _, err := Build(t.TempDir(), Options{Runs: []string{t.TempDir()}}); err == nil || !strings.Contains(err.Error(), "no run in it") {
		t.Errorf("an empty directory: got %v, want an error saying it holds no run", err)
	}
}
