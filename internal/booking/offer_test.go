package booking_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
)

// held counts the places held on the fixture's date.
func held(t *testing.T, f *fixture) int {
	t.Helper()
	n := 0
	for _, s := range statuses(t, f) {
		if s.HoldsPlace() {
			n++
		}
	}
	return n
}

// TestOfferPassesOpenOffer: the waiting list has offered the freed place
// to the first person waiting; a coordinator offers it to the third
// instead. The third is offered the place afresh, the first goes back to
// the waiting list at the front and is told, both get an audit entry
// with the reason, and a later place reaches the first again with its
// own e-mail.
func TestOfferPassesOpenOffer(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann, ben, _, dee := f.book(t, "Ann A"), f.book(t, "Ben B"), f.book(t, "Cal C"), f.book(t, "Dee D")
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	if got := f.byID(t, ben.Booking.ID); got.Status != booking.Offered {
		t.Fatalf("Ben after Ann cancelled: %s", got.Status)
	}
	benExpiry := f.byID(t, ben.Booking.ID).OfferExpiresAt
	f.clock.Add(time.Hour)
	open, err := f.svc.OfferToWithdraw(ctx, f.event.ID)
	if err != nil || open.ID != ben.Booking.ID {
		t.Fatalf("open offer: %v %d, want Ben's", err, open.ID)
	}

	b, err := f.svc.OfferPlace(ctx, dee.Booking.ID, operator, "needs it for registration")
	if err != nil || b.Status != booking.Offered || !b.OfferExpiresAt.Equal(f.clock.Now().Add(48*time.Hour)) {
		t.Fatalf("offer to Dee: %v %s %v", err, b.Status, b.OfferExpiresAt)
	}
	got := f.byID(t, ben.Booking.ID)
	if got.Status != booking.Waitlisted || got.WaitPosition != 1 || !got.OfferExpiresAt.IsZero() {
		t.Errorf("Ben: %s position %d expiry %v, want waiting at 1", got.Status, got.WaitPosition, got.OfferExpiresAt)
	}
	if got := statuses(t, f); got["Cal C"] != booking.Waitlisted || got["Dee D"] != booking.Offered {
		t.Errorf("statuses: %v", got)
	}
	if n := held(t, f); n != 1 {
		t.Errorf("%d places held, capacity 1", n)
	}
	if k := f.out.kinds("dee.d@example.org"); k[len(k)-1] != "booking_offered" {
		t.Errorf("Dee's mail: %v", k)
	}
	if k := f.out.kinds("ben.b@example.org"); strings.Join(k, ",") != "booking_waitlisted,booking_offered,booking_offer_withdrawn" {
		t.Errorf("Ben's mail: %v", k)
	}
	text := f.mailText(t, "booking_offer_withdrawn")
	for _, want := range []string{"Dear Ben B", "withdrawn the place we offered you", "still on the waiting list, number 1",
		"the next place that comes up will be offered to you", "/bookings/"} {
		if !strings.Contains(text, want) {
			t.Errorf("withdrawal e-mail lacks %q:\n%s", want, text)
		}
	}
	h := history(t, f.db, "booking", dee.Booking.ID)
	wantEntry(t, h[len(h)-1], "booking.offer_place", operator, map[string]any{"status": "waitlisted", "wait_position": 2},
		map[string]any{"status": "offered"})
	if h[len(h)-1].Reason != "needs it for registration" {
		t.Errorf("Dee's reason %q", h[len(h)-1].Reason)
	}
	h = history(t, f.db, "booking", ben.Booking.ID)
	wantEntry(t, h[len(h)-1], "booking.withdraw_offer", operator,
		map[string]any{"status": "offered", "offer_expires_at": benExpiry.Format(time.RFC3339)},
		map[string]any{"status": "waitlisted", "wait_position": 1})
	if h[len(h)-1].Reason != "needs it for registration" {
		t.Errorf("Ben's reason %q", h[len(h)-1].Reason)
	}
	// Ben's manage link still works and shows him first in the queue.
	if m, err := f.svc.ByToken(ctx, ben.Token); err != nil || m.Booking.Status != booking.Waitlisted || m.Booking.WaitPosition != 1 {
		t.Errorf("Ben's link: %v %s %d", err, m.Booking.Status, m.Booking.WaitPosition)
	}
	if _, err := f.svc.AcceptOffer(ctx, ben.Token); !errors.Is(err, booking.ErrNoOffer) {
		t.Errorf("Ben accepting the withdrawn offer: %v, want ErrNoOffer", err)
	}
	// Dee turns it down: the place is Ben's again, with an e-mail of its own.
	if _, err := f.svc.DeclineOffer(ctx, dee.Token); err != nil {
		t.Fatal(err)
	}
	if got := f.byID(t, ben.Booking.ID); got.Status != booking.Offered {
		t.Errorf("Ben after Dee declined: %s", got.Status)
	}
	keys := map[string]bool{}
	for _, m := range f.out.msgs {
		if m.ToEmail == "ben.b@example.org" && m.Kind == "booking_offered" {
			keys[m.DedupeKey] = true
		}
	}
	if len(keys) != 2 {
		t.Errorf("Ben's two offers share a dedupe key: %v", keys)
	}
}

