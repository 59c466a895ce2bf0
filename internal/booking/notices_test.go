package booking_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/messaging"
)

// everything is all a message says: subject, text, HTML and attachments.
func (f *noticeFixture) everything(t *testing.T, m messaging.Message) string {
	t.Helper()
	full, err := f.outbox.Message(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	s := full.Subject + "\n" + full.Text + "\n" + full.HTML
	for _, a := range full.Attachments {
		// Unfold calendar lines, so that a folded secret is found too.
		s += "\n" + strings.ReplaceAll(string(a.Data), "\r\n ", "")
	}
	return s
}

// leaks lists the messages (kind, to) that contain any of secrets.
func (f *noticeFixture) leaks(t *testing.T, secrets ...string) []string {
	t.Helper()
	var out []string
	for _, m := range f.messages(t, "", "") {
		all := f.everything(t, m)
		for _, s := range secrets {
			if strings.Contains(all, s) {
				out = append(out, m.Kind+" to "+m.ToEmail+" contains "+s)
			}
		}
	}
	return out
}

// TestPasscodeChangeBeforeJoiningInstructions is the review's test: Ann
// (confirmed) and Ben (waitlisted) on a one-place date; the passcode
// changes weeks before joining instructions go. No message to anyone
// contains the old or the new passcode, Ben hears nothing, Ann is told the
// joining details changed and when her instructions come; those, when
// they come, carry the new passcode only.
func TestPasscodeChangeBeforeJoiningInstructions(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 1, nil)
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	if err := f.edit(t, func(e *catalog.Event) { e.Meeting.Passcode = "NEW-PASS-123" }); err != nil {
		t.Fatalf("change: %v", err)
	}
	if l := f.leaks(t, "secret-passcode", "NEW-PASS-123"); len(l) > 0 {
		t.Fatalf("meeting details in mail:\n%s", strings.Join(l, "\n"))
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted" {
		t.Errorf("Ben (waitlisted): got %s, want nothing after booking_waitlisted", got)
	}
	if got := f.kindsTo(t, "ann.a@example.org"); got != "booking_confirmed,event_changed" {
		t.Fatalf("Ann: got %s", got)
	}
	n := f.messages(t, "event_changed", "ann.a@example.org")[0]
	for _, want := range []string{"joining details (the meeting link, meeting ID or passcode) have changed",
		"will reach you on Tuesday 19 May 2026 at 09:00 UK time (BST)"} {
		if !strings.Contains(n.Text, want) {
			t.Errorf("Ann's notice lacks %q:\n%s", want, n.Text)
		}
	}
	if strings.Contains(n.Text, "was:") || f.calendarOf(t, n) != "" {
		t.Errorf("a joining-details-only notice lists changes or carries a calendar entry:\n%s", n.Text)
	}

	f.at(f.svc.JoiningSendAt(f.course, f.event))
	if n := f.sendDue(t); n != 1 {
		t.Fatalf("SendDue: queued %d, want Ann's joining instructions", n)
	}
	if l := f.leaks(t, "secret-passcode"); len(l) > 0 {
		t.Fatalf("the old passcode went out:\n%s", strings.Join(l, "\n"))
	}
	leaks := f.leaks(t, "NEW-PASS-123")
	j := f.messages(t, "joining", "ann.a@example.org")
	if len(j) != 1 || len(leaks) != 1 || leaks[0] != "joining to ann.a@example.org contains NEW-PASS-123" ||
		!strings.HasSuffix(j[0].DedupeKey, "/2") {
		t.Fatalf("want only Ann's joining instructions (version 2) with the new passcode; got %v, %v", leaks, j)
	}
}

