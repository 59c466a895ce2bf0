package booking_test

import (
	"errors"
	"strings"
	"testing"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// catalogtestCourse saves another published course (slug) with one date
// in the fixture's database, after mutate.
func catalogtestCourse(f *fixture, slug string, mutate func(c *catalog.Course)) catalog.Course {
	c := catalogtest.NewCourse(f.clock.Now())
	c.Slug, c.Title = slug, "Course "+slug
	if mutate != nil {
		mutate(&c)
	}
	if _, err := catalog.NewStore(f.db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&c}, catalogtest.Options(f.clock.Now())); err != nil {
		panic(err)
	}
	return c
}

// twoDates adds a second date to the fixture's course, a week after the
// first, with capacity places (and the same fee), and returns it.
func twoDates(capacity int) func(c *catalog.Course) {
	return func(c *catalog.Course) {
		e := c.Events[0]
		e.Ref, e.Capacity = "second", capacity
		e.Days = []catalog.Day{e.Days[0]}
		e.Days[0].Date = e.Days[0].Date.AddDays(7)
		c.Events = append(c.Events, e)
	}
}

func (f *fixture) second() catalog.Event { return f.course.Events[1] }

// TestMove moves a confirmed, paid booking to the course's other date: one
// step that cancels the old booking (linked to the new one), frees its
// place to the first person waiting, books the new date with the invoice
// moving along, records both sides with the reason, and e-mails the person
// once with an invitation to the new date and a cancellation of the old.
func TestMove(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, twoDates(3))
	ann := f.book(t, "Ann A")
	ben := f.book(t, "Ben B") // waits on the full first date
	if ann.Booking.Status != booking.Confirmed || ann.Booking.InvoiceNumber == 0 || ben.Booking.Status != booking.Waitlisted {
		t.Fatalf("setting up: Ann %s invoice %d, Ben %s", ann.Booking.Status, ann.Booking.InvoiceNumber, ben.Booking.Status)
	}
	coord := operator
	if _, err := f.svc.Move(ctx, ann.Booking.ID, f.second().ID, coord, booking.MoveOptions{}); !isField(err, "reason") {
		t.Fatalf("move without a reason: got %v, want a FormError on reason", err)
	}
	moved, err := f.svc.Move(ctx, ann.Booking.ID, f.second().ID, coord, booking.MoveOptions{Reason: "asked by phone"})
	if err != nil {
		t.Fatal(err)
	}
	if moved.EventID != f.second().ID || moved.Status != booking.Confirmed || moved.MovedFrom != ann.Booking.ID ||
		moved.InvoiceNumber != ann.Booking.InvoiceNumber || moved.Payment != booking.Invoice || moved.Amount != 12000 {
		t.Errorf("moved booking: %+v", moved)
	}
	old := f.byID(t, ann.Booking.ID)
	if old.Status != booking.Cancelled || old.MovedTo != moved.ID || old.InvoiceNumber != 0 {
		t.Errorf("old booking: status %s moved to %d invoice %d", old.Status, old.MovedTo, old.InvoiceNumber)
	}
	if got := statuses(t, f)["Ben B"]; got != booking.Confirmed {
		t.Errorf("Ben, first waiting on the old date: %s, want confirmed (the course has no hold period)", got)
	}
	h := history(t, f.db, "booking", ann.Booking.ID)
	last := h[len(h)-1]
	wantEntry(t, last, "booking.move", coord, map[string]any{"status": "confirmed"},
		map[string]any{"status": "cancelled", "moved_to": moved.ID})
	if last.Reason != "asked by phone" {
		t.Errorf("old booking's move entry: reason %q", last.Reason)
	}
	nh := history(t, f.db, "booking", moved.ID)
	if len(nh) != 1 || nh[0].Reason != "asked by phone" {
		t.Fatalf("new booking's history: %+v", nh)
	}
	wantEntry(t, nh[0], "booking.move", coord, nil, map[string]any{"status": "confirmed", "moved_from": ann.Booking.ID})

	if got := strings.Join(f.out.kinds("ann.a@example.org"), " "); got != "booking_confirmed booking_moved" {
		t.Errorf("Ann's mail: %s", got)
	}
	m := f.out.last(t, "booking_moved")
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	c, err := mail.RenderMessage(m.Kind, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Attachments) != 2 || !strings.Contains(string(c.Attachments[0].Data), "METHOD:REQUEST") ||
		!strings.Contains(string(c.Attachments[1].Data), "METHOD:CANCEL") {
		t.Fatalf("moved e-mail's attachments: %d", len(c.Attachments))
	}
	if !strings.Contains(c.Text, "moved your booking from "+f.event.DateLabel()) || !strings.Contains(c.Text, f.second().DateLabel()) {
		t.Errorf("moved e-mail text:\n%s", c.Text)
	}
	// The manage link in it opens the new booking.
	token := c.Text[strings.Index(c.Text, "/bookings/")+len("/bookings/"):]
	token = token[:strings.IndexAny(token, "\r\n")]
	mg, err := f.svc.ByToken(ctx, token)
	if err != nil || mg.Booking.ID != moved.ID {
		t.Errorf("manage link: booking %d, %v; want %d", mg.Booking.ID, err, moved.ID)
	}
}

