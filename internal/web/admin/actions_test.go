package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// actionsArea is a staff area with two courses: "main" (two dates, a
// yes/no question that sends "no" to review, a waiting list) and "other"
// (one date), and a coordinator, a finance user and a coordinator limited
// to "other", each signed in.
type actionsArea struct {
	*staffArea
	main, other             catalog.Course
	coord, finance, limited string
	coordUser               account.User
}

func newActionsArea(t *testing.T) *actionsArea {
	t.Helper()
	a := &actionsArea{staffArea: newArea(t, nil)}
	c := catalogtest.NewCourse(t0)
	c.Events[0].Capacity = 2
	c.Waitlist = true
	c.CancellationTerms = "Free until 14 days before.\n\n- **Half** the fee after that."
	c.Questions = []catalog.Question{{Key: "nhs", Label: "Do you work in the NHS?", Kind: catalog.YesNo}}
	c.Rules = []catalog.Rule{{Outcome: catalog.Review, Message: "We check eligibility outside the NHS by hand.",
		Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}}
	second := c.Events[0]
	second.Ref, second.Capacity = "second", 5
	second.Days = []catalog.Day{second.Days[0]}
	second.Days[0].Date = second.Days[0].Date.AddDays(7)
	c.Events = append(c.Events, second)
	o := catalogtest.NewCourse(t0)
	o.Slug, o.Title = "other-course", "Other course"
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&c, &o}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	a.main, a.other = c, o
	a.coordUser = a.addUser(t, "coord@example.org", account.Coordinator)
	a.addUser(t, "finance@example.org", account.Finance)
	a.addUser(t, "limited@example.org", account.Coordinator, o.ID)
	a.coord = a.signIn(t, "coord@example.org", password, "")
	a.finance = a.signIn(t, "finance@example.org", password, "")
	a.limited = a.signIn(t, "limited@example.org", password, "")
	return a
}

// book books name on event through the public path; nhs "no" waits for
// review.
func (a *actionsArea) book(t *testing.T, eventID int64, name, nhs string) booking.Booking {
	t.Helper()
	res, err := a.bookings.Book(ctx, booking.Request{EventID: eventID, Name: name,
		Email: strings.ToLower(strings.Fields(name)[0]) + "@example.org", Organisation: "North Clinic", Role: "Psychotherapist",
		SystemChecked: true, FeeTier: "Standard", Answers: map[string]string{"nhs": nhs}}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatalf("book %s: %v", name, err)
	}
	return res.Booking
}

func (a *actionsArea) booking(t *testing.T, id int64) booking.Booking {
	t.Helper()
	m, err := a.bookings.ManageByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Booking
}

// lastEntry is the newest audit entry about booking id.
func (a *actionsArea) lastEntry(t *testing.T, id int64) audit.Entry {
	t.Helper()
	list, err := audit.List(ctx, a.db, audit.Filter{Object: "booking", ObjectID: id})
	if err != nil || len(list) == 0 {
		t.Fatalf("audit of booking %d: %v (%d entries)", id, err, len(list))
	}
	return list[0]
}

// wantDone checks res sends the browser to booking id's page saying done.
func wantDone(t *testing.T, res *http.Response, body string, id int64, done string) {
	t.Helper()
	if want := fmt.Sprintf("/admin/bookings/%d?done=%s", id, done); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
		t.Fatalf("got %d → %q, want 303 → %q\n%s", res.StatusCode, res.Header.Get("Location"), want, body)
	}
}

// wantStaff checks an audit entry was made by the coordinator.
func (a *actionsArea) wantStaff(t *testing.T, e audit.Entry, action string) {
	t.Helper()
	if e.Action != action || e.Actor.Kind != audit.Staff || e.Actor.ID != a.coordUser.ID {
		t.Errorf("audit: %s by %v, want %s by the coordinator", e.Action, e.Actor, action)
	}
}

