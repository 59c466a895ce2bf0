package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// TestActionDetailsOnlyActive: "Correct the details" on a cancelled
// booking says why there is no form, and a POST is refused (409) with
// nothing saved.
func TestActionDetailsOnlyActive(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "yes")
	if _, err := a.bookings.CancelByID(ctx, b.ID, audit.CommandLine("test"), booking.CancelOptions{Reason: "ill"}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/bookings/%d/details", b.ID)
	res, body := a.get(t, path, a.coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "only on an active booking") || strings.Contains(body, `name="po_number"`) {
		t.Fatalf("GET on a cancelled booking: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.coord, url.Values{"name": {"Someone Else"}, "email": {"ann@example.org"},
		"organisation": {"North Clinic"}, "role": {"Psychotherapist"}, "po_number": {"PO-7788"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "only on an active booking") {
		t.Fatalf("POST on a cancelled booking: %d\n%s", res.StatusCode, body)
	}
	if got := a.booking(t, b.ID); got.Name != "Ann Archer" || got.PONumber != "" {
		t.Errorf("saved on a cancelled booking: %q %q", got.Name, got.PONumber)
	}
}

// TestActionOfferNeedsWithdrawNamed: when offering would withdraw someone
// else's offer, a POST that does not name that offer (no "withdraw" field)
// is shown what would happen (409) and changes nothing.
func TestActionOfferNeedsWithdrawNamed(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	if _, err := a.db.ExecContext(ctx, `UPDATE courses SET offer_hold_hours = 48, version = version + 1 WHERE id = $1`, a.main.ID); err != nil {
		t.Fatal(err)
	}
	e := a.main.Events[0]
	ann := a.book(t, e.ID, "Ann Archer", "yes")
	a.book(t, e.ID, "Ben Baker", "yes")
	cal := a.book(t, e.ID, "Cal Cole", "yes")
	dee := a.book(t, e.ID, "Dee Dean", "yes")
	if _, err := a.bookings.CancelByID(ctx, ann.ID, audit.CommandLine("test"), booking.CancelOptions{Reason: "ill"}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/bookings/%d/offer", dee.ID)
	res, body := a.post(t, path, a.coord, url.Values{"reason": {"Speaker"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "Things have changed") || !strings.Contains(body, "on offer to Cal Cole") {
		t.Fatalf("POST without withdraw: %d\n%s", res.StatusCode, body)
	}
	if got := a.booking(t, cal.ID); got.Status != booking.Offered {
		t.Errorf("Cal's offer was withdrawn: %s", got.Status)
	}
	if got := a.booking(t, dee.ID); got.Status != booking.Waitlisted {
		t.Errorf("Dee: %s", got.Status)
	}
	res, body = a.post(t, path, a.coord, url.Values{"reason": {"Speaker"}, "withdraw": {strconv.FormatInt(cal.ID, 10)}})
	wantDone(t, res, body, dee.ID, "offered")
}

// TestActionWordsBySituation: the offer's reason is "out of turn" only
// for someone not first on the waiting list; declining a review says the
// place goes to the first person waiting only when someone waits.
func TestActionWordsBySituation(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	e := a.main.Events[0] // two places
	ann := a.book(t, e.ID, "Ann Archer", "no")
	review := fmt.Sprintf("/admin/bookings/%d/review", ann.ID)
	if _, body := a.get(t, review, a.coord); !strings.Contains(body, "Decline: the place is freed") || strings.Contains(body, "first person waiting") {
		t.Errorf("decline with nobody waiting:\n%s", body)
	}
	a.book(t, e.ID, "Ben Baker", "yes")
	cal := a.book(t, e.ID, "Cal Cole", "yes")
	dee := a.book(t, e.ID, "Dee Dean", "yes")
	if _, body := a.get(t, review, a.coord); !strings.Contains(body, "Decline: the place goes to the first person waiting") {
		t.Errorf("decline with people waiting:\n%s", body)
	}
	if _, err := a.db.ExecContext(ctx, `UPDATE events SET capacity = 4 WHERE id = $1`, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.ExecContext(ctx, `UPDATE courses SET version = version + 1 WHERE id = (SELECT course_id FROM events WHERE id = $1)`, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, body := a.get(t, fmt.Sprintf("/admin/bookings/%d/offer", cal.ID), a.coord); !strings.Contains(body, "Reason for offering the place") ||
		strings.Contains(body, "out of turn") {
		t.Errorf("offer to the first person waiting:\n%s", body)
	}
	if _, body := a.get(t, fmt.Sprintf("/admin/bookings/%d/offer", dee.ID), a.coord); !strings.Contains(body, "Reason for offering out of turn") ||
		!strings.Contains(body, "number 2 on the waiting list") {
		t.Errorf("offer to the second person waiting:\n%s", body)
	}
}

// TestActionNewStartedAndFees: "add by hand" on a date that has started
// says so at once with no form (and refuses a POST); on an open date the
// fee choices show their amounts to a coordinator without invoices:read,
// and a form with several problems shows them all at once, worded for
// staff ("Enter their name.").
func TestActionNewStartedAndFees(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	c := catalogtest.NewCourse(t0)
	c.Slug, c.Title = "tiered", "Tiered course"
	c.Fees = []catalog.FeeTier{{Name: "Standard", Amount: 12000, Currency: "GBP"}, {Name: "Student", Amount: 4500, Currency: "GBP"}}
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	e := c.Events[0]
	path := fmt.Sprintf("/admin/bookings/new?event=%d", e.ID)
	res, body := a.get(t, path, a.coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Standard: £120.00") || !strings.Contains(body, "Student: £45.00") {
		t.Fatalf("fees without amounts: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.coord, url.Values{"email": {"dee@example.org"}, booking.OverrideCapacity: {"yes"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d\n%s", res.StatusCode, body)
	}
	for _, anchor := range []string{`href="#reason_ignore_capacity"`, `href="#name"`, `href="#fee_tier-0"`} {
		if !strings.Contains(body, anchor) {
			t.Errorf("the summary lacks %s: errors came in waves\n%s", anchor, body)
		}
	}
	if !strings.Contains(body, "Enter their name.") || !strings.Contains(body, "Choose the fee that applies to them.") || strings.Contains(body, "Enter your") {
		t.Errorf("the staff form's errors speak to the participant:\n%s", body)
	}
	a.clock.add(e.StartsAt.Sub(a.clock.now()) + time.Minute)
	a.coord = a.signIn(t, "coord@example.org", password, "") // the morning's session has lapsed
	res, body = a.get(t, path, a.coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "This date has started or is over") || strings.Contains(body, `name="name"`) {
		t.Fatalf("GET on a started date: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.coord, url.Values{"name": {"Dee Dean"}, "email": {"dee@example.org"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "This date has started or is over") {
		t.Fatalf("POST on a started date: %d\n%s", res.StatusCode, body)
	}
}

// TestActionCancelTermsMarkdown: the cancel page renders the course's
// terms as the public site does, not as raw Markdown.
func TestActionCancelTermsMarkdown(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "yes")
	_, body := a.get(t, fmt.Sprintf("/admin/bookings/%d/cancel", b.ID), a.coord)
	if !strings.Contains(body, "<li><strong>Half</strong> the fee after that.</li>") || strings.Contains(body, "**") {
		t.Errorf("terms not rendered:\n%s", body)
	}
}

// TestActionMoveGroupsCourses: the move page lists the course's own dates
// first and heads other courses' dates with a warning that names their fee.
func TestActionMoveGroupsCourses(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "yes")
	_, body := a.get(t, fmt.Sprintf("/admin/bookings/%d/move", b.ID), a.coord)
	same := strings.Index(body, fmt.Sprintf(`id="event-%d"`, a.main.Events[1].ID))
	head := strings.Index(body, "Dates of other courses")
	other := strings.Index(body, fmt.Sprintf(`id="event-%d"`, a.other.Events[0].ID))
	if same < 0 || head < same || other < head {
		t.Fatalf("order: own date %d, heading %d, other course's date %d\n%s", same, head, other, body)
	}
	if !strings.Contains(body, "different course") || !strings.Contains(body[other:], "Fee £") {
		t.Errorf("no warning or no fee for the other course:\n%s", body[head:])
	}
}

// TestAuditWords: the audit log shows statuses by their labels, payment
// states in words and times in UK time with the zone named; "What" is a
// list of actions in words and accepts words people type.
func TestAuditWords(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	admin := a.addUser(t, "admin@example.org", account.Admin)
	record(t, a, audit.StaffMember(admin.ID, "Ada Admin"), "booking.offer_place", "booking", 42,
		map[string]any{"status": "waitlisted", "payment": "none"},
		map[string]any{"status": "offered", "payment": "invoice", "offer_expires_at": "2026-12-04T01:42:38.892666231Z"}, "")
	record(t, a, audit.StaffMember(admin.ID, "Ada Admin"), "booking.cancel", "booking", 43,
		map[string]any{"status": "confirmed"}, map[string]any{"status": "cancelled"}, "")
	tok := a.signIn(t, "admin@example.org", password, "")
	body := mustGet(t, a, "/admin/audit", tok)
	for _, w := range []string{"<td>On the waiting list</td><td>Place offered</td>", "<td>nothing due</td><td>invoiced, unpaid</td>",
		"<td>—</td><td>4 Dec 2026 01:42 UK time (GMT)</td>", `<option value="booking.move">Booking moved to another date</option>`} {
		if !strings.Contains(body, w) {
			t.Errorf("the log lacks %q", w)
		}
	}
	for _, w := range []string{"waitlisted", "2026-12-04T01", "pending_review"} {
		if strings.Contains(body, w) {
			t.Errorf("the log shows the code %q", w)
		}
	}
	body = mustGet(t, a, "/admin/audit?action=cancel", tok)
	if !strings.Contains(body, "booking 43") || strings.Contains(body, "booking 42") {
		t.Errorf("?action=cancel does not find the cancellation alone:\n%s", body)
	}
	res, body := a.get(t, "/admin/audit?action=moved", tok)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "fits several actions") {
		t.Errorf("?action=moved: %d\n%s", res.StatusCode, body)
	}
}