// TestPasscodeChangeAfterJoiningInstructions changes the passcode after
// Ann had her joining instructions: she is told, and gets new ones at
// once with the new passcode and not the old; Ben hears nothing.
func TestPasscodeChangeAfterJoiningInstructions(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 1, func(c *catalog.Course) {
		c.JoiningLeadDays = 15 // sent well outside the notice window
	})
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	f.at(f.svc.JoiningSendAt(f.course, f.event))
	if n := f.sendDue(t); n != 1 {
		t.Fatalf("SendDue: queued %d, want 1", n)
	}
	before := len(f.messages(t, "", ""))
	if err := f.edit(t, func(e *catalog.Event) { e.Meeting.Passcode = "NEW-PASS-123" }); err != nil {
		t.Fatalf("change: %v", err)
	}
	if got := f.kindsTo(t, "ann.a@example.org"); got != "booking_confirmed,joining,event_changed,joining" {
		t.Fatalf("Ann: got %s", got)
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted" {
		t.Fatalf("Ben: got %s", got)
	}
	after := f.messages(t, "", "")[before:]
	for _, m := range after {
		all := f.everything(t, m)
		if strings.Contains(all, "secret-passcode") {
			t.Errorf("%s after the change contains the old passcode", m.Kind)
		}
		if strings.Contains(all, "NEW-PASS-123") != (m.Kind == "joining") {
			t.Errorf("%s: new passcode present %v", m.Kind, !(m.Kind == "joining"))
		}
	}
	notice := f.messages(t, "event_changed", "ann.a@example.org")[0]
	if !strings.Contains(notice.Text, "Your new joining instructions follow in a separate e-mail") {
		t.Errorf("Ann's notice:\n%s", notice.Text)
	}
	j := f.messages(t, "joining", "ann.a@example.org")[1]
	ics := strings.ReplaceAll(f.calendarOf(t, j), "\r\n ", "")
	if !strings.HasSuffix(j.DedupeKey, "/2") || !strings.Contains(j.Text, "replace the ones we sent before") ||
		!strings.Contains(ics, "SEQUENCE:5") || !strings.Contains(ics, "Passcode: NEW-PASS-123") {
		t.Errorf("new joining instructions: key %s\n%s\n%s", j.DedupeKey, j.Text, ics)
	}
}

// TestPublicAndPrivateChange changes a multi-day date's second day's
// times, its venue (an address of several lines) and its meeting link at
// once: the waiting list hears of the times and the venue, labelled by
// day and line by line, and nothing of the link; the confirmed hear both.
func TestPublicAndPrivateChange(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 1, func(c *catalog.Course) {
		e := &c.Events[0]
		e.Format = catalog.Hybrid
		e.Venue = catalog.Venue{Name: "Marlowe Rooms", Address: "27 Quillon Street\r\nLondon\nEC1 4AB"}
		d2 := e.Days[0]
		d2.Date = d2.Date.AddDays(1)
		e.Days = append(e.Days, d2)
	})
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	if err := f.edit(t, func(e *catalog.Event) {
		e.Days[1].End = catalog.Clock{Minutes: 16 * 60, Valid: true}
		e.Venue.Address = "1 New Road\nLondon"
		e.Meeting.JoinURL = "https://zoom.example/j/NEW-LINK"
	}); err != nil {
		t.Fatal(err)
	}
	if l := f.leaks(t, "https://zoom.example/j/"); len(l) > 0 {
		t.Fatalf("meeting link in mail:\n%s", strings.Join(l, "\n"))
	}
	ben := f.messages(t, "event_changed", "ben.b@example.org")
	if len(ben) != 1 {
		t.Fatalf("Ben: %d notices", len(ben))
	}
	for _, want := range []string{
		"Day 2 (Thu 21 May)\n  was: 10:00–17:00 UK time (BST)\n  now: 10:00–16:00 UK time (BST)",
		"Venue\n  was: Marlowe Rooms\n       27 Quillon Street\n       London\n       EC1 4AB\n  now: Marlowe Rooms\n       1 New Road\n       London",
		"Venue: Marlowe Rooms\n       1 New Road\n       London\n",
	} {
		if !strings.Contains(ben[0].Text, want) {
			t.Errorf("Ben's notice lacks %q:\n%s", want, ben[0].Text)
		}
	}
	if strings.Contains(ben[0].Text, "joining details") || strings.Contains(ben[0].HTML, "joining details") {
		t.Errorf("Ben (waitlisted) heard of the joining details:\n%s", ben[0].Text)
	}
	ann := f.messages(t, "event_changed", "ann.a@example.org")
	if len(ann) != 1 || !strings.Contains(ann[0].Text, "Day 2 (Thu 21 May)") || !strings.Contains(ann[0].Text, "joining details") ||
		!strings.Contains(strings.ReplaceAll(f.calendarOf(t, ann[0]), "\r\n ", ""), "SEQUENCE:4") {
		t.Errorf("Ann's notice:\n%v", ann)
	}
}

// TestCapacityRaiseFillsPlacesInTheSave raises a full date's capacity: the
// people waiting move up in the same save, in the order they came, and
// the save reports it.
func TestCapacityRaiseFillsPlacesInTheSave(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 1, nil)
	for _, n := range []string{"Ann A", "Ben B", "Cal C", "Dee D"} {
		f.book(t, n)
	}
	c, err := f.store.CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	c.Events[0].Capacity = 3
	res, err := f.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: f.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got := statusesOf(t, f); got != "Ann A confirmed, Ben B confirmed, Cal C confirmed, Dee D waitlisted" {
		t.Fatalf("after raising the capacity to 3: %s", got)
	}
	if r := res[0].Reports; len(r) != 1 || r[0].MovedUp["confirmed"] != 2 || len(r[0].Told) != 0 {
		t.Fatalf("report: %+v", r)
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted,booking_moved_up" {
		t.Errorf("Ben: %s", got)
	}
}

