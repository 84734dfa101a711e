// Command sitecheck builds the lab's site (`scalelab site`) into a
// temporary folder and checks it in a real browser: headless Chromium,
// driven through its DevTools protocol (chromedp), opens every page from
// file:// at a laptop's width and at a phone's, and fails on a console
// error or an uncaught exception, a link to a local file that does not
// exist, a fragment (#id) that names no element of its page, an image or
// object that did not load, or a page wider than a phone's screen. It
// takes screenshots of the index and of one report at both widths.
//
// Before checking the site, it checks itself on a small broken site
// (a dead link, a missing image, a console error, a too-wide table) and
// fails if it does not find all four: a checker that cannot fail proves
// nothing.
//
//	go run ./scripts/sitecheck [-shots DIR] [-timeout 4m] [RUN|RESULTS...]
//
// Run as root it starts Chromium with --no-sandbox. `make site-check`
// installs Chromium (Debian package chromium) when it is missing.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/scalelab/scalelab/docs/course"
	"github.com/scalelab/scalelab/site"
)

func main() {
	shots := flag.String("shots", "bin/site-check", "write the screenshots into `DIR`")
	timeout := flag.Duration("timeout", 4*time.Minute, "give up after this long")
	chrome := flag.String("chrome", "", "the browser's `PATH` (default: chromium, chromium-browser or google-chrome from PATH)")
	keep := flag.String("site", "", "build the site into `DIR` and keep it (default: a temporary folder, removed)")
	flag.Parse()
	start := time.Now()
	if err := run(*shots, *timeout, *chrome, *keep, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "site-check:", err)
		os.Exit(1)
	}
	fmt.Printf("site-check: ok in %s\n", time.Since(start).Round(100*time.Millisecond))
}

func run(shots string, timeout time.Duration, chrome, keep string, runs []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if len(runs) == 0 {
		if st, err := os.Stat("results"); err == nil && st.IsDir() {
			if m, _ := filepath.Glob("results/*/scorecard.yaml"); len(m) > 0 {
				runs = []string{"results"}
			}
		}
	}
	dir := keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "scalelab-site-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	files, err := course.Files(nil)
	if err != nil {
		return err
	}
	res, err := site.Build(dir, site.Options{Runs: runs, Course: files})
	if err != nil {
		return err
	}
	fmt.Printf("site-check: built %d pages from the reference runs%s into %s\n", len(res.Pages), fromRuns(runs), dir)

	b, err := newBrowser(ctx, chrome)
	if err != nil {
		return err
	}
	defer b.close()

	if err := b.selfTest(); err != nil {
		return err
	}
	problems, err := b.checkSite(dir, res.Pages)
	if err != nil {
		return err
	}
	if err := b.screenshots(dir, shots, reportFor(res.Pages)); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	fmt.Printf("site-check: %d pages at %dpx and %dpx: no console error, every local link and fragment resolves, every image loaded, no page wider than the screen\n",
		len(res.Pages), laptop.width, phone.width)
	return nil
}

func fromRuns(runs []string) string {
	if len(runs) == 0 {
		return ""
	}
	return " and " + strings.Join(runs, ", ")
}

// reportFor picks the report page screenshotted: a run's own if any, else
// the reference report of phase 4 (the fd rung), else the first report.
func reportFor(pages []string) string {
	var refs []string
	for _, p := range pages {
		if strings.HasPrefix(p, "reports/run-") {
			return p
		}
		if strings.HasPrefix(p, "reports/ref-") {
			refs = append(refs, p)
		}
	}
	for _, p := range refs {
		if strings.HasSuffix(p, "-phase-04.html") {
			return p
		}
	}
	if len(refs) > 0 {
		return refs[0]
	}
	return "index.html"
}

// viewport is a window size the site is checked at.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var (
	laptop = viewport{"laptop", 1280, 800, false}
	phone  = viewport{"phone", 390, 844, true}
)