// TestActionReview shows why a booking waits and the answers, keeps the
// message typed when no decision was chosen, and approves with a message
// that the confirmation e-mail carries.
func TestActionReview(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "no")
	path := fmt.Sprintf("/admin/bookings/%d/review", b.ID)
	res, body := a.get(t, path, a.coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "We check eligibility outside the NHS by hand.") ||
		!strings.Contains(body, "Do you work in the NHS?") || strings.Contains(body, "£120.00") {
		t.Fatalf("GET: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.coord, url.Values{"message": {"See you <soon>"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose whether to approve or decline") ||
		!strings.Contains(body, "See you &lt;soon&gt;") {
		t.Fatalf("no decision: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.coord, url.Values{"decision": {"approve"}, "message": {"See you <soon>"}})
	wantDone(t, res, body, b.ID, "approved")
	if got := a.booking(t, b.ID); got.Status != booking.Confirmed {
		t.Errorf("status %s", got.Status)
	}
	a.wantStaff(t, a.lastEntry(t, b.ID), "booking.approve")
	var data string
	if err := a.db.QueryRowContext(ctx, `SELECT render_data FROM messages WHERE kind = 'booking_confirmed' AND to_email = $1`,
		"ann@example.org").Scan(&data); err != nil || !strings.Contains(data, "See you \\u003csoon\\u003e") {
		t.Errorf("confirmation e-mail's data: %v %s", err, data)
	}
	// Settled: the page says so and offers no form; a second POST is refused.
	res, body = a.post(t, path, a.coord, url.Values{"decision": {"decline"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "not waiting for review") || strings.Contains(body, "<form method=\"post\" action=\""+path) {
		t.Errorf("settled: %d\n%s", res.StatusCode, body)
	}
}

// TestActionCancel refuses a cancel without a reason (keeping the choice
// made) and cancels waiving the terms: the invoice is void, the audit
// entry has the reason.
func TestActionCancel(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "yes")
	path := fmt.Sprintf("/admin/bookings/%d/cancel", b.ID)
	res, body := a.get(t, path, a.coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Free until 14 days before.") {
		t.Fatalf("GET: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.coord, url.Values{"terms": {"waive"}, "reason": {"  "}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Give a reason") ||
		!strings.Contains(body, `value="waive" checked`) {
		t.Fatalf("no reason: %d\n%s", res.StatusCode, body)
	}
	if got := a.booking(t, b.ID); got.Status != booking.Confirmed {
		t.Fatalf("half-saved: %s", got.Status)
	}
	res, body = a.post(t, path, a.coord, url.Values{"terms": {"waive"}, "reason": {"Our mistake"}})
	wantDone(t, res, body, b.ID, "cancelled")
	if got := a.booking(t, b.ID); got.Status != booking.Cancelled || got.Payment != booking.Waived {
		t.Errorf("after: %s %s", got.Status, got.Payment)
	}
	e := a.lastEntry(t, b.ID)
	a.wantStaff(t, e, "booking.cancel")
	if e.Reason != "Our mistake" || !strings.Contains(string(e.Before), `"confirmed"`) || !strings.Contains(string(e.After), `"waived"`) {
		t.Errorf("audit entry: %q %s → %s", e.Reason, e.Before, e.After)
	}
}

// TestActionMove lists the other dates with places, never 500s on a bad
// choice, refuses finance, and moves: the browser goes to the new
// booking, which is on the new date, and the person has the moved e-mail.
func TestActionMove(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "yes")
	path := fmt.Sprintf("/admin/bookings/%d/move", b.ID)
	res, body := a.get(t, path, a.coord)
	to := a.main.Events[1]
	if res.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`value="%d"`, to.ID)) ||
		!strings.Contains(body, "5 places left") || !strings.Contains(body, "Other course") {
		t.Fatalf("GET: %d\n%s", res.StatusCode, body)
	}
	for _, bad := range []string{"", "abc", "-1", "99999999999999999999", "999999"} {
		res, body = a.post(t, path, a.coord, url.Values{"event": {bad}, "reason": {"Asked <by> phone"}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Asked &lt;by&gt; phone") {
			t.Errorf("event %q: %d\n%s", bad, res.StatusCode, body)
		}
	}
	if res, _ := a.post(t, path, a.finance, url.Values{"event": {fmt.Sprint(to.ID)}, "reason": {"x"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("finance moving: %d, want 403", res.StatusCode)
	}
	res, body = a.post(t, path, a.coord, url.Values{"event": {fmt.Sprint(to.ID)}, "reason": {"Asked by phone"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d\n%s", res.StatusCode, body)
	}
	old := a.booking(t, b.ID)
	if old.Status != booking.Cancelled || old.MovedTo == 0 {
		t.Fatalf("old booking: %s moved to %d", old.Status, old.MovedTo)
	}
	wantDone(t, res, body, old.MovedTo, "moved")
	if n := a.booking(t, old.MovedTo); n.EventID != to.ID || n.Status != booking.Confirmed {
		t.Errorf("new booking: event %d %s", n.EventID, n.Status)
	}
	a.wantStaff(t, a.lastEntry(t, old.MovedTo), "booking.move")
	var n int
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE kind = 'booking_moved' AND to_email = $1`,
		"ann@example.org").Scan(&n); err != nil || n != 1 {
		t.Errorf("moved e-mails: %d %v", n, err)
	}
}

// TestActionOffer offers a free place to a person waiting, with a reason.
func TestActionOffer(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	e := a.main.Events[0]
	a.book(t, e.ID, "Ann Archer", "yes")
	a.book(t, e.ID, "Ben Baker", "yes")
	cal := a.book(t, e.ID, "Cal Cole", "yes")
	path := fmt.Sprintf("/admin/bookings/%d/offer", cal.ID)
	if res, body := a.get(t, path, a.coord); res.StatusCode != http.StatusOK || !strings.Contains(body, "No place is free") {
		t.Fatalf("GET on a full date: %d\n%s", res.StatusCode, body)
	}
	if res, body := a.post(t, path, a.coord, url.Values{"reason": {"urgent"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("POST on a full date: %d\n%s", res.StatusCode, body)
	}
	if _, err := a.db.ExecContext(ctx, `UPDATE events SET capacity = 3 WHERE id = $1`, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.db.ExecContext(ctx, `UPDATE courses SET version = version + 1 WHERE id = (SELECT course_id FROM events WHERE id = $1)`, e.ID); err != nil {
		t.Fatal(err)
	}
	if res, body := a.post(t, path, a.coord, url.Values{"reason": {""}}); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Give a reason") {
		t.Errorf("no reason: %d", res.StatusCode)
	}
	res, body := a.post(t, path, a.coord, url.Values{"reason": {"Needs it for registration"}})
	wantDone(t, res, body, cal.ID, "offered")
	if got := a.booking(t, cal.ID); got.Status != booking.Confirmed { // the course holds no offers
		t.Errorf("status %s", got.Status)
	}
	if e := a.lastEntry(t, cal.ID); e.Action != "booking.offer_place" || e.Reason != "Needs it for registration" {
		t.Errorf("audit: %s %q", e.Action, e.Reason)
	}
}

// TestActionDetails keeps what was typed beside the errors and saves a
// correction with before and after in the audit log.
func TestActionDetails(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "yes")
	path := fmt.Sprintf("/admin/bookings/%d/details", b.ID)
	if res, body := a.get(t, path, a.coord); res.StatusCode != http.StatusOK || !strings.Contains(body, `value="ann@example.org"`) {
		t.Fatalf("GET: %d", res.StatusCode)
	}
	form := url.Values{"name": {"Ann Archer-Smith"}, "email": {"not an address"}, "organisation": {"South <Clinic>"},
		"role": {"Nurse"}, "registration_number": {""}, "po_number": {"PO-1"}}
	res, body := a.post(t, path, a.coord, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="not an address"`) ||
		!strings.Contains(body, `value="South &lt;Clinic&gt;"`) || !strings.Contains(body, `href="#email"`) {
		t.Fatalf("bad e-mail: %d\n%s", res.StatusCode, body)
	}
	form.Set("email", "ann.smith@example.org")
	res, body = a.post(t, path, a.coord, form)
	wantDone(t, res, body, b.ID, "corrected")
	got := a.booking(t, b.ID)
	if got.Name != "Ann Archer-Smith" || got.Email != "ann.smith@example.org" || got.PONumber != "PO-1" {
		t.Errorf("saved: %+v", got)
	}
	e := a.lastEntry(t, b.ID)
	a.wantStaff(t, e, "booking.correct")
	if !strings.Contains(string(e.Before), "ann@example.org") || !strings.Contains(string(e.After), "ann.smith@example.org") {
		t.Errorf("audit: %s → %s", e.Before, e.After)
	}
}

// TestActionPayment lets finance mark an invoice paid (a coordinator may
// not), keeps bad input, and stores the payment.
func TestActionPayment(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "yes")
	path := fmt.Sprintf("/admin/bookings/%d/payment", b.ID)
	if res, _ := a.get(t, path, a.coord); res.StatusCode != http.StatusForbidden {
		t.Errorf("coordinator: %d, want 403", res.StatusCode)
	}
	res, body := a.get(t, path, a.finance)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "£120.00") || !strings.Contains(body, `value="120.00"`) {
		t.Fatalf("GET as finance: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.finance, url.Values{"amount": {"12o"}, "paid_on": {"2099-01-01"}, "reference": {"BACS <77>"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="12o"`) || !strings.Contains(body, "BACS &lt;77&gt;") {
		t.Fatalf("bad amount: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.finance, url.Values{"amount": {"120.00"}, "paid_on": {"2099-01-01"}, "reference": {"BACS 77"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "cannot be in the future") {
		t.Fatalf("future day: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, path, a.finance, url.Values{"amount": {"120.00"}, "paid_on": {"2026-11-30"}, "reference": {"BACS 77"}})
	wantDone(t, res, body, b.ID, "paid")
	if got := a.booking(t, b.ID); got.Payment != booking.Paid || got.PaidAmount != 12000 || got.PaidOn != "2026-11-30" || got.PaidReference != "BACS 77" {
		t.Errorf("stored: %s %d %s %s", got.Payment, got.PaidAmount, got.PaidOn, got.PaidReference)
	}
	if e := a.lastEntry(t, b.ID); e.Action != "booking.mark_paid" || e.Actor.Kind != audit.Staff {
		t.Errorf("audit: %s by %v", e.Action, e.Actor)
	}
}

// TestActionNew adds a booking by hand: an unknown or malformed date is
// 404; an override without its reason keeps everything typed; with it the
// booking is made over capacity and the reason is audited.
func TestActionNew(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	e := a.main.Events[0]
	a.book(t, e.ID, "Ann Archer", "yes")
	a.book(t, e.ID, "Ben Baker", "yes")
	for _, q := range []string{"", "?event=abc", "?event=0", "?event=999999"} {
		if res, _ := a.get(t, "/admin/bookings/new"+q, a.coord); res.StatusCode != http.StatusNotFound {
			t.Errorf("new%s: %d, want 404", q, res.StatusCode)
		}
	}
	path := fmt.Sprintf("/admin/bookings/new?event=%d", e.ID)
	res, body := a.get(t, path, a.coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Ignore capacity") || !strings.Contains(body, "Do you work in the NHS?") {
		t.Fatalf("GET: %d\n%s", res.StatusCode, body)
	}
	form := url.Values{"name": {"Dee <Dunn>"}, "email": {"dee@example.org"}, "organisation": {"North Clinic"},
		"role": {"GP"}, "answer_nhs": {"yes"}, "system_checked": {"yes"}, booking.OverrideCapacity: {"yes"}}
	res, body = a.post(t, path, a.coord, form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Dee &lt;Dunn&gt;") ||
		!strings.Contains(body, `href="#reason_ignore_capacity"`) {
		t.Fatalf("override without reason: %d\n%s", res.StatusCode, body)
	}
	form.Set("reason_"+booking.OverrideCapacity, "Trainer agreed a third seat")
	res, body = a.post(t, path, a.coord, form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d\n%s", res.StatusCode, body)
	}
	var id int64
	if err := a.db.QueryRowContext(ctx, `SELECT id FROM bookings WHERE email = 'dee@example.org'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	wantDone(t, res, body, id, "added")
	if got := a.booking(t, id); got.Status != booking.Confirmed || got.Name != "Dee <Dunn>" {
		t.Errorf("added: %s %q", got.Status, got.Name)
	}
	ent := a.lastEntry(t, id)
	a.wantStaff(t, ent, "booking.create")
	if !strings.Contains(ent.Reason, "ignore_capacity: Trainer agreed a third seat") {
		t.Errorf("audit reason %q", ent.Reason)
	}
}

// TestActionsLimitedCoordinator: a coordinator limited to one course gets
// 403 on every action about another course's booking or date, on GET and
// on POST, and nothing changes; on their own course they may act.
func TestActionsLimitedCoordinator(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	b := a.book(t, a.main.Events[0].ID, "Ann Archer", "no")
	for _, kind := range []string{"review", "cancel", "move", "offer", "details"} {
		path := fmt.Sprintf("/admin/bookings/%d/%s", b.ID, kind)
		if res, _ := a.get(t, path, a.limited); res.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, res.StatusCode)
		}
		if res, _ := a.post(t, path, a.limited, url.Values{"decision": {"decline"}, "reason": {"x"}, "terms": {"waive"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", path, res.StatusCode)
		}
	}
	if got := a.booking(t, b.ID); got.Status != booking.PendingReview {
		t.Errorf("changed by a refused request: %s", got.Status)
	}
	if res, _ := a.get(t, fmt.Sprintf("/admin/bookings/new?event=%d", a.main.Events[0].ID), a.limited); res.StatusCode != http.StatusForbidden {
		t.Errorf("new on another course: %d", res.StatusCode)
	}
	// Their own course's booking may not be moved onto a course they may not touch.
	own := a.book(t, a.other.Events[0].ID, "Ben Baker", "yes")
	res, body := a.post(t, fmt.Sprintf("/admin/bookings/%d/move", own.ID), a.limited,
		url.Values{"event": {fmt.Sprint(a.main.Events[1].ID)}, "reason": {"x"}})
	if res.StatusCode != http.StatusUnprocessableEntity || a.booking(t, own.ID).Status != booking.Confirmed {
		t.Errorf("move onto another course: %d\n%s", res.StatusCode, body)
	}
	if res, _ := a.get(t, fmt.Sprintf("/admin/bookings/%d/details", own.ID), a.limited); res.StatusCode != http.StatusOK {
		t.Errorf("own course: %d", res.StatusCode)
	}
}

// TestActionsBadIDs answers a malformed or unknown booking with the 404
// page, never a 500, on GET and POST.
func TestActionsBadIDs(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	for _, id := range []string{"abc", "0", "-3", "1e3", "99999999999999999999", "999999"} {
		for _, kind := range []string{"review", "cancel", "move", "offer", "details"} {
			path := "/admin/bookings/" + id + "/" + kind
			if res, _ := a.get(t, path, a.coord); res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
			}
			if res, _ := a.post(t, path, a.coord, url.Values{"reason": {"x"}}); res.StatusCode != http.StatusNotFound {
				t.Errorf("POST %s: %d, want 404", path, res.StatusCode)
			}
		}
	}
}
