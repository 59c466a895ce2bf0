package site

import (
	"bytes"
	"html/template"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Course texts are Markdown written by staff. They are rendered with
// goldmark (raw HTML is dropped) and then sanitised with bluemonday's UGC
// policy, so even a mistake in a course file cannot put a script on the
// site. Headings are moved down two levels: a course section is an h2 on
// the page, so a "# heading" in its text becomes an h3.
var (
	md = goldmark.New(
		goldmark.WithExtensions(extension.GFM, extension.Typographer),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(headingShift{by: 2}, 100))),
	)
	sanitizer = bluemonday.UGCPolicy()
)

type headingShift struct{ by int }

func (h headingShift) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if hd, ok := n.(*ast.Heading); ok && entering {
			hd.Level = min(hd.Level+h.by, 6)
		}
		return ast.WalkContinue, nil
	})
}

// renderMarkdown turns Markdown into safe HTML.
func renderMarkdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on a failing writer; a bytes.Buffer never does.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes()))
}

// markdownCache keeps rendered course texts, keyed by course slug, field
// and the course's UpdatedAt, so a changed course is rendered afresh. It
// is emptied when full, which is simple and fine for a catalogue of a few
// hundred courses.
type markdownCache struct {
	mu    sync.Mutex
	max   int
	items map[markdownKey]template.HTML
}

type markdownKey struct {
	slug, field string
	updated     int64 // UnixNano of the course's UpdatedAt
}

func newMarkdownCache(max int) *markdownCache {
	return &markdownCache{max: max, items: map[markdownKey]template.HTML{}}
}

func (c *markdownCache) render(slug, field string, updated time.Time, src string) template.HTML {
	k := markdownKey{slug, field, updated.UnixNano()}
	c.mu.Lock()
	h, ok := c.items[k]
	c.mu.Unlock()
	if ok {
		return h
	}
	h = renderMarkdown(src)
	c.mu.Lock()
	if len(c.items) >= c.max {
		clear(c.items)
	}
	c.items[k] = h
	c.mu.Unlock()
	return h
}
