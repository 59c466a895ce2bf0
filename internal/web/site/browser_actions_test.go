package site_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
)

// testStaffBookingActions is the demo coordinator's journeys through a
// booking's actions, on a phone, with axe on each page: approve a booking
// waiting for review with a message, move a booking to another date (the
// person's moved e-mail is in the outbox), and add a booking by hand over
// a full date's capacity with the override's reason.
func testStaffBookingActions(t *testing.T, ctx context.Context, site demoSite, axeJS string) {
	base := site.url
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	staffSignIn(t, ctx, base)

	// A review: the five-day training sends someone not practising to one.
	foundation, err := site.store.CourseBySlug(ctx, "dit-foundation")
	if err != nil {
		t.Fatal(err)
	}
	next := upcoming(t, foundation)[0]
	waiting, err := site.bookings.Book(ctx, booking.Request{EventID: next.ID, Name: "Dr Lee Park", Email: "lee.park@example.org",
		Organisation: "West Clinic", Role: "Psychiatrist", FeeTier: "Standard",
		Answers: map[string]string{"core_profession": "Psychiatrist", "practising_therapist": "no"}}, audit.ParticipantOf(0))
	if err != nil || waiting.Booking.Status != booking.PendingReview {
		t.Fatalf("book a review: %v %s", err, waiting.Booking.Status)
	}
	id := waiting.Booking.ID
	testAxe(t, ctx, fmt.Sprintf("%s/admin/bookings/%d/review", base, id), axeJS)
	testPhoneWidthHere(t, ctx)
	submit(t, ctx, fmt.Sprintf("/admin/bookings/%d/review", id),
		chromedp.Click(`#decision`, chromedp.NodeVisible),
		chromedp.SendKeys(`#message`, "Welcome: we have checked with your supervisor.", chromedp.NodeVisible))
	wantAt(t, ctx, fmt.Sprintf("%s/admin/bookings/%d?done=approved", base, id))
	if st := statusOf(t, site, id); st != string(booking.Confirmed) {
		t.Errorf("after approving: %s", st)
	}

	// The other action pages on the same booking, for axe.
	for _, kind := range []string{"cancel", "details", "offer"} {
		testAxe(t, ctx, fmt.Sprintf("%s/admin/bookings/%d/%s", base, id, kind), axeJS)
	}

	// A move: from the refresher's next date to its following one.
	refresher, err := site.store.CourseBySlug(ctx, courseSlug)
	if err != nil {
		t.Fatal(err)
	}
	dates := upcoming(t, refresher)
	if len(dates) < 2 {
		t.Fatalf("the demo refresher has %d upcoming dates, want 2", len(dates))
	}
	manage := site.book(t, "jo.moss@example.org")
	res, err := site.bookings.ByToken(ctx, strings.TrimPrefix(manage, "/bookings/"))
	if err != nil {
		t.Fatal(err)
	}
	id = res.Booking.ID
	testAxe(t, ctx, fmt.Sprintf("%s/admin/bookings/%d/move", base, id), axeJS)
	testPhoneWidthHere(t, ctx)
	// Sent without a reason first: the error is beside the field and the
	// chosen date stays chosen.
	submit(t, ctx, fmt.Sprintf("/admin/bookings/%d/move", id), chromedp.Click(fmt.Sprintf(`#event-%d`, dates[1].ID), chromedp.NodeVisible))
	if !present(t, ctx, `#reason-error`) || !present(t, ctx, `.error-summary`) {
		t.Fatal("a move without a reason is not answered beside the field and in a summary")
	}
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById("event-%d").checked`, dates[1].ID))); !on {
		t.Error("the chosen date is not kept")
	}
	axeHere(t, ctx, axeJS) // the page with its errors
	submit(t, ctx, fmt.Sprintf("/admin/bookings/%d/move", id), chromedp.SendKeys(`#reason`, "Asked by phone: clashes with a clinic", chromedp.NodeVisible))
	var movedTo int64
	if err := site.db.QueryRowContext(ctx, `SELECT moved_to FROM bookings WHERE id = $1`, id).Scan(&movedTo); err != nil || movedTo == 0 {
		t.Fatalf("moved to: %d %v", movedTo, err)
	}
	wantAt(t, ctx, fmt.Sprintf("%s/admin/bookings/%d?done=moved", base, movedTo))
	var mails int
	if err := site.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE kind = 'booking_moved' AND to_email = $1`,
		"jo.moss@example.org").Scan(&mails); err != nil || mails != 1 {
		t.Errorf("moved e-mails to the person: %d %v", mails, err)
	}

	// Add by hand over capacity, on the five-day training's next date made
	// full (the refresher's dates are the other journeys').
	if _, err := site.db.ExecContext(ctx, `UPDATE events SET capacity = (SELECT COUNT(*) FROM bookings WHERE event_id = $1
		AND status IN ('confirmed', 'offered', 'pending_review')) WHERE id = $1`, next.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := site.db.ExecContext(ctx, `UPDATE courses SET version = version + 1 WHERE id = (SELECT course_id FROM events WHERE id = $1)`, next.ID); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/bookings/new?event=%d", next.ID)
	testAxe(t, ctx, base+path, axeJS)
	testPhoneWidthHere(t, ctx)
	submit(t, ctx, path,
		chromedp.SendKeys(`#name`, "Dr Ash Kerr", chromedp.NodeVisible),
		chromedp.SendKeys(`#email`, "ash.kerr@example.org", chromedp.NodeVisible),
		chromedp.SendKeys(`#organisation`, "South Clinic", chromedp.NodeVisible),
		chromedp.SendKeys(`#role`, "Counsellor", chromedp.NodeVisible),
		chromedp.SendKeys(`#answer_core_profession`, "Counsellor", chromedp.NodeVisible),
		chromedp.Click(`#answer_practising_therapist`, chromedp.NodeVisible),
		chromedp.Click(`#fee_tier-0`, chromedp.NodeVisible),
		chromedp.Click(`#ignore_capacity`, chromedp.NodeVisible),
		chromedp.SendKeys(`#reason_ignore_capacity`, "The trainer agreed to one more", chromedp.NodeVisible))
	var added int64
	var status string
	if err := site.db.QueryRowContext(ctx, `SELECT id, status FROM bookings WHERE email = 'ash.kerr@example.org'`).Scan(&added, &status); err != nil {
		t.Fatalf("the hand-added booking: %v", err)
	}
	wantAt(t, ctx, fmt.Sprintf("%s/admin/bookings/%d?done=added", base, added))
	if status != string(booking.Confirmed) {
		t.Errorf("hand-added over capacity: %s, want confirmed", status)
	}
	list, err := audit.List(ctx, site.db, audit.Filter{Object: "booking", ObjectID: added})
	if err != nil || len(list) != 1 || !strings.Contains(list[0].Reason, "The trainer agreed to one more") {
		t.Errorf("audit of the hand-added booking: %v %+v", err, list)
	}
}