// browser is one headless Chromium and the console messages of its tab.
type browser struct {
	ctx    context.Context
	cancel func()
	mu     sync.Mutex
	page   string   // the page being checked, for the messages
	msgs   []string // console errors, exceptions, failed loads, by page
}

func newBrowser(ctx context.Context, chrome string) (*browser, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.DisableGPU,
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("allow-file-access-from-files", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	path, err := browserPath(chrome)
	if err != nil {
		return nil, err
	}
	opts = append(opts, chromedp.ExecPath(path))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	b := &browser{ctx: bctx, cancel: func() { bcancel(); acancel() }}
	if err := chromedp.Do(bctx); err != nil { // start the browser and its tab
		b.cancel()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	messages := chromedp.Console(bctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && !m.IsException() {
				continue
			}
			b.mu.Lock()
			b.msgs = append(b.msgs, fmt.Sprintf("%s: console %s: %s", b.page, m.Type, m.Text))
			b.mu.Unlock()
		}
	}()
	return b, nil
}

func (b *browser) close() { b.cancel() }

func browserPath(chrome string) (string, error) {
	if chrome != "" {
		return chrome, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := lookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: apt-get install chromium (make site-check does), or give -chrome PATH")
}

// pageFacts is what a page's DOM says after it loaded.
type pageFacts struct {
	Links       []string `json:"links"`       // every a[href], resolved
	IDs         []string `json:"ids"`         // every element id
	BrokenImgs  []string `json:"brokenImgs"`  // img that did not load (naturalWidth 0)
	BrokenObjs  []string `json:"brokenObjs"`  // object whose document did not load
	Images      int      `json:"images"`      // img elements
	Charts      int      `json:"charts"`      // inline svg charts
	ScrollWidth int64    `json:"scrollWidth"` // the document's width
	InnerWidth  int64    `json:"innerWidth"`  // the window's
}

const factsJS = `(() => {
  const f = {links: [], ids: [], brokenImgs: [], brokenObjs: [], images: 0, charts: 0};
  for (const a of document.querySelectorAll('a[href]')) f.links.push(a.href);
  for (const e of document.querySelectorAll('[id]')) f.ids.push(e.id);
  for (const i of document.images) { f.images++; if (!i.complete || i.naturalWidth === 0) f.brokenImgs.push(i.getAttribute('src')); }
  for (const o of document.querySelectorAll('object')) { if (!o.contentDocument && !(o.getSVGDocument && o.getSVGDocument())) f.brokenObjs.push(o.getAttribute('data')); }
  f.charts = document.querySelectorAll('.chart svg').length;
  f.scrollWidth = document.documentElement.scrollWidth;
  f.innerWidth = window.innerWidth;
  return f;
})()`

// visit loads one page at one viewport and returns its facts.
func (b *browser) visit(file string, vp viewport, label string) (pageFacts, error) {
	b.mu.Lock()
	b.page = label
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	u := (&url.URL{Scheme: "file", Path: file}).String()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.width, vp.height, mobile(vp)...), chromedp.Navigate(u)); err != nil {
		return pageFacts{}, fmt.Errorf("%s: %w", label, err)
	}
	facts, err := chromedp.Run(ctx, chromedp.Evaluate[pageFacts](factsJS))
	if err != nil {
		return pageFacts{}, fmt.Errorf("%s: %w", label, err)
	}
	return facts, nil
}

func mobile(vp viewport) []chromedp.EmulateViewportOption {
	if vp.mobile {
		return []chromedp.EmulateViewportOption{chromedp.EmulateMobile}
	}
	return nil
}

