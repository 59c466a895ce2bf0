package booking_test

import (
	"maps"
	"testing"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

// TestPlacesIfCurrent: the places read with the course's version (the
// course page's one round trip) are PlacesFor's while the course is at
// that version — past the first statement's BatchSize dates too — and
// nothing once a save has moved it on, or for a course that is not there.
func TestPlacesIfCurrent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, dbtest.New(t), 2, nil)
	for _, name := range []string{"Ann Ash", "Bo Birch", "Cy Cedar"} {
		f.book(t, name)
	}
	store := catalog.NewStore(f.db, catalog.Hooks{})
	c, err := store.CourseByID(ctx, f.course.ID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.svc.PlacesFor(ctx, c.Events)
	if err != nil {
		t.Fatal(err)
	}
	if p := want[f.event.ID]; p.Taken != 2 || p.Waiting != 1 || p.Capacity != 2 {
		t.Fatalf("PlacesFor: %+v, want 2 taken and 1 waiting of 2", p)
	}
	got, current, err := f.svc.PlacesIfCurrent(ctx, c.ID, c.Version, c.Events)
	if err != nil || !current || !maps.Equal(got, want) {
		t.Errorf("at the course's version: %v, current %v, %v; want %v", got, current, err, want)
	}

	// More dates than one statement binds, the booked one last: counted
	// by the statement after the first.
	many := make([]catalog.Event, database.BatchSize+10)
	for i := range many {
		many[i] = catalog.Event{ID: 1_000_000 + int64(i), Capacity: 5}
	}
	many[len(many)-1] = f.event
	got, current, err = f.svc.PlacesIfCurrent(ctx, c.ID, c.Version, many)
	if err != nil || !current || len(got) != len(many) || got[f.event.ID] != want[f.event.ID] || got[many[0].ID] != (booking.Places{Capacity: 5}) {
		t.Errorf("%d dates: %d places, the booked date's %+v, current %v, %v; want %d, %+v",
			len(many), len(got), got[f.event.ID], current, err, len(many), want[f.event.ID])
	}
	if got, current, err := f.svc.PlacesIfCurrent(ctx, c.ID, c.Version, nil); err != nil || !current || len(got) != 0 {
		t.Errorf("no dates: %v, current %v, %v; want none, current", got, current, err)
	}

	for _, tc := range []struct {
		name    string
		id      int64
		version int
	}{
		{"another version", c.ID, c.Version + 1},
		{"a course that is not there", c.ID + 1000, c.Version},
	} {
		if got, current, err := f.svc.PlacesIfCurrent(ctx, tc.id, tc.version, c.Events); err != nil || current || got != nil {
			t.Errorf("%s: %v, current %v, %v; want nothing, not current", tc.name, got, current, err)
		}
	}

	changed := c
	changed.Summary = "Revised."
	if _, err := store.Save(ctx, []*catalog.Course{&changed}, catalogtest.Options(f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if _, current, err := f.svc.PlacesIfCurrent(ctx, c.ID, c.Version, c.Events); err != nil || current {
		t.Errorf("after a save: current %v, %v; want not current", current, err)
	}
}
