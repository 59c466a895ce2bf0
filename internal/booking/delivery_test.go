package booking_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/riverqueue/river"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// TestConfirmationDeliveredBySMTP books a place and follows the
// confirmation the whole way: queued in the booking's transaction, sent by
// the job queue through a real SMTP conversation, and read back as a mail
// client would, with a calendar invitation that parses to the event's
// times and a manage link that opens the booking.
func TestConfirmationDeliveredBySMTP(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	srv := mailtest.Start(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(), "Plenary Training <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary Training <noreply@training.example>", Renderer: mailRenderer(t)})
	store := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(time.Now())
	// A summer date: 10:00 UK time is 09:00 UTC, so a reader that ignored
	// TZID would get the instant wrong.
	c.Events[0].Days[0].Date = catalog.Date{Year: time.Now().Year() + 1, Month: time.June, Day: 10}
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(time.Now())); err != nil {
		t.Fatal(err)
	}
	svc := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox,
		BaseURL: "https://training.example", Organizer: "Plenary Training <noreply@training.example>"})

	workers := river.NewWorkers()
	messaging.AddWorkers(workers, outbox, mailer)
	runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{Run: true, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Stop(ctx) })

	res, err := svc.Book(ctx, booking.Request{EventID: c.Events[0].ID, Name: "Dr Zoë O'Brien", Email: "zoe@example.org",
		Organisation: "North Clinic", Role: "Clinical psychologist", SystemChecked: true}, participant)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(srv.Messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no message reached the SMTP server within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].To[0] != "zoe@example.org" || !got[0].TLS {
		t.Fatalf("server received %d messages (to %v, TLS %v)", len(got), got[0].To, got[0].TLS)
	}
	m, err := mailtest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if subj := m.Get("Subject"); !strings.HasPrefix(subj, "Your place is confirmed: Test course") {
		t.Errorf("Subject: %q", subj)
	}
	if want := "multipart/mixed[multipart/alternative[text/plain,text/html],text/calendar]"; m.Shape != want {
		t.Fatalf("MIME shape: got %s, want %s", m.Shape, want)
	}
	// The manage link in the mail is not the one returned to the browser
	// (only hashes are kept, so each mail gets its own), but it opens the
	// same booking.
	i := strings.Index(m.Text, "https://training.example/bookings/")
	if i < 0 {
		t.Fatalf("no manage link in the text:\n%s", m.Text)
	}
	link := strings.Fields(m.Text[i:])[0]
	manage, err := svc.ByToken(ctx, strings.TrimPrefix(link, "https://training.example/bookings/"))
	if err != nil || manage.Booking.ID != res.Booking.ID {
		t.Fatalf("the mailed link opens booking %d (%v), want %d", manage.Booking.ID, err, res.Booking.ID)
	}
	if !strings.Contains(m.HTML, `href="`+link+`"`) || !strings.Contains(m.Text, "Dear Dr Zoë O'Brien") {
		t.Errorf("HTML lacks the manage link or text lacks the greeting")
	}

	cal, err := ics.ParseCalendar(bytes.NewReader(m.Files[0].Body))
	if err != nil {
		t.Fatalf("calendar attachment: %v", err)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("calendar has %d events, want 1", len(events))
	}
	start, err := events[0].GetStartAt()
	if err != nil || !start.Equal(c.Events[0].StartsAt) {
		t.Fatalf("calendar DTSTART %v (%v), want %v", start, err, c.Events[0].StartsAt)
	}
	if p := events[0].GetProperty(ics.ComponentPropertyDtStart); p == nil || len(p.ICalParameters["TZID"]) == 0 {
		t.Error("DTSTART has no TZID")
	}
}

// TestJoiningInstructionsDeliveredBySMTP sends an online date's joining
// instructions through the job queue and a real SMTP conversation at their
// time: the meeting details and the agenda in UK time reach the person,
// with no List-Unsubscribe (they are not marketing).
func TestJoiningInstructionsDeliveredBySMTP(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	srv := mailtest.Start(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(), "Plenary Training <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC)}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The booking service runs on the test's clock; the queue on the real
	// one, so what is queued is sent now.
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary Training <noreply@training.example>", Renderer: mailRenderer(t)})
	store := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.NewCourse(clk.Now())
	c.Events[0].Days[0].Date = catalog.Date{Year: 2027, Month: time.June, Day: 10} // a Thursday
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(clk.Now())); err != nil {
		t.Fatal(err)
	}
	svc := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox, BaseURL: "https://training.example", Now: clk.Now})
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, outbox, mailer)
	runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{Run: true, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Stop(ctx) })
	if _, err := svc.Book(ctx, booking.Request{EventID: c.Events[0].ID, Name: "Ann Archer", Email: "ann@example.org",
		Organisation: "North Clinic", Role: "Nurse", SystemChecked: true}, participant); err != nil {
		t.Fatal(err)
	}
	// Wednesday 9 June 2027, 09:00 BST is 08:00 UTC: one minute before,
	// nothing is due; at the minute, the instructions go.
	clk.t = time.Date(2027, 6, 9, 7, 59, 0, 0, time.UTC)
	if n, err := svc.SendDue(ctx, job); err != nil || n != 0 {
		t.Fatalf("a minute early: queued %d, %v", n, err)
	}
	clk.t = time.Date(2027, 6, 9, 8, 0, 0, 0, time.UTC)
	if n, err := svc.SendDue(ctx, job); err != nil || n != 1 {
		t.Fatalf("at the time: queued %d, %v; want 1", n, err)
	}
	var joining *mailtest.Mail
	deadline := time.Now().Add(2 * time.Minute)
	for joining == nil {
		for _, r := range srv.Messages() {
			m, err := mailtest.Parse(r.Data)
			if err == nil && strings.Contains(m.Get("Subject"), "oining") {
				joining = &m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no joining instructions reached the SMTP server (%d messages)", len(srv.Messages()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"https://zoom.example/j/123", "123 456", "secret-passcode", "UK time (BST)", "https://training.example/system-check"} {
		if !strings.Contains(joining.Text, want) {
			t.Errorf("joining instructions lack %q:\n%s", want, joining.Text)
		}
	}
	if joining.Header.Get("List-Unsubscribe") != "" {
		t.Error("joining instructions carry List-Unsubscribe")
	}
	if joining.Header.Get("Message-ID") == "" || joining.Header.Get("Date") == "" {
		t.Error("joining instructions lack Message-ID or Date")
	}
}
