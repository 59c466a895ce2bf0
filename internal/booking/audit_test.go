package booking_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// entry is an audit entry with its before and after read back.
type entry struct {
	audit.Entry
	before, after map[string]any
}

// history returns the audit entries about an object, oldest first.
// sent keeps the timed-mail entries of an event's history (the catalogue
// records the event's own creation and changes there too).
func sent(h []entry) []entry {
	var out []entry
	for _, e := range h {
		if strings.HasPrefix(e.Action, "event.send_") {
			out = append(out, e)
		}
	}
	return out
}

func history(t *testing.T, db *database.DB, object string, id int64) []entry {
	t.Helper()
	list, err := audit.List(ctx, db, audit.Filter{Object: object, ObjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]entry, len(list))
	for i, e := range list {
		x := entry{Entry: e}
		if err := json.Unmarshal(e.Before, &x.before); err != nil {
			t.Fatalf("entry %d before %s: %v", e.ID, e.Before, err)
		}
		if err := json.Unmarshal(e.After, &x.after); err != nil {
			t.Fatalf("entry %d after %s: %v", e.ID, e.After, err)
		}
		out[len(list)-1-i] = x
	}
	return out
}

// wantEntry checks one entry: its action, actor, and the fields given of
// its before and after (nil: the whole side is null).
func wantEntry(t *testing.T, got entry, action string, actor audit.Actor, before, after map[string]any) {
	t.Helper()
	if got.Action != action || got.Actor != actor {
		t.Errorf("entry %d: got %s by %v, want %s by %v", got.ID, got.Action, got.Actor, action, actor)
	}
	for side, pair := range map[string][2]map[string]any{"before": {got.before, before}, "after": {got.after, after}} {
		have, want := pair[0], pair[1]
		if want == nil {
			if have != nil {
				t.Errorf("%s entry %d %s: got %v, want null", action, got.ID, side, have)
			}
			continue
		}
		for k, v := range want {
			if fmt.Sprint(have[k]) != fmt.Sprint(v) {
				t.Errorf("%s entry %d %s %s: got %v, want %v (all: %v)", action, got.ID, side, k, have[k], v, have)
			}
		}
	}
	for _, side := range []map[string]any{got.before, got.after} {
		if _, ok := side["access_needs"]; ok {
			t.Errorf("%s entry %d carries access needs", action, got.ID)
		}
	}
}

// TestAuditParticipantChanges checks that booking, cancelling, declining
// and accepting an offer and correcting details each record one entry in
// the participant's name, and that a place freed is filled in the name of
// whoever freed it.
func TestAuditParticipantChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann, ben, cal := f.book(t, "Ann A"), f.book(t, "Ben B"), f.book(t, "Cal C")
	annID, benID, calID := ann.Booking.ID, ben.Booking.ID, cal.Booking.ID

	h := history(t, f.db, "booking", annID)
	if len(h) != 1 {
		t.Fatalf("Ann booked: %d entries, want 1", len(h))
	}
	wantEntry(t, h[0], "booking.create", audit.ParticipantOf(annID), nil, map[string]any{"status": "confirmed", "payment": "invoice"})
	wantEntry(t, history(t, f.db, "booking", benID)[0], "booking.create", audit.ParticipantOf(benID), nil,
		map[string]any{"status": "waitlisted", "wait_position": 1})
	wantEntry(t, history(t, f.db, "booking", calID)[0], "booking.create", audit.ParticipantOf(calID), nil,
		map[string]any{"status": "waitlisted", "wait_position": 2})

	// A second attempt by Ann changes nothing and records nothing.
	if _, err := f.svc.Book(ctx, f.request("Ann A"), participant); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateDetails(ctx, ann.Token, "Ann Archer", "South Clinic"); err != nil {
		t.Fatal(err)
	}
	h = history(t, f.db, "booking", annID)
	if len(h) != 2 {
		t.Fatalf("Ann corrected: %d entries, want 2", len(h))
	}
	wantEntry(t, h[1], "booking.correct", audit.ParticipantOf(annID),
		map[string]any{"name": "Ann A", "organisation": "North Clinic"}, map[string]any{"name": "Ann Archer", "organisation": "South Clinic"})

	// Ann cancels: Ben is offered her place, in her name.
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	h = history(t, f.db, "booking", annID)
	if len(h) != 3 {
		t.Fatalf("Ann cancelled: %d entries, want 3", len(h))
	}
	wantEntry(t, h[2], "booking.cancel", audit.ParticipantOf(annID),
		map[string]any{"status": "confirmed", "payment": "invoice"}, map[string]any{"status": "cancelled"})
	if _, ok := h[2].after["name"]; ok {
		t.Errorf("a cancellation records the name: %v", h[2].after)
	}
	offer := f.clock.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	h = history(t, f.db, "booking", benID)
	if len(h) != 2 {
		t.Fatalf("Ben moved up: %d entries, want 2", len(h))
	}
	wantEntry(t, h[1], "booking.move_up", audit.ParticipantOf(annID),
		map[string]any{"status": "waitlisted", "wait_position": 1}, map[string]any{"status": "offered", "offer_expires_at": offer})

	// Ben turns it down: Cal is offered it, in Ben's name; Cal accepts.
	if _, err := f.svc.DeclineOffer(ctx, ben.Token); err != nil {
		t.Fatal(err)
	}
	wantEntry(t, history(t, f.db, "booking", benID)[2], "booking.decline_offer", audit.ParticipantOf(benID),
		map[string]any{"status": "offered", "offer_expires_at": offer}, map[string]any{"status": "declined"})
	if _, err := f.svc.AcceptOffer(ctx, cal.Token); err != nil {
		t.Fatal(err)
	}
	h = history(t, f.db, "booking", calID)
	if len(h) != 3 {
		t.Fatalf("Cal: %d entries, want 3", len(h))
	}
	wantEntry(t, h[1], "booking.move_up", audit.ParticipantOf(benID), map[string]any{"status": "waitlisted"},
		map[string]any{"status": "offered"})
	wantEntry(t, h[2], "booking.accept_offer", audit.ParticipantOf(calID), map[string]any{"status": "offered"},
		map[string]any{"status": "confirmed", "payment": "invoice"})
	if _, ok := h[2].after["offer_expires_at"]; ok {
		t.Errorf("an accepted offer still expires: %v", h[2].after)
	}

	// What is refused records nothing.
	if _, err := f.svc.Cancel(ctx, ann.Token); !errors.Is(err, booking.ErrNotActive) {
		t.Fatalf("second cancel: %v", err)
	}
	if n := len(history(t, f.db, "booking", annID)); n != 3 {
		t.Errorf("a refused cancel recorded something: %d entries", n)
	}
}

