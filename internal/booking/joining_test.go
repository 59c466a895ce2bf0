package booking_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

func date(y int, m time.Month, d int) catalog.Date { return catalog.Date{Year: y, Month: m, Day: d} }

// TestJoiningSendAt checks the send time against bank holidays, regions
// and both clock changes, as an instant: 09:00 BST is 08:00 UTC and 09:00
// GMT is 09:00 UTC.
func TestJoiningSendAt(t *testing.T) {
	t.Parallel()
	cal, err := workdays.New(workdays.EnglandWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	scotCal, err := workdays.New(workdays.Scotland, nil)
	if err != nil {
		t.Fatal(err)
	}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		name    string
		cal     *workdays.Calendar
		joining catalog.Clock
		lead    int
		region  string
		day     catalog.Date
		want    time.Time
	}{
		{"plain Wednesday, summer", cal, catalog.Clock{}, 1, "", date(2026, 6, 10), utc(2026, 6, 9, 8, 0)},
		{"plain Wednesday, winter", cal, catalog.Clock{}, 1, "", date(2026, 2, 11), utc(2026, 2, 10, 9, 0)},
		// 29 March 2026: the clocks go forward.
		{"Monday after spring forward: sent the Friday before, in GMT", cal, catalog.Clock{}, 1, "", date(2026, 3, 30), utc(2026, 3, 27, 9, 0)},
		{"Wednesday after spring forward: sent in BST", cal, catalog.Clock{}, 1, "", date(2026, 4, 1), utc(2026, 3, 31, 8, 0)},
		// 25 October 2026: the clocks go back.
		{"Monday after fall back: sent the Friday before, in BST", cal, catalog.Clock{}, 1, "", date(2026, 10, 26), utc(2026, 10, 23, 8, 0)},
		{"Tuesday after fall back: sent in GMT", cal, catalog.Clock{}, 1, "", date(2026, 10, 27), utc(2026, 10, 26, 9, 0)},
		// Easter 2026: Good Friday 3 April, Easter Monday 6 April.
		{"Tuesday after Easter", cal, catalog.Clock{}, 1, "", date(2026, 4, 7), utc(2026, 4, 2, 8, 0)},
		{"Tuesday after Easter in Scotland (no Easter Monday)", cal, catalog.Clock{}, 1, "scotland", date(2026, 4, 7), utc(2026, 4, 6, 8, 0)},
		{"Scotland by the install's default", scotCal, catalog.Clock{}, 1, "", date(2026, 4, 7), utc(2026, 4, 6, 8, 0)},
		{"an event's own region beats the default", scotCal, catalog.Clock{}, 1, "england-and-wales", date(2026, 4, 7), utc(2026, 4, 2, 8, 0)},
		// Christmas 2026: Boxing Day is a Saturday, so Monday 28 December
		// is the substitute; 1 January 2027 is a Friday, and Scotland's
		// 2 January (a Saturday) moves to Monday 4 January.
		{"Monday after New Year", cal, catalog.Clock{}, 1, "", date(2027, 1, 4), utc(2026, 12, 31, 9, 0)},
		{"Tuesday after New Year", cal, catalog.Clock{}, 1, "", date(2027, 1, 5), utc(2027, 1, 4, 9, 0)},
		{"Tuesday after New Year in Scotland", cal, catalog.Clock{}, 1, "scotland", date(2027, 1, 5), utc(2026, 12, 31, 9, 0)},
		{"three working days over Christmas", cal, catalog.Clock{}, 3, "", date(2026, 12, 30), utc(2026, 12, 23, 9, 0)},
		{"lead 0 on a working day: that morning", cal, catalog.Clock{}, 0, "", date(2026, 6, 10), utc(2026, 6, 10, 8, 0)},
		{"a different joining time", cal, catalog.Clock{Minutes: 7*60 + 30, Valid: true}, 2, "", date(2026, 6, 10), utc(2026, 6, 8, 6, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := booking.NewService(booking.Options{Workdays: tt.cal, JoiningTime: tt.joining})
			c := catalog.Course{JoiningLeadDays: tt.lead}
			e := catalog.Event{TimeZone: catalog.DefaultTimeZone, Region: tt.region,
				Days: []catalog.Day{{Date: tt.day, Start: catalog.Clock{Minutes: 600, Valid: true}, End: catalog.Clock{Minutes: 1020, Valid: true}}}}
			if got := svc.JoiningSendAt(c, e); !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// noticeFixture is a course, a service and a real outbox (on an
// insert-only job client, so nothing is sent), on a fake clock, with the
// service's change hook registered on the store.
type noticeFixture struct {
	*fixture
	store   *catalog.Store
	outbox  *messaging.Outbox
	confirm bool // edit confirms late changes (SaveOptions.ConfirmLate)
}

// newNoticeFixture saves a course with one online event on day (10:00–17:00
// UK time, capacity places) and sets the clock to 09:00 UTC on start.
func newNoticeFixture(t *testing.T, start time.Time, day catalog.Date, capacity int, mutate func(c *catalog.Course)) *noticeFixture {
	t.Helper()
	db := dbtest.New(t)
	clk := &clock{t: start}
	c := catalogtest.NewCourse(start)
	c.Waitlist = true
	c.Events[0].Capacity = capacity
	c.Events[0].Days[0].Date = day
	if mutate != nil {
		mutate(&c)
	}
	if _, err := catalog.NewStore(db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&c}, catalogtest.Options(clk.Now())); err != nil {
		t.Fatal(err)
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Now: clk.Now, Renderer: mailRenderer(t)})
	f := &noticeFixture{outbox: out}
	f.store = catalog.NewStore(db, catalog.Hooks{EventSaved: func(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
		return f.svc.EventSaved(ctx, tx, ev)
	}})
	f.fixture = &fixture{db: db, clock: clk, course: c, event: c.Events[0], svc: f.newService(db, f.store, out, clk)}
	return f
}

// newService returns a service as a restarted process would build it.
func (f *noticeFixture) newService(db *database.DB, store *catalog.Store, out *messaging.Outbox, clk *clock) *booking.Service {
	return booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: out, BaseURL: "https://training.example",
		Organizer: "noreply@training.example", Now: clk.Now, MinNoticeWorkingDays: 10})
}

