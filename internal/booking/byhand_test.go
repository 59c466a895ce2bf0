package booking_test

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
)

// TestAddByHand adds bookings by hand: each override needs its reason;
// without IgnoreCapacity a full date waitlists as the public form does,
// with it the person is confirmed over capacity; SkipEligibility sets the
// rules (and unanswered questions) aside; NoEmail sends nothing; the
// reasons are in the audit entry; a person already booked is a field
// error; bookings closed to the public still take a hand-added one.
func TestAddByHand(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { withQuestions(c); c.BookingClosesHours = 700 })
	ann, err := f.svc.AddByHand(ctx, f.answered("Ann A"), operator, booking.Overrides{})
	if err != nil || ann.Booking.Status != booking.Confirmed {
		t.Fatalf("after public booking closed: %v %s", err, ann.Booking.Status)
	}
	if _, err := f.svc.Book(ctx, f.answered("Zed Z"), participant); !errors.Is(err, booking.ErrClosed) {
		t.Fatalf("the public form on the same date: %v, want closed", err)
	}
	ben, err := f.svc.AddByHand(ctx, f.answered("Ben B"), operator, booking.Overrides{})
	if err != nil || ben.Booking.Status != booking.Waitlisted {
		t.Errorf("full date without the override: %v %s, want waitlisted", err, ben.Booking.Status)
	}
	o := booking.Overrides{IgnoreCapacity: true, SkipEligibility: true, NoEmail: true,
		Reasons: map[string]string{booking.OverrideCapacity: "trainer agreed"}}
	_, err = f.svc.AddByHand(ctx, f.request("Cal C"), operator, o)
	if !isField(err, "reason_skip_eligibility") || !isField(err, "reason_no_email") || isField(err, "reason_ignore_capacity") {
		t.Fatalf("overrides without reasons: %v", err)
	}
	o.Reasons[booking.OverrideEligibility] = "known to us"
	o.Reasons[booking.OverrideNoEmail] = "told by phone"
	cal, err := f.svc.AddByHand(ctx, f.request("Cal C"), operator, o) // no answers at all
	if err != nil || cal.Booking.Status != booking.Confirmed {
		t.Fatalf("with overrides: %v %s", err, cal.Booking.Status)
	}
	if got := f.out.kinds("cal.c@example.org"); len(got) != 0 {
		t.Errorf("NoEmail: Cal got %v", got)
	}
	h := history(t, f.db, "booking", cal.Booking.ID)
	if len(h) != 1 || !strings.Contains(h[0].Reason, "ignore_capacity: trainer agreed") ||
		!strings.Contains(h[0].Reason, "skip_eligibility: known to us") || !strings.Contains(h[0].Reason, "no_email: told by phone") {
		t.Errorf("audit: %+v", h)
	}
	wantEntry(t, h[0], "booking.create", operator, nil, map[string]any{"status": "confirmed"})
	if _, err := f.svc.AddByHand(ctx, f.answered("Ann A"), operator, booking.Overrides{}); !isField(err, "email") {
		t.Errorf("Ann again: %v", err)
	}
	// Without SkipEligibility the rules refuse as on the public form.
	if _, err := f.svc.AddByHand(ctx, f.request("Dee D"), operator, booking.Overrides{}); !isField(err, "answer_training_completed") {
		t.Errorf("unanswered required question: %v", err)
	}
	// Once the date has started, not even by hand.
	f.clock.Add(30 * 24 * time.Hour)
	if _, err := f.svc.AddByHand(ctx, f.answered("Eve E"), operator, booking.Overrides{}); !errors.Is(err, booking.ErrClosed) {
		t.Errorf("after the start: %v", err)
	}
}

// TestReadRequest reads the booking form's fields, the answers to the
// course's questions and a bounded number of others (a question added to
// the course since the form's copy of it was read: the booking is judged
// against the course under the date's lock, and checking keeps only what
// that course asks).
func TestReadRequest(t *testing.T) {
	c := catalog.Course{Questions: []catalog.Question{{Key: "nhs"}}}
	form := url.Values{"name": {"Ann"}, "email": {"a@b.org"}, "system_checked": {"on"},
		"answer_nhs": {"yes"}, "answer_other": {"x"}, "po_number": {"PO"},
		"answer_": {"no key"}, "answer_" + strings.Repeat("k", 65): {"key too long"}}
	r := booking.ReadRequest(form, c)
	if r.Name != "Ann" || r.Email != "a@b.org" || !r.SystemChecked || r.PONumber != "PO" || len(r.Answers) != 2 ||
		r.Answers["nhs"] != "yes" || r.Answers["other"] != "x" {
		t.Errorf("got %+v", r)
	}
	for i := range 50 {
		form.Set(fmt.Sprintf("answer_q%d", i), "y")
	}
	if r := booking.ReadRequest(form, c); len(r.Answers) != 21 || r.Answers["nhs"] != "yes" {
		t.Errorf("with 51 other answers posted: kept %d (nhs %q), want the course's one and 20 others", len(r.Answers), r.Answers["nhs"])
	}
}
