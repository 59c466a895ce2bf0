package booking_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
)

// TestConcurrentBookingNeverOverbooks has 200 people book an event with 5
// places at once. Exactly 5 are confirmed; everyone else is waitlisted,
// and the positions they were told are 1…195, each once, in the order the
// waiting list holds them.
func TestConcurrentBookingNeverOverbooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	hammer(t, f, []*booking.Service{f.svc}, 200, 5)
}

// TestTwoProcessesNeverOverbook does the same through two separate
// connection pools on one database, as two Plenary instances on
// PostgreSQL would, or `plenary serve` and `plenary import` (or worker)
// on one SQLite file. Each pool has its own in-process locks, so only the
// database's own locking (FOR UPDATE, BEGIN IMMEDIATE) keeps the count.
func TestTwoProcessesNeverOverbook(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	db1 := dbtest.OpenURL(t, url)
	if _, err := db1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db2 := dbtest.OpenURL(t, url)
	f := newFixture(t, db1, 5, nil)
	second := booking.NewService(booking.Options{DB: db2, Catalog: catalog.NewStore(db2, catalog.Hooks{}), Outbox: f.out, Now: f.clock.Now})
	hammer(t, f, []*booking.Service{f.svc, second}, 200, 5)
}

func hammer(t *testing.T, f *fixture, services []*booking.Service, people, places int) {
	t.Helper()
	type outcome struct {
		res booking.Result
		err error
	}
	results := make([]outcome, people)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := f.request(fmt.Sprintf("Person %03d", i))
			res, err := services[i%len(services)].Book(ctx, req, participant)
			results[i] = outcome{res, err}
		}()
	}
	close(start)
	wg.Wait()

	confirmed, told := 0, []int{}
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("person %d: %v", i, r.err)
		}
		switch r.res.Booking.Status {
		case booking.Confirmed:
			confirmed++
		case booking.Waitlisted:
			told = append(told, r.res.Booking.WaitPosition)
		default:
			t.Fatalf("person %d: status %s", i, r.res.Booking.Status)
		}
	}
	if confirmed != places {
		t.Fatalf("confirmed: got %d, want exactly %d", confirmed, places)
	}
	sort.Ints(told)
	for i, p := range told {
		if p != i+1 {
			t.Fatalf("waiting positions told: got %v…, want 1…%d each once", told[:min(len(told), i+3)], people-places)
		}
	}
	// The list agrees: its waiting order is the order bookings were taken,
	// and each person's position is the one they were told.
	list, err := f.svc.List(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	toldByID := map[int64]int{}
	for _, r := range results {
		toldByID[r.res.Booking.ID] = r.res.Booking.WaitPosition
	}
	held, prev := 0, int64(0)
	for _, b := range list {
		if b.ID <= prev {
			t.Fatalf("list not in booking order at %d", b.ID)
		}
		prev = b.ID
		if b.Status.HoldsPlace() {
			held++
		}
		if b.Status == booking.Waitlisted && b.WaitPosition != toldByID[b.ID] {
			t.Fatalf("booking %d: list position %d, told %d", b.ID, b.WaitPosition, toldByID[b.ID])
		}
	}
	if held != places || len(list) != people {
		t.Fatalf("list: %d bookings holding %d places, want %d holding %d", len(list), held, people, places)
	}
}

// TestConcurrentMovesIntoLastPlace has 20 people on one date move at once
// to another date with one place left: exactly one lands; everyone else
// stays booked where they were; nobody is lost and the date is not
// overbooked.
func TestConcurrentMovesIntoLastPlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 30, twoDates(2))
	f.bookOn(t, f.second().ID, "Zed Z")
	var ids []int64
	for i := range 20 {
		ids = append(ids, f.book(t, fmt.Sprintf("Person %02d", i)).Booking.ID)
	}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = f.svc.Move(ctx, id, f.second().ID, operator, booking.MoveOptions{Reason: "race"})
		}()
	}
	close(start)
	wg.Wait()
	landed := 0
	for i, err := range errs {
		switch {
		case err == nil:
			landed++
		case !errors.Is(err, booking.ErrNoPlaceOnDate):
			t.Errorf("move %d: %v", i, err)
		}
	}
	if landed != 1 {
		t.Fatalf("moves that landed: %d, want exactly 1", landed)
	}
	first, second := heldOn(t, f, f.event.ID), heldOn(t, f, f.second().ID)
	if second != 2 || first != 19 {
		t.Errorf("places held: first date %d (want 19), second %d (want 2)", first, second)
	}
}