// TestAuditCoordinatorAndJobs checks the review decisions and the jobs:
// each entry names the operator or the job.
func TestAuditCoordinatorAndJobs(t *testing.T) {
	t.Parallel()
	f := newReviewFixture(t, 1, nil)
	ann, ben := f.book(t, "Ann Archer", "no"), f.book(t, "Ben Baker", "yes")
	if _, err := f.svc.Approve(ctx, ann.Booking.ID, operator, ""); err != nil {
		t.Fatal(err)
	}
	h := history(t, f.db, "booking", ann.Booking.ID)
	if len(h) != 2 {
		t.Fatalf("Ann approved: %d entries, want 2", len(h))
	}
	wantEntry(t, h[1], "booking.approve", operator, map[string]any{"status": "pending_review"},
		map[string]any{"status": "confirmed", "payment": "invoice"})

	// Cancelled by a coordinator: Ben is offered the place in their name,
	// lets it lapse, and the job records the lapse.
	if _, err := f.svc.CancelByID(ctx, ann.Booking.ID, operator, booking.CancelOptions{Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	h = history(t, f.db, "booking", ben.Booking.ID)
	wantEntry(t, h[len(h)-1], "booking.move_up", operator, map[string]any{"status": "waitlisted"}, map[string]any{"status": "offered"})
	f.clock.t = f.clock.t.Add(49 * time.Hour)
	expiry := audit.Job("booking_expire_offers")
	if n, err := f.svc.ExpireOffers(ctx, expiry); err != nil || n != 1 {
		t.Fatalf("ExpireOffers: %d, %v", n, err)
	}
	h = history(t, f.db, "booking", ben.Booking.ID)
	if len(h) != 3 {
		t.Fatalf("Ben: %d entries, want create, move_up, lapse", len(h))
	}
	wantEntry(t, h[2], "booking.lapse", expiry, map[string]any{"status": "offered"}, map[string]any{"status": "lapsed"})
	if n, err := f.svc.ExpireOffers(ctx, expiry); err != nil || n != 0 {
		t.Fatalf("ExpireOffers again: %d, %v", n, err)
	}
	if n := len(history(t, f.db, "booking", ben.Booking.ID)); n != 3 {
		t.Errorf("nothing to lapse, yet %d entries", n)
	}

	// A second review, declined.
	cal := f.book(t, "Cal Cole", "no")
	if _, err := f.svc.DeclineReview(ctx, cal.Booking.ID, operator, ""); err != nil {
		t.Fatal(err)
	}
	wantEntry(t, history(t, f.db, "booking", cal.Booking.ID)[1], "booking.decline_review", operator,
		map[string]any{"status": "pending_review"}, map[string]any{"status": "declined"})
}

// TestAuditErasure checks that each erasure of access needs is recorded,
// without the needs.
func TestAuditErasure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	req := f.request("Ann A")
	req.AccessNeeds = "Captions, please"
	res, err := f.svc.Book(ctx, req, participant)
	if err != nil {
		t.Fatal(err)
	}
	f.book(t, "Ben B") // no needs: nothing to erase
	f.clock.t = f.event.EndsAt.Add(31 * 24 * time.Hour)
	erasure := audit.Job("booking_erase_access_needs")
	if n, err := f.svc.EraseAccessNeeds(ctx, 30*24*time.Hour, erasure); err != nil || n != 1 {
		t.Fatalf("erased %d, %v; want 1", n, err)
	}
	all, err := audit.List(ctx, f.db, audit.Filter{Action: "booking.erase_access_needs"})
	if err != nil || len(all) != 1 {
		t.Fatalf("erasure entries: %d, %v; want 1", len(all), err)
	}
	h := history(t, f.db, "booking", res.Booking.ID)
	wantEntry(t, h[1], "booking.erase_access_needs", erasure, map[string]any{"access_needs_erased": false},
		map[string]any{"access_needs_erased": true})
	for _, e := range all {
		if strings.Contains(string(e.Before)+string(e.After), "Captions") {
			t.Errorf("erasure entry carries the needs: %s / %s", e.Before, e.After)
		}
	}
}

// TestAuditEventCancelledAndTimedMail checks that a cancelled date's
// bookings are cancelled in the name of whoever saved it, with the reason,
// and that the timed mail job records each batch it queues.
func TestAuditEventCancelledAndTimedMail(t *testing.T) {
	t.Parallel()
	f := newNoticeFixture(t, time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), date(2026, 6, 10), 1, nil)
	ann, ben := f.book(t, "Ann A"), f.book(t, "Ben B")

	f.at(f.svc.JoiningSendAt(f.course, f.event))
	sendDue := audit.Job("booking_send_due")
	if n, err := f.svc.SendDue(ctx, sendDue); err != nil || n != 1 {
		t.Fatalf("SendDue: %d, %v", n, err)
	}
	h := sent(history(t, f.db, "event", f.event.ID))
	if len(h) != 1 {
		t.Fatalf("event entries after SendDue: %d, want 1", len(h))
	}
	wantEntry(t, h[0], "event.send_joining", sendDue, nil,
		map[string]any{"version": f.event.Version, "bookings": []any{float64(ann.Booking.ID)}})
	if n, err := f.svc.SendDue(ctx, sendDue); err != nil || n != 0 {
		t.Fatalf("SendDue again: %d, %v", n, err)
	}
	if n := len(sent(history(t, f.db, "event", f.event.ID))); n != 1 {
		t.Errorf("a run that queued nothing recorded something: %d entries", n)
	}

	f.confirm = true
	if err := f.edit(t, func(e *catalog.Event) { e.Status = catalog.Cancelled }); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id     int64
		before string
	}{{ann.Booking.ID, "confirmed"}, {ben.Booking.ID, "waitlisted"}} {
		h := history(t, f.db, "booking", tt.id)
		if len(h) != 2 {
			t.Fatalf("booking %d: %d entries, want create and cancel", tt.id, len(h))
		}
		wantEntry(t, h[1], "booking.cancel", catalogtest.Actor, map[string]any{"status": tt.before}, map[string]any{"status": "cancelled"})
		if h[1].Reason != "the date was cancelled" {
			t.Errorf("booking %d: reason %q", tt.id, h[1].Reason)
		}
	}
}

