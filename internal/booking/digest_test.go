package booking_test

import (
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// staffUsers adds staff users on db: an admin, a coordinator of every
// course, a coordinator limited to courseID, one limited to another
// course (otherID), finance, a trainer and a disabled coordinator.
func staffUsers(t *testing.T, db *database.DB, courseID, otherID int64) *account.Service {
	t.Helper()
	accounts := account.New(account.Options{DB: db})
	op := audit.CommandLine("test")
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	add := func(email string, role account.Role, courses ...int64) account.User {
		t.Helper()
		u, err := accounts.AddUser(ctx, op, account.Profile{Email: email, Name: strings.Split(email, "@")[0], Role: role,
			CourseLimited: courses != nil, Courses: courses}, "correct horse battery", now)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	add("admin@training.example", account.Admin)
	add("coord@training.example", account.Coordinator)
	add("mine@training.example", account.Coordinator, courseID)
	add("theirs@training.example", account.Coordinator, otherID)
	add("finance@training.example", account.Finance)
	add("trainer@training.example", account.Trainer)
	gone := add("gone@training.example", account.Coordinator)
	if err := accounts.Disable(ctx, op, gone.ID, now); err != nil {
		t.Fatal(err)
	}
	return accounts
}

// otherCourse saves a second, bare course and returns its ID.
func otherCourse(t *testing.T, db *database.DB, now time.Time) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRowContext(ctx, `INSERT INTO courses (slug, title, created_at, updated_at) VALUES ('other', 'Other', $1, $1)
		RETURNING id`, now).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func recipients(list []messaging.Message) string {
	var to []string
	for _, m := range list {
		to = append(to, m.ToEmail)
	}
	return strings.Join(to, ",")
}

// TestReviewTellsApprovers checks that a booking starting to wait for
// review e-mails, besides PLENARY_STAFF_EMAIL, every enabled staff user
// who may approve bookings on its course — not finance, trainers, the
// disabled or a coordinator of another course — each address once, with a
// link to the booking's page.
func TestReviewTellsApprovers(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 5, []string{"courses@training.example", "COORD@training.example"})
	accounts := staffUsers(t, f.db, f.course.ID, otherCourse(t, f.db, f.clock.Now()))
	f.svc = booking.NewService(booking.Options{DB: f.db, Catalog: catalog.NewStore(f.db, catalog.Hooks{}), Outbox: f.outbox,
		BaseURL: "https://training.example", Now: f.clock.Now, StaffEmail: []string{"courses@training.example", "COORD@training.example"},
		Staff: accounts})
	ann := f.book(t, "Ann Archer", "no")
	f.book(t, "Ben Baker", "yes") // needs no review
	got := f.messages(t, "review_waiting")
	want := map[string]bool{"courses@training.example": true, "COORD@training.example": true, "admin@training.example": true,
		"mine@training.example": true}
	if len(got) != len(want) {
		t.Fatalf("review e-mails to %s, want %d", recipients(got), len(want))
	}
	for _, m := range got {
		if !want[m.ToEmail] {
			t.Errorf("review e-mail to %s", m.ToEmail)
		}
		link := "https://training.example/admin/bookings/" + itoa(ann.Booking.ID)
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) {
			t.Errorf("the e-mail to %s lacks the link %s:\n%s", m.ToEmail, link, m.Text)
		}
	}
}

