package admin

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/account"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// TestPasswordReset follows a reset the whole way through a real SMTP
// conversation: the same answer whether or not the address has an
// account, the e-mail with its link, a GET of the link that changes
// nothing, the new password set once, every session ended, and a second
// use of the link refused.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	srv := mailtest.Start(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(), "Plenary <noreply@training.example.org>", "", messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, a.outbox, mailer)
	runner, err := messaging.NewJobs(a.db, workers, nil, messaging.JobsOptions{Run: true, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Stop(ctx) })

	a.addUser(t, "ann@example.org", account.Coordinator)
	session := a.signIn(t, "ann@example.org", password, "")

	if res, body := a.get(t, "/admin/reset", ""); res.StatusCode != 200 || !strings.Contains(body, `action="/admin/reset"`) {
		t.Fatalf("reset form: %d", res.StatusCode)
	}
	if res, body := a.post(t, "/admin/reset", "", url.Values{"email": {"not an address"}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="email-error"`) {
		t.Errorf("not an address: %d, want 422 with the message beside the field", res.StatusCode)
	}
	var answers []string
	for _, email := range []string{"nobody@example.org", "Ann@Example.org"} {
		res, body := a.post(t, "/admin/reset", "", url.Values{"email": {email}})
		if res.StatusCode != 200 {
			t.Fatalf("ask for %s: %d", email, res.StatusCode)
		}
		answers = append(answers, strings.ReplaceAll(body, email, ""))
	}
	if answers[0] != answers[1] || !strings.Contains(answers[0], "we have sent it a link") {
		t.Errorf("the answer tells whether an account has the address")
	}
	// Asking again at once sends nothing more (the form cannot flood an
	// inbox), and says the same.
	if res, body := a.post(t, "/admin/reset", "", url.Values{"email": {"ann@example.org"}}); res.StatusCode != 200 ||
		strings.ReplaceAll(body, "ann@example.org", "") != answers[0] {
		t.Errorf("asking again: %d or another answer", res.StatusCode)
	}

	deadline := time.Now().Add(30 * time.Second)
	for srv.Len() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no reset e-mail reached the SMTP server within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := srv.Messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "ann@example.org" || !got[0].TLS {
		t.Fatalf("the SMTP server got %d messages, want one to ann@example.org over TLS", len(got))
	}
	m, err := mailtest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Get("Subject"), "Reset your password") || !strings.Contains(m.HTML, "Choose a new password") {
		t.Errorf("reset e-mail: subject %q", m.Get("Subject"))
	}
	link := regexp.MustCompile(`https://training\.example\.org(/admin/reset/[A-Za-z0-9_-]{43})`).FindStringSubmatch(m.Text)
	if link == nil {
		t.Fatalf("no reset link in the e-mail:\n%s", m.Text)
	}
	path := link[1]

	// A mail scanner's GET changes nothing.
	res, body := a.get(t, path, "")
	if res.StatusCode != 200 || !strings.Contains(body, `action="`+path+`"`) || res.Header.Get("Cache-Control") != "no-store" ||
		res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("reset link: %d, Cache-Control %q, Referrer-Policy %q", res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Referrer-Policy"))
	}
	if res, _ := a.get(t, "/admin", session); res.StatusCode != 200 {
		t.Errorf("opening the link ended the session")
	}

	const newPassword = "a brand new passphrase"
	if res, body := a.post(t, path, "", url.Values{"password": {newPassword}, "password_again": {"something else"}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="password_again-error"`) {
		t.Errorf("passwords differ: %d", res.StatusCode)
	}
	if res, body := a.post(t, path, "", url.Values{"password": {"short"}, "password_again": {"short"}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="password-error"`) {
		t.Errorf("short password: %d", res.StatusCode)
	}
	res, _ = a.post(t, path, "", url.Values{"password": {newPassword}, "password_again": {newPassword}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/login?done=password" {
		t.Fatalf("set the new password: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res, _ := a.get(t, "/admin", session); !toLogin(res) {
		t.Errorf("a reset did not end the session")
	}
	if res, _ := a.post(t, "/admin/login", "", url.Values{"email": {"ann@example.org"}, "password": {password}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", res.StatusCode)
	}
	a.signIn(t, "ann@example.org", newPassword, "")

	res, body = a.post(t, path, "", url.Values{"password": {"yet another passphrase"}, "password_again": {"yet another passphrase"}})
	if res.StatusCode != http.StatusGone || !strings.Contains(body, "This link has expired") {
		t.Errorf("the link used again: %d, want 410", res.StatusCode)
	}
}

// TestPasswordResetLinkExpires: a link is good for an hour.
func TestPasswordResetLinkExpires(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	u := a.addUser(t, "ann@example.org", account.Coordinator)
	token, _, err := a.accounts.RequestReset(ctx, u.Actor(), u.Email, a.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	a.clock.add(time.Hour)
	pw := "a brand new passphrase"
	if res, _ := a.post(t, "/admin/reset/"+token, "", url.Values{"password": {pw}, "password_again": {pw}}); res.StatusCode != http.StatusGone {
		t.Errorf("an hour-old link: %d, want 410", res.StatusCode)
	}
}

// TestResetLinkHiddenInMailbox: in the mail log, a reset e-mail's link
// is shown to the person it was sent to and to nobody else.
func TestResetLinkHiddenInMailbox(t *testing.T) {
	t.Parallel()
	a := newArea(t, func(o *areaOptions) { o.admin.DevMailbox = true })
	a.addUser(t, "ann@example.org", account.Admin)
	a.addUser(t, "bob@example.org", account.Coordinator)
	if res, _ := a.post(t, "/admin/reset", "", url.Values{"email": {"ann@example.org"}}); res.StatusCode != 200 {
		t.Fatalf("ask: %d", res.StatusCode)
	}
	msgs, err := a.outbox.List(ctx, messaging.ListFilter{Kind: resetMailKind})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d reset e-mails queued (%v), want 1", len(msgs), err)
	}
	for _, tt := range []struct {
		email string
		shown bool
	}{{"ann@example.org", true}, {"bob@example.org", false}} {
		tok := a.signIn(t, tt.email, password, "")
		for _, p := range []string{"/admin/messages/" + itoa(msgs[0].ID), "/admin/messages/" + itoa(msgs[0].ID) + "/html"} {
			res, body := a.get(t, p, tok)
			if res.StatusCode != 200 || strings.Contains(body, "/admin/reset/") != tt.shown {
				t.Errorf("%s reading %s: %d, link shown %v, want %v", tt.email, p, res.StatusCode, !tt.shown, tt.shown)
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