// TestFailedSaveFillsNothing raises one date's capacity and makes a late,
// unconfirmed change to another date of the same course in the same
// save: the save is refused, and the first date's capacity and waiting
// list are as they were.
func TestFailedSaveFillsNothing(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), date(2026, 6, 10), 1, func(c *catalog.Course) {
		late := c.Events[0]
		late.Ref = "soon"
		late.Days = []catalog.Day{late.Days[0]}
		late.Days[0].Date = date(2026, 5, 6)
		c.Events = append(c.Events, late)
	})
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	c, err := f.store.CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	soon := c.Events[0] // in start order: the date next week comes first
	if soon.Ref != "soon" {
		t.Fatalf("events in unexpected order: %s first", soon.Ref)
	}
	if _, err := f.svc.Book(ctx, booking.Request{EventID: soon.ID, Name: "Cal C", Email: "cal.c@example.org",
		Organisation: "Clinic", Role: "Nurse", SystemChecked: true}, participant); err != nil {
		t.Fatal(err)
	}
	// Put the capacity raise first, so that it is written (and its places
	// filled) before the late change refuses the save.
	c.Events[0], c.Events[1] = c.Events[1], c.Events[0]
	c.Events[0].Capacity = 5
	c.Events[1].Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true}
	_, err = f.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: f.clock.Now()})
	var late *booking.LateChangeError
	if !errors.Is(err, booking.ErrLateChange) || !errors.As(err, &late) || late.Ref != "soon" {
		t.Fatalf("got %v, want the late change refused", err)
	}
	got, err := f.store.CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if got.Events[1].Ref != "first" || got.Events[1].Capacity != 1 {
		t.Fatalf("capacity after the refused save: %d, want 1", got.Events[1].Capacity)
	}
	if s := statusesOf(t, f); s != "Ann A confirmed, Ben B waitlisted" {
		t.Fatalf("after the refused save: %s", s)
	}
	if k := f.kindsTo(t, "ben.b@example.org"); k != "booking_waitlisted" {
		t.Fatalf("Ben's mail after the refused save: %s", k)
	}

	// A dry run reports what the real save would do, including the
	// refusal, and changes nothing either.
	res, err := f.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: f.clock.Now(), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	var first, soonReport catalog.EventReport
	for _, r := range res[0].Reports {
		switch r.Ref {
		case "first":
			first = r
		case "soon":
			soonReport = r
		}
	}
	if first.MovedUp["confirmed"] != 1 || !soonReport.Late || !errors.Is(soonReport.Refused, booking.ErrLateChange) ||
		soonReport.Told["confirmed"] != 1 {
		t.Fatalf("dry-run reports: %+v", res[0].Reports)
	}
	if s := statusesOf(t, f); s != "Ann A confirmed, Ben B waitlisted" {
		t.Fatalf("after the dry run: %s", s)
	}
	if k := f.kindsTo(t, "ben.b@example.org"); k != "booking_waitlisted" {
		t.Fatalf("Ben's mail after the dry run: %s", k)
	}

	// Confirmed, the same save goes through: Ben moves up.
	if _, err := f.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: f.clock.Now(), ConfirmLate: true}); err != nil {
		t.Fatal(err)
	}
	if s := statusesOf(t, f); s != "Ann A confirmed, Ben B confirmed" {
		t.Fatalf("after the confirmed save: %s", s)
	}
}

// TestNoFillOnceStarted raises the capacity of a date that has begun (by
// the service's clock): nobody moves up.
func TestNoFillOnceStarted(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 1, nil)
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	f.at(f.event.StartsAt.Add(time.Minute))
	if err := f.edit(t, func(e *catalog.Event) { e.Capacity = 2 }); err != nil {
		t.Fatal(err)
	}
	if s := statusesOf(t, f); s != "Ann A confirmed, Ben B waitlisted" {
		t.Fatalf("after raising the capacity of a started date: %s", s)
	}
}

