package messaging

import (
	"sync"
	"testing"
	"testing/fstest"
)

// TestTemplatesBuiltOnFirstUse: each e-mail is checked at start and let
// go; the first Render builds it again, once, whatever the number of
// renders at once, and each gets the same e-mail.
func TestTemplatesBuiltOnFirstUse(t *testing.T) {
	fsys := fstest.MapFS{
		"layout.txt":        {Data: []byte(`{{define "layout"}}{{template "body" .}}{{end}}`)},
		"layout.html":       {Data: []byte(`{{define "layout"}}<div>{{template "body" .}}</div>{{end}}`)},
		"partials/sig.txt":  {Data: []byte(`{{define "sig"}}-- the team{{end}}`)},
		"partials/sig.html": {Data: []byte(`{{define "sig"}}<p>the team</p>{{end}}`)},
		"hello.txt":         {Data: []byte(`{{define "subject"}}Hello {{.}}{{end}}{{define "body"}}Hi {{.}} {{template "sig"}}{{end}}`)},
		"hello.html":        {Data: []byte(`{{define "body"}}<b>{{.}}</b>{{template "sig"}}{{end}}`)},
		"plain.txt":         {Data: []byte(`{{define "subject"}}Plain{{end}}{{define "body"}}text only{{end}}`)},
	}
	zero := func() any { return "" }
	tpl, err := ParseTemplates(fsys, map[string]func() any{"hello": zero, "plain": zero})
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range tpl.mail {
		if m.text != nil || m.html != nil {
			t.Errorf("e-mail %s is held after the start's check", name)
		}
	}
	const n = 8
	var wg sync.WaitGroup
	got := make([]Content, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { got[i], errs[i] = tpl.Render("hello", "<Ann>") })
	}
	wg.Wait()
	want := Content{Subject: "Hello <Ann>", Text: "Hi <Ann> -- the team", HTML: "<div><b>&lt;Ann&gt;</b><p>the team</p></div>"}
	for i := range n {
		if errs[i] != nil || got[i].Subject != want.Subject || got[i].Text != want.Text || got[i].HTML != want.HTML {
			t.Fatalf("render %d: %v\n got %+v\nwant %+v", i, errs[i], got[i], want)
		}
	}
	if tpl.mail["hello"].text == nil || tpl.mail["plain"].text != nil {
		t.Errorf("after rendering hello: hello held %v, plain held %v, want true, false",
			tpl.mail["hello"].text != nil, tpl.mail["plain"].text != nil)
	}
	c, err := tpl.Render("plain", "")
	if err != nil || c.Text != "text only" || c.HTML != "" {
		t.Errorf("plain: %v %+v", err, c)
	}
}