// failingOutbox refuses every message, as a broken database would.
type failingOutbox struct{}

func (failingOutbox) Enqueue(context.Context, *sql.Tx, messaging.Message) (int64, bool, error) {
	return 0, false, errors.New("outbox down")
}

// TestAuditRolledBackWithTheBooking checks that the entry is written in the
// booking's transaction: a booking that rolls back leaves none, and a
// booking that cannot say who made it is not taken.
func TestAuditRolledBackWithTheBooking(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	broken := booking.NewService(booking.Options{DB: f.db, Catalog: catalog.NewStore(f.db, catalog.Hooks{}), Outbox: failingOutbox{},
		BaseURL: "https://training.example", Now: f.clock.Now})
	if _, err := broken.Book(ctx, f.request("Ann A"), participant); err == nil {
		t.Fatal("booking with a broken outbox: no error")
	}
	if _, err := f.svc.Book(ctx, f.request("Ben B"), audit.Actor{}); !errors.Is(err, audit.ErrInvalid) {
		t.Fatalf("booking by nobody: got %v, want audit.ErrInvalid", err)
	}
	if list, _ := f.svc.List(ctx, f.event.ID); len(list) != 0 {
		t.Fatalf("%d bookings stored, want none", len(list))
	}
	if all, err := audit.List(ctx, f.db, audit.Filter{Object: "booking"}); err != nil || len(all) != 0 {
		t.Fatalf("booking audit entries: %d, %v; want none", len(all), err)
	}
}