// messages returns the messages of kind (all kinds when empty) to the
// address, oldest first.
func (f *noticeFixture) messages(t *testing.T, kind, to string) []messaging.Message {
	t.Helper()
	list, err := f.outbox.List(ctx, messaging.ListFilter{Kind: kind, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []messaging.Message
	for i := len(list) - 1; i >= 0; i-- {
		if to == "" || list[i].ToEmail == to {
			out = append(out, list[i])
		}
	}
	return out
}

// kindsTo lists the kinds of the messages to an address, oldest first.
func (f *noticeFixture) kindsTo(t *testing.T, to string) string {
	t.Helper()
	var k []string
	for _, m := range f.messages(t, "", to) {
		k = append(k, m.Kind)
	}
	return strings.Join(k, ",")
}

// calendarOf returns a message's calendar attachment, or "".
func (f *noticeFixture) calendarOf(t *testing.T, m messaging.Message) string {
	t.Helper()
	full, err := f.outbox.Message(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range full.Attachments {
		if strings.HasPrefix(a.ContentType, "text/calendar") {
			return string(a.Data)
		}
	}
	return ""
}

func (f *noticeFixture) sendDue(t *testing.T) int {
	t.Helper()
	n, err := f.svc.SendDue(ctx, job)
	if err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	return n
}

// edit re-imports the course with the event changed by fn, at the clock's
// time, as `plenary import` would.
func (f *noticeFixture) edit(t *testing.T, fn func(e *catalog.Event)) error {
	t.Helper()
	c, err := f.store.CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	fn(&c.Events[0])
	_, err = f.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: f.clock.Now(), ConfirmLate: f.confirm})
	return err
}

func (f *noticeFixture) at(t time.Time) { f.clock.mu.Lock(); f.clock.t = t; f.clock.mu.Unlock() }

// TestSendDueAcrossClockChanges schedules joining instructions for events
// in the weeks after both clock changes and checks that nothing goes a
// minute early, exactly one goes to each confirmed booking at the time,
// and running again (or after a restart) sends nothing more.
func TestSendDueAcrossClockChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		day    catalog.Date
		sendAt time.Time
		zone   string // of the event's day, in the mail
	}{
		{"spring forward", date(2026, 3, 30), time.Date(2026, 3, 27, 9, 0, 0, 0, time.UTC), "UK time (BST)"},
		{"fall back", date(2026, 10, 27), time.Date(2026, 10, 26, 9, 0, 0, 0, time.UTC), "UK time (GMT)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newNoticeFixture(t, tt.sendAt.AddDate(0, 0, -20), tt.day, 2, nil)
			if got := f.svc.JoiningSendAt(f.course, f.event); !got.Equal(tt.sendAt) {
				t.Fatalf("JoiningSendAt: got %v, want %v", got, tt.sendAt)
			}
			ann := f.book(t, "Ann A")
			f.book(t, "Ben B")
			f.book(t, "Cal C") // waitlisted, then moved up when Ann cancels
			if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
				t.Fatal(err)
			}
			f.book(t, "Dee D") // waitlisted

			f.at(tt.sendAt.Add(-time.Minute))
			if n := f.sendDue(t); n != 0 {
				t.Fatalf("a minute early: queued %d", n)
			}
			f.at(tt.sendAt)
			if n := f.sendDue(t); n != 2 {
				t.Fatalf("at the send time: queued %d, want 2 (Ben and Cal)", n)
			}
			if n := f.sendDue(t); n != 0 {
				t.Fatalf("second run: queued %d more", n)
			}
			f.svc = f.newService(f.db, f.store, f.outbox, f.clock)
			f.at(tt.sendAt.Add(time.Hour))
			if n := f.sendDue(t); n != 0 {
				t.Fatalf("after a restart: queued %d more", n)
			}
			for _, who := range []string{"ann.a", "dee.d"} {
				if got := f.messages(t, "joining", who+"@example.org"); len(got) != 0 {
					t.Errorf("%s got joining instructions", who)
				}
			}
			got := f.messages(t, "joining", "ben.b@example.org")
			if len(got) != 1 {
				t.Fatalf("Ben: %d joining e-mails, want 1", len(got))
			}
			m := got[0]
			for _, want := range []string{"https://zoom.example/j/123", "Meeting ID: 123 456", "Passcode: secret-passcode",
				"10:00–17:00 " + tt.zone, "https://training.example/system-check", "https://training.example/bookings/",
				"09:30 Registration"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("joining text lacks %q:\n%s", want, m.Text)
				}
			}
			if m.DedupeKey == "" || !strings.HasSuffix(m.DedupeKey, "/1") || !strings.HasPrefix(m.DedupeKey, "joining/") {
				t.Errorf("dedupe key %q, want joining/<booking>/1", m.DedupeKey)
			}
			ics := f.calendarOf(t, m)
			if !strings.Contains(ics, "METHOD:REQUEST") || !strings.Contains(ics, "Passcode: secret-passcode") {
				t.Errorf("joining calendar is not a REQUEST with the meeting details:\n%s", ics)
			}
		})
	}
}

