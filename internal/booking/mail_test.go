package booking

import (
	"context"
	"encoding/json"
	"flag"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/mail")

// mailVariant is one golden e-mail: a kind rendered with data shaped like
// one real situation.
type mailVariant struct {
	name string // the golden file is testdata/mail/<name>.golden
	kind mailKind
	data func(d *mailData)
}

// baseMail is a free online booking with one day and no extras; each
// variant adds what its situation brings.
func baseMail() mailData {
	return mailData{
		Name: "Dr Zoë O'Brien", Status: "Confirmed", CourseTitle: "DIT refresher <day>",
		CourseURL: "https://training.example/courses/dit-refresher", ManageURL: "https://training.example/bookings/TOKEN",
		SystemCheckURL: "https://training.example/system-check?event=7", Dates: "Friday 10 June 2022",
		Times: []string{"Fri 10 Jun: 10:00–17:00 UK time (BST)"}, Format: "Online", Duration: "1 day, 10:00–17:00",
		JoiningLead: 1, Online: true,
	}
}

func paid(d *mailData) {
	d.Fee, d.FeeTier, d.InvoiceNumber, d.PONumber = "£120.00", "Standard", "INV-000042", "PO-77"
}

func inPerson(d *mailData) {
	d.Format, d.Online, d.InPerson = "In person", false, true
	d.Venue = "Marlowe <Rooms>, 27 Quillon Street, London"
}

func meeting(d *mailData) {
	d.Provider, d.JoinURL, d.MeetingID, d.Passcode = "Zoom", "https://zoom.example/j/812", "812 0000 0022", "demo-0622"
}

func room(d *mailData) {
	d.VenueName, d.VenueAddress = "Marlowe <Rooms>", []string{"27 Quillon Street", "London"}
	d.Directions = []string{"Five minutes from Holborn.", "Ring the bell marked Training."}
}

func agenda(d *mailData) {
	d.Agenda = []mailDay{{Heading: "Friday 10 June 2022, 10:00–17:00 UK time (BST)",
		Items: []string{"09:30 Registration", "10:00–11:30 Establishing the focus"}}}
}

func waiting(d *mailData) { d.Status, d.WaitPosition = "On the waiting list", 3 }

var timeChange = mailChange{Label: "Day 1 (Fri 10 June)", Old: []string{"10:00–17:00 UK time (BST)"}, New: []string{"11:00–17:00 UK time (BST)"}}

// mailVariants are the situations the golden files pin: paid and free,
// online and in person, review, waiting list, late change, joining
// instructions both ways, cancellation with and without refund.
var mailVariants = []mailVariant{
	{"confirmed-free-online", mailConfirmed, nil},
	{"confirmed-paid-in-person", mailConfirmed, func(d *mailData) {
		paid(d)
		inPerson(d)
		d.Notes = []string{"For you this refresher is required before supervised practice."}
	}},
	{"confirmed-paid-online-two-days", mailConfirmed, func(d *mailData) {
		paid(d)
		d.PONumber, d.JoiningLead = "", 2
		d.Dates, d.Duration = "Thursday 9 and Friday 10 June 2022", "2 days"
		d.Times = []string{"Thu 9 Jun: 10:00–17:00 UK time (BST)", "Fri 10 Jun: 09:30–16:00 UK time (BST)"}
	}},
	{"pending-review-with-reason", mailPendingReview, func(d *mailData) {
		d.Status = "Waiting for review"
		d.Review.Reasons = []string{"Your training was more than <two> years ago.", "We check eligibility outside the NHS by hand."}
	}},
	{"pending-review-no-reason", mailPendingReview, func(d *mailData) { d.Status = "Waiting for review"; inPerson(d) }},
	{"waitlisted", mailWaitlisted, waiting},
	{"offered", mailOffered, func(d *mailData) {
		waiting(d)
		d.Status, d.OfferExpires = "Place offered", "17:00 on Wednesday 8 June 2022 UK time (BST)"
	}},
	{"moved-up-paid", mailMovedUp, paid},
	{"moved-up-free-in-person", mailMovedUp, inPerson},
	{"offer-withdrawn-first", mailOfferWithdrawn, func(d *mailData) { waiting(d); d.WaitPosition = 1 }},
	{"offer-withdrawn-later", mailOfferWithdrawn, func(d *mailData) { waiting(d); d.WaitPosition = 3; inPerson(d) }},
	{"offer-lapsed", mailOfferLapsed, func(d *mailData) { d.Status = "Cancelled" }},
	{"cancelled-paid", mailCancelled, func(d *mailData) { paid(d); d.Status = "Cancelled" }},
	{"cancelled-free", mailCancelled, func(d *mailData) { d.Status = "Cancelled"; inPerson(d) }},
	{"review-declined", mailReviewDeclined, func(d *mailData) { d.Status = "Declined" }},
	{"review-declined-message", mailReviewDeclined, func(d *mailData) {
		d.Status, d.StaffMessage = "Declined", "We need <two> years of practice.\nPlease book again next year."
	}},
	{"confirmed-approved-message", mailConfirmed, func(d *mailData) { paid(d); d.StaffMessage = "Welcome & see you <there>." }},
	{"cancelled-by-staff-terms", mailCancelled, func(d *mailData) {
		paid(d)
		d.Status, d.ByStaff, d.Terms = "Cancelled", true, "Free until 14 days before.\nAfter that, the full fee."
	}},
	{"cancelled-by-staff-waived", mailCancelled, func(d *mailData) { paid(d); d.Status, d.ByStaff, d.Waived = "Cancelled", true, true }},
	{"moved-paid", mailMoved, func(d *mailData) {
		paid(d)
		d.MovedFrom, d.Move = "Friday 3 June 2022", moveMail{Invite: true, Withdraw: true, InvoiceCarried: true}
	}},
	{"moved-review-other-course", mailMoved, func(d *mailData) {
		d.Status, d.MovedFrom = "Waiting for review", "Intro <course>, Friday 3 June 2022"
		d.Review.Reasons = []string{"Your training was more than <two> years ago."}
		d.Move = moveMail{Withdraw: true}
	}},
	// A booking that was waiting (no calendar file, no invoice yet) moved
	// to a date with a free place: one invitation, an invoice issued now.
	{"moved-from-waiting-list", mailMoved, func(d *mailData) {
		paid(d)
		d.MovedFrom, d.Move = "Friday 3 June 2022", moveMail{Invite: true}
	}},
	// An offered booking moved into review: nothing to attach, no invoice.
	{"moved-offer-to-review", mailMoved, func(d *mailData) {
		paid(d)
		d.Status, d.InvoiceNumber, d.MovedFrom = "Waiting for review", "", "Friday 3 June 2022"
		d.Review.Reasons = []string{"Your training was more than <two> years ago."}
	}},
	{"already-booked-waiting", mailAlreadyBooked, waiting},
	{"already-booked-confirmed", mailAlreadyBooked, inPerson},
	{"staff-message", mailStaffMessage, func(d *mailData) {
		d.Staff = staffMessage{Subject: "Room <change>", Paragraphs: []string{"Please bring <your> ID.\nThank you.", "Second paragraph."}}
	}},
	{"joining-online", mailJoining, func(d *mailData) { meeting(d); agenda(d) }},
	{"joining-online-no-link-yet", mailJoining, agenda},
	{"joining-in-person", mailJoining, func(d *mailData) { inPerson(d); room(d); agenda(d) }},
	{"joining-hybrid-replaces", mailJoining, func(d *mailData) {
		d.Format, d.InPerson, d.Replaces = "Hybrid", true, true
		meeting(d)
		room(d)
		d.Directions = nil
		agenda(d)
	}},
	{"changed-late-joining-now", mailEventChanged, func(d *mailData) {
		d.Changes = []mailChange{timeChange}
		d.Late, d.HadPlace, d.JoiningChanged, d.JoiningNow = true, true, true, true
	}},
	{"changed-venue-joining-later", mailEventChanged, func(d *mailData) {
		inPerson(d)
		d.Changes = []mailChange{{Label: "Venue", Old: []string{"Marlowe Rooms", "27 Quillon Street", "London"}, New: []string{"Hall <B>", "1 Road"}}}
		d.VenueName, d.VenueAddress = "Hall <B>", []string{"1 Road"}
		d.HadPlace, d.JoiningChanged, d.JoiningAt = true, true, "Thursday 9 June 2022 at 09:00 UK time (BST)"
	}},
	{"changed-waiting-list", mailEventChanged, func(d *mailData) {
		waiting(d)
		d.Changes = []mailChange{timeChange}
	}},
	{"changed-joining-only", mailEventChanged, func(d *mailData) { d.HadPlace, d.JoiningNow = true, true }},
	{"event-cancelled-refund", mailEventCancelled, func(d *mailData) {
		paid(d)
		inPerson(d)
		d.Status, d.HadPlace = "Cancelled", true
		d.Refund = "Invoice INV-000042 is cancelled: please do not pay it. If you have paid it already, the fee will be refunded in full."
	}},
	{"event-cancelled-no-refund-waiting", mailEventCancelled, func(d *mailData) { waiting(d); d.Status = "Cancelled" }},
	{"event-cancelled-reason", mailEventCancelled, func(d *mailData) {
		inPerson(d)
		d.Status, d.HadPlace, d.CancelReason = "Cancelled", true, "The trainer is unwell."
	}},
	{"reminder-online", mailReminder, func(d *mailData) { d.ReminderDays = 7 }},
	{"reminder-in-person-one-day", mailReminder, func(d *mailData) { inPerson(d); room(d); d.ReminderDays = 1 }},
	{"thanks-feedback", mailThanks, func(d *mailData) {
		d.Status, d.FeedbackURL = "Attended", "https://training.example/feedback/TOKEN"
	}},
	{"thanks", mailThanks, func(d *mailData) { d.Status = "Attended" }},
	{"missed", mailThanksMissed, func(d *mailData) { d.Status = "Confirmed" }},
	{"review-waiting", mailReviewWaiting, func(d *mailData) {
		paid(d)
		d.Status = "Waiting for review"
		d.Review = reviewMail{Reasons: []string{"Your training was more than <two> years ago."}, BookingID: 42, EventID: 7,
			EventRef: "2022-06", Email: "zoe@example.org", Organisation: "North Clinic", Role: "Psychotherapist",
			RegistrationNumber: "HCPC 123", Answers: []mailAnswer{{Label: "When did you complete the training?", Answer: "2019-05-01"},
				{Label: "Started supervised practice?", Answer: "(no answer)"}},
			Since: "14:05 on Monday 2 May 2022 UK time (BST)", ReplyBy: "Wednesday 4 May 2022",
			ApproveCommand: "plenary bookings -approve 42", DeclineCommand: "plenary bookings -decline 42",
			ListCommand: "plenary bookings -event 7", AdminURL: "https://training.example/admin/bookings/42"}
	}},
	{"review-waiting-no-questions", mailReviewWaiting, func(d *mailData) {
		d.Review = reviewMail{BookingID: 43, EventID: 7, EventRef: "2022-06", Email: "sam@example.org",
			Since: "09:00 on Monday 2 May 2022 UK time (BST)", ReplyBy: "Wednesday 4 May 2022",
			ApproveCommand: "plenary bookings -approve 43", DeclineCommand: "plenary bookings -decline 43",
			ListCommand: "plenary bookings -event 7"}
	}},
	{"digest", mailDigest, func(d *mailData) {
		d.Name = "Ann Archer"
		d.Digest = digestMail{Day: "Monday 7 December 2026", AttentionURL: "https://training.example/admin/attention", Count: 2,
			Sections: []digestSection{
				{Title: "Bookings waiting for review (1)", URL: "https://training.example/admin/attention#reviews",
					Lines: []digestLine{{Text: "Sam Smith, DIT refresher <day>, Friday 10 June 2022: waited 1 of 2 working days",
						URL: "https://training.example/admin/bookings/42"}}},
				{Title: "Dates nearly full or with a waiting list (1)", URL: "https://training.example/admin/attention#filling",
					Lines: []digestLine{{Text: "DIT refresher <day>, Friday 10 June 2022: full, 3 waiting",
						URL: "https://training.example/admin/bookings?event=7"}}},
			}}
	}},
}

func (v mailVariant) mail() mailData {
	d := baseMail()
	if v.data != nil {
		v.data(&d)
	}
	return d
}

// TestMailGolden renders every variant of every booking e-mail and
// compares it with its golden file; run `go test ./internal/booking -run
// TestMailGolden -update` after changing a template, and read the diff.
func TestMailGolden(t *testing.T) {
	m, err := NewMail()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("mail/*.txt")
	if len(files) != len(mailKinds)+1 { // + layout.txt
		t.Fatalf("%d templates in mail/, %d kinds: every template needs a kind and a golden file", len(files)-1, len(mailKinds))
	}
	covered := map[mailKind]bool{}
	var goldens []string
	for _, v := range mailVariants {
		covered[v.kind] = true
		data, err := mailMessageData(v.mail(), nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := m.RenderMessage(string(v.kind), data)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if strings.Contains(c.HTML, "<day>") || !strings.Contains(c.HTML, "&lt;day&gt;") || !strings.Contains(c.Text, "<day>") {
			t.Errorf("%s: the course title must be escaped in the HTML and only there", v.name)
		}
		got := "Subject: " + c.Subject + "\n\n" + c.Text + "\n---- HTML ----\n" + c.HTML
		name := string(v.kind) + "-" + v.name + ".golden"
		goldens = append(goldens, name)
		golden := filepath.Join("testdata", "mail", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%s: %v (run with -update to create it)", v.name, err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s (run with -update and read the diff):\n%s", v.name, golden, got)
		}
	}
	for _, k := range mailKinds {
		if !covered[k] {
			t.Errorf("no golden variant renders %s", k)
		}
	}
	// A golden file no variant writes is stale.
	all, _ := filepath.Glob(filepath.Join("testdata", "mail", "*.golden"))
	for _, f := range all {
		if !slices.Contains(goldens, filepath.Base(f)) {
			if *update {
				os.Remove(f)
				continue
			}
			t.Errorf("%s belongs to no variant", f)
		}
	}
}

// TestMailStoredByAnEarlierPlenary renders an e-mail as an earlier
// Plenary stored it (every field of its data written out, a whole
// catalog.Course in its calendar file: testdata, taken from a queued
// confirmation) and the same e-mail as queued now, and expects them alike
// to the byte, calendar file included — and what is queued now to be a
// good deal smaller.
func TestMailStoredByAnEarlierPlenary(t *testing.T) {
	m, err := NewMail()
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(filepath.Join("testdata", "booking_confirmed-stored-2026-12.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mm mailMessage
	if err := json.Unmarshal(old, &mm); err != nil {
		t.Fatal(err)
	}
	now, err := mailMessageJSON(mm)
	if err != nil {
		t.Fatal(err)
	}
	if len(now)*3 > len(old)*2 { // 1,705 bytes against 2,980
		t.Errorf("queued now: %d bytes, more than two thirds of the %d stored before:\n%s", len(now), len(old), now)
	}
	was, err := m.RenderMessage(string(mailConfirmed), old)
	if err != nil {
		t.Fatal(err)
	}
	is, err := m.RenderMessage(string(mailConfirmed), now)
	if err != nil {
		t.Fatal(err)
	}
	if was.Subject != is.Subject || was.Text != is.Text || was.HTML != is.HTML {
		t.Errorf("the e-mail reads differently:\nstored before:\n%s\nqueued now:\n%s", was.Text, is.Text)
	}
	if len(was.Attachments) != 1 || len(is.Attachments) != 1 {
		t.Fatalf("calendar files: %d stored before, %d queued now; want 1 each", len(was.Attachments), len(is.Attachments))
	}
	a, b := was.Attachments[0], is.Attachments[0]
	if a.Filename != "dit-refresher.ics" || a.Filename != b.Filename || a.ContentType != b.ContentType || string(a.Data) != string(b.Data) {
		t.Errorf("the calendar file differs:\nstored before: %s %s\n%s\nqueued now: %s %s\n%s", a.Filename, a.ContentType, a.Data, b.Filename, b.ContentType, b.Data)
	}
	for _, want := range []string{"Dr Ada Example", "DIT refresher", "INV-000001", "£120.00"} {
		if !strings.Contains(is.Text, want) {
			t.Errorf("the e-mail lacks %q:\n%s", want, is.Text)
		}
	}
}

// lockWatch is the outbox's renderer in TestNothingRenderedUnderLock: it
// renders with Mail and fails the test if the date's lock is held.
type lockWatch struct {
	t       *testing.T
	mail    *Mail
	svc     *Service
	eventID int64
	renders atomic.Int32
}

func (w *lockWatch) RenderMessage(kind string, data []byte) (messaging.Content, error) {
	w.renders.Add(1)
	w.svc.events.mu.Lock()
	held := w.svc.events.locks[w.eventID] != nil
	w.svc.events.mu.Unlock()
	if held {
		w.t.Errorf("%s rendered while the date's lock is held", kind)
	}
	return w.mail.RenderMessage(kind, data)
}

// TestNothingRenderedUnderLock books, fills the date, moves someone up and
// sends joining instructions — every path that queues e-mail under the
// date's lock — and checks that no e-mail was rendered while it was held;
// then that each reads rendered, with its calendar file, once the lock is
// gone.
func TestNothingRenderedUnderLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	// A fixed clock: noon on Tuesday 1 December 2026, the day before the
	// date, so its joining instructions (09:00 the working day before) are
	// due whatever the time of day the test runs.
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.Waitlist = true
	c.Events[0].Capacity = 1
	c.Events[0].Days[0].Date = catalog.DateOf(now.AddDate(0, 0, 1))
	store := catalog.NewStore(db, catalog.Hooks{})
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	mail, err := NewMail()
	if err != nil {
		t.Fatal(err)
	}
	w := &lockWatch{t: t, mail: mail, eventID: c.Events[0].ID}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Renderer: w})
	w.svc = NewService(Options{DB: db, Catalog: store, Outbox: out, BaseURL: "https://training.example",
		Organizer: "noreply@training.example", StaffEmail: []string{"team@training.example"},
		Now: func() time.Time { return now }})
	req := func(name string) Request {
		return Request{EventID: c.Events[0].ID, Name: name, Email: strings.ToLower(name) + "@example.org",
			Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true, FeeTier: "Standard"}
	}
	first, err := w.svc.Book(ctx, req("Ada"), audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Book(ctx, req("Grace"), audit.ParticipantOf(0)); err != nil { // waiting list
		t.Fatal(err)
	}
	if _, err := w.svc.Book(ctx, req("Ada"), audit.ParticipantOf(0)); err != nil { // already booked
		t.Fatal(err)
	}
	if _, err := w.svc.Cancel(ctx, first.Token); err != nil { // Grace moves up
		t.Fatal(err)
	}
	if n := w.renders.Load(); n != 0 {
		t.Fatalf("%d e-mails rendered while booking, want 0: rendering waits for the send or a read", n)
	}

	list, err := out.List(ctx, messaging.ListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]messaging.Message{}
	for _, m := range list {
		kinds[m.Kind] = m
		if m.Subject == "" || m.Text == "" || m.HTML == "" {
			t.Errorf("%s read unrendered: %+v", m.Kind, m)
		}
	}
	for _, k := range []mailKind{mailConfirmed, mailWaitlisted, mailAlreadyBooked, mailCancelled, mailMovedUp, mailJoining} {
		if _, ok := kinds[string(k)]; !ok {
			t.Errorf("no %s e-mail among %d", k, len(list))
		}
	}
	if m := kinds[string(mailJoining)]; len(m.Attachments) != 1 || !strings.Contains(string(m.Attachments[0].Data), "secret-passcode") {
		t.Errorf("joining instructions: the calendar file must carry the meeting: %+v", m.Attachments)
	}
	if m := kinds[string(mailMovedUp)]; len(m.Attachments) != 1 || strings.Contains(string(m.Attachments[0].Data), "secret-passcode") {
		t.Errorf("moved up: one calendar file, without the meeting: %+v", m.Attachments)
	}
	if int(w.renders.Load()) < len(list) {
		t.Errorf("%d renders for %d messages", w.renders.Load(), len(list))
	}
}

// TestCalendarSnapshot checks that the calendar file made from what a
// queued e-mail stores (through JSON, as the database keeps it) is the
// file made from the course and event themselves, with and without the
// meeting's details.
func TestCalendarSnapshot(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.ID = 3
	e := c.Events[0]
	e.ID, e.CourseID, e.Version, e.Format, e.UpdatedAt = 7, 3, 4, catalog.Hybrid, now
	e.Venue = catalog.Venue{Name: "Marlowe Rooms", Address: "27 Quillon Street\nLondon", Directions: "Ring the bell."}
	e.Days = append(e.Days, e.Days[0])
	e.Days[1].Date = e.Days[0].Date.AddDays(1)
	e.StartsAt, _ = e.Days[0].Span(e.Location())
	_, e.EndsAt = e.Days[1].Span(e.Location())
	s := NewService(Options{BaseURL: "https://training.example", UIDDomain: "training.example", Organizer: "Plenary <noreply@training.example>"})
	b := Booking{ID: 42, Name: "Dr Zoë O'Brien", Email: "zoe@example.org"}
	for _, tt := range []struct {
		method  string
		joining bool
	}{{"REQUEST", false}, {"REQUEST", true}, {"CANCEL", false}} {
		want := catalog.Calendar(c, e, catalog.CalendarOptions{BaseURL: "https://training.example", UIDDomain: "training.example",
			Now: now, Method: tt.method, Organizer: "Plenary <noreply@training.example>",
			Attendee: mail.Address{Name: b.Name, Address: b.Email}, Joining: tt.joining})
		data, err := mailMessageData(mailData{}, s.calendar(c, e, tt.method, tt.joining, b, now))
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewMail()
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.RenderMessage(string(mailConfirmed), data)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Attachments) != 1 || string(got.Attachments[0].Data) != string(want) {
			t.Errorf("%s joining=%v: the stored calendar differs:\n%s\nwant:\n%s", tt.method, tt.joining, got.Attachments[0].Data, want)
		}
		if a := got.Attachments[0]; a.Filename != "test-course.ics" || a.ContentType != "text/calendar; charset=utf-8; method="+tt.method {
			t.Errorf("attachment %q, %q", a.Filename, a.ContentType)
		}
	}
}