// checkSite visits every page at both widths and returns every problem.
func (b *browser) checkSite(dir string, pages []string) ([]string, error) {
	var problems []string
	ids := map[string]map[string]bool{} // absolute file -> its ids
	type fragLink struct{ from, file, frag string }
	var frags []fragLink
	charts := 0
	for _, p := range pages {
		file := filepath.Join(dir, filepath.FromSlash(p))
		for _, vp := range []viewport{laptop, phone} {
			label := p + " (" + vp.name + ")"
			f, err := b.visit(file, vp, label)
			if err != nil {
				return nil, err
			}
			problems = append(problems, f.problems(label)...)
			if vp != laptop {
				continue
			}
			charts += f.Charts
			set := map[string]bool{}
			for _, id := range f.IDs {
				set[id] = true
			}
			ids[file] = set
			for _, l := range f.Links {
				u, err := url.Parse(l)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: link %q: %v", p, l, err))
					continue
				}
				if u.Scheme != "file" {
					continue // the site links nothing outside itself; a remote link is not checked here
				}
				if _, err := os.Stat(u.Path); err != nil {
					problems = append(problems, fmt.Sprintf("%s: broken link to %s", p, rel(dir, u.Path)))
					continue
				}
				if u.Fragment != "" {
					frags = append(frags, fragLink{p, u.Path, u.Fragment})
				}
			}
		}
	}
	for _, fl := range frags {
		if set, ok := ids[fl.file]; ok && !set[fl.frag] {
			problems = append(problems, fmt.Sprintf("%s: link to %s#%s: no element has that id", fl.from, rel(dir, fl.file), fl.frag))
		}
	}
	b.mu.Lock()
	problems = append(problems, b.msgs...)
	b.msgs = nil
	b.mu.Unlock()
	if charts == 0 {
		problems = append(problems, "no page shows an inline chart")
	}
	sort.Strings(problems)
	return problems, nil
}

// problems are what the facts of one page show wrong.
func (f pageFacts) problems(label string) []string {
	var out []string
	for _, src := range f.BrokenImgs {
		out = append(out, fmt.Sprintf("%s: image %s did not load", label, src))
	}
	for _, src := range f.BrokenObjs {
		out = append(out, fmt.Sprintf("%s: object %s did not load", label, src))
	}
	if f.ScrollWidth > f.InnerWidth+1 {
		out = append(out, fmt.Sprintf("%s: the page is %dpx wide in a %dpx window: it scrolls sideways", label, f.ScrollWidth, f.InnerWidth))
	}
	return out
}

func rel(dir, p string) string {
	if r, err := filepath.Rel(dir, p); err == nil {
		return r
	}
	return p
}

// shot is one screenshot: a page, and the element scrolled to the top
// of the window ("" for the top of the page).
type shot struct{ page, name, at string }

// screenshots saves the index and one report at both widths: the top of
// each page, the index's ladder chart, and the report's results and
// charts, each as a window of that width shows it.
func (b *browser) screenshots(dir, out, report string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	shots := []shot{{"index.html", "index", ""}, {"index.html", "index-chart", ".chart"},
		{report, "report", ""}, {report, "report-results", "#results"}, {report, "report-charts", "#charts"},
		{"course/01-naive.html", "course", "#what-the-reference-run-showed"}}
	for _, s := range shots {
		file := filepath.Join(dir, filepath.FromSlash(s.page))
		for _, vp := range []viewport{laptop, phone} {
			if _, err := b.visit(file, vp, s.page+" ("+vp.name+")"); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
			var png []byte
			err := chromedp.Do(ctx, scrollTo(s.at))
			if err == nil {
				png, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
			}
			cancel()
			if err != nil {
				return fmt.Errorf("screenshot of %s at %q: %w", s.page, s.at, err)
			}
			path := filepath.Join(out, fmt.Sprintf("%s-%d.png", s.name, vp.width))
			if err := os.WriteFile(path, png, 0o644); err != nil {
				return err
			}
			fmt.Printf("site-check: screenshot %s (%s%s)\n", path, s.page, s.at)
		}
	}
	return nil
}

// scrollTo scrolls the element that sel selects to the top of the window;
// it fails when nothing matches (a screenshot of the wrong place is no
// evidence).
func scrollTo(sel string) chromedp.Action[chromedp.Void] {
	if sel == "" {
		return chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)
	}
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) throw new Error("no element %s"); e.scrollIntoView(); })()`, sel, sel))
}