// TestLateBookingGetsJoiningAtOnce books after the send time: the joining
// instructions are queued with the confirmation, also for someone moved up
// from the waiting list; the waiting list and the cancelled get none.
func TestLateBookingGetsJoiningAtOnce(t *testing.T) {
	t.Parallel()
	day := date(2026, 6, 10)
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), day, 1, nil)
	f.at(f.svc.JoiningSendAt(f.course, f.event).Add(time.Hour))
	ann := f.book(t, "Ann A")
	f.book(t, "Ben B")
	if got := f.kindsTo(t, "ann.a@example.org"); got != "booking_confirmed,joining" {
		t.Fatalf("Ann: got %s, want booking_confirmed,joining", got)
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted" {
		t.Fatalf("Ben: got %s, want booking_waitlisted", got)
	}
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted,booking_moved_up,joining" {
		t.Fatalf("Ben after moving up: got %s", got)
	}
	if n := f.sendDue(t); n != 0 {
		t.Fatalf("SendDue after the late bookings: queued %d more", n)
	}
	if got := f.kindsTo(t, "ann.a@example.org"); got != "booking_confirmed,joining,booking_cancelled" {
		t.Fatalf("Ann after cancelling: got %s", got)
	}
}

// TestEventChangeSendsNoticeAndNewJoining moves an event's start after
// the joining instructions went: confirmed people get the change, old →
// new, an updated invitation (same UID, SEQUENCE 4) and new joining
// instructions; the waiting list gets the change alone.
func TestEventChangeSendsNoticeAndNewJoining(t *testing.T) {
	t.Parallel()
	day := date(2026, 5, 20)
	f := newNoticeFixture(t, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), day, 1, func(c *catalog.Course) {
		c.JoiningLeadDays = 15 // sent well outside the notice window
	})
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	f.at(f.svc.JoiningSendAt(f.course, f.event))
	if n := f.sendDue(t); n != 1 {
		t.Fatalf("SendDue: queued %d, want 1", n)
	}
	if err := f.edit(t, func(e *catalog.Event) { e.Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true} }); err != nil {
		t.Fatalf("change: %v", err)
	}
	if got := f.kindsTo(t, "ann.a@example.org"); got != "booking_confirmed,joining,event_changed,joining" {
		t.Fatalf("Ann: got %s", got)
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted,event_changed" {
		t.Fatalf("Ben: got %s", got)
	}
	changed := f.messages(t, "event_changed", "ann.a@example.org")[0]
	for _, want := range []string{"Times", "was: 10:00–17:00 UK time (BST)", "now: 11:00–17:00 UK time (BST)"} {
		if !strings.Contains(changed.Text, want) {
			t.Errorf("change notice lacks %q:\n%s", want, changed.Text)
		}
	}
	if strings.Contains(changed.Text, "free of charge") {
		t.Errorf("a change with notice offers free cancellation:\n%s", changed.Text)
	}
	ics := strings.ReplaceAll(f.calendarOf(t, changed), "\r\n ", "") // unfolded
	uid := "UID:event-" + strconv.FormatInt(f.event.ID, 10) + "-day-1@training.example"
	for _, want := range []string{"METHOD:REQUEST", "SEQUENCE:4", uid, "T110000", "ATTENDEE;CN=", "mailto:ann.a@example.org"} {
		if !strings.Contains(ics, want) {
			t.Errorf("updated calendar lacks %q:\n%s", want, ics)
		}
	}
	if ics := f.calendarOf(t, f.messages(t, "event_changed", "ben.b@example.org")[0]); ics != "" {
		t.Errorf("the waiting list got a calendar entry")
	}
	joining := f.messages(t, "joining", "ann.a@example.org")
	if !strings.HasSuffix(joining[1].DedupeKey, "/2") || !strings.Contains(joining[1].Text, "replace the ones we sent before") ||
		!strings.Contains(joining[1].Text, "11:00–17:00 UK time (BST)") {
		t.Errorf("new joining instructions: key %s\n%s", joining[1].DedupeKey, joining[1].Text)
	}
	// The job sees nothing more to send for version 2.
	if n := f.sendDue(t); n != 0 {
		t.Fatalf("SendDue after the change: queued %d", n)
	}
}