// TestMoveRefuses covers what a move refuses: the same date, a full date
// (never a silent waiting list), a person already booked there, a booking
// no longer active; each leaves everything as it was.
func TestMoveRefuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, twoDates(1))
	ann, ben := f.book(t, "Ann A"), f.book(t, "Ben B")
	why := booking.MoveOptions{Reason: "test"}
	if _, err := f.svc.Move(ctx, ann.Booking.ID, f.event.ID, operator, why); !errors.Is(err, booking.ErrSameDate) {
		t.Errorf("same date: %v", err)
	}
	if _, err := f.svc.Move(ctx, ann.Booking.ID, f.second().ID, operator, why); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Move(ctx, ben.Booking.ID, f.second().ID, operator, why); !errors.Is(err, booking.ErrNoPlaceOnDate) {
		t.Errorf("full date: %v", err)
	}
	if got := f.byID(t, ben.Booking.ID); got.Status != booking.Confirmed || got.EventID != f.event.ID {
		t.Errorf("Ben after a refused move: %s on %d", got.Status, got.EventID)
	}
	if _, err := f.svc.Move(ctx, ann.Booking.ID, f.second().ID, operator, why); !errors.Is(err, booking.ErrNotActive) {
		t.Errorf("moving a cancelled (moved) booking: %v", err)
	}
	if _, err := f.svc.Move(ctx, ben.Booking.ID, 999999, operator, why); !errors.Is(err, booking.ErrEventUnavailable) {
		t.Errorf("unknown date: %v", err)
	}
	// Back to the first date where Ann is free again; but Ben is there.
	cal := f.book(t, "Cal C")
	if _, err := f.svc.CancelByID(ctx, cal.Booking.ID, operator, booking.CancelOptions{Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	// A second booking by the same address on the target date.
	req := f.request("Ben B")
	req.EventID = f.second().ID
	if _, err := f.svc.Book(ctx, req, participant); err != nil { // waits: the second date is full
		t.Fatal(err)
	}
	if _, err := f.svc.Move(ctx, ben.Booking.ID, f.second().ID, operator, why); !errors.Is(err, booking.ErrAlreadyBookedThere) {
		t.Errorf("already booked there: %v", err)
	}
}

// TestMoveRechecksRules moves a booking to a date of another course whose
// rules send the person's answers to review: the new booking waits for
// it, and the course team is told.
func TestMoveRechecksRules(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	f := newFixture(t, db, 5, withQuestions)
	other := catalogtestCourse(f, "other-course", func(c *catalog.Course) {
		withQuestions(c)
		c.Rules = append(c.Rules, catalog.Rule{Outcome: catalog.Review, Message: "Outside the NHS we check by hand.",
			Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}})
	})
	r := f.answered("Ann A")
	r.Answers["nhs"] = "no"
	ann, err := f.svc.Book(ctx, r, participant)
	if err != nil || ann.Booking.Status != booking.Confirmed {
		t.Fatalf("book: %v %s", err, ann.Booking.Status)
	}
	moved, err := f.svc.Move(ctx, ann.Booking.ID, other.Events[0].ID, operator, booking.MoveOptions{Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if moved.Status != booking.PendingReview || len(moved.ReviewReasons()) != 1 {
		t.Errorf("moved: %s %v, want pending review with the rule's reason", moved.Status, moved.ReviewReasons())
	}
}

func isField(err error, field string) bool {
	var ferr booking.FormError
	if !errors.As(err, &ferr) {
		return false
	}
	_, ok := ferr[field]
	return ok
}

func (f *fixture) byID(t *testing.T, id int64) booking.Booking {
	t.Helper()
	var ev int64
	if err := f.db.QueryRowContext(ctx, `SELECT event_id FROM bookings WHERE id = $1`, id).Scan(&ev); err != nil {
		t.Fatal(err)
	}
	list, err := f.svc.List(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.ID == id {
			return b
		}
	}
	t.Fatalf("booking %d not listed", id)
	return booking.Booking{}
}

func (o *outbox) last(t *testing.T, kind string) (m messaging.Message) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if o.msgs[i].Kind == kind {
			return o.msgs[i]
		}
	}
	t.Fatalf("no %s message", kind)
	return
}