// staffSignIn signs the demo coordinator in.
func staffSignIn(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/login"),
		chromedp.SendKeys(`#email`, staffEmail, chromedp.NodeVisible),
		chromedp.SendKeys(`#password`, staffPassword, chromedp.NodeVisible))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	wantAt(t, ctx, base+"/admin")
}

// submit fills in the form posting to action on the page in the tab and
// sends it.
func submit(t *testing.T, ctx context.Context, action string, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, fill...); err != nil {
		t.Fatalf("fill in the form: %v", err)
	}
	sel := fmt.Sprintf(`form[action=%q] button[type="submit"]`, action)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
		t.Fatalf("send %s: %v", action, err)
	}
}

// wantAt checks where the tab is.
func wantAt(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != want {
		t.Fatalf("the browser is at %s, want %s", loc, want)
	}
}

// statusOf reads a booking's status.
func statusOf(t *testing.T, site demoSite, id int64) string {
	t.Helper()
	var st string
	if err := site.db.QueryRowContext(context.Background(), `SELECT status FROM bookings WHERE id = $1`, id).Scan(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// upcoming is the course's dates still to start, soonest first.
func upcoming(t *testing.T, c catalog.Course) []catalog.Event {
	t.Helper()
	var out []catalog.Event
	now := time.Now()
	for _, e := range c.Events {
		if e.StartsAt.After(now) && e.Status != catalog.Cancelled {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no upcoming date", c.Slug)
	}
	return out
}

// axeHere runs axe-core on the page in the tab, as it is (a page
// answering a form), failing on serious and critical findings.
func axeHere(t *testing.T, ctx context.Context, axeJS string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe %s [%s]: %s %v", v.ID, v.Impact, v.Help, v.Nodes)
		} else {
			t.Logf("axe %s [%s]: %s", v.ID, v.Impact, v.Help)
		}
	}
}
