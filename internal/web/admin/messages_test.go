package admin

import (
	"database/sql"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/lists"
	"plenary/internal/messaging"
)

// addMessage queues a message as the outbox does and returns its ID.
func addMessage(t *testing.T, a *staffArea, m messaging.Message) int64 {
	t.Helper()
	if m.Kind == "" {
		m.Kind = "booking_confirmed"
	}
	if m.Subject == "" {
		m.Subject = "Your place"
	}
	if m.Text == "" {
		m.Text = "You are booked."
	}
	var id int64
	err := database.InTx(ctx, a.db, func(tx *sql.Tx) error {
		var err error
		id, _, err = a.outbox.Enqueue(ctx, tx, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// setStatus puts message id in a state its send job would have left it
// in, with that job finished as River finishes it.
func setStatus(t *testing.T, a *staffArea, id int64, st messaging.Status, lastError string) {
	t.Helper()
	jobState := "completed"
	if st == messaging.Failed {
		jobState = "discarded"
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE messages SET status = $1, attempts = 12, last_error = $2, server_reply = $3, sent_at = $4, render_data = '' WHERE id = $5`,
			[]any{string(st), lastError, map[bool]string{true: "2.0.0 Ok: queued as 4XyZ"}[st == messaging.Sent], a.clock.now(), id}},
		{`UPDATE river_job SET state = $1, finalized_at = $2 WHERE kind = 'send_message' AND state <> 'completed' AND state <> 'discarded'`,
			[]any{jobState, a.clock.now()}},
	} {
		if _, err := a.db.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
}

// TestMailLogFilters: the list filters by status, kind, recipient (any
// case) and date queued in the site's zone; bad filters are refused
// beside their field, keeping what was typed.
func TestMailLogFilters(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "coord@example.org", account.Coordinator)
	ada := addMessage(t, a, messaging.Message{DedupeKey: "a", ToName: "Ada Lovelace", ToEmail: "ada@example.org", Subject: "Place for Ada"})
	a.clock.add(72 * time.Hour) // 4 December
	bob := addMessage(t, a, messaging.Message{Kind: "booking_offered", DedupeKey: "b", ToName: "Bob Brown", ToEmail: "Bob@Example.org", Subject: "Offer for Bob"})
	setStatus(t, a, bob, messaging.Failed, "550 no such user")
	tok := a.signIn(t, "coord@example.org", password, "")

	list := func(query string) (int, string) {
		t.Helper()
		res, body := a.get(t, "/admin/messages"+query, tok)
		return res.StatusCode, body
	}
	for _, tt := range []struct {
		query     string
		want, not []string
	}{
		{"", []string{"Place for Ada", "Offer for Bob", "Failed", "Place offered", "Booking confirmed"}, nil},
		{"?recipient=ADA", []string{"Place for Ada"}, []string{"Offer for Bob"}},
		{"?recipient=bob%40example", []string{"Offer for Bob"}, []string{"Place for Ada"}},
		{"?status=failed", []string{"Offer for Bob"}, []string{"Place for Ada"}},
		{"?kind=booking_confirmed", []string{"Place for Ada"}, []string{"Offer for Bob"}},
		{"?from=2026-12-02", []string{"Offer for Bob"}, []string{"Place for Ada"}},
		{"?to=2026-12-01", []string{"Place for Ada"}, []string{"Offer for Bob"}},
		{"?from=2026-12-01&to=2026-12-04", []string{"Place for Ada", "Offer for Bob"}, nil},
	} {
		code, body := list(tt.query)
		if code != 200 {
			t.Errorf("%s: %d", tt.query, code)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: %q missing", tt.query, w)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(body, w) {
				t.Errorf("%s: %q shown", tt.query, w)
			}
		}
	}
	if !strings.Contains(mustGet(t, a, "/admin/messages", tok), "Europe/London") && !strings.Contains(mustGet(t, a, "/admin/messages", tok), "UK time") {
		t.Error("the date filter does not name the zone")
	}
	code, body := list("?from=27%2F03%2F2026&status=lost&recipient=zo%C3%AB")
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="from-error"`) || !strings.Contains(body, `id="status-error"`) ||
		!strings.Contains(body, "There is a problem") || !strings.Contains(body, `value="27/03/2026"`) || !strings.Contains(body, `value="zoë"`) {
		t.Errorf("bad filters: %d, want 422 with errors beside the fields and what was typed kept:\n%s", code, body)
	}
	if code, body := list("?from=2026-12-05&to=2026-12-01"); code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="to-error"`) {
		t.Errorf("end before start: %d", code)
	}
	if code, _ := list("?before=x"); code != http.StatusUnprocessableEntity {
		t.Errorf("bad page: %d, want 422", code)
	}
	_ = ada
}

func mustGet(t *testing.T, a *staffArea, path, tok string) string {
	t.Helper()
	res, body := a.get(t, path, tok)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, res.StatusCode)
	}
	return body
}

// TestMailLogPages: 50 to a page, the next page keeping the filters.
func TestMailLogPages(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "coord@example.org", account.Coordinator)
	tok := a.signIn(t, "coord@example.org", password, "")
	for i := range 53 {
		addMessage(t, a, messaging.Message{DedupeKey: "k" + itoa(int64(i)), ToEmail: "ada@example.org", Subject: "Number " + itoa(int64(i)) + "."})
	}
	body := mustGet(t, a, "/admin/messages?recipient=ada", tok)
	if n := strings.Count(body, `<a href="/admin/messages/`); n != 50 {
		t.Errorf("first page links %d messages, want 50", n)
	}
	if !strings.Contains(body, "Number 52.") || strings.Contains(body, "Number 2.") {
		t.Error("first page is not the newest 50")
	}
	i := strings.Index(body, `href="/admin/messages?before=`)
	if i < 0 {
		t.Fatal("no link to older e-mails")
	}
	next := body[i+6 : i+6+strings.Index(body[i+6:], `"`)]
	next = strings.ReplaceAll(next, "&amp;", "&")
	if !strings.Contains(next, "recipient=ada") {
		t.Errorf("older link %q drops the filter", next)
	}
	older := mustGet(t, a, next, tok)
	if !strings.Contains(older, "Number 2.") || strings.Contains(older, "Number 3.") || strings.Contains(older, "Older e-mails") {
		t.Errorf("second page is not the last three")
	}
}

// TestMessagePage: headers, what the server answered (escaped), the
// booking it concerns, the HTML in a sandboxed frame whose own response
// carries a strict CSP, attachments, and manage links hidden.
func TestMessagePage(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "coord@example.org", account.Coordinator)
	a.addUser(t, "fin@example.org", account.Finance)
	tok := a.signIn(t, "coord@example.org", password, "")
	link := "https://training.example.org/bookings/" + strings.Repeat("Ab3_-", 8) + "xyz"
	sent := addMessage(t, a, messaging.Message{DedupeKey: "s", SubjectRef: "booking/42", ToName: "Ada Lovelace", ToEmail: "ada@example.org",
		Subject: "Your place", Text: "Manage your booking: " + link + "\nSee you there.",
		HTML:        `<p>Manage: <a href="` + link + `/cancel">cancel</a></p><script>parent.document.title="pwned"</script>`,
		Attachments: []messaging.Attachment{{Filename: "course.ics", ContentType: "text/calendar; charset=utf-8", Data: []byte("BEGIN:VCALENDAR\r\nURL:" + link + "\r\nEND:VCALENDAR\r\n")}}})
	setStatus(t, a, sent, messaging.Sent, "")
	confirm := addMessage(t, a, messaging.Message{Kind: lists.MailKinds[0], DedupeKey: "c", ToEmail: "cy@example.org", Subject: "Confirm",
		Text: "Confirm: https://training.example.org/lists/confirm/" + strings.Repeat("Cf9_-", 8) + "xyz\n" +
			"Stop: https://training.example.org/lists/unsubscribe/12." + strings.Repeat("Un5_-", 8) + "\n"})
	if body := mustGet(t, a, "/admin/messages/"+itoa(confirm), tok); strings.Contains(body, strings.Repeat("Cf9_-", 8)) ||
		strings.Contains(body, strings.Repeat("Un5_-", 8)) || strings.Count(body, "[manage link hidden]") < 2 {
		t.Error("a list e-mail's confirmation or unsubscribe link is shown to staff")
	}
	failed := addMessage(t, a, messaging.Message{DedupeKey: "f", ToEmail: "bob@example.org", Subject: "Bob"})
	setStatus(t, a, failed, messaging.Failed, `550 5.1.1 <bob@example.org>: no such user <script>alert(1)</script>`)

	body := mustGet(t, a, "/admin/messages/"+itoa(sent), tok)
	for _, w := range []string{"Ada Lovelace &lt;ada@example.org&gt;", "noreply@training.example.org", "Message-ID", "2.0.0 Ok: queued as 4XyZ",
		`href="/admin/bookings/42"`, `<iframe class="mail-html" title="The e-mail as HTML" sandbox src="/admin/messages/` + itoa(sent) + `/html">`,
		`href="/admin/messages/` + itoa(sent) + `/attachments/0"`, "[manage link hidden]", "See you there.", "Send a new copy"} {
		if !strings.Contains(body, w) {
			t.Errorf("sent message page: %q missing", w)
		}
	}
	if strings.Contains(body, strings.Repeat("Ab3_-", 8)) || strings.Contains(body, "Try sending it again") {
		t.Error("sent message page: the manage link's token is shown, or a retry is offered")
	}
	res, html := a.get(t, "/admin/messages/"+itoa(sent)+"/html", tok)
	if csp := res.Header.Get("Content-Security-Policy"); csp != messageHTMLPolicy ||
		!strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("HTML part CSP %q", csp)
	}
	if res.Header.Get("X-Frame-Options") != "SAMEORIGIN" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("HTML part: X-Frame-Options %q, Cache-Control %q", res.Header.Get("X-Frame-Options"), res.Header.Get("Cache-Control"))
	}
	if strings.Contains(html, strings.Repeat("Ab3_-", 8)) || !strings.Contains(html, `href="[manage link hidden]"`) {
		t.Errorf("HTML part shows the manage link: %s", html)
	}
	res, ics := a.get(t, "/admin/messages/"+itoa(sent)+"/attachments/0", tok)
	if res.Header.Get("Content-Disposition") != `attachment; filename="course.ics"` || !strings.Contains(ics, "BEGIN:VCALENDAR") ||
		strings.Contains(ics, strings.Repeat("Ab3_-", 8)) {
		t.Errorf("attachment: %q\n%s", res.Header.Get("Content-Disposition"), ics)
	}

	body = mustGet(t, a, "/admin/messages/"+itoa(failed), tok)
	if !strings.Contains(body, "no such user &lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(body, "<script>alert(1)") {
		t.Error("failed message page: the server's answer is missing or not escaped")
	}
	if !strings.Contains(body, "Try sending it again") || strings.Contains(body, "Send a new copy") || strings.Contains(body, "/admin/bookings/") {
		t.Error("failed message page: wrong actions, or a booking link for mail about no booking")
	}
	for _, p := range []string{"/admin/messages/999999", "/admin/messages/abc", "/admin/messages/" + itoa(sent) + "/attachments/5"} {
		if res, _ := a.get(t, p, tok); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
	if res, _ := a.get(t, "/admin/mail/"+itoa(sent), tok); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/admin/messages/"+itoa(sent) {
		t.Errorf("old dev mailbox address: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	fin := a.signIn(t, "fin@example.org", password, "")
	if res, _ := a.post(t, "/admin/messages/"+itoa(failed)+"/retry", fin, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("finance retrying: %d, want 403", res.StatusCode)
	}
}

// TestRetryAndResendPages: retry puts a failed message back in the queue
// with a send job; resend queues a second message; both redirect with a
// confirmation and are audited as the staff member; the wrong state gets
// a 409 saying why.
func TestRetryAndResendPages(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	u := a.addUser(t, "coord@example.org", account.Coordinator)
	tok := a.signIn(t, "coord@example.org", password, "")
	confirm := addMessage(t, a, messaging.Message{Kind: lists.MailKinds[0], DedupeKey: "c", ToEmail: "cy@example.org", Subject: "Confirm",
		Text: "Confirm: https://training.example.org/lists/confirm/" + strings.Repeat("Cf9_-", 8) + "xyz\n" +
			"Stop: https://training.example.org/lists/unsubscribe/12." + strings.Repeat("Un5_-", 8) + "\n"})
	if body := mustGet(t, a, "/admin/messages/"+itoa(confirm), tok); strings.Contains(body, strings.Repeat("Cf9_-", 8)) ||
		strings.Contains(body, strings.Repeat("Un5_-", 8)) || strings.Count(body, "[manage link hidden]") < 2 {
		t.Error("a list e-mail's confirmation or unsubscribe link is shown to staff")
	}
	failed := addMessage(t, a, messaging.Message{DedupeKey: "f", ToEmail: "bob@example.org", Subject: "Bob"})
	setStatus(t, a, failed, messaging.Failed, "421 try later")
	jobs := func() int {
		var n int
		a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message' AND state = 'available'`).Scan(&n)
		return n
	}
	res, _ := a.post(t, "/admin/messages/"+itoa(failed)+"/retry", tok, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/messages/"+itoa(failed)+"?done=retried" {
		t.Fatalf("retry: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	m, _ := a.outbox.Message(ctx, failed)
	if m.Status != messaging.Queued || jobs() != 1 {
		t.Errorf("after retry: status %s, %d send jobs waiting; want queued with one", m.Status, jobs())
	}
	if body := mustGet(t, a, res.Header.Get("Location"), tok); !strings.Contains(body, "queued to be sent again") {
		t.Error("no confirmation after retry")
	}
	res, body := a.post(t, "/admin/messages/"+itoa(failed)+"/retry", tok, nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "only a failed e-mail can be") {
		t.Errorf("retrying a queued message: %d", res.StatusCode)
	}

	setStatus(t, a, failed, messaging.Sent, "")
	res, _ = a.post(t, "/admin/messages/"+itoa(failed)+"/resend", tok, nil)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/messages/"+itoa(failed)+"?done=resent&copy=") {
		t.Fatalf("resend: %d → %q", res.StatusCode, loc)
	}
	copies, _ := a.outbox.List(ctx, messaging.ListFilter{Recipient: "bob@example.org"})
	if len(copies) != 2 || copies[0].Subject != "Bob" || copies[0].Status != messaging.Queued || copies[0].ID == failed {
		t.Fatalf("after resend: %+v, want a second, queued message", copies)
	}
	if body := mustGet(t, a, loc, tok); !strings.Contains(body, `href="/admin/messages/`+itoa(copies[0].ID)+`"`) {
		t.Error("no link to the copy after resend")
	}
	entries, _ := audit.List(ctx, a.db, audit.Filter{Object: "message", ObjectID: failed})
	if len(entries) != 2 || entries[0].Action != "message.resend" || entries[1].Action != "message.retry" ||
		entries[0].Actor.Kind != audit.Staff || entries[0].Actor.ID != u.ID {
		t.Errorf("audit entries %+v", entries)
	}
	if res, body := a.post(t, "/admin/messages/"+itoa(copies[0].ID)+"/resend", tok, nil); res.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "only a sent or kept e-mail") {
		t.Errorf("resending a queued message: %d", res.StatusCode)
	}
}

// TestResetMailNotResentByOthers: a staff password reset e-mail is read
// and resent only by the person it was sent to.
func TestResetMailNotResentByOthers(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "ann@example.org", account.Admin)
	a.addUser(t, "bob@example.org", account.Coordinator)
	if res, _ := a.post(t, "/admin/reset", "", url.Values{"email": {"ann@example.org"}}); res.StatusCode != 200 {
		t.Fatalf("ask: %d", res.StatusCode)
	}
	msgs, _ := a.outbox.List(ctx, messaging.ListFilter{Kind: resetMailKind})
	if len(msgs) != 1 {
		t.Fatalf("%d reset e-mails", len(msgs))
	}
	setStatus(t, a, msgs[0].ID, messaging.Sent, "")
	bob := a.signIn(t, "bob@example.org", password, "")
	if body := mustGet(t, a, "/admin/messages/"+itoa(msgs[0].ID), bob); strings.Contains(body, "/admin/reset/") || strings.Contains(body, "Send a new copy") {
		t.Error("bob sees ann's reset link or may resend it")
	}
	if res, _ := a.post(t, "/admin/messages/"+itoa(msgs[0].ID)+"/resend", bob, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("bob resending ann's reset e-mail: %d, want 403", res.StatusCode)
	}
	ann := a.signIn(t, "ann@example.org", password, "")
	if body := mustGet(t, a, "/admin/messages/"+itoa(msgs[0].ID), ann); !strings.Contains(body, "/admin/reset/") || !strings.Contains(body, "Send a new copy") {
		t.Error("ann does not see her own reset link or cannot resend it")
	}
	if n := len(mustList(t, a, resetMailKind)); n != 1 {
		t.Errorf("%d reset e-mails after bob's refused resend, want 1", n)
	}
}

func mustList(t *testing.T, a *staffArea, kind string) []messaging.Message {
	t.Helper()
	ms, err := a.outbox.List(ctx, messaging.ListFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// TestEveryMailKindHasALabel: the mail log names every kind of e-mail
// Plenary sends in words, the staff area's own and the booking e-mails.
func TestEveryMailKindHasALabel(t *testing.T) {
	kinds := append(append(append(booking.MailKinds(), lists.MailKinds...), certificates.MailKinds...), resetMailKind)
	for _, k := range kinds {
		if kindLabel(k) == k {
			t.Errorf("the mail log has no label for e-mails of kind %q: add one to kindLabels", k)
		}
	}
	for _, k := range kindLabels {
		if !slices.Contains(kinds, k.Kind) {
			t.Errorf("kindLabels names %q, which no e-mail is", k.Kind)
		}
	}
}
