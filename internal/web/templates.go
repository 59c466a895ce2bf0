package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
)

// embedded holds the kit's templates (the layout, the partials every page
// may use, the error pages) and the static files, built into the binary.
//
//go:embed templates static
var embedded embed.FS

// pages names the kit's own page templates (templates/pages/NAME.html)
// with a function returning its page data's zero value. Every page, the
// kit's and those the audiences add, is rendered with its zero value at
// start, so a page that cannot render stops the server at start-up rather
// than failing a visitor.
var pages = map[string]func() any{
	"not_found": func() any { return ErrorPage{} },
	"error":     func() any { return ErrorPage{} },
}

// pageSet is one package's pages: templates/pages/*.html and its own
// templates/partials/*.html in fsys, each with its zero data.
type pageSet struct {
	fsys fs.FS
	zero map[string]func() any
}

// templateSet maps a page name to its template: the layout, the kit's
// partials, the page's package's partials and the page.
type templateSet map[string]*pageTemplate

// pageTemplate is one page's template, built from its package's layout and
// partials (never executed, so they can be cloned) and its file.
//
// At start every page is parsed and rendered once with its zero data
// (addPages), then let go: html/template gives each page its own escaped
// copy of the layout and every partial, about 100 KB a page, which the
// staff area's pages would keep for good in a server whose staff never
// sign in. A page is parsed again, once, when it is first rendered; a file
// that parsed at start parses the same then (docs/PERFORMANCE.md, "Idle
// cost and binary size").
type pageTemplate struct {
	build func() (*template.Template, error)
	once  sync.Once
	t     *template.Template
	err   error
}

// get returns the page's template, building it on first use.
func (p *pageTemplate) get() (*template.Template, error) {
	p.once.Do(func() { p.t, p.err = p.build() })
	return p.t, p.err
}

// built reports whether the page's template is held now.
func (p *pageTemplate) built() bool { return p.t != nil }

// unbuilt is a copy of p that builds the page again when it is next used.
func (p *pageTemplate) unbuilt() *pageTemplate { return &pageTemplate{build: p.build} }

// ExecuteTemplate executes the template name of the page's set with data.
func (p *pageTemplate) ExecuteTemplate(w io.Writer, name string, data any) error {
	t, err := p.get()
	if err != nil {
		return err
	}
	return t.ExecuteTemplate(w, name, data)
}

var funcs = template.FuncMap{
	"join": strings.Join,
}

// AddPages adds a package's pages: fsys holds templates/pages/NAME.html
// (one for each name in zero) and, if it has any, its own partials in
// templates/partials/. They are parsed with the kit's layout and partials
// and each is rendered once with its zero data. A page name is the same
// in every package: two packages cannot have a page of the same name. In
// dev mode the files are read from devDir, under the working folder, on
// every request instead.
func (s *Server) AddPages(fsys fs.FS, devDir string, zero map[string]func() any) error {
	if s.dev {
		if _, err := os.Stat(devDir + "/templates/pages"); err != nil {
			return fmt.Errorf("web: dev mode reads templates from %s: %w", devDir, err)
		}
		fsys = os.DirFS(devDir)
	}
	return s.addPages(pageSet{fsys: fsys, zero: zero})
}

// addPages parses set's pages and checks them, beside the pages already
// added. The pages added before are neither parsed nor rendered again:
// each page's template is its own clone of the layout and partials, so
// set cannot change them (at start, each page is parsed and rendered
// once; docs/PERFORMANCE.md, "Idle cost and binary size").
func (s *Server) addPages(set pageSet) error {
	for name := range set.zero {
		if _, ok := s.templates[name]; ok {
			return fmt.Errorf("web: two packages have a page %q", name)
		}
	}
	ts, err := parseTemplates(s.files, []pageSet{set})
	if err != nil {
		return err
	}
	if err := checkPages(ts, []pageSet{set}); err != nil {
		return err
	}
	all := make(templateSet, len(s.templates)+len(ts))
	maps.Copy(all, s.templates)
	for name, p := range ts {
		all[name] = p.unbuilt() // checked; parsed again when first used
	}
	s.pageSets, s.templates = append(slices.Clone(s.pageSets), set), all
	return nil
}

// parseTemplates parses every page of sets together with the layout and
// partials in files. Each page's template is built (a parse error is
// returned here); it can be built again from the same files with
// pageTemplate.unbuilt.
func parseTemplates(files fs.FS, sets []pageSet) (templateSet, error) {
	root, err := template.New("layout").Funcs(funcs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}
	if err := parseGlob(root, files, "templates/partials/*.html"); err != nil {
		return nil, err
	}
	set := templateSet{}
	for _, ps := range sets {
		files, err := fs.Glob(ps.fsys, "templates/pages/*.html")
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		withPartials, err := root.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: templates: %w", err)
		}
		if err := parseGlob(withPartials, ps.fsys, "templates/partials/*.html"); err != nil {
			return nil, err
		}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".html")
			if _, ok := ps.zero[name]; !ok {
				return nil, fmt.Errorf("web: template %s has no entry in pages", f)
			}
			if _, ok := set[name]; ok {
				return nil, fmt.Errorf("web: two packages have a page %q", name)
			}
			p := &pageTemplate{build: func() (*template.Template, error) {
				t, err := withPartials.Clone()
				if err != nil {
					return nil, fmt.Errorf("web: parse %s: %w", f, err)
				}
				if t, err = t.ParseFS(ps.fsys, f); err != nil {
					return nil, fmt.Errorf("web: parse %s: %w", f, err)
				}
				return t, nil
			}}
			if _, err := p.get(); err != nil {
				return nil, err
			}
			set[name] = p
		}
		for name := range ps.zero {
			if _, ok := set[name]; !ok {
				return nil, fmt.Errorf("web: page %q has no template templates/pages/%s.html", name, name)
			}
		}
	}
	return set, nil
}

// parseGlob adds the files matching pattern in fsys to t, if there are
// any.
func parseGlob(t *template.Template, fsys fs.FS, pattern string) error {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return fmt.Errorf("web: templates: %w", err)
	}
	if len(files) == 0 {
		return nil
	}
	if _, err := t.ParseFS(fsys, files...); err != nil {
		return fmt.Errorf("web: parse %s: %w", pattern, err)
	}
	return nil
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

// checkPages renders every page of sets once with zero-value data.
func checkPages(ts templateSet, sets []pageSet) error {
	for _, ps := range sets {
		names := make([]string, 0, len(ps.zero))
		for name := range ps.zero {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			var buf bytes.Buffer
			if err := ts.execute(&buf, name, ps.zero[name]()); err != nil {
				return err
			}
		}
	}
	return nil
}
