package messaging_test

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// TestSMTPDeliversConfirmation sends a booking confirmation through the
// outbox, the job queue and a real SMTP conversation (STARTTLS, AUTH
// PLAIN), then reads the message as a mail client would.
func TestSMTPDeliversConfirmation(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(),
		"Plenary Training <noreply@training.example>", "Course team <courses@training.example>",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.New(t)
	env := newJobsEnv(t, db, mailer)

	// A calendar invitation as booking attaches one, with CRLF line ends.
	invite := []byte(strings.ReplaceAll(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Plenary//Course calendar//EN
METHOD:REQUEST
BEGIN:VEVENT
UID:event-42-day-1@training.example
DTSTAMP:20260601T090000Z
DTSTART;TZID=Europe/London:20260610T100000
DTEND;TZID=Europe/London:20260610T170000
SUMMARY:DIT refresher
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n"))
	m := confirmation(9)
	m.ToName = "Dr Zoë O'Brien"
	m.Subject = "Booked: DIT refresher"
	m.Text = "Your place is confirmed.\n\nManage your booking: https://training.example/b/abc123\n"
	m.HTML = `<p>Your place is confirmed.</p><p><a href="https://training.example/b/abc123">Manage your booking</a></p>`
	m.Attachments = []messaging.Attachment{{Filename: "invite.ics", ContentType: "text/calendar; method=REQUEST; charset=utf-8", Data: invite}}
	id, _ := enqueue(t, db, env.outbox, m)
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, id).Status == messaging.Sent })
	stored := message(t, env.outbox, id)

	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if !r.TLS || r.User != mailtest.User || r.From != "noreply@training.example" || len(r.To) != 1 || r.To[0] != "ada9@example.org" {
		t.Fatalf("envelope: tls %v, user %q, from %q, to %v", r.TLS, r.User, r.From, r.To)
	}
	msg, err := mailtest.Parse(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	to, err := mail.ParseAddress(msg.Get("To"))
	if err != nil || to.Name != "Dr Zoë O'Brien" || to.Address != "ada9@example.org" {
		t.Errorf("To: %q (%v)", msg.Get("To"), err)
	}
	for name, want := range map[string]string{
		// The outbox's From, stored with the message, wins over the
		// mailer's default; the Reply-To comes from the mailer.
		"From":           `"Plenary" <noreply@training.example>`,
		"Reply-To":       `"Course team" <courses@training.example>`,
		"Subject":        m.Subject,
		"Message-ID":     stored.MessageID,
		"Auto-Submitted": "auto-generated",
	} {
		if got := msg.Get(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if msg.Header.Get("List-Unsubscribe") != "" {
		t.Error("a confirmation has List-Unsubscribe")
	}
	if d, err := msg.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date: %q (%v)", msg.Header.Get("Date"), err)
	}
	// multipart/mixed: multipart/alternative (text, HTML), then the file.
	if want := "multipart/mixed[multipart/alternative[text/plain,text/html],text/calendar]"; msg.Shape != want {
		t.Fatalf("MIME shape: got %s, want %s", msg.Shape, want)
	}
	if !strings.Contains(msg.Text, "https://training.example/b/abc123") ||
		!strings.Contains(msg.HTML, `href="https://training.example/b/abc123"`) {
		t.Errorf("the manage link is missing:\n%s\n%s", msg.Text, msg.HTML)
	}
	file := msg.Files[0]
	ct, params, err := mime.ParseMediaType(file.ContentType)
	if err != nil || ct != "text/calendar" || params["method"] != "REQUEST" {
		t.Errorf("attachment Content-Type %q", file.ContentType)
	}
	if !bytes.Equal(file.Body, invite) {
		t.Errorf("the calendar file changed on the way")
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(file.Body))
	if err != nil {
		t.Fatalf("calendar attachment: %v", err)
	}
	events := cal.Events()
	if len(events) == 0 || events[0].Id() == "" {
		t.Fatalf("calendar attachment has no event with a UID:\n%s", file.Body)
	}
	if p := cal.CalendarProperties; !hasMethod(p, "REQUEST") {
		t.Errorf("calendar METHOD is not REQUEST")
	}
}

func hasMethod(props []ics.CalendarProperty, want string) bool {
	for _, p := range props {
		if p.IANAToken == string(ics.PropertyMethod) && p.Value == want {
			return true
		}
	}
	return false
}

func TestSMTPMailerErrors(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	trust := messaging.WithTLSConfig(srv.TLSConfig())
	tests := []struct {
		name, url string
		opts      []messaging.SMTPOption
	}{
		{"wrong password", "smtp://plenary:wrong@" + srv.Addr, []messaging.SMTPOption{trust}},
		{"untrusted certificate", "smtp://plenary:s3cret%20pass@" + srv.Addr + "?tls=required", nil},
		{"no TLS, so no password", "smtp://plenary:s3cret%20pass@" + srv.Addr + "?tls=none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mailer, err := messaging.NewSMTPMailer(tt.url, "Plenary <noreply@localhost>", "", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			m := confirmation(1)
			m.MessageID = "<confirmation.1@localhost>"
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := mailer.Send(ctx, m); err == nil {
				t.Error("Send succeeded")
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}

func TestNewSMTPMailerChecksURL(t *testing.T) {
	for _, u := range []string{"http://mail.example", "smtp://", "smtp://mail.example:0", "smtp://mail.example?tls=maybe"} {
		if _, err := messaging.NewSMTPMailer(u, "Plenary <noreply@localhost>", ""); err == nil {
			t.Errorf("%s: no error", u)
		}
	}
	if _, err := messaging.NewSMTPMailer("smtps://u:p@mail.example", "not an address", ""); err == nil {
		t.Error("bad From: no error")
	}
	m, err := messaging.NewSMTPMailer("smtps://u:p@mail.example", "Plenary <noreply@localhost>", "")
	if err != nil || m.Addr() != "mail.example:465" {
		t.Errorf("smtps default port: %v, %v", m, err)
	}
}

// TestSMTPListUnsubscribeHeaders sends a list e-mail through a real SMTP
// conversation: it carries List-Unsubscribe with the https and mailto
// addresses and List-Unsubscribe-Post (RFC 8058), and no Auto-Submitted;
// a transactional message beside it carries neither.
func TestSMTPListUnsubscribeHeaders(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(), "Plenary <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.New(t)
	env := newJobsEnv(t, db, mailer)
	list := confirmation(1)
	list.Kind, list.DedupeKey, list.Subject = "list_news", "list_news/1", "New dates"
	list.Marketing = true
	list.ListUnsubscribe = "https://training.example/lists/unsubscribe/1.abc"
	list.ListUnsubscribeMailto = "mailto:courses@training.example?subject=unsubscribe%201.abc"
	plain := confirmation(2)
	idList, _ := enqueue(t, db, env.outbox, list)
	idPlain, _ := enqueue(t, db, env.outbox, plain)
	waitFor(t, "both messages to be sent", func() bool {
		return message(t, env.outbox, idList).Status == messaging.Sent && message(t, env.outbox, idPlain).Status == messaging.Sent
	})
	if got := message(t, env.outbox, idList).ListUnsubscribeMailto; got != list.ListUnsubscribeMailto {
		t.Errorf("stored mailto: %q", got)
	}
	byTo := map[string]mailtest.Mail{}
	for _, r := range srv.Messages() {
		msg, err := mailtest.Parse(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		byTo[r.To[0]] = msg
	}
	l, p := byTo[list.ToEmail], byTo[plain.ToEmail]
	if got, want := l.Header.Get("List-Unsubscribe"), "<"+list.ListUnsubscribe+">, <"+list.ListUnsubscribeMailto+">"; got != want {
		t.Errorf("List-Unsubscribe: got %q, want %q", got, want)
	}
	if got := l.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post: %q", got)
	}
	if l.Header.Get("Auto-Submitted") != "" {
		t.Error("a list e-mail says Auto-Submitted")
	}
	if p.Header.Get("List-Unsubscribe")+p.Header.Get("List-Unsubscribe-Post") != "" {
		t.Error("a transactional e-mail carries List-Unsubscribe")
	}
}
