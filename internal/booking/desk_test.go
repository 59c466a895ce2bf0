package booking_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
)

// mailText renders the last message of kind to the fixture's outbox.
func (f *fixture) mailText(t *testing.T, kind string) string {
	t.Helper()
	m := f.out.last(t, kind)
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	c, err := mail.RenderMessage(m.Kind, m.Data)
	if err != nil {
		t.Fatal(err)
	}
	return c.Text + "\n" + c.HTML
}

// TestReviewWithMessage approves one review and declines another, each
// with a message to the person that their e-mail carries, escaped.
func TestReviewWithMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, func(c *catalog.Course) {
		withQuestions(c)
		c.Rules = append(c.Rules, catalog.Rule{Outcome: catalog.Review, Message: "Checked by hand.",
			Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}})
	})
	book := func(name string) booking.Booking {
		r := f.answered(name)
		r.Answers["nhs"] = "no"
		res, err := f.svc.Book(ctx, r, participant)
		if err != nil || res.Booking.Status != booking.PendingReview {
			t.Fatalf("book %s: %v %s", name, err, res.Booking.Status)
		}
		return res.Booking
	}
	ann, ben := book("Ann A"), book("Ben B")
	if _, err := f.svc.Approve(ctx, ann.ID, operator, "Welcome <b>aboard</b>"); err != nil {
		t.Fatal(err)
	}
	if got := f.mailText(t, "booking_confirmed"); !strings.Contains(got, "Welcome <b>aboard</b>") ||
		!strings.Contains(got, "Welcome &lt;b&gt;aboard&lt;/b&gt;") {
		t.Errorf("approval e-mail lacks the message, as text and escaped HTML:\n%s", got)
	}
	if _, err := f.svc.DeclineReview(ctx, ben.ID, operator, "bad\x1bmessage"); !isField(err, "message") {
		t.Errorf("a message with an escape: %v, want a FormError on message", err)
	}
	if _, err := f.svc.DeclineReview(ctx, ben.ID, operator, "Please book the introduction first."); err != nil {
		t.Fatal(err)
	}
	if got := f.mailText(t, "booking_review_declined"); !strings.Contains(got, "Please book the introduction first.") {
		t.Errorf("decline e-mail lacks the message:\n%s", got)
	}
}

// TestCancelByStaff cancels on the course's terms and waiving them: the
// reason is required and kept in the audit entry; waiving voids an unpaid
// invoice, and a paid fee becomes refund due either way; the e-mail says
// which.
func TestCancelByStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, func(c *catalog.Course) { c.CancellationTerms = "Free until 14 days before." })
	ann, ben, cal := f.book(t, "Ann A"), f.book(t, "Ben B"), f.book(t, "Cal C")
	if _, err := f.svc.CancelByID(ctx, ann.Booking.ID, operator, booking.CancelOptions{Reason: "  "}); !isField(err, "reason") {
		t.Fatalf("no reason: %v", err)
	}
	if got := f.byID(t, ann.Booking.ID); got.Status != booking.Confirmed {
		t.Fatalf("refused cancel changed the booking: %s", got.Status)
	}
	b, err := f.svc.CancelByID(ctx, ann.Booking.ID, operator, booking.CancelOptions{Reason: "illness"})
	if err != nil || b.Payment != booking.Invoice || b.InvoiceState() != "invoice to cancel" {
		t.Errorf("on terms: %v %s %q", err, b.Payment, b.InvoiceState())
	}
	if got := f.mailText(t, "booking_cancelled"); !strings.Contains(got, "cancellation terms apply") || !strings.Contains(got, "Free until 14 days before.") {
		t.Errorf("terms e-mail:\n%s", got)
	}
	h := history(t, f.db, "booking", ann.Booking.ID)
	if e := h[len(h)-1]; e.Action != "booking.cancel" || e.Reason != "illness" {
		t.Errorf("audit: %s %q", e.Action, e.Reason)
	}
	b, err = f.svc.CancelByID(ctx, ben.Booking.ID, operator, booking.CancelOptions{Reason: "our mistake", WaiveTerms: true})
	if err != nil || b.Payment != booking.Waived || f.byID(t, ben.Booking.ID).InvoiceState() != "fee waived, invoice void" {
		t.Errorf("waived: %v %s", err, b.Payment)
	}
	if got := f.mailText(t, "booking_cancelled"); !strings.Contains(got, "You owe nothing") {
		t.Errorf("waived e-mail:\n%s", got)
	}
	if _, err := f.db.ExecContext(ctx, `UPDATE bookings SET payment = 'paid' WHERE id = $1`, cal.Booking.ID); err != nil {
		t.Fatal(err)
	}
	if b, err = f.svc.CancelByID(ctx, cal.Booking.ID, operator, booking.CancelOptions{Reason: "r", WaiveTerms: true}); err != nil || b.Payment != booking.RefundDue {
		t.Errorf("paid, waived: %v %s", err, b.Payment)
	}
}