// TestHookFailureAfterFillRollsBack gives the store a hook that runs
// booking's and then fails: the places the booking hook filled are given
// back with the rest.
func TestHookFailureAfterFillRollsBack(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 1, nil)
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	boom := errors.New("audit log unavailable")
	f.store = catalog.NewStore(f.db, catalog.Hooks{EventSaved: func(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
		if err := f.svc.EventSaved(ctx, tx, ev); err != nil {
			return err
		}
		if len(ev.Report.MovedUp) == 0 {
			return errors.New("the booking hook did not run first")
		}
		return boom
	}})
	if err := f.edit(t, func(e *catalog.Event) { e.Capacity = 2 }); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the second hook's error", err)
	}
	got, _ := f.store.CourseBySlug(ctx, f.course.Slug)
	if got.Events[0].Capacity != 1 {
		t.Errorf("capacity %d, want 1", got.Events[0].Capacity)
	}
	if s := statusesOf(t, f); s != "Ann A confirmed, Ben B waitlisted" {
		t.Fatalf("after the failed save: %s", s)
	}
	if k := f.kindsTo(t, "ben.b@example.org"); k != "booking_waitlisted" {
		t.Fatalf("Ben's mail: %s", k)
	}
}

// statusesOf lists the first event's bookings as "Name status, …".
func statusesOf(t *testing.T, f *noticeFixture) string {
	t.Helper()
	list, err := f.svc.List(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range list {
		out = append(out, b.Name+" "+string(b.Status))
	}
	return strings.Join(out, ", ")
}

// TestBookingAgainstAChangedDate: a booking whose page read the date
// before a save moved it (the save told only the people booked then) is
// taken against the date as it now is, so its confirmation and calendar
// entry say the new day.
func TestBookingAgainstAChangedDate(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 5, nil)
	stale := f.event // what the booking page read: Wednesday 20 May
	if err := f.edit(t, func(e *catalog.Event) { e.Days[0].Date = date(2026, 5, 27) }); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.BookEvent(ctx, &f.course, &stale, f.request("Ann A"), participant)
	if err != nil {
		t.Fatal(err)
	}
	if res.Booking.Status != booking.Confirmed {
		t.Fatalf("status %s, want confirmed", res.Booking.Status)
	}
	got := f.messages(t, "booking_confirmed", "ann.a@example.org")
	if len(got) != 1 {
		t.Fatalf("%d confirmations, want 1", len(got))
	}
	if !strings.Contains(got[0].Text, "Wednesday 27 May 2026") || strings.Contains(got[0].Text, "20 May") {
		t.Errorf("the confirmation does not give the date as it now is:\n%s", got[0].Text)
	}
	if len(got[0].Attachments) != 1 || !strings.Contains(string(got[0].Attachments[0].Data), "DTSTART;TZID=Europe/London:20260527T") {
		t.Errorf("the calendar entry is not for 27 May")
	}
}

// askRegistration saves the course with a new question, a registration
// number, and a rule refusing anyone who leaves it blank, and with title
// when it is not empty; the date is left as it was.
func (f *noticeFixture) askRegistration(t *testing.T, title string) {
	t.Helper()
	c, err := f.store.CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if title != "" {
		c.Title = title
	}
	c.Questions = append(c.Questions, catalog.Question{Key: "registration", Label: "Registration number", Kind: catalog.TextAnswer})
	c.Rules = append(c.Rules, catalog.Rule{Outcome: catalog.Refuse, Message: "Only registered practitioners can book.",
		Conditions: []catalog.Condition{{Question: "registration", Op: catalog.OpMissing}}})
	if _, err := f.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
}

// TestBookingAgainstAChangedCourse: a booking whose course was read before
// a save changed the course but not the date (the booking form's POST may
// take the course from the cache, catalog.Store.EventRecent) is judged
// and written against the course as it now is: a rule added since refuses
// it, and a booking that meets the rule is confirmed under the new title.
func TestBookingAgainstAChangedCourse(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 5, nil)
	staleCourse, staleEvent := f.course, f.event
	f.askRegistration(t, "Renamed refresher")
	_, now, err := f.store.Event(ctx, staleEvent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if now.Version != staleEvent.Version {
		t.Fatalf("the save raised the date's version (%d to %d): only the course's should tell", staleEvent.Version, now.Version)
	}

	_, err = f.svc.BookEvent(ctx, &staleCourse, &staleEvent, f.request("Ann A"), participant)
	var ferr booking.FormError
	if !errors.As(err, &ferr) || !strings.Contains(ferr[booking.AnswerField("registration")], "Only registered practitioners") {
		t.Fatalf("booking without the answer the new rule asks for: %v, want the new rule's refusal beside the new question", err)
	}
	req := f.request("Ben B")
	req.Answers = map[string]string{"registration": "AB12345"}
	res, err := f.svc.BookEvent(ctx, &staleCourse, &staleEvent, req, participant)
	if err != nil {
		t.Fatal(err)
	}
	if res.Booking.Status != booking.Confirmed || res.Booking.Answers["registration"] != "AB12345" {
		t.Fatalf("status %s, answers %v: want confirmed with the answer kept", res.Booking.Status, res.Booking.Answers)
	}
	got := f.messages(t, "booking_confirmed", "ben.b@example.org")
	if len(got) != 1 || !strings.Contains(got[0].Subject+got[0].Text, "Renamed refresher") {
		t.Fatalf("the confirmation does not name the course as it now is: %+v", got)
	}
}

