package booking_test

import (
	"slices"
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
)

// reviewFixture is a course whose review rule sends people outside the NHS
// to a coordinator, booked through the real outbox (so messages are rows
// in the database, queued in the booking's transaction) on a set clock.
type reviewFixture struct {
	db     *database.DB
	svc    *booking.Service
	outbox *messaging.Outbox
	clock  *clock
	course catalog.Course
	event  catalog.Event
}

const reviewReason = "We check eligibility outside the NHS by hand."

func newReviewFixture(t *testing.T, capacity int, staff []string) *reviewFixture {
	t.Helper()
	db := dbtest.New(t)
	// Monday 2 March 2026, 09:00 UK time (GMT).
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c := catalogtest.NewCourse(clk.Now())
	c.Events[0].Capacity = capacity
	c.Events[0].Days[0].Date = catalog.Date{Year: 2026, Month: time.May, Day: 20} // after the weeks the tests walk through
	c.Waitlist, c.OfferHoldHours = true, 48
	withQuestions(&c)
	c.Rules = append(c.Rules, catalog.Rule{Outcome: catalog.Review, Message: reviewReason,
		Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}})
	store := catalog.NewStore(db, catalog.Hooks{})
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(clk.Now())); err != nil {
		t.Fatal(err)
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Now: clk.Now, Renderer: mailRenderer(t)})
	svc := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: out, BaseURL: "https://training.example",
		Now: clk.Now, StaffEmail: staff})
	return &reviewFixture{db: db, svc: svc, outbox: out, clock: clk, course: c, event: c.Events[0]}
}

func (f *reviewFixture) book(t *testing.T, name string, nhs string) booking.Result {
	t.Helper()
	req := booking.Request{EventID: f.event.ID, Name: name, Email: strings.ToLower(strings.Fields(name)[0]) + "@example.org",
		Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true, FeeTier: "Standard",
		Answers: map[string]string{"training_completed": "2021-09-30", "setting": "Private practice", "nhs": nhs}}
	res, err := f.svc.Book(ctx, req, participant)
	if err != nil {
		t.Fatalf("book %s: %v", name, err)
	}
	return res
}

