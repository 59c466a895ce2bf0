package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/booking"
)

// TestActionOfferPassesOpenOffer: on a full date whose freed place the
// waiting list has offered to the first person waiting, the offer page
// says whose offer it withdraws before the coordinator confirms; the POST
// passes the offer, the holder goes back to the front of the queue, and
// both bookings' timelines have the reason. With nothing to pass, the
// page says so and shows no form.
func TestActionOfferPassesOpenOffer(t *testing.T) {
	t.Parallel()
	a := newActionsArea(t)
	if _, err := a.db.ExecContext(ctx, `UPDATE courses SET offer_hold_hours = 48, version = version + 1 WHERE id = $1`, a.main.ID); err != nil {
		t.Fatal(err)
	}
	e := a.main.Events[0] // two places
	ann := a.book(t, e.ID, "Ann Archer", "yes")
	a.book(t, e.ID, "Ben Baker", "yes")
	cal := a.book(t, e.ID, "Cal Cole", "yes")
	dee := a.book(t, e.ID, "Dee Dean", "yes")
	eve := a.book(t, e.ID, "Eve Evans", "yes")
	if _, err := a.bookings.CancelByID(ctx, ann.ID, audit.CommandLine("test"), booking.CancelOptions{Reason: "ill"}); err != nil {
		t.Fatal(err)
	}
	if got := a.booking(t, cal.ID); got.Status != booking.Offered {
		t.Fatalf("Cal after Ann cancelled: %s", got.Status)
	}
	path := fmt.Sprintf("/admin/bookings/%d/offer", eve.ID)
	res, body := a.get(t, path, a.coord)
	want := "No place is free: the freed place is on offer to Cal Cole until 09:00 on Thursday 3 December 2026 UK time (GMT). " +
		"Offering it to Eve Evans withdraws that offer; Cal Cole goes back to the top of the waiting list and is told."
	if res.StatusCode != http.StatusOK || !strings.Contains(body, want) || !strings.Contains(body, `name="reason"`) {
		t.Fatalf("GET: %d, want the offer it withdraws and the form\n%s", res.StatusCode, body)
	}
	if !strings.Contains(body, `name="withdraw" value="`+strconv.FormatInt(cal.ID, 10)+`"`) {
		t.Errorf("the form does not carry the offer it withdraws")
	}
	// A form confirmed for another state (a free place) is shown the new one.
	if res, body := a.post(t, path, a.coord, url.Values{"reason": {"Speaker"}, "withdraw": {"0"}}); res.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "Things have changed") || !strings.Contains(body, want) {
		t.Errorf("stale POST: %d\n%s", res.StatusCode, body)
	}
	if got := a.booking(t, eve.ID); got.Status != booking.Waitlisted {
		t.Fatalf("a stale POST changed Eve: %s", got.Status)
	}
	res, body = a.post(t, path, a.coord, url.Values{"reason": {"Speaker on the day"}, "withdraw": {strconv.FormatInt(cal.ID, 10)}})
	wantDone(t, res, body, eve.ID, "offered")
	if got := a.booking(t, eve.ID); got.Status != booking.Offered {
		t.Errorf("Eve: %s", got.Status)
	}
	if got := a.booking(t, cal.ID); got.Status != booking.Waitlisted || got.WaitPosition != 1 {
		t.Errorf("Cal: %s at %d, want waiting at 1", got.Status, got.WaitPosition)
	}
	if e := a.lastEntry(t, eve.ID); e.Reason != "Speaker on the day" {
		t.Errorf("Eve's entry: %q", e.Reason)
	}
	a.wantStaff(t, a.lastEntry(t, eve.ID), "booking.offer_place")
	a.wantStaff(t, a.lastEntry(t, cal.ID), "booking.withdraw_offer")
	if e := a.lastEntry(t, cal.ID); e.Reason != "Speaker on the day" {
		t.Errorf("Cal's entry: %q", e.Reason)
	}
	var n int
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE kind = 'booking_offer_withdrawn' AND to_email = $1`,
		"cal@example.org").Scan(&n); err != nil || n != 1 {
		t.Errorf("withdrawal e-mails to Cal: %d %v", n, err)
	}
	if _, body := a.get(t, fmt.Sprintf("/admin/bookings/%d", cal.ID), a.coord); !strings.Contains(body, "Offer withdrawn (passed to someone else)") {
		t.Errorf("Cal's timeline lacks the withdrawal")
	}

	// Eve's offer runs out (not yet lapsed by the job): nothing to pass.
	if _, err := a.db.ExecContext(ctx, `UPDATE bookings SET offer_expires_at = $1 WHERE id = $2`, t0.Add(-1), eve.ID); err != nil {
		t.Fatal(err)
	}
	path = fmt.Sprintf("/admin/bookings/%d/offer", dee.ID)
	res, body = a.get(t, path, a.coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "none is on offer to anyone") || strings.Contains(body, `name="reason"`) {
		t.Errorf("GET with nothing to pass: %d\n%s", res.StatusCode, body)
	}
	if res, _ := a.post(t, path, a.coord, url.Values{"reason": {"x"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("POST with nothing to pass: %d", res.StatusCode)
	}
}
