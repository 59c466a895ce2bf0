package certificates_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

var bg = context.Background() // not ctx: the register's tests in this package have that name

var staff = audit.StaffMember(3, "Cora Coordinator")

// testRegister is the test's Completions: everyone confirmed on the date
// completed it, with the minutes given, unless listed in absent (marked,
// did not complete) or unmarked (not marked yet: the register is not
// complete). The real register (the other half of this package) replaces
// it in wire.go.
type testRegister struct {
	bookings *booking.Service
	minutes  int
	mu       sync.Mutex
	absent   map[int64]bool
	unmarked map[int64]bool
	// onCompleted, when set, runs at the start of each Completed call
	// (a test's way to hold a caller there).
	onCompleted func(ctx context.Context)
}

func (r *testRegister) Taken(ctx context.Context, eventID int64) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.unmarked) == 0, nil
}

func (r *testRegister) Completed(ctx context.Context, eventID int64) ([]certificates.Completion, error) {
	if r.onCompleted != nil {
		r.onCompleted(ctx)
	}
	list, err := r.bookings.List(ctx, eventID)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []certificates.Completion
	for _, b := range list {
		if b.Status != booking.Confirmed || r.absent[b.ID] || r.unmarked[b.ID] {
			continue
		}
		out = append(out, certificates.Completion{BookingID: b.ID, EventID: eventID, Name: b.Name, Email: b.Email,
			CPDMinutes: r.minutes})
	}
	return out, nil
}

type world struct {
	db       *database.DB
	bookings *booking.Service
	certs    *certificates.Issuer
	outbox   *messaging.Outbox
	course   catalog.Course
	event    catalog.Event
	register *testRegister
	mu       sync.Mutex
	now      time.Time
}

// setNow moves the world's clock.
func (w *world) setNow(t time.Time) { w.mu.Lock(); w.now = t; w.mu.Unlock() }

const base = "https://training.example"

func newWorld(t *testing.T) *world {
	t.Helper()
	db := dbtest.New(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	bookingMail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	certMail, err := certificates.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	renderers := messaging.Renderers{Default: bookingMail, ByKind: map[string]messaging.Renderer{}}
	for _, k := range certificates.MailKinds {
		renderers.ByKind[k] = certMail
	}
	var w *world
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Training <noreply@training.example>",
		Renderer: renderers, Now: func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }})
	store := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(now)
	c.Title = "Trauma-informed practice"
	c.FeedbackURL = "https://forms.example.org/feedback/tip"
	// A date across two days in summer, so the zone matters.
	day := c.Events[0].Days[0]
	day.Date = catalog.Date{Year: 2026, Month: time.June, Day: 10}
	next := day
	next.Date = catalog.Date{Year: 2026, Month: time.June, Day: 11}
	c.Events[0].Days = []catalog.Day{day, next}
	if _, err := store.Save(bg, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	w = &world{db: db, outbox: outbox, course: c, event: c.Events[0], now: now}
	clock := func() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }
	w.register = &testRegister{minutes: 390, absent: map[int64]bool{}, unmarked: map[int64]bool{}}
	w.certs = certificates.NewIssuer(certificates.IssuerOptions{DB: db, Events: store, Completions: w.register, Outbox: outbox,
		BaseURL: base, Provider: "North Clinic Training", Now: clock})
	w.bookings = booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox, BaseURL: base,
		Organizer: "Training <noreply@training.example>", Now: clock, Thanks: w.certs})
	w.register.bookings = w.bookings
	return w
}

func (w *world) book(t *testing.T, name, email string) booking.Booking {
	t.Helper()
	res, err := w.bookings.Book(bg, booking.Request{EventID: w.event.ID, Name: name, Email: email,
		Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	return res.Booking
}

func (w *world) completion(t *testing.T, b booking.Booking) certificates.Completion {
	t.Helper()
	list, err := w.register.Completed(bg, w.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.BookingID == b.ID {
			return c
		}
	}
	t.Fatalf("booking %d did not complete", b.ID)
	return certificates.Completion{}
}

// pdfText reads a PDF back as text with pdftotext (Debian's
// poppler-utils), as a person copying from it would.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is not installed (Debian: apt-get install poppler-utils); the PDF's text cannot be read back")
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestPDFPrintsEveryFieldReadably renders certificates for a name with
// accents, a Greek and a Cyrillic name, reads each PDF back with
// pdftotext and finds every printed field: the name as typed, the course,
// the dates, the hours, the provider, the code and the verification
// address. The same certificate renders to the same bytes twice.
func TestPDFPrintsEveryFieldReadably(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Zoë Ångström-Núñez", "Αλέξανδρος Παπαδόπουλος", "Дмитрий Шостакович"} {
		c := certificates.Certificate{Code: "ABCDE23456", Name: name, CourseTitle: "Trauma-informed practice",
			Dates: "Wednesday 10 – Thursday 11 June 2026", CPDMinutes: 405, Provider: "North Clinic Training"}
		pdf, err := certificates.PDF(c, base)
		if err != nil {
			t.Fatal(err)
		}
		again, err := certificates.PDF(c, base)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pdf, again) {
			t.Errorf("%s: the same certificate rendered to different bytes", name)
		}
		if bytes.Contains(pdf, []byte("/CreationDate")) {
			t.Errorf("%s: the PDF carries a creation date", name)
		}
		text := pdfText(t, pdf)
		for _, want := range []string{name, "Trauma-informed practice", "Wednesday 10 – Thursday 11 June 2026",
			"CPD hours: 6.75", "North Clinic Training", "ABCDE-23456", base + "/verify/ABCDE-23456"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the PDF's text lacks %q:\n%s", name, want, text)
			}
		}
	}
}