func (f *reviewFixture) messages(t *testing.T, kind string) []messaging.Message {
	t.Helper()
	list, err := f.outbox.List(ctx, messaging.ListFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestReviewReasonsReachThePerson checks that the review rule's message is
// on the booking result, on the stored booking, and in the pending-review
// e-mail.
func TestReviewReasonsReachThePerson(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 5, nil)
	res := f.book(t, "Ann Archer", "no")
	if res.Booking.Status != booking.PendingReview {
		t.Fatalf("got %s, want pending review", res.Booking.Status)
	}
	if len(res.ReviewReasons) != 1 || res.ReviewReasons[0] != reviewReason {
		t.Errorf("Result.ReviewReasons: got %q, want the rule's message", res.ReviewReasons)
	}
	m, err := f.svc.ByToken(ctx, res.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Booking.ReviewReasons(); len(got) != 1 || got[0] != reviewReason {
		t.Errorf("Booking.ReviewReasons(): got %q", got)
	}
	mail := f.messages(t, "booking_pending_review")
	if len(mail) != 1 || !strings.Contains(mail[0].Text, reviewReason) || !strings.Contains(mail[0].HTML, "<li>"+reviewReason+"</li>") {
		t.Fatalf("pending-review e-mail lacks the reason: %+v", mail)
	}
	// A confirmed booking has no reasons.
	if res := f.book(t, "Ben Baker", "yes"); res.ReviewReasons != nil || res.Booking.ReviewReasons() != nil {
		t.Errorf("confirmed booking: got reasons %q", res.ReviewReasons)
	}
}

// TestStaffToldOfReview checks that each staff address gets an e-mail when
// a review starts — queued with the booking, carrying the answers, the
// reason, the dates and the commands — and that nobody does for a booking
// that needs no review or when no staff address is set.
func TestStaffToldOfReview(t *testing.T) {
	t.Parallel()
	staff := []string{"courses@training.example", "lead@training.example"}
	f := newReviewFixture(t, 1, staff)
	ann := f.book(t, "Ann Archer", "no")
	f.book(t, "Ben Baker", "yes") // waitlisted; needs no review
	got := f.messages(t, "review_waiting")
	if len(got) != 2 {
		t.Fatalf("got %d staff e-mails, want one to each of %v", len(got), staff)
	}
	to := map[string]bool{}
	for _, m := range got {
		to[m.ToEmail] = true
		if m.SubjectRef != "" {
			t.Errorf("staff e-mail about %q: a failing staff address would mark the participant's mail as failing", m.SubjectRef)
		}
		if m.Subject != "Booking to review: Ann Archer, Test course, "+f.event.DateLabel() {
			t.Errorf("subject %q", m.Subject)
		}
		for _, want := range []string{
			reviewReason,
			"When did you complete the training?\n  2021-09-30",
			"Where do you practise?\n  Private practice",
			"Do you work in the NHS?\n  no",
			"09:00 on Monday 2 March 2026 UK time (GMT)",
			"by Wednesday 4 March 2026",
			f.event.DateLabel(),
			"plenary bookings -approve " + itoa(ann.Booking.ID),
			"plenary bookings -decline " + itoa(ann.Booking.ID),
			"plenary bookings -event " + itoa(f.event.ID),
			"E-mail: ann@example.org",
		} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("staff e-mail to %s lacks %q:\n%s", m.ToEmail, want, m.Text)
			}
		}
	}
	for _, a := range staff {
		if !to[a] {
			t.Errorf("no staff e-mail to %s", a)
		}
	}

	// Settling the review and moving the next person up into a review of
	// their own tells the staff again, about them.
	if _, err := f.svc.DeclineReview(ctx, ann.Booking.ID, operator, ""); err != nil {
		t.Fatal(err)
	}
	if n := len(f.messages(t, "review_waiting")); n != 2 {
		t.Fatalf("Ben moved up without needing review: got %d staff e-mails, want still 2", n)
	}
	cal := f.book(t, "Cal Cole", "no") // the place is Ben's now: Cal waits
	if cal.Booking.Status != booking.Waitlisted {
		t.Fatalf("Cal: got %s, want waitlisted", cal.Booking.Status)
	}
	if n := len(f.messages(t, "review_waiting")); n != 2 {
		t.Fatalf("a waitlisted booking told the staff: %d e-mails", n)
	}
	ben, _ := f.svc.List(ctx, f.event.ID)
	for _, b := range ben {
		if b.Name == "Ben Baker" {
			if _, err := f.svc.CancelByID(ctx, b.ID, operator, booking.CancelOptions{Reason: "test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Ben's place is offered to Cal (the course holds offers). The offer
	// is not the review: accepting it starts Cal's, and tells the staff.
	if n := len(f.messages(t, "review_waiting")); n != 2 {
		t.Errorf("an offer told the staff: %d e-mails", n)
	}
	accepted, err := f.svc.AcceptOffer(ctx, cal.Token)
	if err != nil {
		t.Fatal(err)
	}
	if accepted.Status != booking.PendingReview {
		t.Errorf("Cal accepted an offer: got %s, want pending review (her answers need a look)", accepted.Status)
	}
	if got := f.messages(t, "review_waiting"); len(got) != 4 || !strings.Contains(got[0].Text, "Cal Cole") {
		t.Errorf("after Cal accepted: got %d staff e-mails, want 4, the newest about Cal", len(got))
	}

	quiet := newReviewFixture(t, 5, nil)
	quiet.book(t, "Ann Archer", "no")
	if got := quiet.messages(t, "review_waiting"); len(got) != 0 {
		t.Fatalf("no staff address set: got %d staff e-mails, want none", len(got))
	}
}

// TestStaffToldWhenMovedUpIntoReview checks the other way into a review:
// from the waiting list, when a place comes free and the course confirms
// the next person at once.
func TestStaffToldWhenMovedUpIntoReview(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 1, []string{"courses@training.example"})
	if _, err := f.db.ExecContext(ctx, `UPDATE courses SET offer_hold_hours = 0, version = version + 1`); err != nil {
		t.Fatal(err)
	}
	ann := f.book(t, "Ann Archer", "yes")
	ben := f.book(t, "Ben Baker", "no")
	if ben.Booking.Status != booking.Waitlisted || len(f.messages(t, "review_waiting")) != 0 {
		t.Fatalf("Ben: got %s with %d staff e-mails, want waitlisted and none", ben.Booking.Status, len(f.messages(t, "review_waiting")))
	}
	f.clock.Add(26 * time.Hour) // Tuesday 3 March, 11:00
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	got := f.messages(t, "review_waiting")
	if len(got) != 1 || !strings.Contains(got[0].Text, "Ben Baker") || !strings.Contains(got[0].Text, "11:00 on Tuesday 3 March 2026") ||
		!strings.Contains(got[0].Text, "by Thursday 5 March 2026") {
		t.Fatalf("moved up into review: got %d staff e-mails: %+v", len(got), got)
	}
}

// TestAttention checks the overview of what needs the course team:
// reviews oldest first with working days waited against the two
// promised, offers about to lapse, and failing messages, in the event's
// zone.
func TestAttention(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 3, nil)
	a, err := f.svc.Attention(ctx, 0)
	if err != nil || !a.Empty() {
		t.Fatalf("empty install: got %+v, %v", a, err)
	}
	// Friday 27 March 2026: Ann's review starts.
	f.clock.t = time.Date(2026, 3, 27, 16, 30, 0, 0, time.UTC)
	ann := f.book(t, "Ann Archer", "no")
	// Monday 30 March, after the clocks went forward: Ben's review, and a
	// confirmed booking.
	f.clock.t = time.Date(2026, 3, 30, 8, 0, 0, 0, time.UTC)
	ben := f.book(t, "Ben Baker", "no")
	eve := f.book(t, "Eve Evans", "yes")
	cal := f.book(t, "Cal Cole", "yes") // waitlisted
	if cal.Booking.Status != booking.Waitlisted {
		t.Fatalf("Cal: got %s, want waitlisted", cal.Booking.Status)
	}
	if _, err := f.svc.Cancel(ctx, eve.Token); err != nil { // Cal is offered the place for 48 hours
		t.Fatal(err)
	}
	// One message failed for good; another is failing and will be retried.
	if _, err := f.db.ExecContext(ctx, `UPDATE messages SET status = 'failed', attempts = 5, last_error = $1 WHERE to_email = $2 AND kind = $3`,
		"550 5.1.1 mailbox unavailable", "eve@example.org", "booking_cancelled"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(ctx, `UPDATE messages SET attempts = 2, last_error = $1 WHERE to_email = $2 AND kind = $3`,
		"421 try again later", "cal@example.org", "booking_offered"); err != nil {
		t.Fatal(err)
	}

	// Tuesday 31 March, 10:00 UK time (BST).
	f.clock.t = time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC)
	a, err = f.svc.Attention(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Reviews) != 2 || a.Reviews[0].Booking.ID != ann.Booking.ID || a.Reviews[1].Booking.ID != ben.Booking.ID {
		t.Fatalf("reviews: got %+v, want Ann then Ben", a.Reviews)
	}
	r := a.Reviews[0]
	if got := r.Since.Format("15:04 Mon 2 Jan MST"); got != "16:30 Fri 27 Mar GMT" {
		t.Errorf("Ann waits since %s, want 16:30 Fri 27 Mar GMT (the event's zone)", got)
	}
	// Since Friday: Monday and Tuesday, the two promised.
	if r.WorkingDays != 2 || r.Due != (catalog.Date{Year: 2026, Month: time.March, Day: 31}) || r.Overdue {
		t.Errorf("Ann: waited %d working days, due %v, overdue %v; want 2, 2026-03-31, false", r.WorkingDays, r.Due, r.Overdue)
	}
	if r.Booking.Answers["nhs"] != "no" || r.Booking.ReviewReasons()[0] != reviewReason {
		t.Errorf("Ann's review lacks answers or reasons: %+v", r.Booking)
	}
	if b := a.Reviews[1]; b.WorkingDays != 1 || b.Overdue || b.Since.Format("15:04 MST") != "09:00 BST" {
		t.Errorf("Ben: waited %d, overdue %v, since %s; want 1, false, 09:00 BST", b.WorkingDays, b.Overdue, b.Since.Format("15:04 MST"))
	}
	// Cal's offer lapses at 09:00 BST on Wednesday, in 23 hours.
	if len(a.Offers) != 1 || a.Offers[0].Booking.ID != cal.Booking.ID ||
		a.Offers[0].Expires.Format("15:04 Mon 2 Jan MST") != "09:00 Wed 1 Apr BST" {
		t.Errorf("offers: got %+v, want Cal's, lapsing 09:00 Wed 1 Apr BST", a.Offers)
	}
	if soon, _ := f.svc.Attention(ctx, 12*time.Hour); len(soon.Offers) != 0 {
		t.Errorf("offers lapsing within 12 hours: got %d, want none", len(soon.Offers))
	}
	if len(a.Failing) != 2 || a.Failing[0].Status != messaging.Failed || a.Failing[0].LastError != "550 5.1.1 mailbox unavailable" ||
		a.Failing[1].Status != messaging.Queued || a.Failing[1].Attempts != 2 {
		t.Errorf("failing messages: got %+v", a.Failing)
	}
	if loc := a.Failing[0].CreatedAt.Location().String(); loc != "Europe/London" {
		t.Errorf("failing message time in %s, want the event's zone", loc)
	}

	// Wednesday 1 April, 10:00 BST: Ann is overdue; Cal's offer has
	// lapsed and waits for the expiry job, so it is still listed.
	f.clock.t = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	a, err = f.svc.Attention(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Reviews[0]; r.WorkingDays != 3 || !r.Overdue {
		t.Errorf("Ann on Wednesday: waited %d, overdue %v; want 3, true", r.WorkingDays, r.Overdue)
	}
	if len(a.Offers) != 1 || a.Offers[0].Booking.ID != cal.Booking.ID {
		t.Errorf("offers: got %+v, want Cal's lapsed offer", a.Offers)
	}
	// Tuesday 7 April: Good Friday (3 April) and Easter Monday do not
	// count.
	f.clock.t = time.Date(2026, 4, 7, 9, 0, 0, 0, time.UTC)
	a, _ = f.svc.Attention(ctx, 0)
	if r := a.Reviews[0]; r.WorkingDays != 5 {
		t.Errorf("Ann on Tuesday 7 April: waited %d working days, want 5 (Mon 30, Tue 31, Wed 1, Thu 2, Tue 7)", r.WorkingDays)
	}

	if _, err := f.svc.Approve(ctx, ann.Booking.ID, operator, ""); err != nil {
		t.Fatal(err)
	}
	a, _ = f.svc.Attention(ctx, 0)
	if len(a.Reviews) != 1 || a.Reviews[0].Booking.ID != ben.Booking.ID {
		t.Errorf("after approving Ann: got reviews %+v, want only Ben", a.Reviews)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// attentionFixture is a paid course with two dates, each booked through
// the real outbox on a set clock (Monday 2 March 2026, 09:00 UK time):
// "first" on Wednesday 11 March (three places, joining instructions ten
// working days before, so already due) and "later" on Wednesday 20 May
// (twenty places). Late changes are confirmed.
type attentionFixture struct {
	*noticeFixture
	later catalog.Event
}

func newAttentionFixture(t *testing.T) *attentionFixture {
	t.Helper()
	f := newNoticeFixture(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), date(2026, 3, 11), 3, func(c *catalog.Course) {
		c.JoiningLeadDays = 10
		later := c.Events[0]
		later.Ref, later.Capacity = "later", 20
		later.Days = []catalog.Day{c.Events[0].Days[0]}
		later.Days[0].Date = date(2026, 5, 20)
		c.Events = append(c.Events, later)
	})
	f.confirm = true
	return &attentionFixture{noticeFixture: f, later: f.course.Events[1]}
}

// bookOn books name on the event with the course's paid fee.
func (f *attentionFixture) bookOn(t *testing.T, e catalog.Event, name string) booking.Booking {
	t.Helper()
	req := f.request(name)
	req.EventID, req.FeeTier = e.ID, "Standard"
	res, err := f.svc.Book(ctx, req, participant)
	if err != nil {
		t.Fatalf("book %s: %v", name, err)
	}
	return res.Booking
}

func (f *attentionFixture) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := f.db.ExecContext(ctx, query, args...); err != nil {
		t.Fatal(err)
	}
}

// TestAttentionSections checks the sections after the first three: the
// dates whose joining instructions have not all gone (queued and failed
// count as not gone), invoices unpaid near the course, dates nearly full
// or with people waiting, and late changes with the cancellations since.
func TestAttentionSections(t *testing.T) {
	t.Parallel()
	f := newAttentionFixture(t)
	ann := f.bookOn(t, f.event, "Ann A")
	ben := f.bookOn(t, f.event, "Ben B")
	f.bookOn(t, f.event, "Cat C")
	if dan := f.bookOn(t, f.event, "Dan D"); dan.Status != booking.Waitlisted {
		t.Fatalf("Dan: %s, want waitlisted", dan.Status)
	}
	f.bookOn(t, f.later, "Eve E")
	// Booked after their time, the joining instructions were queued at
	// once: Ann's went, Cat's failed, Ben's waits in the queue.
	f.exec(t, `UPDATE messages SET status = 'sent' WHERE kind = 'joining' AND to_email = 'ann.a@example.org'`)
	f.exec(t, `UPDATE messages SET status = 'failed', attempts = 25, last_error = 'mailbox unavailable'
		WHERE kind = 'joining' AND to_email = 'cat.c@example.org'`)

	a, err := f.svc.Attention(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Joining) != 1 {
		t.Fatalf("joining: got %+v, want the first date only", a.Joining)
	}
	j := a.Joining[0]
	if j.Event.ID != f.event.ID || j.Confirmed != 3 || j.NotGone != 2 || j.Failed != 1 || !j.SendAt.Equal(f.svc.JoiningSendAt(f.course, f.event)) {
		t.Errorf("joining: got %d confirmed, %d not gone, %d failed, due %v", j.Confirmed, j.NotGone, j.Failed, j.SendAt)
	}
	// Invoices: the three on the first date (six working days away: 3, 4,
	// 5, 6, 9 and 10 March), not Eve's in May.
	var names []string
	for _, i := range a.Invoices {
		names = append(names, i.Booking.Name)
		if i.WorkingDays != 6 || i.Event.ID != f.event.ID || i.Booking.InvoiceNumber == 0 {
			t.Errorf("invoice of %s: %d working days, event %d", i.Booking.Name, i.WorkingDays, i.Event.ID)
		}
	}
	if strings.Join(names, ",") != "Ann A,Ben B,Cat C" {
		t.Errorf("invoices: got %v", names)
	}
	// Filling: the first date is full with one waiting; May is not listed.
	if len(a.Filling) != 1 || a.Filling[0].Event.ID != f.event.ID || !a.Filling[0].NearlyFull ||
		a.Filling[0].Waiting != 1 || a.Filling[0].Left() != 0 || a.Filling[0].Summary() != "full, 1 waiting" {
		t.Errorf("filling: got %+v", a.Filling)
	}
	if len(a.Late) != 0 {
		t.Errorf("late changes before any: %+v", a.Late)
	}

	// Ben pays; Ann's instructions went: neither is listed any more for it.
	f.exec(t, `UPDATE bookings SET payment = 'paid' WHERE id = $1`, ben.ID)
	if a, _ = f.svc.Attention(ctx, 0); len(a.Invoices) != 2 {
		t.Errorf("after Ben paid: %d invoices, want 2", len(a.Invoices))
	}

	// A late change (the start moves, seven working days ahead), confirmed;
	// then Ann cancels.
	f.clock.mu.Lock()
	f.clock.t = f.clock.t.Add(time.Hour)
	f.clock.mu.Unlock()
	if err := f.edit(t, func(e *catalog.Event) { e.Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true} }); err != nil {
		t.Fatal(err)
	}
	f.clock.mu.Lock()
	f.clock.t = f.clock.t.Add(time.Hour)
	f.clock.mu.Unlock()
	if _, err := f.svc.CancelByID(ctx, ann.ID, participant, booking.CancelOptions{Reason: "cancelled after the late change"}); err != nil {
		t.Fatal(err)
	}
	if a, err = f.svc.Attention(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if len(a.Late) != 1 {
		t.Fatalf("late changes: got %+v, want one", a.Late)
	}
	l := a.Late[0]
	if l.Event.ID != f.event.ID || l.Told != 4 || l.Cancelled != 1 || l.By == "" || !l.At.Equal(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("late change: got told %d, cancelled %d, by %q at %v", l.Told, l.Cancelled, l.By, l.At)
	}
	// Fourteen days on it is no longer listed.
	f.at(time.Date(2026, 3, 16, 10, 1, 0, 0, time.UTC))
	if a, _ = f.svc.Attention(ctx, 0); len(a.Late) != 0 {
		t.Errorf("late change after 14 days: %+v", a.Late)
	}
}

// TestAttentionFor checks that For keeps only what the viewer may see:
// by section and by course, and that mail about no booking needs a
// viewer of every course.
func TestAttentionFor(t *testing.T) {
	t.Parallel()
	course := catalog.Course{ID: 7}
	a := booking.Attention{
		Invoices: []booking.UnpaidInvoice{{Course: course}},
		Filling:  []booking.FillingDate{{Course: course}, {Course: catalog.Course{ID: 8}}},
		Failing:  []booking.FailingMessage{{ID: 1, CourseID: 7}, {ID: 2}},
	}
	onlySeven := a.For(func(s booking.Section, c int64) bool { return c == 7 && s != booking.SectionInvoices })
	if len(onlySeven.Invoices) != 0 || len(onlySeven.Filling) != 1 || len(onlySeven.Failing) != 1 || onlySeven.Failing[0].ID != 1 {
		t.Errorf("course 7 without invoices: %+v", onlySeven)
	}
	if got := a.For(func(booking.Section, int64) bool { return true }); got.Count(booking.SectionFilling) != 2 ||
		got.Count(booking.SectionFailing) != 2 || got.Count(booking.SectionInvoices) != 1 || got.Empty() {
		t.Errorf("everything: %+v", got)
	}
	if !a.For(func(booking.Section, int64) bool { return false }).Empty() {
		t.Error("nothing allowed, yet not empty")
	}
}

// TestNearlyFull pins the rule: at most two places left, or at most a
// tenth of the capacity, whichever is more; unlimited dates never.
func TestNearlyFull(t *testing.T) {
	t.Parallel()
	f := newAttentionFixture(t)
	for _, tt := range []struct {
		capacity, taken int
		want            bool
	}{{3, 0, false}, {2, 0, false}, {3, 1, true}, {20, 17, false}, {20, 18, true}, {50, 44, false}, {50, 45, true}, {0, 100, false}} {
		f.exec(t, `UPDATE events SET capacity = $1 WHERE id = $2`, tt.capacity, f.later.ID)
		f.exec(t, `UPDATE courses SET version = version + 1 WHERE id = (SELECT course_id FROM events WHERE id = $1)`, f.later.ID)
		f.exec(t, `DELETE FROM bookings WHERE event_id = $1`, f.later.ID)
		for i := range tt.taken {
			f.exec(t, `INSERT INTO bookings (event_id, status, name, email, email_key, organisation, role, registration_number,
				access_needs, system_checked, needs_review, review_reason, notes, fee_tier, amount_minor, currency, payment,
				po_number, created_at, updated_at)
				VALUES ($1, 'confirmed', 'P', $2, $2, '', '', '', '', TRUE, FALSE, '', '', '', 0, '', 'none', '', $3, $3)`,
				f.later.ID, "p"+strconv.Itoa(i)+"@example.org", f.clock.Now())
		}
		a, err := f.svc.Attention(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := slices.ContainsFunc(a.Filling, func(x booking.FillingDate) bool { return x.Event.ID == f.later.ID })
		if got != tt.want {
			t.Errorf("capacity %d, %d taken: listed %v, want %v", tt.capacity, tt.taken, got, tt.want)
		}
	}
}