// TestLateChangeNeedsConfirmation changes an event the working day before
// it: unconfirmed, the whole save rolls back and nothing is sent;
// confirmed, the notice offers free cancellation.
func TestLateChangeNeedsConfirmation(t *testing.T) {
	t.Parallel()
	day := date(2026, 6, 10) // a Wednesday
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), day, 5, nil)
	f.book(t, "Ann A")
	f.at(time.Date(2026, 6, 9, 10, 0, 0, 0, time.UTC)) // Tuesday, after the joining time; SendDue has not run
	c, err := f.store.CourseBySlug(ctx, f.course.Slug)
	if err != nil {
		t.Fatal(err)
	}
	c.Title = "Renamed"
	c.Events[0].Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true}
	_, err = f.store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(f.clock.Now()))
	if !errors.Is(err, booking.ErrLateChange) || !strings.Contains(err.Error(), "Wednesday 10 June 2026") ||
		!strings.Contains(err.Error(), "10-working-day") {
		t.Fatalf("unconfirmed late change: got %v, want ErrLateChange naming the date and the window", err)
	}
	got, _ := f.store.CourseBySlug(ctx, f.course.Slug)
	if got.Title != f.course.Title || got.Events[0].Version != 1 || got.Events[0].Days[0].Start.Minutes != 600 {
		t.Fatalf("after the refused change: title %q version %d", got.Title, got.Events[0].Version)
	}
	if k := f.kindsTo(t, "ann.a@example.org"); k != "booking_confirmed" {
		t.Fatalf("mail after the refused change: %s", k)
	}
	f.confirm = true
	if err := f.edit(t, func(e *catalog.Event) { e.Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true} }); err != nil {
		t.Fatalf("confirmed late change: %v", err)
	}
	m := f.messages(t, "event_changed", "ann.a@example.org")
	if len(m) != 1 || !strings.Contains(m[0].Text, "cancel free of charge") {
		t.Fatalf("late change notice: %d messages\n%v", len(m), m)
	}
	// Joining instructions were due (the send time passed) and go now,
	// for the new version.
	if j := f.messages(t, "joining", "ann.a@example.org"); len(j) != 1 || !strings.HasSuffix(j[0].DedupeKey, "/2") {
		t.Fatalf("joining after a late change: %v", j)
	}
}

