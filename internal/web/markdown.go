package web

import (
	"bytes"
	"html/template"

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

// Markdown turns a course text's Markdown into safe HTML: the public
// site's course pages and the staff area render course texts alike.
func Markdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on a failing writer; a bytes.Buffer never does.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes()))
}
