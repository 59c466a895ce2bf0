package messaging_test

import (
	"context"
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// mailFS is a small set of e-mails in the shape messaging.Templates reads.
func mailFS() fstest.MapFS {
	return fstest.MapFS{
		"layout.txt":  {Data: []byte(`{{define "layout"}}{{template "greeting" .}}{{template "body" .}}{{block "footer" .}}{{end}}{{end}}`)},
		"layout.html": {Data: []byte(`{{define "layout"}}{{template "greeting" .}}{{template "body" .}}{{block "footer" .}}{{end}}{{end}}`)},
		"partials/links.txt": {Data: []byte(`{{define "greeting"}}Dear {{.Name}},

{{end}}{{define "manage"}}Manage your booking: {{.ManageURL}}
{{end}}`)},
		"partials/links.html": {Data: []byte(`{{define "greeting"}}<p>Dear {{.Name}},</p>
{{end}}{{define "manage"}}<p><a href="{{.ManageURL}}">Manage your booking</a></p>
{{end}}`)},
		"confirmation.txt": {Data: []byte(`{{define "subject"}}Booked: {{.Course}} on {{.Date}}{{end}}
{{define "body"}}Your place on {{.Course}} on {{.Date}} is confirmed.

{{end}}{{define "footer"}}{{template "manage" .}}{{end}}`)},
		"confirmation.html": {Data: []byte(`{{define "body"}}<p>Your place on <strong>{{.Course}}</strong> on {{.Date}} is confirmed.</p>
{{end}}{{define "footer"}}{{template "manage" .}}{{end}}`)},
		// Text only, and no footer: the confirmation's must not leak here.
		"waiting.txt": {Data: []byte(`{{define "subject"}}Waiting list for {{.Course}}{{end}}{{define "body"}}You are number {{.Position}}.
{{end}}`)},
	}
}

type mailData struct {
	Name, Course, Date, ManageURL string
	Position                      int
}

func mailPages() map[string]func() any {
	return map[string]func() any{
		"confirmation": func() any { return mailData{} },
		"waiting":      func() any { return mailData{} },
	}
}

func TestTemplates(t *testing.T) {
	tpl, err := messaging.ParseTemplates(mailFS(), mailPages())
	if err != nil {
		t.Fatal(err)
	}
	data := mailData{Name: "Zoë <O'Brien>", Course: "DIT refresher", Date: "Tuesday 10 June 2026, 10:00–17:00 UK time (BST)",
		ManageURL: "https://training.example/b/abc?x=1&y=2", Position: 3}
	c, err := tpl.Render("confirmation", data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "Booked: DIT refresher on Tuesday 10 June 2026, 10:00–17:00 UK time (BST)" {
		t.Errorf("subject %q", c.Subject)
	}
	golden(t, "confirmation.golden.txt", c.Text)
	golden(t, "confirmation.golden.html", c.HTML)
	if !strings.Contains(c.HTML, "Zoë &lt;O&#39;Brien&gt;") || !strings.Contains(c.Text, "Zoë <O'Brien>") {
		t.Errorf("escaping: the HTML must escape the name, the text must not")
	}

	// A template without its HTML half gives a text-only message, and a
	// block one e-mail fills does not leak into another.
	if c, err := tpl.Render("waiting", data); err != nil || c.HTML != "" || c.Text != "Dear Zoë <O'Brien>,\n\nYou are number 3.\n" {
		t.Errorf("text-only: %q, %q, %v", c.Text, c.HTML, err)
	}
	if _, err := tpl.Render("missing", data); err == nil {
		t.Error("an e-mail that does not exist: no error")
	}
}

// TestTemplatesFailAtStart checks that every broken set is refused when it
// is parsed, not when a message is sent.
func TestTemplatesFailAtStart(t *testing.T) {
	tests := []struct {
		name   string
		change func(fsys fstest.MapFS, pages map[string]func() any)
	}{
		{"syntax error", func(f fstest.MapFS, _ map[string]func() any) {
			f["waiting.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}{{define "body"}}{{if}}{{end}}`)}
		}},
		{"no subject", func(f fstest.MapFS, _ map[string]func() any) {
			f["waiting.txt"] = &fstest.MapFile{Data: []byte(`{{define "body"}}x{{end}}`)}
		}},
		{"empty subject", func(f fstest.MapFS, _ map[string]func() any) {
			f["waiting.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}} {{end}}{{define "body"}}x{{end}}`)}
		}},
		{"no body", func(f fstest.MapFS, _ map[string]func() any) {
			f["waiting.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}x{{end}}`)}
		}},
		{"a field the data lacks", func(f fstest.MapFS, _ map[string]func() any) {
			f["confirmation.html"] = &fstest.MapFile{Data: []byte(`{{define "body"}}{{.Nope}}{{end}}`)}
		}},
		{"an unlisted e-mail", func(_ fstest.MapFS, p map[string]func() any) { delete(p, "waiting") }},
		{"a listed e-mail without its file", func(_ fstest.MapFS, p map[string]func() any) {
			p["gone"] = func() any { return mailData{} }
		}},
		{"no layout", func(f fstest.MapFS, _ map[string]func() any) { delete(f, "layout.html") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys, pages := mailFS(), mailPages()
			tt.change(fsys, pages)
			if _, err := messaging.ParseTemplates(fsys, pages); err == nil {
				t.Error("parsed without error")
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n got: %q\nwant: %q", name, got, want)
	}
}

// renderer renders "confirmation" messages from their data with the test
// templates, counting the renders and failing the test if one happens
// while inTx says the queuing transaction is open.
type renderer struct {
	t     *testing.T
	tpl   *messaging.Templates
	inTx  atomic.Bool
	calls atomic.Int32
}

func (r *renderer) RenderMessage(kind string, data []byte) (messaging.Content, error) {
	r.calls.Add(1)
	if r.inTx.Load() {
		r.t.Errorf("message rendered inside the transaction that queued it")
	}
	c, err := r.tpl.Render(kind, mailData{Name: "Ada", Course: string(data), ManageURL: "https://training.example/b/x"})
	c.Attachments = []messaging.Attachment{{Filename: "course.ics", ContentType: "text/calendar", Data: data}}
	return c, err
}

// TestDeferredRendering queues a message with its data and checks that it
// is rendered outside the queuing transaction: for reading while it waits,
// and once more by the send job, which stores the content (attachments
// included) before sending, so the log shows what went.
func TestDeferredRendering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	tpl, err := messaging.ParseTemplates(mailFS(), mailPages())
	if err != nil {
		t.Fatal(err)
	}
	r := &renderer{t: t, tpl: tpl}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Renderer: r})
	m := messaging.Message{Kind: "confirmation", DedupeKey: "confirmation/1", ToEmail: "ada@example.org", Data: []byte("DIT refresher")}
	var id int64
	r.inTx.Store(true)
	err = database.InTx(ctx, db, func(tx *sql.Tx) error {
		id, _, err = o.Enqueue(ctx, tx, m)
		return err
	})
	r.inTx.Store(false)
	if err != nil {
		t.Fatal(err)
	}
	if n := r.calls.Load(); n != 0 {
		t.Fatalf("%d renders while queuing, want 0", n)
	}

	// The dev mailbox and `plenary messages` read it rendered.
	got := message(t, o, id)
	if got.Subject != "Booked: DIT refresher on" || !strings.Contains(got.Text, "Manage your booking") ||
		len(got.Attachments) != 1 || len(got.Data) == 0 {
		t.Errorf("read while queued: subject %q, text %q, %d attachments, data %q", got.Subject, got.Text, len(got.Attachments), got.Data)
	}
	list, err := o.List(ctx, messaging.ListFilter{})
	if err != nil || len(list) != 1 || list[0].Subject != got.Subject {
		t.Fatalf("list: %+v, %v", list, err)
	}

	// Sent: the content is stored, the data cleared, and it is what the
	// mailer got.
	rec := &messaging.Recorder{}
	startRunner(t, db, o, rec, &logCounter{}, 50*time.Millisecond)
	waitFor(t, "the message to be sent", func() bool { return len(rec.Messages()) == 1 })
	waitFor(t, "the message to be recorded as sent", func() bool { return message(t, o, id).Status == messaging.Sent })
	calls := r.calls.Load()
	stored := message(t, o, id)
	if r.calls.Load() != calls {
		t.Error("a message already rendered and stored was rendered again on reading")
	}
	sent := rec.Messages()[0]
	if len(stored.Data) != 0 || stored.Subject != got.Subject || stored.Text != sent.Text || stored.HTML != sent.HTML ||
		len(stored.Attachments) != 1 || string(stored.Attachments[0].Data) != "DIT refresher" {
		t.Errorf("stored after sending: %+v\nsent: %+v", stored, sent)
	}
}

// TestDeferredNeedsRenderer checks that an outbox without a renderer
// refuses a message queued with its data, and one with content as well
// as data.
func TestDeferredNeedsRenderer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := messaging.Message{Kind: "confirmation", DedupeKey: "confirmation/1", ToEmail: "ada@example.org", Data: []byte("{}")}
	for _, tt := range []struct {
		name string
		o    *messaging.Outbox
		m    messaging.Message
	}{
		{"no renderer", messaging.NewOutbox(db, inserter, messaging.OutboxOptions{}), m},
		{"data and content", messaging.NewOutbox(db, inserter, messaging.OutboxOptions{Renderer: &renderer{t: t}}),
			func() messaging.Message { m := m; m.Subject = "Hello"; return m }()},
	} {
		err := database.InTx(ctx, db, func(tx *sql.Tx) error {
			_, _, err := tt.o.Enqueue(ctx, tx, tt.m)
			return err
		})
		if err == nil {
			t.Errorf("%s: queued", tt.name)
		}
	}
	if n := count(t, db, `SELECT COUNT(*) FROM messages`); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// TestUnrenderableMessageStaysReadable: a waiting message whose kind the
// renderer no longer knows (renamed by an upgrade, say) is still listed,
// saying so, and does not hide the other messages from the mail log.
func TestUnrenderableMessageStaysReadable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	tpl, err := messaging.ParseTemplates(mailFS(), mailPages())
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Renderer: &renderer{t: t, tpl: tpl}})
	var bad int64
	err = database.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, _, err := o.Enqueue(ctx, tx, messaging.Message{Kind: "confirmation", DedupeKey: "confirmation/1",
			ToEmail: "ada@example.org", Data: []byte("DIT refresher")}); err != nil {
			return err
		}
		bad, _, err = o.Enqueue(ctx, tx, messaging.Message{Kind: "retired_kind", DedupeKey: "retired/1",
			ToEmail: "ben@example.org", Data: []byte("{}")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := o.List(ctx, messaging.ListFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %d messages, %v; want both", len(list), err)
	}
	got := message(t, o, bad)
	if !strings.Contains(got.Subject, "cannot be shown") || got.LastError == "" {
		t.Errorf("unrenderable message read as subject %q, last error %q", got.Subject, got.LastError)
	}
}
