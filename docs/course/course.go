// Package course is the lab's course on server scaling: a page per rung of
// the ladder (the question it asks, a prediction to write down before the
// run, the command, what the reference run showed, what each counter of
// the evidence means, how the verdict was verified, exercises that change
// one knob, and what carries over to production), and the exercises as
// phase files whose promised outcomes are data that a test checks.
//
// The pages are templates (src/*.md) filled from the reference runs of
// package reference: every table, chart and measured number a page shows
// comes from a reference scorecard when the course is rendered, never from
// prose that could drift. Files renders them; the rendered Markdown and
// charts are committed beside the templates so that they read on any
// Markdown viewer, and a test fails when they differ from a fresh
// rendering (go test ./docs/course -update writes them again, e.g. after
// the reference runs are measured anew).
package course

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"

	"github.com/scalelab/scalelab/scorecards/reference"
)

//go:embed src/*.md
var sources embed.FS

//go:embed exercises/*.yaml
var exerciseFS embed.FS

// Files renders the course from the reference runs refs (nil: the
// embedded ones, reference.All) and returns every file of it by its path
// within docs/course: the pages ("README.md", "01-naive.md"), the charts
// they show ("img/phase-01-throughput.svg") and the exercise files
// ("exercises/04-nofile-2048.yaml").
func Files(refs []reference.Entry) (map[string][]byte, error) {
	if refs == nil {
		all, err := reference.All()
		if err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
		refs = all
	}
	bk := newBook(refs)
	names, err := fs.Glob(sources, "src/*.md")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[string][]byte{}
	for _, name := range names {
		data, err := sources.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
		page := path.Base(name)
		tmpl, err := template.New(page).Funcs(bk.funcs()).Option("missingkey=error").Parse(string(data))
		if err != nil {
			return nil, fmt.Errorf("course: %s: %w", name, err)
		}
		var b bytes.Buffer
		fmt.Fprintf(&b, "<!-- Generated from src/%s and the reference runs by `go test ./docs/course -update`: edit that file, not this one. -->\n\n", page)
		if err := tmpl.Execute(&b, nil); err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
		out[page] = tidy(b.Bytes())
	}
	for name, data := range bk.charts {
		out[name] = data
	}
	exercises, err := fs.Glob(exerciseFS, "exercises/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range exercises {
		data, err := exerciseFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("course: %w", err)
		}
		out[name] = data
	}
	if bk.err != nil {
		return nil, bk.err
	}
	return out, nil
}

// tidy collapses the blank lines templates leave behind into one and ends
// the page with a single newline.
func tidy(md []byte) []byte {
	lines := strings.Split(string(md), "\n")
	var out []string
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return []byte(strings.TrimSpace(strings.Join(out, "\n")) + "\n")
}
