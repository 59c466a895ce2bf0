package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// embedded holds the templates and static files built into the binary.
//
//go:embed templates static
var embedded embed.FS

// pages names every page template (templates/pages/NAME.html) with a
// function returning its page data's zero value. New renders each with it,
// so a page that cannot render stops the server at start-up rather than
// failing a visitor.
var pages = map[string]func() any{
	"home":         func() any { return homePage{} },
	"course":       func() any { return coursePage{} },
	"system_check": func() any { return systemCheckPage{} },
	"cookies":      func() any { return cookiesPage{} },
	"privacy":      func() any { return privacyPage{} },
	"not_found":    func() any { return errorPage{} },
	"error":        func() any { return errorPage{} },

	"booking_form":       func() any { return bookingFormPage{} },
	"booking_manage":     func() any { return managePage{} },
	"booking_cancel":     func() any { return managePage{} },
	"admin_mail":         func() any { return mailListPage{} },
	"admin_mail_message": func() any { return mailPage{} },
}

// templateSet maps a page name to its template: the layout, every
// partial and the page.
type templateSet map[string]*template.Template

var funcs = template.FuncMap{
	"join": strings.Join,
}

// parseTemplates parses every page in fsys together with the layout and
// partials.
func parseTemplates(fsys fs.FS) (templateSet, error) {
	files, err := fs.Glob(fsys, "templates/pages/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	partials, err := fs.Glob(fsys, "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	set := templateSet{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if _, ok := pages[name]; !ok {
			return nil, fmt.Errorf("web: template %s has no entry in pages", f)
		}
		patterns := append([]string{"templates/layout.html"}, partials...)
		patterns = append(patterns, f)
		t, err := template.New(name).Funcs(funcs).ParseFS(fsys, patterns...)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", f, err)
		}
		set[name] = t
	}
	for name := range pages {
		if _, ok := set[name]; !ok {
			return nil, fmt.Errorf("web: page %q has no template templates/pages/%s.html", name, name)
		}
	}
	return set, nil
}

// execute renders page's layout with data into w.
func (ts templateSet) execute(w io.Writer, page string, data any) error {
	t, ok := ts[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	if err := t.ExecuteTemplate(w, "layout", data); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	return nil
}

// checkPages renders every page once with zero-value data.
func (s *Server) checkPages() error {
	names := make([]string, 0, len(pages))
	for name := range pages {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		var buf bytes.Buffer
		if err := s.templates.execute(&buf, name, pages[name]()); err != nil {
			return err
		}
	}
	return nil
}
