package messaging

import (
	"bytes"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	texttemplate "text/template"
)

// Templates is a set of e-mail templates parsed once, when a program
// starts, in the shape of the site's pages: a layout, partials and one
// text+HTML pair per e-mail.
//
// The files, in one fs.FS:
//
//	layout.txt, layout.html   define "layout": the shell every e-mail shares;
//	                          it calls the blocks the e-mails fill
//	partials/*.txt, *.html    fragments several e-mails use (define only)
//	NAME.txt                  defines "subject" (one line) and the blocks
//	                          of the text body, e.g. "body"
//	NAME.html                 the same blocks for the HTML body (optional:
//	                          without it the e-mail is text only)
//
// Each e-mail is parsed on a copy of the layout and partials, so the
// blocks one e-mail redefines do not leak into another.
//
// Every e-mail is parsed and rendered at start, then let go, and parsed
// again when it is first rendered: a copy of the layout and partials per
// e-mail (the HTML ones escaped) is most of a server's heap at idle
// otherwise, for e-mails a quiet site sends rarely (docs/PERFORMANCE.md,
// "Idle cost and binary size"). A file that parsed at start parses the
// same then: the files are the program's own (embedded).
type Templates struct {
	mail map[string]*mailTemplate
}

// mailTemplate is one e-mail's text and (optional) HTML templates, built
// on first use.
type mailTemplate struct {
	build func() (*texttemplate.Template, *htmltemplate.Template, error)
	once  sync.Once
	text  *texttemplate.Template
	html  *htmltemplate.Template // nil: text only
	err   error
}

func (m *mailTemplate) get() (*texttemplate.Template, *htmltemplate.Template, error) {
	m.once.Do(func() { m.text, m.html, m.err = m.build() })
	return m.text, m.html, m.err
}

// ParseTemplates parses the layout, the partials and every e-mail in
// fsys, and renders each e-mail with the zero value pages gives for it
// (as the web package does for its pages), so a broken template stops
// the program at start rather than failing a send. pages names every
// e-mail; a NAME.txt without an entry, or an entry without its file, is
// an error too.
func ParseTemplates(fsys fs.FS, pages map[string]func() any) (*Templates, error) {
	fail := func(format string, args ...any) (*Templates, error) {
		return nil, fmt.Errorf("messaging: templates: "+format, args...)
	}
	baseText := texttemplate.New("").Option("missingkey=error")
	baseHTML := htmltemplate.New("").Option("missingkey=error")
	for _, ext := range []string{"txt", "html"} {
		files, err := fs.Glob(fsys, "partials/*."+ext)
		if err != nil {
			return fail("%v", err)
		}
		files = append([]string{"layout." + ext}, files...)
		for _, f := range files {
			src, err := fs.ReadFile(fsys, f)
			if err != nil {
				return fail("%v", err)
			}
			if ext == "txt" {
				_, err = baseText.New(f).Parse(string(src))
			} else {
				_, err = baseHTML.New(f).Parse(string(src))
			}
			if err != nil {
				return fail("%v", err)
			}
		}
	}
	if baseText.Lookup("layout") == nil || baseHTML.Lookup("layout") == nil {
		return fail(`layout.txt and layout.html must define "layout"`)
	}

	t := &Templates{mail: map[string]*mailTemplate{}}
	files, err := fs.Glob(fsys, "*.txt")
	if err != nil {
		return fail("%v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".txt")
		if name == "layout" {
			continue
		}
		if _, ok := pages[name]; !ok {
			return fail("%s has no entry in the list of e-mails", f)
		}
		m := &mailTemplate{build: func() (*texttemplate.Template, *htmltemplate.Template, error) {
			tt, err := parsePage(baseText, fsys, f)
			if err != nil {
				return nil, nil, err
			}
			if tt.Lookup("subject") == nil {
				return nil, nil, fmt.Errorf("%s must define \"subject\"", f)
			}
			ht, err := parsePage(baseHTML, fsys, name+".html")
			if err != nil {
				return nil, nil, err
			}
			return tt, ht, nil
		}}
		if _, _, err := m.get(); err != nil {
			return fail("%v", err)
		}
		t.mail[name] = m
	}
	names := make([]string, 0, len(pages))
	for name := range pages {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := t.mail[name]; !ok {
			return fail("e-mail %q has no template %s.txt", name, name)
		}
		if _, err := t.Render(name, pages[name]()); err != nil {
			return nil, err
		}
		// Checked: let it go until it is first sent or read.
		t.mail[name] = &mailTemplate{build: t.mail[name].build}
	}
	return t, nil
}

// template is what parsePage needs of text/template's and html/template's
// Template alike.
type template[T any] interface {
	Clone() (T, error)
	New(name string) T
	Parse(text string) (T, error)
}

// parsePage parses file on a copy of base (the layout and partials), so
// the blocks it defines stay its own. A missing file gives the zero T and
// no error: the HTML half is optional.
func parsePage[T template[T]](base T, fsys fs.FS, file string) (T, error) {
	var none T
	src, err := fs.ReadFile(fsys, file)
	if errors.Is(err, fs.ErrNotExist) {
		return none, nil
	}
	if err != nil {
		return none, err
	}
	t, err := base.Clone()
	if err != nil {
		return none, err
	}
	if _, err := t.New(file).Parse(string(src)); err != nil {
		return none, err
	}
	return t, nil
}

// Render renders e-mail name with data: its subject (one line, trimmed),
// its text body and its HTML body ("" for a text-only e-mail).
func (t *Templates) Render(name string, data any) (Content, error) {
	fail := func(err error) (Content, error) {
		return Content{}, fmt.Errorf("messaging: render %s: %w", name, err)
	}
	m, ok := t.mail[name]
	if !ok {
		return fail(errors.New("no such e-mail"))
	}
	tt, ht, err := m.get()
	if err != nil {
		return fail(err)
	}
	var buf bytes.Buffer
	if err := tt.ExecuteTemplate(&buf, "subject", data); err != nil {
		return fail(err)
	}
	var c Content
	c.Subject = strings.TrimSpace(buf.String())
	if c.Subject == "" || strings.ContainsAny(c.Subject, "\r\n") {
		return fail(fmt.Errorf("the subject must be one line, not %q", buf.String()))
	}
	buf.Reset()
	if err := tt.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fail(err)
	}
	c.Text = buf.String()
	if ht != nil {
		buf.Reset()
		if err := ht.ExecuteTemplate(&buf, "layout", data); err != nil {
			return fail(err)
		}
		c.HTML = buf.String()
	}
	return c, nil
}
