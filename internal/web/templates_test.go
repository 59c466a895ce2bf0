package web

import (
	"bytes"
	"io/fs"
	"path"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// TestTemplatesZeroData renders each of the kit's own pages with
// zero-value page data: a page must never fail on missing data.
func TestTemplatesZeroData(t *testing.T) {
	set, err := parseTemplates(embedded, []pageSet{{fsys: embedded, zero: pages}})
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

type homePage struct {
	Base
	Courses []string
}

// TestAddPages checks what a package's pages must be to be added: every
// template listed with its zero data and the other way round, parsed with
// the layout, the kit's partials and the package's own, rendering with
// zero data, and named like no other package's page.
func TestAddPages(t *testing.T) {
	good := fstestMap{
		"templates/pages/home.html":    `{{define "main"}}<h1>{{len .Courses}}</h1>{{template "tags" .}}{{template "consent_form" .}}{{end}}`,
		"templates/partials/tags.html": `{{define "tags"}}<ul></ul>{{end}}`,
	}
	zero := map[string]func() any{"home": func() any { return homePage{} }}
	tests := []struct {
		name   string
		change func(files fstestMap, zero map[string]func() any)
		ok     bool
	}{
		{"a good package", func(fstestMap, map[string]func() any) {}, true},
		{"no partials of its own", func(f fstestMap, _ map[string]func() any) {
			delete(f, "templates/partials/tags.html")
			f["templates/pages/home.html"] = `{{define "main"}}<h1>x</h1>{{end}}`
		}, true},
		{"a field the data does not have", func(f fstestMap, _ map[string]func() any) {
			f["templates/pages/home.html"] = `{{define "main"}}{{.NoSuchField}}{{end}}`
		}, false},
		{"a template that does not parse", func(f fstestMap, _ map[string]func() any) {
			f["templates/pages/home.html"] = `{{define "main"}}{{if}}{{end}}`
		}, false},
		{"a template not in pages", func(f fstestMap, _ map[string]func() any) {
			f["templates/pages/other.html"] = `{{define "main"}}<h1>x</h1>{{end}}`
		}, false},
		{"a page without a template", func(_ fstestMap, z map[string]func() any) {
			z["other"] = func() any { return homePage{} }
		}, false},
		{"a name the kit has already", func(f fstestMap, z map[string]func() any) {
			f["templates/pages/error.html"] = `{{define "main"}}<h1>x</h1>{{end}}`
			z["error"] = func() any { return ErrorPage{} }
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			files, z := fstestMap{}, map[string]func() any{}
			for k, v := range good {
				files[k] = v
			}
			for k, v := range zero {
				z[k] = v
			}
			tt.change(files, z)
			err = s.AddPages(files.fs(), "", z)
			if (err == nil) != tt.ok {
				t.Fatalf("AddPages: got error %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				// A failed package leaves the kit as it was.
				if _, ok := s.templates["home"]; ok {
					t.Errorf("the refused package's page was kept")
				}
				return
			}
			var buf bytes.Buffer
			if err := s.Execute(&buf, "home", homePage{Courses: []string{"a", "b"}}); err != nil || !strings.Contains(buf.String(), "<h1>") {
				t.Errorf("render home: %v\n%s", err, buf.String())
			}
			if err := s.Execute(&buf, "error", ErrorPage{}); err != nil {
				t.Errorf("the kit's own pages are gone after AddPages: %v", err)
			}
		})
	}
	// A second package cannot reuse a page name.
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPages(good.fs(), "", zero); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPages(good.fs(), "", zero); err == nil {
		t.Errorf("two packages with a page named home: got no error")
	}
}

// TestAddPagesRendersEachPageOnce: adding a package parses and checks its
// own pages only; the kit's and earlier packages' pages are not rendered
// again (they were rendered three times at every start when each
// AddPages checked every page), and stay usable.
func TestAddPagesRendersEachPageOnce(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	renders := map[string]int{}
	counted := func(name string) map[string]func() any {
		return map[string]func() any{name: func() any { renders[name]++; return homePage{} }}
	}
	for _, name := range []string{"first", "second", "third"} {
		files := fstestMap{"templates/pages/" + name + ".html": `{{define "main"}}<h1>` + name + `</h1>{{end}}`}
		if err := s.AddPages(files.fs(), "", counted(name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"first", "second", "third"} {
		if renders[name] != 1 {
			t.Errorf("page %s rendered %d times while adding packages, want once", name, renders[name])
		}
		var buf bytes.Buffer
		if err := s.Execute(&buf, name, homePage{}); err != nil || !strings.Contains(buf.String(), "<h1>"+name+"</h1>") {
			t.Errorf("render %s: %v\n%s", name, err, buf.String())
		}
	}
	var buf bytes.Buffer
	if err := s.Execute(&buf, "error", ErrorPage{}); err != nil {
		t.Errorf("the kit's own pages are gone: %v", err)
	}
}

// TestBaseKeyHasEveryField: a field added to Base must be added to
// BaseKey (and Key), or a page kept per BaseKey would show another
// request's value of it.
func TestBaseKeyHasEveryField(t *testing.T) {
	base, key := reflect.TypeOf(Base{}), reflect.TypeOf(BaseKey{})
	for i := range base.NumField() {
		f := base.Field(i)
		if !f.IsExported() {
			continue
		}
		k, ok := key.FieldByName(f.Name)
		if !ok || k.Type != f.Type {
			t.Errorf("Base.%s (%s) is not in BaseKey", f.Name, f.Type)
		}
	}
	if key.NumField() != base.NumField()-1 { // all but static
		t.Errorf("BaseKey has %d fields, Base %d", key.NumField(), base.NumField())
	}
	// Key copies each field: a Base with every field set gives a key with
	// every field set.
	b := Base{}
	v := reflect.ValueOf(&b).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.CanSet() {
			switch f.Kind() {
			case reflect.String:
				f.SetString("x")
			case reflect.Bool:
				f.SetBool(true)
			}
		}
	}
	k := reflect.ValueOf(b.Key())
	for i := range k.NumField() {
		if k.Field(i).IsZero() {
			t.Errorf("Key does not copy %s", k.Type().Field(i).Name)
		}
	}
}

// TestPagesBuiltOnFirstUse: a page checked at start is not kept (its
// escaped copy of the layout and partials is let go) and is built again
// when first rendered, by one of any number of requests at once, which
// all get the page.
func TestPagesBuiltOnFirstUse(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	renders := 0
	files := fstestMap{
		"templates/pages/home.html":    `{{define "main"}}<h1>{{len .Courses}} courses</h1>{{template "tags" .}}{{end}}`,
		"templates/partials/tags.html": `{{define "tags"}}<ul class="tags"></ul>{{end}}`,
	}
	if err := s.AddPages(files.fs(), "", map[string]func() any{"home": func() any { renders++; return homePage{} }}); err != nil {
		t.Fatal(err)
	}
	if renders != 1 {
		t.Errorf("home rendered %d times at start, want once (the check)", renders)
	}
	for _, name := range []string{"home", "error", "not_found"} {
		if s.templates[name].built() {
			t.Errorf("page %s is held after the start's check", name)
		}
	}
	const n = 8
	var wg sync.WaitGroup
	out := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			var buf bytes.Buffer
			errs[i] = s.Execute(&buf, "home", homePage{Courses: []string{"a", "b"}})
			out[i] = buf.String()
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !strings.Contains(out[i], "<h1>2 courses</h1>") || !strings.Contains(out[i], `<ul class="tags">`) {
			t.Fatalf("render %d: %v\n%s", i, errs[i], out[i])
		}
	}
	if !s.templates["home"].built() {
		t.Errorf("home is not held after it was rendered")
	}
	if s.templates["error"].built() {
		t.Errorf("error is held though it was never rendered")
	}
	var buf bytes.Buffer
	if err := s.RenderPart(&buf, "home", "tags", nil); err != nil || buf.String() != `<ul class="tags"></ul>` {
		t.Errorf("RenderPart: %v, %q", err, buf.String())
	}
}