// TestOfferPlace offers a place to the second person waiting, out of turn,
// once one is free; with none free, or to someone not waiting, it refuses.
func TestOfferPlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann, _, cal := f.book(t, "Ann A"), f.book(t, "Ben B"), f.book(t, "Cal C")
	if _, err := f.svc.OfferPlace(ctx, cal.Booking.ID, operator, "urgent"); !errors.Is(err, booking.ErrNoFreePlace) {
		t.Fatalf("full: %v", err)
	}
	if _, err := f.svc.OfferPlace(ctx, ann.Booking.ID, operator, "x"); !errors.Is(err, booking.ErrNotWaitlisted) {
		t.Errorf("not waiting: %v", err)
	}
	// Make a place free without the waiting list filling it: raise the
	// capacity directly (a save would fill it in order).
	if _, err := f.db.ExecContext(ctx, `UPDATE events SET capacity = 2 WHERE id = $1`, f.event.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(ctx, `UPDATE courses SET version = version + 1 WHERE id = (SELECT course_id FROM events WHERE id = $1)`, f.event.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OfferPlace(ctx, cal.Booking.ID, operator, ""); !isField(err, "reason") {
		t.Errorf("no reason: %v", err)
	}
	b, err := f.svc.OfferPlace(ctx, cal.Booking.ID, operator, "needs it for registration")
	if err != nil || b.Status != booking.Offered || b.OfferExpiresAt.Sub(f.clock.Now()) != 48*time.Hour {
		t.Fatalf("offer: %v %s %v", err, b.Status, b.OfferExpiresAt)
	}
	if got := statuses(t, f); got["Ben B"] != booking.Waitlisted || got["Cal C"] != booking.Offered {
		t.Errorf("statuses: %v", got)
	}
	if kinds := f.out.kinds("cal.c@example.org"); kinds[len(kinds)-1] != "booking_offered" {
		t.Errorf("Cal's mail: %v", kinds)
	}
	h := history(t, f.db, "booking", cal.Booking.ID)
	wantEntry(t, h[len(h)-1], "booking.offer_place", operator, map[string]any{"status": "waitlisted"}, map[string]any{"status": "offered"})
	if h[len(h)-1].Reason != "needs it for registration" {
		t.Errorf("reason %q", h[len(h)-1].Reason)
	}
}

// TestCorrectDetails corrects every detail a coordinator may, checked by
// the booking form's rules; an address another booking on the date has is
// refused; the audit entry has before and after.
func TestCorrectDetails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	ann := f.book(t, "Ann A")
	f.book(t, "Ben B")
	d := booking.Details{Name: "Ann Archer", Email: "ANN@clinic.example", Organisation: "South Clinic", Role: "Nurse",
		RegistrationNumber: "NMC 1", PONumber: "PO-9"}
	bad := d
	bad.Name, bad.Email = "", "not an address"
	_, err := f.svc.CorrectDetails(ctx, ann.Booking.ID, operator, bad)
	if !isField(err, "name") || !isField(err, "email") {
		t.Errorf("bad details: %v", err)
	}
	taken := d
	taken.Email = "BEN.B@example.org"
	if _, err := f.svc.CorrectDetails(ctx, ann.Booking.ID, operator, taken); !isField(err, "email") {
		t.Errorf("Ben's address: %v", err)
	}
	b, err := f.svc.CorrectDetails(ctx, ann.Booking.ID, operator, d)
	if err != nil || b.Name != "Ann Archer" || b.Email != "ANN@clinic.example" || b.PONumber != "PO-9" {
		t.Fatalf("correct: %v %+v", err, b)
	}
	h := history(t, f.db, "booking", ann.Booking.ID)
	wantEntry(t, h[len(h)-1], "booking.correct", operator,
		map[string]any{"name": "Ann A", "email": "ann.a@example.org", "role": "Psychotherapist"},
		map[string]any{"name": "Ann Archer", "email": "ANN@clinic.example", "role": "Nurse", "po_number": "PO-9"})
	// The new address is the one that counts on the date now.
	req := f.request("Ann Again")
	req.Email = "ann@clinic.example"
	if res, err := f.svc.Book(ctx, req, participant); err != nil || !res.Existing {
		t.Errorf("booking again with the corrected address: %v existing=%v", err, res.Existing)
	}
}

// TestMarkPaid records a payment: only against an unpaid invoice, with an
// amount, a day not in the future and a reference.
func TestMarkPaid(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, nil)
	ann, ben := f.book(t, "Ann A"), f.book(t, "Ben B") // Ben waits: nothing invoiced
	today := catalog.DateOf(f.clock.Now().In(f.event.Location()))
	_, err := f.svc.MarkPaid(ctx, ann.Booking.ID, operator, booking.Receipt{Amount: 0, On: today.AddDays(1), Reference: " "})
	if !isField(err, "amount") || !isField(err, "paid_on") || !isField(err, "reference") {
		t.Errorf("bad receipt: %v", err)
	}
	if _, err := f.svc.MarkPaid(ctx, ben.Booking.ID, operator, booking.Receipt{Amount: 1, On: today, Reference: "x"}); !errors.Is(err, booking.ErrNotUnpaid) {
		t.Errorf("no invoice: %v", err)
	}
	b, err := f.svc.MarkPaid(ctx, ann.Booking.ID, operator, booking.Receipt{Amount: 12000, On: today, Reference: "BACS 123"})
	if err != nil || b.Payment != booking.Paid {
		t.Fatalf("mark paid: %v %s", err, b.Payment)
	}
	got := f.byID(t, ann.Booking.ID)
	if got.PaidAmount != 12000 || got.PaidCurrency != "GBP" || got.PaidOn != today.String() || got.PaidReference != "BACS 123" || got.InvoiceState() != "paid" {
		t.Errorf("stored: %+v", got)
	}
	if _, err := f.svc.MarkPaid(ctx, ann.Booking.ID, operator, booking.Receipt{Amount: 1, On: today, Reference: "x"}); !errors.Is(err, booking.ErrNotUnpaid) {
		t.Errorf("paid twice: %v", err)
	}
	h := history(t, f.db, "booking", ann.Booking.ID)
	wantEntry(t, h[len(h)-1], "booking.mark_paid", operator, map[string]any{"payment": "invoice"},
		map[string]any{"payment": "paid", "paid_amount_minor": 12000, "paid_reference": "BACS 123"})
}
