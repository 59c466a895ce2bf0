package booking_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
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

var ctx = context.Background()

// The actors of the tests' changes.
var (
	participant = audit.ParticipantOf(0) // the person booking: the new booking's ID once it has one
	operator    = audit.CommandLine("ann")
	job         = audit.Job("test")
)

// outbox records the messages the service queues.
type outbox struct {
	mu   sync.Mutex
	msgs []messaging.Message
}

func (o *outbox) Enqueue(ctx context.Context, tx *sql.Tx, m messaging.Message) (int64, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return int64(len(o.msgs)), true, nil
}

func (o *outbox) kinds(to string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, m := range o.msgs {
		if m.ToEmail == to {
			out = append(out, m.Kind)
		}
	}
	return out
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	db     *database.DB
	svc    *booking.Service
	out    *outbox
	clock  *clock
	course catalog.Course
	event  catalog.Event
}

// newFixture saves a course with one event (capacity places, 28 days after
// the clock's start) and returns a service on it.
func newFixture(t *testing.T, db *database.DB, capacity int, mutate func(c *catalog.Course)) *fixture {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	c := catalogtest.NewCourse(clk.Now())
	c.Events[0].Capacity = capacity
	c.Waitlist = true
	if mutate != nil {
		mutate(&c)
	}
	store := catalog.NewStore(db, catalog.Hooks{})
	if _, err := store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(clk.Now())); err != nil {
		t.Fatal(err)
	}
	out := &outbox{}
	svc := booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: out, BaseURL: "https://training.example", Now: clk.Now,
		MinNoticeWorkingDays: 10})
	return &fixture{db: db, svc: svc, out: out, clock: clk, course: c, event: c.Events[0]}
}

func (f *fixture) request(name string) booking.Request {
	return booking.Request{
		EventID: f.event.ID, Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.org",
		Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true,
	}
}

func (f *fixture) book(t *testing.T, name string) booking.Result {
	t.Helper()
	res, err := f.svc.Book(ctx, f.request(name), participant)
	if err != nil {
		t.Fatalf("book %s: %v", name, err)
	}
	return res
}

func statuses(t *testing.T, f *fixture) map[string]booking.Status {
	t.Helper()
	list, err := f.svc.List(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]booking.Status{}
	for _, b := range list {
		out[b.Name] = b.Status
	}
	return out
}