// TestLateChangeWithoutBookings needs no confirmation: nobody is told, so
// there is nothing to confirm; nor does a correction to a date that is
// over.
func TestLateChangeWithoutBookings(t *testing.T) {
	t.Parallel()
	day := date(2026, 6, 10)
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), day, 5, nil)
	f.at(time.Date(2026, 6, 9, 10, 0, 0, 0, time.UTC))
	if err := f.edit(t, func(e *catalog.Event) { e.Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true} }); err != nil {
		t.Fatalf("late change with no bookings: %v", err)
	}
	f.book(t, "Ann A")
	f.at(time.Date(2026, 6, 20, 10, 0, 0, 0, time.UTC)) // the date is over
	if err := f.edit(t, func(e *catalog.Event) { e.Days[0].End = catalog.Clock{Minutes: 16 * 60, Valid: true} }); err != nil {
		t.Fatalf("correction after the date: %v", err)
	}
	if k := f.kindsTo(t, "ann.a@example.org"); strings.Contains(k, "event_changed") {
		t.Fatalf("a correction after the date was announced: %s", k)
	}
}

// TestCancelledEventSendsCancellation cancels an event: everyone active is
// cancelled and told, those with an invitation get METHOD:CANCEL, an
// invoiced fee becomes refund due and nobody moves up.
func TestCancelledEventSendsCancellation(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), date(2026, 6, 10), 1, nil)
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	if err := f.edit(t, func(e *catalog.Event) { e.Status = catalog.Cancelled }); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.List(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.Status != booking.Cancelled {
			t.Errorf("%s: got %s, want cancelled", b.Name, b.Status)
		}
	}
	if list[0].Payment != booking.RefundDue || list[1].Payment != booking.NoPayment {
		t.Errorf("payments: got %s and %s, want refund_due and none", list[0].Payment, list[1].Payment)
	}
	ann := f.messages(t, "event_cancelled", "ann.a@example.org")
	if len(ann) != 1 || !strings.Contains(ann[0].Text, "Invoice INV-000001 is cancelled") {
		t.Fatalf("Ann's cancellation: %v", ann)
	}
	if ics := f.calendarOf(t, ann[0]); !strings.Contains(ics, "METHOD:CANCEL") || !strings.Contains(ics, "SEQUENCE:6") {
		t.Errorf("Ann's calendar is not a CANCEL with SEQUENCE 6 (version 2, cancelled: 3×2):\n%s", ics)
	}
	ben := f.messages(t, "event_cancelled", "ben.b@example.org")
	if len(ben) != 1 || f.calendarOf(t, ben[0]) != "" || !strings.Contains(ben[0].Text, "waiting list") {
		t.Fatalf("Ben's cancellation: %v", ben)
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted,event_cancelled" {
		t.Errorf("Ben moved up or got more: %s", got)
	}
	f.at(f.svc.JoiningSendAt(f.course, f.event))
	if n := f.sendDue(t); n != 0 {
		t.Errorf("SendDue on a cancelled event: queued %d", n)
	}
}

