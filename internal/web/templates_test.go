package web

import (
	"bytes"
	"io/fs"
	"path"
	"strings"
	"testing"
)

// TestTemplatesZeroData renders every page template with zero-value page
// data: a page must never fail on missing data.
func TestTemplatesZeroData(t *testing.T) {
	set, err := parseTemplates(embedded)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(embedded, "templates/pages/*.html")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(pages) {
		t.Errorf("got %d page files, want %d (one per entry in pages)", len(files), len(pages))
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t.Run(name, func(t *testing.T) {
			zero, ok := pages[name]
			if !ok {
				t.Fatalf("page %s has no entry in pages", name)
			}
			var buf bytes.Buffer
			if err := set.execute(&buf, name, zero()); err != nil {
				t.Fatalf("render with zero data: %v", err)
			}
			if !strings.Contains(buf.String(), "<h1") {
				t.Errorf("got no h1")
			}
		})
	}
}

func TestNewFailsOnBrokenTemplate(t *testing.T) {
	broken := fstestMap{
		"templates/layout.html":     `{{define "layout"}}{{template "main" .}}{{end}}`,
		"templates/pages/home.html": `{{define "main"}}{{.NoSuchField}}{{end}}`,
		"templates/partials/x.html": ``,
		"static/css/site.css":       `body{}`,
	}
	for name := range pages {
		if name != "home" {
			broken["templates/pages/"+name+".html"] = `{{define "main"}}<h1>x</h1>{{end}}`
		}
	}
	s := &Server{}
	var err error
	if s.templates, err = parseTemplates(broken.fs()); err != nil {
		t.Fatalf("parse: %v", err)
	}
	if err := s.checkPages(); err == nil {
		t.Errorf("got no error for a page using a missing field, want one")
	}

	broken["templates/pages/home.html"] = `{{define "main"}}{{if}}{{end}}`
	if _, err := parseTemplates(broken.fs()); err == nil {
		t.Errorf("got no error for a template that does not parse, want one")
	}
}
