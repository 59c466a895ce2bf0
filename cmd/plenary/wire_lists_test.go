package main

import (
	"context"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// TestListPlacesFromBookings: the lists learn places left and who waits
// from booking's own counts, through the adapter wire.go gives them.
func TestListPlacesFromBookings(t *testing.T) {
	t.Parallel()
	dbURL, db := migrated(t)
	a := testApp(t, dbURL, db)
	c := catalogtest.Course(t, db, func(c *catalog.Course) {
		c.Events[0].Capacity = 1
		c.Fees = nil
		c.Waitlist = true
	})
	ctx := context.Background()
	places := listPlaces(a)
	got, err := places.PlaceCounts(ctx, c.Events)
	if err != nil || got[c.Events[0].ID].Left != 1 || got[c.Events[0].ID].Waiting != 0 {
		t.Fatalf("empty date: %+v (%v)", got, err)
	}
	for _, email := range []string{"ann@example.org", "bob@example.org"} {
		if _, err := a.bookings.Book(ctx, booking.Request{EventID: c.Events[0].ID, Name: "Ann Archer", Email: email,
			Organisation: "Clinic", Role: "Nurse", SystemChecked: true}, audit.ParticipantOf(0)); err != nil {
			t.Fatal(err)
		}
	}
	got, err = places.PlaceCounts(ctx, c.Events)
	if err != nil || got[c.Events[0].ID].Left != 0 || got[c.Events[0].ID].Waiting != 1 {
		t.Fatalf("full with one waiting: %+v (%v)", got, err)
	}
}