func TestBookConfirmsThenWaitlists(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 2, nil)
	a, b, c, d := f.book(t, "Ann A"), f.book(t, "Ben B"), f.book(t, "Cal C"), f.book(t, "Dee D")
	for _, tt := range []struct {
		res    booking.Result
		status booking.Status
		pos    int
	}{{a, booking.Confirmed, 0}, {b, booking.Confirmed, 0}, {c, booking.Waitlisted, 1}, {d, booking.Waitlisted, 2}} {
		if tt.res.Booking.Status != tt.status || tt.res.Booking.WaitPosition != tt.pos {
			t.Errorf("%s: got %s position %d, want %s %d", tt.res.Booking.Name, tt.res.Booking.Status, tt.res.Booking.WaitPosition, tt.status, tt.pos)
		}
		if len(tt.res.Token) != 43 {
			t.Errorf("%s: token %q is not 43 characters", tt.res.Booking.Name, tt.res.Token)
		}
	}
	if got := f.out.kinds("ann.a@example.org"); len(got) != 1 || got[0] != "booking_confirmed" {
		t.Errorf("Ann's mail: got %v", got)
	}
	if got := f.out.kinds("cal.c@example.org"); len(got) != 1 || got[0] != "booking_waitlisted" {
		t.Errorf("Cal's mail: got %v", got)
	}
	// The stored token is a hash: the raw token appears nowhere in the database.
	var n int
	if err := f.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM booking_tokens WHERE token_hash = $1`, a.Token).Scan(&n); err != nil || n != 0 {
		t.Errorf("raw token found in booking_tokens (%d, %v)", n, err)
	}
}

func TestBookWithoutWaitlistIsFull(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.Waitlist = false })
	f.book(t, "Ann A")
	_, err := f.svc.Book(ctx, f.request("Ben B"), participant)
	if !errors.Is(err, booking.ErrEventFull) {
		t.Fatalf("got %v, want ErrEventFull", err)
	}
}

func TestDuplicateBookingShowsExisting(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	first := f.book(t, "Ann A")
	req := f.request("Ann A")
	req.Email = "  ANN.A@Example.ORG "
	again, err := f.svc.Book(ctx, req, participant)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.Booking.ID != first.Booking.ID || again.Token != "" {
		t.Fatalf("repeat booking: got existing=%v id=%d token=%q, want the first booking %d", again.Existing, again.Booking.ID, again.Token, first.Booking.ID)
	}
	if got := f.out.kinds("ann.a@example.org"); len(got) != 2 || got[1] != "booking_already_booked" {
		t.Fatalf("mail: got %v, want confirmation then already-booked", got)
	}
	list, _ := f.svc.List(ctx, f.event.ID)
	if len(list) != 1 {
		t.Fatalf("bookings: got %d, want 1", len(list))
	}
}

func TestCancelMovesUpAndNeverFreesTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, nil)
	ann := f.book(t, "Ann A")
	f.book(t, "Ben B")
	f.book(t, "Cal C")
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	// A second cancel (double click, two tabs) frees nothing.
	if _, err := f.svc.Cancel(ctx, ann.Token); !errors.Is(err, booking.ErrNotActive) {
		t.Fatalf("second cancel: got %v, want ErrNotActive", err)
	}
	got := statuses(t, f)
	want := map[string]booking.Status{"Ann A": booking.Cancelled, "Ben B": booking.Confirmed, "Cal C": booking.Waitlisted}
	for name, s := range want {
		if got[name] != s {
			t.Errorf("%s: got %s, want %s", name, got[name], s)
		}
	}
	if k := f.out.kinds("ben.b@example.org"); len(k) != 2 || k[1] != "booking_moved_up" {
		t.Errorf("Ben's mail: got %v, want waitlisted then moved up", k)
	}
	if k := f.out.kinds("ann.a@example.org"); len(k) != 2 || k[1] != "booking_cancelled" {
		t.Errorf("Ann's mail: got %v", k)
	}
}

func TestConcurrentCancelFreesOnePlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, nil)
	ann := f.book(t, "Ann A")
	for _, n := range []string{"Ben B", "Cal C", "Dee D"} {
		f.book(t, n)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.svc.Cancel(ctx, ann.Token)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, booking.ErrNotActive):
			t.Errorf("cancel: %v", err)
		}
	}
	got := statuses(t, f)
	if ok != 1 || got["Ben B"] != booking.Confirmed || got["Cal C"] != booking.Waitlisted || got["Dee D"] != booking.Waitlisted {
		t.Fatalf("after 10 concurrent cancels: %d succeeded, statuses %v", ok, got)
	}
}

func TestOfferAcceptDeclineAndLapse(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.OfferHoldHours = 48 })
	ann := f.book(t, "Ann A")
	ben := f.book(t, "Ben B")
	cal := f.book(t, "Cal C")
	dee := f.book(t, "Dee D")

	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.ByToken(ctx, ben.Token)
	if err != nil {
		t.Fatal(err)
	}
	if m.Booking.Status != booking.Offered || !m.Booking.OfferExpiresAt.Equal(f.clock.Now().Add(48*time.Hour)) {
		t.Fatalf("Ben: got %s until %v, want an offer for 48 hours", m.Booking.Status, m.Booking.OfferExpiresAt)
	}
	// Cal cannot accept an offer she was not made.
	if _, err := f.svc.AcceptOffer(ctx, cal.Token); !errors.Is(err, booking.ErrNoOffer) {
		t.Fatalf("Cal accepting: got %v, want ErrNoOffer", err)
	}
	// Ben declines: Cal is offered the place.
	if _, err := f.svc.DeclineOffer(ctx, ben.Token); err != nil {
		t.Fatal(err)
	}
	// Cal lets the offer lapse; the expiry passes it to Dee.
	f.clock.Add(49 * time.Hour)
	if _, err := f.svc.AcceptOffer(ctx, cal.Token); !errors.Is(err, booking.ErrOfferLapsed) {
		t.Fatalf("late accept: got %v, want ErrOfferLapsed", err)
	}
	n, err := f.svc.ExpireOffers(ctx, job)
	if err != nil || n != 1 {
		t.Fatalf("ExpireOffers: got %d, %v; want 1", n, err)
	}
	if _, err := f.svc.AcceptOffer(ctx, dee.Token); err != nil {
		t.Fatalf("Dee accepting: %v", err)
	}
	got := statuses(t, f)
	want := map[string]booking.Status{"Ann A": booking.Cancelled, "Ben B": booking.Declined, "Cal C": booking.Lapsed, "Dee D": booking.Confirmed}
	for name, s := range want {
		if got[name] != s {
			t.Errorf("%s: got %s, want %s", name, got[name], s)
		}
	}
	if k := f.out.kinds("cal.c@example.org"); strings.Join(k, ",") != "booking_waitlisted,booking_offered,booking_offer_lapsed" {
		t.Errorf("Cal's mail: got %v", k)
	}
}

func TestNobodyMovesUpAfterTheStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 1, func(c *catalog.Course) { c.BookingClosesHours = 0 })
	ann := f.book(t, "Ann A")
	f.book(t, "Ben B")
	f.clock.t = f.event.StartsAt.Add(time.Minute)
	if _, err := f.svc.Cancel(ctx, ann.Token); err != nil {
		t.Fatal(err)
	}
	if got := statuses(t, f)["Ben B"]; got != booking.Waitlisted {
		t.Fatalf("Ben after a cancellation once the event started: got %s, want waitlisted", got)
	}
}

func TestBookingClosesBeforeTheStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, func(c *catalog.Course) { c.BookingClosesHours = 24 })
	f.clock.t = f.event.StartsAt.Add(-23 * time.Hour)
	if _, err := f.svc.Book(ctx, f.request("Ann A"), participant); !errors.Is(err, booking.ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
	f.clock.t = f.event.StartsAt.Add(-25 * time.Hour)
	f.book(t, "Ann A")
}

func TestBookUnavailableEvents(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	f := newFixture(t, db, 5, nil)
	if _, err := f.svc.Book(ctx, booking.Request{EventID: f.event.ID + 99}, participant); !errors.Is(err, booking.ErrEventUnavailable) {
		t.Errorf("unknown event: got %v", err)
	}
	c := f.course
	c.Events[0].Status = catalog.Cancelled
	if _, err := catalog.NewStore(db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&c}, catalogtest.Options(f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Book(ctx, f.request("Ann A"), participant); !errors.Is(err, booking.ErrEventCancelled) {
		t.Errorf("cancelled event: got %v", err)
	}
	c.Status = catalog.Draft
	if _, err := catalog.NewStore(db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&c}, catalogtest.Options(f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Book(ctx, f.request("Ann A"), participant); !errors.Is(err, booking.ErrEventUnavailable) {
		t.Errorf("draft course: got %v", err)
	}
}

func TestInvoiceNumbersAreGapFree(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 3, nil)
	var got []int64
	for _, n := range []string{"Ann A", "Ben B", "Cal C", "Dee D"} {
		res := f.book(t, n)
		got = append(got, res.Booking.InvoiceNumber)
	}
	// Three confirmed places are invoiced 1, 2, 3; the waitlisted fourth
	// has no invoice until she gets a place.
	if fmt.Sprint(got) != "[1 2 3 0]" {
		t.Fatalf("invoice numbers: got %v, want [1 2 3 0]", got)
	}
	// A booking that fails validation (after nothing was locked) uses no number.
	bad := f.request("Eve E")
	bad.Email = "not an address"
	if _, err := f.svc.Book(ctx, bad, participant); err == nil {
		t.Fatal("bad e-mail accepted")
	}
	list, _ := f.svc.List(ctx, f.event.ID)
	if list[0].InvoiceLabel() != "INV-000001" || list[0].Payment != booking.Invoice {
		t.Fatalf("first booking: invoice %q payment %s", list[0].InvoiceLabel(), list[0].Payment)
	}
}

func TestEraseAccessNeeds(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	req := f.request("Ann A")
	req.AccessNeeds = "Captions, please"
	if _, err := f.svc.Book(ctx, req, participant); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.EraseAccessNeeds(ctx, 30*24*time.Hour, job)
	if err != nil || n != 0 {
		t.Fatalf("before the event: erased %d, %v", n, err)
	}
	f.clock.t = f.event.EndsAt.Add(31 * 24 * time.Hour)
	if n, err = f.svc.EraseAccessNeeds(ctx, 30*24*time.Hour, job); err != nil || n != 1 {
		t.Fatalf("31 days after: erased %d, %v; want 1", n, err)
	}
	list, _ := f.svc.List(ctx, f.event.ID)
	if list[0].AccessNeeds != "" || !list[0].AccessNeedsErased {
		t.Fatalf("after erasure: %q erased=%v", list[0].AccessNeeds, list[0].AccessNeedsErased)
	}
}

func TestWrongTokenIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	f.book(t, "Ann A")
	for _, tok := range []string{"", "short", strings.Repeat("A", 43), strings.Repeat("!", 43)} {
		if _, err := f.svc.ByToken(ctx, tok); !errors.Is(err, booking.ErrNotFound) {
			t.Errorf("token %q: got %v, want ErrNotFound", tok, err)
		}
	}
}

func TestUpdateDetails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	ann := f.book(t, "Ann A")
	if _, err := f.svc.UpdateDetails(ctx, ann.Token, "Ann Archer", "South Clinic"); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.UpdateDetails(ctx, ann.Token, "Ann\r\nBcc: x@example.org", "")
	var ferr booking.FormError
	if !errors.As(err, &ferr) || ferr["name"] == "" || ferr["organisation"] == "" {
		t.Fatalf("bad update: got %v, want field errors for name and organisation", err)
	}
	m, _ := f.svc.ByToken(ctx, ann.Token)
	if m.Booking.Name != "Ann Archer" || m.Booking.Organisation != "South Clinic" {
		t.Fatalf("after update: %q %q", m.Booking.Name, m.Booking.Organisation)
	}
}
