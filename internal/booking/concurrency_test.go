package booking_test

import (
	"fmt"
	"sort"
	"sync"
	"testing"

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