// TestMoveToFreeCourse moves an invoiced booking to a free course: nothing
// is owed there, so the invoice that moves with the person is void.
func TestMoveToFreeCourse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	free := catalogtestCourse(f, "free-course", func(c *catalog.Course) { c.Fees = nil })
	ann := f.book(t, "Ann A")
	moved, err := f.svc.Move(ctx, ann.Booking.ID, free.Events[0].ID, operator, booking.MoveOptions{Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	got := f.byID(t, moved.ID)
	if got.Payment != booking.Waived || got.Amount != 0 || got.InvoiceNumber != ann.Booking.InvoiceNumber ||
		got.InvoiceState() != "fee waived, invoice void" {
		t.Errorf("moved to a free course: payment %s amount %d invoice %d (%q)", got.Payment, got.Amount, got.InvoiceNumber, got.InvoiceState())
	}
}

// TestDeclineMovedIntoReview moves a paid and an invoiced booking to a
// course whose rules send them to review, with their invoices, and
// declines both: the paid fee is due back and the open invoice void, so
// finance sees both; neither stays "paid" or "invoice" on a declined
// booking.
func TestDeclineMovedIntoReview(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, withQuestions)
	other := catalogtestCourse(f, "review-course", func(c *catalog.Course) {
		withQuestions(c)
		c.Rules = append(c.Rules, catalog.Rule{Outcome: catalog.Review, Message: "Outside the NHS we check by hand.",
			Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}})
	})
	book := func(name string) booking.Booking {
		r := f.answered(name)
		r.Answers["nhs"] = "no"
		res, err := f.svc.Book(ctx, r, participant)
		if err != nil || res.Booking.Status != booking.Confirmed || res.Booking.Payment != booking.Invoice {
			t.Fatalf("book %s: %v %s %s", name, err, res.Booking.Status, res.Booking.Payment)
		}
		return res.Booking
	}
	ann, ben := book("Ann A"), book("Ben B")
	today := catalog.DateOf(f.clock.Now().In(f.event.Location()))
	if _, err := f.svc.MarkPaid(ctx, ann.ID, operator, booking.Receipt{Amount: 12000, On: today, Reference: "BACS 9"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		b    booking.Booking
		want booking.Payment
	}{{ann, booking.RefundDue}, {ben, booking.Waived}} {
		moved, err := f.svc.Move(ctx, tc.b.ID, other.Events[0].ID, operator, booking.MoveOptions{Reason: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if moved.Status != booking.PendingReview || moved.InvoiceNumber != tc.b.InvoiceNumber {
			t.Fatalf("%s moved: %s invoice %d", tc.b.Name, moved.Status, moved.InvoiceNumber)
		}
		before := moved.Payment
		declined, err := f.svc.DeclineReview(ctx, moved.ID, operator, "")
		if err != nil {
			t.Fatal(err)
		}
		got := f.byID(t, moved.ID)
		if declined.Payment != tc.want || got.Status != booking.Declined || got.Payment != tc.want {
			t.Errorf("%s declined: returned %s, stored %s %s; want %s", tc.b.Name, declined.Payment, got.Status, got.Payment, tc.want)
		}
		h := history(t, f.db, "booking", moved.ID)
		wantEntry(t, h[len(h)-1], "booking.decline_review", operator, map[string]any{"payment": string(before)},
			map[string]any{"status": "declined", "payment": string(tc.want)})
	}
}

// TestMoveMailSaysWhatItCarries moves a booking from the waiting list to a
// date with a free place: it had no calendar entry and no invoice, so the
// e-mail has one calendar file (the new date) and says only that, and
// names the invoice issued now as one that will follow, not one that
// "moves with you".
func TestMoveMailSaysWhatItCarries(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, twoDates(3))
	f.book(t, "Ann A")
	ben := f.book(t, "Ben B") // waits on the full first date
	if ben.Booking.Status != booking.Waitlisted || ben.Booking.InvoiceNumber != 0 {
		t.Fatalf("setting up: Ben %s invoice %d", ben.Booking.Status, ben.Booking.InvoiceNumber)
	}
	moved, err := f.svc.Move(ctx, ben.Booking.ID, f.second().ID, operator, booking.MoveOptions{Reason: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if moved.Status != booking.Confirmed || moved.InvoiceNumber == 0 {
		t.Fatalf("moved: %s invoice %d", moved.Status, moved.InvoiceNumber)
	}
	m := f.out.last(t, "booking_moved")
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	c, err := mail.RenderMessage(m.Kind, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Attachments) != 1 || !strings.Contains(string(c.Attachments[0].Data), "METHOD:REQUEST") {
		t.Errorf("moved from the waiting list: %d attachments, want the new date's invitation only", len(c.Attachments))
	}
	text := c.Text + c.HTML
	if strings.Contains(text, "removes the old date") || strings.Contains(text, "moves with you") {
		t.Errorf("the e-mail promises what it does not carry:\n%s", c.Text)
	}
	if !strings.Contains(c.Text, "A calendar file for the new date is attached.") ||
		!strings.Contains(c.Text, "Invoice "+moved.InvoiceLabel()+" will follow.") {
		t.Errorf("the e-mail does not say what it carries:\n%s", c.Text)
	}
}