// TestDigest checks the daily digest on a fixed clock: nothing before its
// time; at it, each recipient gets what they may see (the coordinator no
// invoices, finance only invoices and failing mail, a coordinator of
// another course and the trainer nothing); no second copy that day or
// from a second run; none on a Saturday; the next working day again.
func TestDigest(t *testing.T) {
	t.Parallel()
	f := newAttentionFixture(t)
	accounts := staffUsers(t, f.db, f.course.ID, otherCourse(t, f.db, f.clock.Now()))
	f.svc = booking.NewService(booking.Options{DB: f.db, Catalog: f.store, Outbox: f.outbox, BaseURL: "https://training.example",
		Now: f.clock.Now, MinNoticeWorkingDays: 10, Staff: accounts, DigestAt: catalog.Clock{Minutes: 7*60 + 30, Valid: true}})
	f.bookOn(t, f.event, "Ann A")
	f.bookOn(t, f.event, "Ben B")
	cat := f.bookOn(t, f.event, "Cat C")
	f.bookOn(t, f.event, "Dan D") // waiting
	f.exec(t, `UPDATE messages SET status = 'failed', attempts = 25, last_error = 'mailbox unavailable'
		WHERE kind = 'joining' AND to_email = 'cat.c@example.org'`)
	job := audit.Job("test")
	send := func(at time.Time) int {
		t.Helper()
		f.at(at)
		n, err := f.svc.SendDigest(ctx, job)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Tuesday 3 March 2026: GMT, so UK time is UTC.
	if n := send(time.Date(2026, 3, 3, 7, 29, 0, 0, time.UTC)); n != 0 {
		t.Fatalf("a minute early: %d digests", n)
	}
	if n := send(time.Date(2026, 3, 3, 7, 30, 0, 0, time.UTC)); n != 4 {
		t.Fatalf("at 07:30: %d digests, want 4", n)
	}
	digests := f.messages(t, "attention_digest", "")
	byTo := map[string]messaging.Message{}
	for _, m := range digests {
		byTo[m.ToEmail] = m
	}
	for to, want := range map[string]struct{ has, lacks []string }{
		"admin@training.example": {has: []string{"Invoices unpaid near the course (3)", "INV-", "Joining instructions not all gone (1)",
			"E-mails failing (1)", "Dates nearly full or with a waiting list (1)", "full, 1 waiting", "https://training.example/admin/messages/",
			"https://training.example/admin/bookings?event=" + itoa(f.event.ID), "https://training.example/admin/attention#invoices"}},
		"coord@training.example": {has: []string{"Joining instructions not all gone (1)", "E-mails failing (1)", "full, 1 waiting"},
			lacks: []string{"Invoices", "INV-"}},
		"mine@training.example": {has: []string{"Joining instructions not all gone (1)"}, lacks: []string{"Invoices"}},
		// Finance may not open the mail log (messages:read): the failing
		// e-mail links its booking instead.
		"finance@training.example": {has: []string{"Invoices unpaid near the course (3)", "E-mails failing (1)",
			"to cat.c@example.org: failed after 25 attempts\n  https://training.example/admin/bookings/" + itoa(cat.ID) + "\n"},
			lacks: []string{"Joining instructions", "nearly full", "/admin/messages/"}},
	} {
		m, ok := byTo[to]
		if !ok {
			t.Errorf("no digest to %s; got %s", to, recipients(digests))
			continue
		}
		for _, s := range want.has {
			if !strings.Contains(m.Text, s) {
				t.Errorf("digest to %s lacks %q:\n%s", to, s, m.Text)
			}
		}
		for _, s := range want.lacks {
			if strings.Contains(m.Text, s) {
				t.Errorf("digest to %s has %q:\n%s", to, s, m.Text)
			}
		}
		if !strings.HasPrefix(m.Subject, "What needs attention, Tuesday 3 March 2026") {
			t.Errorf("digest to %s: subject %q", to, m.Subject)
		}
	}
	if n := send(time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)); n != 0 || len(f.messages(t, "attention_digest", "")) != 4 {
		t.Errorf("second run the same day: %d more", n)
	}
	if n := send(time.Date(2026, 3, 7, 8, 0, 0, 0, time.UTC)); n != 0 {
		t.Errorf("Saturday: %d digests", n)
	}
	if n := send(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)); n != 4 {
		t.Errorf("Monday: %d digests, want 4", n)
	}
}

// TestDigestNothingToReport checks that nobody gets a digest when nothing
// needs attention, and that a later run that day sends none either.
func TestDigestNothingToReport(t *testing.T) {
	t.Parallel()
	f := newAttentionFixture(t)
	accounts := staffUsers(t, f.db, f.course.ID, otherCourse(t, f.db, f.clock.Now()))
	f.svc = booking.NewService(booking.Options{DB: f.db, Catalog: f.store, Outbox: f.outbox, BaseURL: "https://training.example",
		Now: f.clock.Now, Staff: accounts, DigestAt: catalog.Clock{Minutes: 7 * 60, Valid: true}})
	f.at(time.Date(2026, 3, 3, 7, 0, 0, 0, time.UTC))
	if n, err := f.svc.SendDigest(ctx, audit.Job("test")); err != nil || n != 0 {
		t.Fatalf("empty: %d digests, %v", n, err)
	}
	f.bookOn(t, f.later, "Eve E") // a booking in May needs nothing
	f.at(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC))
	if n, err := f.svc.SendDigest(ctx, audit.Job("test")); err != nil || n != 0 {
		t.Fatalf("later that day: %d digests, %v", n, err)
	}
	if got := f.messages(t, "attention_digest", ""); len(got) != 0 {
		t.Errorf("digests: %s", recipients(got))
	}
}