// TestHours writes minutes as hours with at most two decimals: one
// helper for the certificate, the register and the course page.
func TestHours(t *testing.T) {
	for m, want := range map[int]string{360: "6", 390: "6.5", 405: "6.75", 400: "6.67", 0: "0", 45: "0.75", 600: "10", 61: "1.02"} {
		if got := certificates.FormatHours(m); got != want {
			t.Errorf("FormatHours(%d) = %q, want %q", m, got, want)
		}
		if got := (certificates.Certificate{CPDMinutes: m}).Hours(); got != want {
			t.Errorf("Certificate.Hours with %d minutes = %q, want %q", m, got, want)
		}
	}
}

// TestCodes: codes are ten signs of the unambiguous alphabet, read back
// whatever the case and grouping, and anything else is no code.
func TestCodes(t *testing.T) {
	for in, want := range map[string]string{"abcde-23456": "ABCDE23456", " ABCDE 23456 ": "ABCDE23456", "ABCDE23456": "ABCDE23456"} {
		if got, ok := certificates.NormalizeCode(in); !ok || got != want {
			t.Errorf("NormalizeCode(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "ABCDE-2345", "ABCDE-234567", "ABCDO-23456", "ABCDE-23451", "ABC/E-23456", "ABCDÉ-23456"} {
		if got, ok := certificates.NormalizeCode(in); ok {
			t.Errorf("NormalizeCode(%q) = %q, want no code", in, got)
		}
	}
}

// TestIssueOncePerBooking issues the certificate of one booking twice
// (and once more in a race): one certificate, with the fields as the
// booking and the date say, audited once with the actor.
func TestIssueOncePerBooking(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	comp := w.completion(t, b)
	first, created, err := w.certs.Issue(bg, comp, staff)
	if err != nil || !created {
		t.Fatalf("first issue: created %v, %v", created, err)
	}
	if first.Name != "Zoë Ångström-Núñez" || first.CourseTitle != "Trauma-informed practice" || first.CPDMinutes != 390 ||
		first.Dates != "Wednesday 10 – Thursday 11 June 2026" || first.Provider != "North Clinic Training" ||
		first.State != certificates.Valid || len(first.Code) != 10 || first.IssuedBy != staff.String() {
		t.Errorf("issued %+v", first)
	}
	var wg sync.WaitGroup
	codes := make([]string, 4)
	for i := range codes {
		wg.Go(func() {
			c, created, err := w.certs.Issue(bg, comp, staff)
			if err != nil || created {
				t.Errorf("issue again: created %v, %v", created, err)
			}
			codes[i] = c.Code
		})
	}
	wg.Wait()
	for _, code := range codes {
		if code != first.Code {
			t.Errorf("issuing again gave %s, want %s", code, first.Code)
		}
	}
	list, err := w.certs.ForEvent(bg, w.event.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("the date has %d certificates (%v), want 1", len(list), err)
	}
	entries, err := audit.List(bg, w.db, audit.Filter{Action: "certificate.issue"})
	if err != nil || len(entries) != 1 || entries[0].Actor != staff {
		t.Fatalf("audit: %+v, %v", entries, err)
	}
}

// TestReissueAndRevoke corrects a name (the old certificate is replaced,
// pointing at the new, which keeps every other field and has a new code),
// refuses to reissue the replaced one or an empty name, then revokes the
// new one with a reason; everything is audited with the actor.
func TestReissueAndRevoke(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.book(t, "Zoe Angstrom", "zoe@example.org")
	old, _, err := w.certs.Issue(bg, w.completion(t, b), staff)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.certs.Reissue(bg, old.Code, "  ", "", staff); !errors.As(err, new(certificates.FormError)) {
		t.Fatalf("empty name: %v", err)
	}
	fresh, err := w.certs.Reissue(bg, strings.ToLower(old.DisplayCode()), "Zoë Ångström", "spelling", staff)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Code == old.Code || fresh.Name != "Zoë Ångström" || fresh.CourseTitle != old.CourseTitle ||
		fresh.Dates != old.Dates || fresh.CPDMinutes != old.CPDMinutes || fresh.State != certificates.Valid {
		t.Errorf("reissued %+v from %+v", fresh, old)
	}
	was, err := w.certs.ByCode(bg, old.Code)
	if err != nil || was.State != certificates.Replaced || was.ReplacedCode != fresh.Code {
		t.Fatalf("old certificate: %+v, %v", was, err)
	}
	if _, err := w.certs.Reissue(bg, old.Code, "Someone Else", "", staff); !errors.Is(err, certificates.ErrNotValid) {
		t.Errorf("reissuing a replaced certificate: %v", err)
	}
	if cur, err := w.certs.ForBooking(bg, b.ID); err != nil || cur.Code != fresh.Code {
		t.Errorf("the booking's certificate: %+v, %v", cur, err)
	}
	if again, created, err := w.certs.Issue(bg, w.completion(t, b), staff); err != nil || created || again.Code != fresh.Code {
		t.Errorf("issue after a reissue: %s created %v, %v", again.Code, created, err)
	}
	if _, err := w.certs.Revoke(bg, fresh.Code, "", staff); !errors.As(err, new(certificates.FormError)) {
		t.Fatalf("revoke without a reason: %v", err)
	}
	revoked, err := w.certs.Revoke(bg, fresh.Code, "did not attend the second day", staff)
	if err != nil || revoked.State != certificates.Revoked || !revoked.RevokedAt.Equal(w.now) {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	if _, err := w.certs.Revoke(bg, fresh.Code, "again", staff); !errors.Is(err, certificates.ErrNotValid) {
		t.Errorf("revoking twice: %v", err)
	}
	if _, err := w.certs.ByCode(bg, "ZZZZZ-ZZZZZ"); !errors.Is(err, certificates.ErrNotFound) {
		t.Errorf("unknown code: %v", err)
	}
	for action, n := range map[string]int{"certificate.issue": 2, "certificate.reissue": 1, "certificate.revoke": 1} {
		entries, err := audit.List(bg, w.db, audit.Filter{Action: action})
		if err != nil || len(entries) != n {
			t.Errorf("%s: %d entries (%v), want %d", action, len(entries), err, n)
		}
		for _, e := range entries {
			if e.Actor != staff {
				t.Errorf("%s by %v", action, e.Actor)
			}
		}
	}
}

// TestSendAllOnceEach issues and sends the certificates of a date to the
// two people who completed it (not the one who did not), twice: the
// second time queues nothing, and once the outbox has sent everything the
// SMTP server has received exactly one e-mail each, with the PDF attached
// and readable.
func TestSendAllOnceEach(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zoe := w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	w.book(t, "Дмитрий Шостакович", "dmitri@example.org")
	away := w.book(t, "Alan Absent", "alan@example.org")
	w.register.absent[away.ID] = true

	srv := mailtest.Start(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(), "Training <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	sent, err := w.certs.SendAll(bg, w.event.ID, staff)
	if err != nil || sent != (certificates.Sent{Completed: 2, Issued: 2, Queued: 2}) {
		t.Fatalf("first send: %+v, %v", sent, err)
	}
	again, err := w.certs.SendAll(bg, w.event.ID, staff)
	if err != nil || again != (certificates.Sent{Completed: 2}) {
		t.Fatalf("second send: %+v, %v", again, err)
	}

	workers := river.NewWorkers()
	messaging.AddWorkers(workers, w.outbox, mailer)
	runner, err := messaging.NewJobs(w.db, workers, nil, messaging.JobsOptions{Run: true, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(bg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Stop(bg) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		queued, err := w.outbox.List(bg, messaging.ListFilter{Status: messaging.Queued})
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages still queued after 30s", len(queued))
		}
		time.Sleep(50 * time.Millisecond)
	}
	certMail := map[string]int{}
	var zoeMail mailtest.Mail
	for _, r := range srv.Messages() {
		m, err := mailtest.Parse(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Get("Subject"), "CPD certificate") {
			continue // the booking confirmations
		}
		certMail[r.To[0]]++
		if r.To[0] == "zoe@example.org" {
			zoeMail = m
		}
	}
	if len(certMail) != 2 || certMail["zoe@example.org"] != 1 || certMail["dmitri@example.org"] != 1 {
		t.Fatalf("certificate e-mails received: %v", certMail)
	}
	cert, err := w.certs.ForBooking(bg, zoe.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(zoeMail.Text, base+"/verify/"+cert.DisplayCode()) {
		t.Errorf("the e-mail lacks the verification link:\n%s", zoeMail.Text)
	}
	if len(zoeMail.Files) != 1 || !strings.HasPrefix(zoeMail.Files[0].ContentType, "application/pdf") ||
		zoeMail.Files[0].Filename != certificates.FileName(cert) {
		t.Fatalf("%d attachments, the first %q", len(zoeMail.Files), zoeMail.Files[0].Filename)
	}
	text := pdfText(t, zoeMail.Files[0].Body)
	for _, want := range []string{"Zoë Ångström-Núñez", "CPD hours: 6.5", cert.DisplayCode()} {
		if !strings.Contains(text, want) {
			t.Errorf("the attached PDF lacks %q", want)
		}
	}
	entries, err := audit.List(bg, w.db, audit.Filter{Action: "event.send_certificates"})
	if err != nil || len(entries) != 1 || entries[0].Actor != staff {
		t.Errorf("audit of the sending: %+v, %v", entries, err)
	}
}

// TestWithoutRegister: with no register wired, nothing is issued from a
// date ("send all" says why) and its page still lists what was issued.
func TestWithoutRegister(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	if _, _, err := w.certs.Issue(bg, w.completion(t, b), staff); err != nil {
		t.Fatal(err)
	}
	bare := certificates.NewIssuer(certificates.IssuerOptions{DB: w.db, Events: catalog.NewStore(w.db, catalog.Hooks{}),
		Outbox: w.outbox, BaseURL: base})
	if _, err := bare.SendAll(bg, w.event.ID, staff); !errors.Is(err, certificates.ErrNoRegister) {
		t.Errorf("send all without a register: %v", err)
	}
	lines, err := bare.ForDate(bg, w.event.ID)
	if err != nil || len(lines) != 1 || lines[0].Completed || lines[0].Certificate == nil {
		t.Errorf("lines without a register: %+v, %v", lines, err)
	}
}

// TestThanksCarryTheCertificate runs the thank-you after a date with the
// register: it waits while the register shows nobody completed, then
// those who completed get the thank-you with their certificate attached
// (issued then) and the one who did not gets the other message; a second
// run sends nothing more.
func TestThanksCarryTheCertificate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zoe := w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	alan := w.book(t, "Alan Absent", "alan@example.org")
	w.register.mu.Lock()
	w.register.unmarked[zoe.ID], w.register.unmarked[alan.ID] = true, true // the register is not taken yet
	w.register.mu.Unlock()
	job := audit.Job("send-due")
	w.setNow(w.event.EndsAt.Add(time.Hour))
	kinds := func() map[string]string {
		out := map[string]string{}
		for _, email := range []string{"zoe@example.org", "alan@example.org"} {
			list, err := w.outbox.List(bg, messaging.ListFilter{Recipient: email})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range list {
				if strings.HasPrefix(m.DedupeKey, "thanks/") {
					out[email] = m.Kind
				}
			}
		}
		return out
	}
	if n, err := w.bookings.SendDue(bg, job); err != nil || len(kinds()) != 0 {
		t.Fatalf("before the register: queued %d (%v): %v", n, err, kinds())
	}
	w.register.mu.Lock()
	delete(w.register.unmarked, zoe.ID) // Zoë is marked and completed; Alan is not marked yet
	w.register.mu.Unlock()
	if n, err := w.bookings.SendDue(bg, job); err != nil || len(kinds()) != 0 {
		t.Fatalf("a register only partly taken: queued %d (%v): %v", n, err, kinds())
	}
	w.register.mu.Lock()
	delete(w.register.unmarked, alan.ID) // the register is taken: Alan did not complete
	w.register.absent[alan.ID] = true
	w.register.mu.Unlock()
	if _, err := w.bookings.SendDue(bg, job); err != nil {
		t.Fatal(err)
	}
	if got := kinds(); got["zoe@example.org"] != certificates.KindThanks || got["alan@example.org"] != "thanks_missed" {
		t.Fatalf("thank-yous: %v", got)
	}
	if n, err := w.bookings.SendDue(bg, job); err != nil || n != 0 {
		t.Errorf("a second run queued %d (%v)", n, err)
	}
	cert, err := w.certs.ForBooking(bg, zoe.ID)
	if err != nil || cert.State != certificates.Valid {
		t.Fatalf("Zoë's certificate: %+v, %v", cert, err)
	}
	list, err := w.outbox.List(bg, messaging.ListFilter{Kind: certificates.KindThanks})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d thank-yous with a certificate (%v)", len(list), err)
	}
	m, err := w.outbox.Message(bg, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "Thank you for taking part in Trauma-informed practice") ||
		!strings.Contains(m.Text, base+"/verify/"+cert.DisplayCode()) || len(m.Attachments) != 1 ||
		!strings.Contains(m.Text, "https://forms.example.org/feedback/tip") {
		t.Fatalf("the thank-you:\n%s\n(%d attachments)", m.Text, len(m.Attachments))
	}
	if text := pdfText(t, m.Attachments[0].Data); !strings.Contains(text, "Zoë Ångström-Núñez") || !strings.Contains(text, cert.DisplayCode()) {
		t.Errorf("the attached certificate reads:\n%s", text)
	}
}

// TestThanksWaitADayAtMost: a register still incomplete a day after the
// date gives no verdict: the one who completed gets the certificate, the
// one never marked the plain thank-you, never "did not complete".
func TestThanksWaitADayAtMost(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zoe := w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	alan := w.book(t, "Alan Unmarked", "alan@example.org")
	w.register.mu.Lock()
	w.register.unmarked[alan.ID] = true
	w.register.mu.Unlock()
	w.setNow(w.event.EndsAt.Add(23 * time.Hour))
	if n, err := w.bookings.SendDue(bg, audit.Job("send-due")); err != nil || n != 0 {
		t.Fatalf("a day not yet over: queued %d (%v)", n, err)
	}
	w.setNow(w.event.EndsAt.Add(25 * time.Hour))
	if n, err := w.bookings.SendDue(bg, audit.Job("send-due")); err != nil || n != 2 {
		t.Fatalf("after a day: queued %d (%v)", n, err)
	}
	for email, want := range map[string]string{"zoe@example.org": certificates.KindThanks, "alan@example.org": "thanks"} {
		list, err := w.outbox.List(bg, messaging.ListFilter{Recipient: email})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for _, m := range list {
			if m.DedupeKey == "thanks/"+strconv.FormatInt(map[string]int64{"zoe@example.org": zoe.ID, "alan@example.org": alan.ID}[email], 10) {
				got = m.Kind
			}
		}
		if got != want {
			t.Errorf("%s got %q, want %q", email, got, want)
		}
	}
}

// TestThanksAtOnceWhenTaken: a complete register needs no wait, and its
// verdict stands: the one marked absent hears "did not complete".
func TestThanksAtOnceWhenTaken(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b := w.book(t, "Alan Absent", "alan@example.org")
	w.register.mu.Lock()
	w.register.absent[b.ID] = true
	w.register.mu.Unlock()
	w.setNow(w.event.EndsAt.Add(time.Hour))
	if n, err := w.bookings.SendDue(bg, audit.Job("send-due")); err != nil || n != 1 {
		t.Fatalf("queued %d (%v)", n, err)
	}
	list, err := w.outbox.List(bg, messaging.ListFilter{Kind: "thanks_missed"})
	if err != nil || len(list) != 1 || list[0].ToEmail != "alan@example.org" {
		t.Errorf("the other message: %+v, %v", list, err)
	}
}

// TestCertificateMailedOnce: the thank-you that carried the certificate
// leaves nothing for "send all"; a certificate "send all" e-mailed first
// is not attached to the thank-you again, which says it was sent.
func TestCertificateMailedOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zoe := w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	w.setNow(w.event.EndsAt.Add(time.Hour))
	if n, err := w.bookings.SendDue(bg, audit.Job("send-due")); err != nil || n != 1 {
		t.Fatalf("thank-you: queued %d (%v)", n, err)
	}
	w.setNow(w.event.EndsAt.Add(2 * time.Hour))
	if sent, err := w.certs.SendAll(bg, w.event.ID, staff); err != nil || sent.Queued != 0 {
		t.Errorf("send all after the thank-you carried it: %+v, %v", sent, err)
	}
	// Reissued since: the new certificate is sent, once.
	cert, err := w.certs.ForBooking(bg, zoe.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.setNow(w.event.EndsAt.Add(3 * time.Hour))
	if _, err := w.certs.Reissue(bg, cert.Code, "Zoë Ångström", "name corrected", staff); err != nil {
		t.Fatal(err)
	}
	if sent, err := w.certs.SendAll(bg, w.event.ID, staff); err != nil || sent.Queued != 1 {
		t.Errorf("send all after a reissue: %+v, %v", sent, err)
	}

	// The other way round: "send all" first, then the thank-you.
	w2 := newWorld(t)
	w2.book(t, "Alan Present", "alan@example.org")
	w2.setNow(w2.event.EndsAt.Add(time.Hour))
	if sent, err := w2.certs.SendAll(bg, w2.event.ID, staff); err != nil || sent.Queued != 1 {
		t.Fatalf("send all: %+v, %v", sent, err)
	}
	if n, err := w2.bookings.SendDue(bg, audit.Job("send-due")); err != nil || n != 1 {
		t.Fatalf("thank-you: queued %d (%v)", n, err)
	}
	list, err := w2.outbox.List(bg, messaging.ListFilter{Kind: certificates.KindThanks})
	if err != nil || len(list) != 1 {
		t.Fatalf("%d thank-yous (%v)", len(list), err)
	}
	m, err := w2.outbox.Message(bg, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 0 || !strings.Contains(m.Text, "e-mailed to you already") {
		t.Errorf("the thank-you after send all (%d attachments):\n%s", len(m.Attachments), m.Text)
	}
}

// TestReissueRace: two reissues of one certificate at once (or a
// reissue and a revocation): one wins, the other is ErrNotValid, and the
// booking keeps a single current certificate.
func TestReissueRace(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zoe := w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	if _, _, err := w.certs.Issue(bg, w.completion(t, zoe), staff); err != nil {
		t.Fatal(err)
	}
	for _, second := range []string{"reissue", "revoke"} {
		cert, err := w.certs.ForBooking(bg, zoe.ID)
		if err != nil {
			t.Fatal(err)
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				if i == 1 && second == "revoke" {
					_, errs[i] = w.certs.Revoke(bg, cert.Code, "issued in error", staff)
					return
				}
				_, errs[i] = w.certs.Reissue(bg, cert.Code, fmt.Sprintf("Zoë Ångström %d", i), "spelling", staff)
			})
		}
		wg.Wait()
		won, lost := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, certificates.ErrNotValid):
				lost++
			default:
				t.Errorf("%s race: %v", second, err)
			}
		}
		if won != 1 || lost != 1 {
			t.Errorf("%s race: %d won, %d refused (%v); want one each", second, won, lost, errs)
		}
		all, err := w.certs.ForEvent(bg, w.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		current := 0
		for _, c := range all {
			if c.State != certificates.Replaced {
				current++
			}
		}
		if current != 1 {
			t.Errorf("after the %s race: %d current certificates, want 1", second, current)
		}
	}
}

// TestNamesTheFontsCannotPrint: a Vietnamese name prints (the DejaVu
// fallback) and reads back from the PDF; a reissue to a Chinese name is
// refused with the message beside the name; "send all" leaves out a name
// it cannot print and says so, and the others are still issued.
func TestNamesTheFontsCannotPrint(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	viet := w.book(t, "Nguyễn Thị Diễm", "diem@example.org")
	w.book(t, "王小明", "wang@example.org")
	sent, err := w.certs.SendAll(bg, w.event.ID, staff)
	if err != nil || sent.Issued != 1 || sent.Unprintable != 1 {
		t.Fatalf("send all: %+v, %v", sent, err)
	}
	cert, err := w.certs.ForBooking(bg, viet.ID)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := certificates.PDF(cert, base)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, pdf); !strings.Contains(text, "Nguyễn Thị Diễm") {
		t.Errorf("the Vietnamese name reads back as:\n%s", text)
	}
	_, err = w.certs.Reissue(bg, cert.Code, "阮氏艷", "", staff)
	var fe certificates.FormError
	if !errors.As(err, &fe) || !strings.Contains(fe["name"], "letters the certificate font cannot print: 阮 氏 艷") ||
		!strings.Contains(fe["name"], "such as Latin letters") {
		t.Errorf("a reissue in Chinese: %v", err)
	}
	if err := certificates.Printable("محمد"); err == nil {
		t.Error("an Arabic name passes: the PDF writer does not join its letters")
	}
	for _, ok := range []string{"Zoë Ångström-Núñez", "Αλέξανδρος", "Дмитрий", "Nguyễn Thị Diễm", "Հայկ"} {
		if err := certificates.Printable(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestPersonExportAndErase: a person's certificates are in their export;
// an erasure blanks name and address and revokes the valid one, so its
// verification no longer names or vouches for anyone.
func TestPersonExportAndErase(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	zoe := w.book(t, "Zoë Ångström-Núñez", "Zoe@Example.org")
	other := w.book(t, "Alan Other", "alan@example.org")
	cert, _, err := w.certs.Issue(bg, w.completion(t, zoe), staff)
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := w.certs.Issue(bg, w.completion(t, other), staff)
	if err != nil {
		t.Fatal(err)
	}
	got, err := certificates.People{}.Export(bg, w.db, "zoe@EXAMPLE.org")
	if list, ok := got.([]certificates.PersonCertificate); err != nil || !ok || len(list) != 1 || list[0].Code != cert.DisplayCode() {
		t.Fatalf("export: %+v, %v", got, err)
	}
	err = database.InTx(bg, w.db, func(tx *sql.Tx) error {
		n, err := certificates.People{}.Erase(bg, tx, "zoe@example.org", w.now)
		if err == nil && n != 1 {
			err = fmt.Errorf("erased %d certificates, want 1", n)
		}
		if err != nil {
			return err
		}
		_, err = audit.People{}.Erase(bg, tx, "zoe@example.org", w.now) // the audit log goes last, as in wire.go
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := w.certs.ByCode(bg, cert.Code)
	if err != nil || after.State != certificates.Revoked || strings.Contains(after.Name, "Zoë") || after.Email != "" {
		t.Errorf("after erasure: %+v, %v", after, err)
	}
	entries, err := audit.List(bg, w.db, audit.Filter{Action: "certificate."})
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit: %d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		if strings.Contains(string(e.After), "Zoë") || strings.Contains(strings.ToLower(string(e.After)), "zoe@example.org") {
			t.Errorf("an audit entry still names her: %s", e.After)
		}
	}
	if still, err := w.certs.ByCode(bg, kept.Code); err != nil || still.State != certificates.Valid || still.Name != "Alan Other" {
		t.Errorf("someone else's certificate: %+v, %v", still, err)
	}
}

// thanksCtx marks the thank-you job's context in TestSendAllRacesThanks.
type thanksCtx struct{}

// pdfsSent counts, per address, the e-mails that carry a certificate's
// PDF: "send all"'s and the thank-yous with it attached (rendered as
// they go).
func pdfsSent(t *testing.T, w *world) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, kind := range certificates.MailKinds {
		list, err := w.outbox.List(bg, messaging.ListFilter{Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			full, err := w.outbox.Message(bg, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range full.Attachments {
				if a.ContentType == "application/pdf" {
					out[m.ToEmail]++
				}
			}
		}
	}
	return out
}

// waitForLockWaiter waits, on PostgreSQL, until a session waits on a
// lock with a statement containing query; it fails the test if done
// closes first (the other side did not wait for the date's lock). On
// SQLite every writer waits for the one before, in the process's queue
// and at BEGIN IMMEDIATE, and there is nothing to look at.
func waitForLockWaiter(t *testing.T, db *database.DB, query string, done <-chan struct{}, what string) {
	t.Helper()
	if db.Dialect != database.Postgres {
		return
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-done:
			t.Errorf("%s ran to the end while the other held the date's lock", what)
			return
		default:
		}
		var n int
		if err := db.QueryRowContext(bg, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
			"%"+query+"%").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s neither waits on the date's lock nor ends after 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSendAllRacesThanks runs "send all" and the thank-you job (which
// attaches the certificate too) at once, each way round: the first holds
// the date's lock mid-way, the second must wait for it (seen waiting on
// PostgreSQL), and in the end each person has been e-mailed their
// certificate exactly once — by one or the other.
func TestSendAllRacesThanks(t *testing.T) {
	for _, first := range []string{"send all", "thank-you"} {
		t.Run(first+" first", func(t *testing.T) {
			w := newWorld(t)
			for _, p := range [][2]string{{"Zoë Ångström-Núñez", "zoe@example.org"}, {"Alan Present", "alan@example.org"},
				{"Grace Hopper", "grace@example.org"}} {
				w.book(t, p[0], p[1])
			}
			w.setNow(w.event.EndsAt.Add(time.Hour))
			held, release := make(chan struct{}), make(chan struct{})
			var releaseOnce sync.Once
			let := func() { releaseOnce.Do(func() { close(release) }) }
			defer let()
			hold := func() { close(held); <-release }
			if first == "send all" {
				certificates.SetSendHook(w.certs, hold)
			} else {
				// The thank-you asks the register once before taking the
				// date's lock and again, per person, under it: hold it at
				// the second.
				var mu sync.Mutex
				calls := 0
				w.register.onCompleted = func(ctx context.Context) {
					if ctx.Value(thanksCtx{}) == nil {
						return
					}
					mu.Lock()
					calls++
					n := calls
					mu.Unlock()
					if n == 2 {
						hold()
					}
				}
			}
			var sendErr, thanksErr error
			sendDone, thanksDone := make(chan struct{}), make(chan struct{})
			sendAll := func() { defer close(sendDone); _, sendErr = w.certs.SendAll(bg, w.event.ID, staff) }
			thanks := func() {
				defer close(thanksDone)
				_, thanksErr = w.bookings.SendDue(context.WithValue(bg, thanksCtx{}, true), audit.Job("send-due"))
			}
			if first == "send all" {
				go sendAll()
				<-held
				go thanks()
				waitForLockWaiter(t, w.db, "FROM events WHERE id = $1 FOR UPDATE", thanksDone, "the thank-you")
			} else {
				go thanks()
				<-held
				go sendAll()
				waitForLockWaiter(t, w.db, "SELECT id FROM events WHERE id = $1 FOR UPDATE", sendDone, "send all")
			}
			let()
			<-sendDone
			<-thanksDone
			if sendErr != nil || thanksErr != nil {
				t.Fatalf("send all: %v; thank-you: %v", sendErr, thanksErr)
			}
			got := pdfsSent(t, w)
			for _, email := range []string{"zoe@example.org", "alan@example.org", "grace@example.org"} {
				if got[email] != 1 {
					t.Errorf("%s was e-mailed the certificate %d times, want exactly once (all: %v)", email, got[email], got)
				}
			}
			ty, err := w.outbox.List(bg, messaging.ListFilter{Kind: certificates.KindThanks})
			if err != nil || len(ty) != 3 {
				t.Errorf("%d thank-yous (%v), want one each", len(ty), err)
			}
		})
	}
}

// TestIssueWithPrintedName: a name the fonts cannot print is listed on the
// date with its letters; staff issue it with the name typed as it should
// print. A name still unprintable, empty, or for a booking that did not
// complete is refused on the field; the certificate (its PDF and what
// /verify reads) carries the typed name, the booking keeps its own, the
// issue is audited with the booking's name and the note, and "send all"
// then e-mails it once like any other.
func TestIssueWithPrintedName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.book(t, "Zoë Ångström-Núñez", "zoe@example.org")
	wang := w.book(t, "王小明", "wang@example.org")
	away := w.book(t, "Alan Absent", "alan@example.org")
	w.register.absent[away.ID] = true
	if sent, err := w.certs.SendAll(bg, w.event.ID, staff); err != nil || sent.Issued != 1 || sent.Unprintable != 1 {
		t.Fatalf("send all: %+v, %v", sent, err)
	}
	lineOf := func(id int64) certificates.Line {
		t.Helper()
		lines, err := w.certs.ForDate(bg, w.event.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if l.BookingID == id {
				return l
			}
		}
		t.Fatalf("booking %d not on the date's certificates", id)
		return certificates.Line{}
	}
	if l := lineOf(wang.ID); l.Unprintable != "王 小 明" || l.Certificate != nil {
		t.Fatalf("the unprintable name's line: %+v", l)
	}
	for _, c := range []struct {
		id         int64
		name, want string
	}{
		{wang.ID, "  ", "Type the name as it should be printed"},
		{wang.ID, "Wang 小明", "cannot print: 小 明"},
		{away.ID, "Alan Absent", "has not completed the date"},
	} {
		_, _, err := w.certs.IssueAs(bg, w.event.ID, c.id, c.name, "", staff)
		var fe certificates.FormError
		if !errors.As(err, &fe) || !strings.Contains(fe["name"], c.want) {
			t.Errorf("issue %d as %q: %v, want %q on the name", c.id, c.name, err, c.want)
		}
	}
	cert, created, err := w.certs.IssueAs(bg, w.event.ID, wang.ID, " Wang Xiaoming ", "romanised as he signs", staff)
	if err != nil || !created || cert.Name != "Wang Xiaoming" || cert.Email != "wang@example.org" || cert.CPDMinutes != 390 {
		t.Fatalf("issue as Wang Xiaoming: %+v, %v, %v", cert, created, err)
	}
	if again, created, err := w.certs.IssueAs(bg, w.event.ID, wang.ID, "Xiaoming Wang", "", staff); err != nil || created ||
		again.Code != cert.Code || again.Name != "Wang Xiaoming" {
		t.Errorf("a second issue: %+v, %v, %v; want the first kept", again, created, err)
	}
	if v, err := w.certs.ByCode(bg, cert.DisplayCode()); err != nil || v.Name != "Wang Xiaoming" || v.State != certificates.Valid {
		t.Errorf("what /verify reads: %+v, %v", v, err)
	}
	pdf, err := certificates.PDF(cert, base)
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfText(t, pdf); !strings.Contains(text, "Wang Xiaoming") {
		t.Errorf("the PDF reads:\n%s", text)
	}
	list, err := w.bookings.List(bg, w.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.ID == wang.ID && b.Name != "王小明" {
			t.Errorf("the booking's name became %q", b.Name)
		}
	}
	if l := lineOf(wang.ID); l.Unprintable != "" || l.Certificate == nil || l.Certificate.Code != cert.Code || l.Name != "王小明" {
		t.Errorf("the line after issue: %+v", l)
	}
	entries, err := audit.List(bg, w.db, audit.Filter{Action: "certificate.issue", Object: "certificate", ObjectID: cert.ID})
	if err != nil || len(entries) != 1 || entries[0].Actor != staff || entries[0].Reason != "romanised as he signs" ||
		!strings.Contains(string(entries[0].After), `"booked_as":{"name":"王小明"}`) || !strings.Contains(string(entries[0].After), `"name":"Wang Xiaoming"`) {
		t.Fatalf("the audit of the issue: %+v, %v", entries, err)
	}
	if sent, err := w.certs.SendAll(bg, w.event.ID, staff); err != nil || sent.Queued != 1 || sent.Unprintable != 0 || sent.Issued != 0 {
		t.Errorf("send all after: %+v, %v", sent, err)
	}
	if sent, err := w.certs.SendAll(bg, w.event.ID, staff); err != nil || sent.Queued != 0 {
		t.Errorf("send all again: %+v, %v", sent, err)
	}
	if got := pdfsSent(t, w); got["wang@example.org"] != 1 || got["zoe@example.org"] != 1 || len(got) != 2 {
		t.Errorf("certificates e-mailed: %v", got)
	}
	// Erasing the person blanks both names in the issue's audit entry.
	if err := database.InTx(bg, w.db, func(tx *sql.Tx) error {
		_, err := audit.People{}.Erase(bg, tx, "wang@example.org", w.now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	entries, err = audit.List(bg, w.db, audit.Filter{Action: "certificate.issue", Object: "certificate", ObjectID: cert.ID})
	if err != nil || len(entries) != 1 || strings.Contains(string(entries[0].After), "王小明") || strings.Contains(string(entries[0].After), "Wang Xiaoming") {
		t.Errorf("the audit entry after erasure: %s, %v", entries[0].After, err)
	}
}
