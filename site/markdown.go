package site

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// A page is one HTML file of the site, made from Markdown.
type page struct {
	// out is the page's path in the site: "course/01-naive.html".
	out string
	// src is where its Markdown lives, as a path in the repository
	// ("docs/course/01-naive.md") or a path of the site itself for pages
	// the site makes ("index.md"): relative links resolve against its
	// folder.
	src   string
	title string
	md    []byte
	// inline maps a resolved image path to the SVG drawn in its place.
	inline map[string][]byte
	// section names the part of the navigation the page belongs to.
	section string
}

// router turns a link of a page's Markdown into a link of the site.
type router struct {
	// routes maps a path (of the repository or of the site) to the site
	// file that stands for it.
	routes map[string]string
}

// resolve returns the site link for dest as written in p, relative to
// p's own place in the site; an external URL or a fragment is kept. A
// relative link to a file the site does not hold is an error: the site
// has no broken links.
func (r *router) resolve(p *page, dest string) (string, error) {
	if dest == "" || strings.HasPrefix(dest, "#") {
		return dest, nil
	}
	u, err := url.Parse(dest)
	if err != nil {
		return "", fmt.Errorf("%s: link %q: %w", p.src, dest, err)
	}
	if u.Scheme != "" || u.Host != "" {
		return dest, nil
	}
	target := path.Clean(path.Join(path.Dir(p.src), u.Path))
	if strings.HasPrefix(u.Path, "/") {
		target = strings.TrimPrefix(path.Clean(u.Path), "/")
	}
	site, ok := r.routes[target]
	if !ok {
		return "", fmt.Errorf("%s: link %q: %s is not part of the site", p.src, dest, target)
	}
	rel := relative(p.out, site)
	if u.Fragment != "" {
		rel += "#" + u.Fragment
	}
	return rel, nil
}

// relative is the link from the site file from to the site file to.
func relative(from, to string) string {
	depth := strings.Count(from, "/")
	return strings.Repeat("../", depth) + to
}

// linkRewriter rewrites every link and image of a page's AST through the
// router, collecting the links it cannot resolve.
type linkRewriter struct {
	r    *router
	p    *page
	errs []string
}

// Transform implements parser.ASTTransformer.
func (lr *linkRewriter) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			n.Destination = lr.rewrite(n.Destination)
		case *ast.Image:
			dest := string(n.Destination)
			if resolved := path.Clean(path.Join(path.Dir(lr.p.src), dest)); lr.p.inline[resolved] != nil {
				n.Destination = []byte(inlinePrefix + resolved)
				break
			}
			n.Destination = lr.rewrite(n.Destination)
		}
		return ast.WalkContinue, nil
	})
}

func (lr *linkRewriter) rewrite(dest []byte) []byte {
	out, err := lr.r.resolve(lr.p, string(dest))
	if err != nil {
		lr.errs = append(lr.errs, err.Error())
		return dest
	}
	return []byte(out)
}

// inlinePrefix marks an image the page draws inline: the renderer looks
// the rest of the destination up in the page's inline charts.
const inlinePrefix = "inline:"

// chartRenderer draws an image whose SVG the page holds as inline SVG in
// a scrollable figure; other images are plain <img> elements.
type chartRenderer struct{ p *page }

// RegisterFuncs implements renderer.NodeRenderer.
func (c *chartRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, c.image)
}

func (c *chartRenderer) image(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	alt := plainText(n, source)
	dest := string(n.Destination)
	if key, ok := strings.CutPrefix(dest, inlinePrefix); ok {
		fmt.Fprintf(w, `<span class="chart" role="figure" aria-label="%s">`, html.EscapeString(alt))
		w.Write(inlineSVG(c.p.inline[key], alt))
		fmt.Fprintf(w, `<span class="caption">%s</span></span>`, html.EscapeString(alt))
		return ast.WalkSkipChildren, nil
	}
	fmt.Fprintf(w, `<img src="%s" alt="%s">`, html.EscapeString(dest), html.EscapeString(alt))
	return ast.WalkSkipChildren, nil
}

// plainText is the text of n's children: an image's alternative text.
func plainText(n ast.Node, source []byte) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			b.Write(t.Segment.Value(source))
		} else {
			b.WriteString(plainText(c, source))
		}
	}
	return b.String()
}

var (
	xmlProlog  = regexp.MustCompile(`(?s)^\s*<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)
	svgOpening = regexp.MustCompile(`(?s)<svg\b[^>]*>`)
	sizeAttr   = regexp.MustCompile(`\s(width|height)="[^"]*"`)
)

// inlineSVG makes an SVG document an element of the page: no XML prolog,
// no fixed size (the stylesheet sizes it from its viewBox), and a title
// for screen readers.
func inlineSVG(svg []byte, title string) []byte {
	svg = xmlProlog.ReplaceAll(svg, nil)
	loc := svgOpening.FindIndex(svg)
	if loc == nil {
		return svg
	}
	open := sizeAttr.ReplaceAll(svg[loc[0]:loc[1]], nil)
	open = bytes.Replace(open, []byte("<svg"), []byte(`<svg role="img"`), 1)
	var b bytes.Buffer
	b.Write(svg[:loc[0]])
	b.Write(open)
	fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(title))
	b.Write(svg[loc[1]:])
	return b.Bytes()
}

// render converts p's Markdown into HTML, its links rewritten for the
// site and its charts drawn inline.
func (r *router) render(p *page) ([]byte, error) {
	lr := &linkRewriter{r: r, p: p}
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID(), parser.WithASTTransformers(util.Prioritized(lr, 100))),
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(&chartRenderer{p: p}, 100))),
	)
	var b bytes.Buffer
	if err := md.Convert(p.md, &b); err != nil {
		return nil, fmt.Errorf("site: %s: %w", p.src, err)
	}
	if len(lr.errs) > 0 {
		return nil, fmt.Errorf("site: %s", strings.Join(lr.errs, "; "))
	}
	return b.Bytes(), nil
}
