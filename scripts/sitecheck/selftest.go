package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

var lookPath = exec.LookPath

// brokenSite is a page with one of each problem the checker must find.
const brokenSite = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>broken</title></head>
<body>
<a href="missing.html">a dead link</a>
<a href="#nowhere">a dead fragment</a>
<img src="missing.png" alt="a missing image">
<div style="width: 2000px">a page wider than a phone</div>
<script>console.error("a console error")</script>
</body></html>
`

// selfTest checks the checker: on a page with a dead link, a dead
// fragment, a missing image, a console error and a too-wide body it must
// report each.
func (b *browser) selfTest() error {
	dir, err := os.MkdirTemp("", "sitecheck-selftest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte(brokenSite), 0o644); err != nil {
		return err
	}
	problems, err := b.checkSite(dir, []string{"index.html"})
	if err != nil {
		return fmt.Errorf("self-test: %w", err)
	}
	all := strings.Join(problems, "\n")
	var missed []string
	for _, want := range []string{"broken link to missing.html", "#nowhere: no element", "image missing.png did not load",
		"console error: a console error", "it scrolls sideways"} {
		if !strings.Contains(all, want) {
			missed = append(missed, want)
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("self-test: the checker missed %q on a broken page; it found:\n  %s", missed, strings.ReplaceAll(all, "\n", "\n  "))
	}
	fmt.Printf("site-check: self-test ok (a broken page gave %d problems, each one found)\n", len(problems))
	return nil
}