// TestOfferWithdrawsTheMostRecent: with two offers open, the later one is
// passed on and the earlier holder keeps theirs.
func TestOfferWithdrawsTheMostRecent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 2, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann, bob := f.book(t, "Ann A"), f.book(t, "Bob B")
	cal, dee, eve := f.book(t, "Cal C"), f.book(t, "Dee D"), f.book(t, "Eve E")
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(2 * time.Hour)
	if _, err := f.svc.Cancel(ctx, bob.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.OfferPlace(ctx, eve.Booking.ID, operator, "speaker"); err != nil {
		t.Fatal(err)
	}
	if got := f.byID(t, cal.Booking.ID); got.Status != booking.Offered {
		t.Errorf("Cal (the earlier offer): %s", got.Status)
	}
	if got := f.byID(t, dee.Booking.ID); got.Status != booking.Waitlisted || got.WaitPosition != 1 {
		t.Errorf("Dee (the later offer): %s %d", got.Status, got.WaitPosition)
	}
	if n := held(t, f); n != 2 {
		t.Errorf("%d places held, capacity 2", n)
	}
}

// TestOfferNothingToPass: full with no open offer — the places are
// taken up, or the only offer's time is up, or the course holds no
// offers — refuses with ErrNoFreePlace and changes nothing.
func TestOfferNothingToPass(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann, ben, cal := f.book(t, "Ann A"), f.book(t, "Ben B"), f.book(t, "Cal C")
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(49 * time.Hour) // Ben's offer is over, not yet lapsed by the job
	if _, err := f.svc.OfferPlace(ctx, cal.Booking.ID, operator, "r"); !errors.Is(err, booking.ErrNoFreePlace) {
		t.Errorf("only a lapsed offer: %v", err)
	}
	if _, err := f.svc.OfferToWithdraw(ctx, f.event.ID); !errors.Is(err, booking.ErrNotFound) {
		t.Errorf("OfferToWithdraw with a lapsed offer: %v", err)
	}
	if got := f.byID(t, ben.Booking.ID); got.Status != booking.Offered {
		t.Errorf("Ben: %s", got.Status)
	}

	g := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann, ben, cal = g.book(t, "Ann A"), g.book(t, "Ben B"), g.book(t, "Cal C")
	if _, err := g.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := g.svc.AcceptOffer(ctx, ben.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := g.svc.OfferPlace(ctx, cal.Booking.ID, operator, "r"); !errors.Is(err, booking.ErrNoFreePlace) {
		t.Errorf("offer taken up: %v", err)
	}

	// A course that holds no offers: an offer still open from before the
	// hold was removed is not passed on (it would confirm the person).
	h := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann, _, cal = h.book(t, "Ann A"), h.book(t, "Ben B"), h.book(t, "Cal C")
	if _, err := h.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.ExecContext(ctx, `UPDATE courses SET offer_hold_hours = 0, version = version + 1 WHERE id = $1`, h.course.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.OfferPlace(ctx, cal.Booking.ID, operator, "r"); !errors.Is(err, booking.ErrNoFreePlace) {
		t.Errorf("no hold: %v", err)
	}
	if got := statuses(t, h); got["Ben B"] != booking.Offered || got["Cal C"] != booking.Waitlisted {
		t.Errorf("statuses: %v", got)
	}
}

// TestOfferRacesAccept: the holder of the only open offer takes it up
// while a coordinator passes it to someone else, through two connection
// pools (only the database's locks). Whoever comes second is refused;
// never more places held than the capacity, and nobody is lost.
func TestOfferRacesAccept(t *testing.T) {
	t.Parallel()
	outcomes := map[string]int{}
	for range 4 {
		url := dbtest.URL(t)
		db1 := dbtest.OpenURL(t, url)
		if _, err := db1.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		db2 := dbtest.OpenURL(t, url)
		f := newFixture(t, db1, 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
		second := booking.NewService(booking.Options{DB: db2, Catalog: catalog.NewStore(db2, catalog.Hooks{}), Outbox: f.out, Now: f.clock.Now})
		ann, ben, cal := f.book(t, "Ann A"), f.book(t, "Ben B"), f.book(t, "Cal C")
		if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
			t.Fatal(err)
		}
		var acceptErr, offerErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; _, acceptErr = second.AcceptOffer(ctx, ben.Token) }()
		go func() {
			defer wg.Done()
			<-start
			_, offerErr = f.svc.OfferPlace(ctx, cal.Booking.ID, operator, "speaker")
		}()
		close(start)
		wg.Wait()
		got := statuses(t, f)
		switch {
		case acceptErr == nil && errors.Is(offerErr, booking.ErrNoFreePlace):
			if got["Ben B"] != booking.Confirmed || got["Cal C"] != booking.Waitlisted {
				t.Errorf("accept first: %v", got)
			}
			outcomes["accepted"]++
		case offerErr == nil && errors.Is(acceptErr, booking.ErrNoOffer):
			if got["Ben B"] != booking.Waitlisted || got["Cal C"] != booking.Offered {
				t.Errorf("withdrawal first: %v", got)
			}
			outcomes["withdrawn"]++
		default:
			t.Errorf("accept: %v; offer: %v; statuses %v", acceptErr, offerErr, got)
		}
		if n := held(t, f); n > 1 {
			t.Errorf("%d places held, capacity 1: %v", n, got)
		}
	}
	t.Logf("outcomes: %v", outcomes)
}