// TestBatchRunAgainJudgesAgainstTheCurrentCourse: in a batch that must run
// again with savepoints (the database refuses Eve's booking row when the
// batch writes), a request whose course was out of date and which the
// current course refuses is refused on the second run too: each run
// judges the request from what it brought, not from the course an earlier
// run read for it.
func TestBatchRunAgainJudgesAgainstTheCurrentCourse(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 5, nil)
	staleCourse, staleEvent := f.course, f.event
	f.askRegistration(t, "")
	refuseRow(t, f.db, "bookings", "name", "Eve E")
	answered := func(name string) booking.Request {
		r := f.request(name)
		r.Answers = map[string]string{"registration": "AB12345"}
		return r
	}
	id := staleEvent.ID
	release := booking.HoldDate(f.svc, id)
	type outcome struct {
		res *booking.Result
		err error
	}
	var done []chan outcome
	queue := func(req booking.Request) {
		c := make(chan outcome, 1)
		done = append(done, c)
		go func() {
			res, err := f.svc.BookEvent(ctx, &staleCourse, &staleEvent, req, participant)
			c <- outcome{res, err}
		}()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 30 s for %s", what)
			}
		}
	}
	queue(answered("Ann A")) // leads a batch of one, waiting for the lock
	waitFor("Ann to lead", func() bool { n, led := booking.Queued(f.svc, id); return n == 0 && led })
	for i, req := range []booking.Request{f.request("Bob B"), answered("Eve E"), answered("Gus G")} {
		queue(req)
		waitFor("the queue to grow", func() bool { n, _ := booking.Queued(f.svc, id); return n == i+1 })
	}
	release()
	got := make([]outcome, len(done))
	for i, c := range done {
		got[i] = <-c
	}
	if n := booking.BatchRedos(f.svc); n != 1 {
		t.Fatalf("batches run again: %d, want 1 (Eve's row refused)", n)
	}
	if !isField(got[1].err, booking.AnswerField("registration")) {
		t.Fatalf("Bob, without the answer the current course asks for: %v (booked %+v), want the new rule's refusal",
			got[1].err, got[1].res.Booking)
	}
	if got[2].err == nil {
		t.Fatalf("Eve, whose row the database refuses: booked %+v", got[2].res.Booking)
	}
	for _, o := range []outcome{got[0], got[3]} {
		if o.err != nil || o.res.Booking.Status != booking.Confirmed {
			t.Fatalf("Ann and Gus: %v, %s; want confirmed", o.err, o.res.Booking.Status)
		}
	}
}

// TestPasscodeChangeWhileTheDateRuns: new meeting details during a date
// that has started (the link breaks at lunch) reach the people on it at
// once, in new joining instructions; the notice never promises them for
// a day that has passed.
func TestPasscodeChangeWhileTheDateRuns(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), date(2026, 5, 20), 5, nil)
	f.book(t, "Ann A")
	f.at(f.svc.JoiningSendAt(f.course, f.event))
	if n := f.sendDue(t); n != 1 {
		t.Fatalf("SendDue: queued %d, want 1", n)
	}
	f.at(f.event.StartsAt.Add(2 * time.Hour))
	f.confirm = true // a change on the day is late
	if err := f.edit(t, func(e *catalog.Event) { e.Meeting.Passcode = "NEW-PASS-123" }); err != nil {
		t.Fatalf("change: %v", err)
	}
	if got := f.kindsTo(t, "ann.a@example.org"); got != "booking_confirmed,joining,event_changed,joining" {
		t.Fatalf("Ann: got %s", got)
	}
	notice := f.messages(t, "event_changed", "ann.a@example.org")[0]
	if strings.Contains(notice.Text, "will reach you on") {
		t.Errorf("the notice promises joining instructions for a day that has begun:\n%s", notice.Text)
	}
	j := f.messages(t, "joining", "ann.a@example.org")[1]
	if !strings.Contains(f.everything(t, j), "NEW-PASS-123") {
		t.Errorf("the new joining instructions lack the new passcode")
	}
}