// TestRemindersAndThanks checks the reminder and the thank-you go at their
// time, once each.
func TestRemindersAndThanks(t *testing.T) {
	t.Parallel()
	day := date(2026, 6, 10)
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), day, 1, func(c *catalog.Course) {
		c.ReminderDaysBefore = 7
		c.FeedbackURL = "https://forms.example.org/feedback/dit"
	})
	f.book(t, "Ann A")
	f.book(t, "Ben B") // waitlisted: no reminder, no thanks
	remindAt := f.svc.ReminderAt(f.course, f.event)
	if want := time.Date(2026, 6, 3, 8, 0, 0, 0, time.UTC); !remindAt.Equal(want) {
		t.Fatalf("ReminderAt: got %v, want %v", remindAt, want)
	}
	f.at(remindAt.Add(-time.Minute))
	if n := f.sendDue(t); n != 0 {
		t.Fatalf("before the reminder: queued %d", n)
	}
	f.at(remindAt)
	if n := f.sendDue(t); n != 1 {
		t.Fatalf("at the reminder time: queued %d, want 1", n)
	}
	if n := f.sendDue(t); n != 0 {
		t.Fatalf("again: queued %d", n)
	}
	r := f.messages(t, "reminder", "ann.a@example.org")
	if len(r) != 1 || !strings.Contains(r[0].Text, "starts in 7 days") {
		t.Fatalf("reminder: %v", r)
	}
	f.at(f.event.StartsAt.Add(-time.Minute))
	f.sendDue(t) // the joining instructions, due since the day before
	if n := len(f.messages(t, "thanks", "")); n != 0 {
		t.Fatalf("thanks before the end: %d", n)
	}
	f.at(f.event.EndsAt.Add(time.Hour))
	if n := f.sendDue(t); n != 1 {
		t.Fatalf("after the end: queued %d, want 1", n)
	}
	f.at(f.event.EndsAt.Add(48 * time.Hour))
	if n := f.sendDue(t); n != 0 {
		t.Fatalf("two days after: queued %d", n)
	}
	// The thank-you links the course's feedback form.
	if th := f.messages(t, "thanks", "ann.a@example.org"); len(th) != 1 || !strings.Contains(th[0].Text, "https://forms.example.org/feedback/dit") {
		t.Errorf("the thank-you lacks the course's feedback link: %v", th)
	}
	if got := f.kindsTo(t, "ann.a@example.org"); got != "booking_confirmed,reminder,joining,thanks" {
		t.Errorf("Ann: got %s", got)
	}
	// Meeting details reach people only in joining instructions: no other
	// message's stored data (kept until the send job renders it) or content
	// holds them.
	rows, err := f.db.QueryContext(ctx, `SELECT kind, render_data, text_body, html_body FROM messages WHERE kind <> 'joining'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, data, text, html string
		if err := rows.Scan(&kind, &data, &text, &html); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"secret-passcode", "zoom.example/j/123"} {
			if strings.Contains(data+text+html, secret) {
				t.Errorf("a %s message holds %q", kind, secret)
			}
		}
	}
	if got := f.kindsTo(t, "ben.b@example.org"); got != "booking_waitlisted" {
		t.Errorf("Ben: got %s", got)
	}
}

// TestThanksNotForOldEvents checks a new install does not thank people
// for events that ended more than a week ago.
func TestThanksNotForOldEvents(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), date(2026, 6, 10), 5, nil)
	f.book(t, "Ann A")
	f.at(f.event.EndsAt.Add(8 * 24 * time.Hour))
	if n := f.sendDue(t); n != 0 {
		t.Fatalf("eight days after: queued %d", n)
	}
}

// TestScheduleAndMailFailing checks what coordinators see: the send times,
// each booking's joining state, and an address whose mail failed.
func TestScheduleAndMailFailing(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), date(2026, 6, 10), 1, func(c *catalog.Course) {
		c.ReminderDaysBefore = 2
	})
	f.book(t, "Ann A")
	f.book(t, "Ben B")
	s, err := f.svc.Schedule(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !s.JoiningAt.Equal(time.Date(2026, 6, 9, 8, 0, 0, 0, time.UTC)) || !s.ReminderAt.Equal(time.Date(2026, 6, 8, 8, 0, 0, 0, time.UTC)) ||
		len(s.Bookings) != 2 || s.Bookings[0].Status != "" {
		t.Fatalf("schedule before sending: %+v", s)
	}
	f.at(s.JoiningAt)
	f.sendDue(t)
	if _, err := f.db.ExecContext(ctx, `UPDATE messages SET status = 'failed', attempts = 25, last_error = 'mailbox unavailable'
		WHERE kind = 'joining'`); err != nil {
		t.Fatal(err)
	}
	s, err = f.svc.Schedule(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	a := s.Bookings[0]
	if a.Status != messaging.Failed || a.LastError != "mailbox unavailable" || a.Attempts != 25 || !a.Booking.MailFailing {
		t.Fatalf("Ann's joining state: %+v", a)
	}
	if s.Bookings[1].Status != "" || s.Bookings[1].Booking.MailFailing {
		t.Fatalf("Ben's joining state: %+v", s.Bookings[1])
	}
	list, _ := f.svc.List(ctx, f.event.ID)
	if !list[0].MailFailing || list[1].MailFailing {
		t.Fatalf("List: mail failing %v, %v; want true, false", list[0].MailFailing, list[1].MailFailing)
	}
	// A later message that goes through clears the mark.
	if _, err := f.db.ExecContext(ctx, `UPDATE messages SET status = 'sent' WHERE kind = 'reminder'`); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.List(ctx, f.event.ID); list[0].MailFailing {
		t.Fatalf("still failing after a later message was sent")
	}
}