// TestHandAddedRaceNeverOverbooks has coordinators add bookings by hand
// (no capacity override) while the public books the same date: the date
// never holds more than its places.
func TestHandAddedRaceNeverOverbooks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 5, nil)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 60)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := f.request(fmt.Sprintf("Person %03d", i))
			if i%2 == 0 {
				_, errs[i] = f.svc.AddByHand(ctx, req, operator, booking.Overrides{})
			} else {
				_, errs[i] = f.svc.Book(ctx, req, participant)
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("booking %d: %v", i, err)
		}
	}
	list, err := f.svc.List(ctx, f.event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if held := heldOn(t, f, f.event.ID); held != 5 || len(list) != 60 {
		t.Errorf("%d bookings holding %d places, want 60 holding 5", len(list), held)
	}
}

// TestOppositeMovesDoNotDeadlock moves people between two dates in both
// directions at once. The dates' locks are always taken in the same
// order, so every move finishes; a deadlock would hold them past the
// context's deadline, which is the failure.
func TestOppositeMovesDoNotDeadlock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 40, twoDates(40))
	var there, back []int64
	for i := range 10 {
		there = append(there, f.book(t, fmt.Sprintf("There %02d", i)).Booking.ID)
		back = append(back, f.bookOn(t, f.second().ID, fmt.Sprintf("Back %02d", i)).Booking.ID)
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, 20)
	for i := range there {
		for _, m := range []struct{ id, to int64 }{{there[i], f.second().ID}, {back[i], f.event.ID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := f.svc.Move(tctx, m.id, m.to, operator, booking.MoveOptions{Reason: "swap"})
				errs <- err
			}()
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("move: %v (a deadline here is a deadlock)", err)
		}
	}
	if a, b := heldOn(t, f, f.event.ID), heldOn(t, f, f.second().ID); a != 10 || b != 10 {
		t.Errorf("places held after the swap: %d and %d, want 10 and 10", a, b)
	}
}

// bookOn books name on event id through the public path.
func (f *fixture) bookOn(t *testing.T, id int64, name string) booking.Result {
	t.Helper()
	req := f.request(name)
	req.EventID = id
	res, err := f.svc.Book(ctx, req, participant)
	if err != nil {
		t.Fatalf("book %s: %v", name, err)
	}
	return res
}

// heldOn counts the places held on event id.
func heldOn(t *testing.T, f *fixture, id int64) int {
	t.Helper()
	list, err := f.svc.List(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range list {
		if b.Status.HoldsPlace() {
			n++
		}
	}
	return n
}

// TestMovesTwoProcesses races moves into a date's last place through two
// connection pools on one database, as two Plenary instances would: only
// the database's locks (FOR UPDATE on both dates in ID order, BEGIN
// IMMEDIATE) keep the count, and opposite moves still finish.
func TestMovesTwoProcesses(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	db1 := dbtest.OpenURL(t, url)
	if _, err := db1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	db2 := dbtest.OpenURL(t, url)
	f := newFixture(t, db1, 30, twoDates(11))
	second := booking.NewService(booking.Options{DB: db2, Catalog: catalog.NewStore(db2, catalog.Hooks{}), Outbox: f.out, Now: f.clock.Now})
	var there, back []int64
	for i := range 10 {
		there = append(there, f.book(t, fmt.Sprintf("There %02d", i)).Booking.ID)
		back = append(back, f.bookOn(t, f.second().ID, fmt.Sprintf("Back %02d", i)).Booking.ID)
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	start := make(chan struct{})
	type move struct {
		id, to int64
		svc    *booking.Service
	}
	var moves []move
	for i := range there {
		moves = append(moves, move{there[i], f.second().ID, []*booking.Service{f.svc, second}[i%2]},
			move{back[i], f.event.ID, []*booking.Service{second, f.svc}[i%2]})
	}
	errs := make([]error, len(moves))
	for i, m := range moves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = m.svc.Move(tctx, m.id, m.to, operator, booking.MoveOptions{Reason: "race"})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, booking.ErrNoPlaceOnDate) {
			t.Fatalf("move %d: %v (a deadline here is a deadlock)", i, err)
		}
	}
	// The second date has 11 places: at most one more than it started with
	// can be held whatever order the moves ran in.
	if a, b := heldOn(t, f, f.event.ID), heldOn(t, f, f.second().ID); a+b != 20 || b > 11 {
		t.Errorf("places held: %d and %d, want 20 in all and at most 11 on the second date", a, b)
	}
}
