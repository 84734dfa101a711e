package site

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"regexp"
	"strings"
)

// styleCSS is the site's one stylesheet.
//
//go:embed style.css
var styleCSS []byte

//go:embed layout.html
var layoutHTML string

var layoutTmpl = template.Must(template.New("layout").Parse(layoutHTML))

var h1 = regexp.MustCompile(`(?s)<h1[^>]*>(.*?)</h1>`)
var tags = regexp.MustCompile(`<[^>]+>`)

// layout wraps a page's HTML body in the site's frame: its title, the
// navigation and the stylesheet, with links relative to the page.
func layout(p *page, body []byte, course bool) ([]byte, error) {
	title := p.title
	if m := h1.FindSubmatch(body); title == "" && m != nil {
		title = template.HTMLEscapeString(string(tags.ReplaceAll(m[1], nil)))
		title = strings.NewReplacer("&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(title)
	}
	var b bytes.Buffer
	err := layoutTmpl.Execute(&b, struct {
		Title, Root, Section string
		Course               bool
		Body                 template.HTML
	}{title, strings.Repeat("../", strings.Count(p.out, "/")), p.section, course, template.HTML(body)})
	if err != nil {
		return nil, fmt.Errorf("site: %s: %w", p.out, err)
	}
	return b.Bytes(), nil
}
