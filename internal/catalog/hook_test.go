package catalog_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
)

// TestSaveAndLoadNoticeFields checks the reminder, region and directions
// survive the store.
func TestSaveAndLoadNoticeFields(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db)
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := dbtest.NewCourse(now)
	c.ReminderDaysBefore = 7
	c.Events[0].Region = "Scotland"
	c.Events[0].Format = catalog.Hybrid
	c.Events[0].Venue = catalog.Venue{Name: "Hall", Address: "1 Road\nTown", Directions: "Side door.\nRing twice."}
	if _, err := s.Save(ctx, &c, now); err != nil {
		t.Fatal(err)
	}
	got, err := s.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Events[0]
	if got.ReminderDaysBefore != 7 || e.Region != "scotland" || e.Venue != c.Events[0].Venue {
		t.Fatalf("got reminder %d region %q venue %+v, want 7, scotland, %+v", got.ReminderDaysBefore, e.Region, e.Venue, c.Events[0].Venue)
	}

	// A region change alone is saved but is not a change participants see.
	next := got
	next.Events = []catalog.Event{e}
	next.Events[0].Region = "northern-ireland"
	res, err := s.Save(ctx, &next, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.EventsChanged) != 0 || !reflect.DeepEqual(res.EventsUpdated, []string{"first"}) {
		t.Fatalf("region change: got %+v, want the event updated, not changed", res)
	}
	// New directions are.
	next.Events[0].Venue.Directions = "Front door."
	if res, err = s.Save(ctx, &next, now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(res.EventsChanged) != 1 || res.EventsChanged[0].Changes[0].Field != "Venue" ||
		!strings.Contains(res.EventsChanged[0].Changes[0].New, "Directions: Front door.") {
		t.Fatalf("directions change: got %+v", res.EventsChanged)
	}
}

func TestValidateNoticeFields(t *testing.T) {
	c := dbtest.NewCourse(time.Now())
	c.ReminderDaysBefore = 61
	c.Events[0].Region = "wales"
	c.Events[0].Venue.Directions = strings.Repeat("x", 4001)
	err := c.Validate()
	var v catalog.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("got %v, want a ValidationError", err)
	}
	var paths []string
	for _, fe := range v {
		paths = append(paths, fe.Path)
	}
	want := []string{"reminder_days_before", "events[0].region", "events[0].venue.directions"}
	if !reflect.DeepEqual(paths, want) {
		t.Fatalf("got problems at %v, want %v", paths, want)
	}
}

// TestChangeHook checks that hooks run in the save's transaction for each
// participant-visible change, that WithTx keeps them, and that an error
// rolls the whole save back.
func TestChangeHook(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db)
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := dbtest.NewCourse(t0)
	type call struct {
		ref          string
		oldV, newV   int
		chV          int
		fields       []string
		sameAsSaveTx bool
	}
	var calls []call
	var fail error
	s.OnEventChange(func(ctx context.Context, tx *sql.Tx, c catalog.Course, old, new catalog.Event, ch catalog.EventChange) error {
		// The hook sees the new row through tx.
		var v int
		if err := tx.QueryRowContext(ctx, `SELECT version FROM events WHERE id = $1`, new.ID).Scan(&v); err != nil {
			return err
		}
		var fields []string
		for _, f := range ch.Changes {
			fields = append(fields, f.Field)
		}
		calls = append(calls, call{new.Ref, old.Version, new.Version, ch.Version, fields, v == new.Version})
		return fail
	})
	if _, err := s.Save(ctx, &c, t0); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 {
		t.Fatalf("a new event called the hook: %+v", calls)
	}
	next := dbtest.NewCourse(t0)
	next.Events[0].Days[0].Start = clock(11, 0)
	if _, err := s.Save(ctx, &next, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := []call{{"first", 1, 2, 2, []string{"Times"}, true}}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("hook calls: got %+v, want %+v", calls, want)
	}

	// A failing hook rolls back the course as well as the event.
	fail = errors.New("refused")
	calls = nil
	again := dbtest.NewCourse(t0)
	again.Title = "Renamed"
	again.Events[0].Days[0].Start = clock(12, 0)
	if _, err := s.Save(ctx, &again, t0.Add(2*time.Hour)); !errors.Is(err, fail) {
		t.Fatalf("save with a failing hook: got %v, want the hook's error", err)
	}
	got, _ := s.CourseBySlug(ctx, c.Slug)
	if got.Title != c.Title || got.Events[0].Version != 2 || got.Events[0].Days[0].Start != clock(11, 0) {
		t.Fatalf("after a refused save: title %q version %d start %v, want nothing changed", got.Title, got.Events[0].Version, got.Events[0].Days[0].Start)
	}

	// SaveAll saves through a store bound to its transaction (WithTx),
	// which keeps the hooks.
	calls, fail = nil, nil
	if _, err := s.SaveAll(ctx, []*catalog.Course{&again}, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].newV != 3 {
		t.Fatalf("SaveAll hook calls: got %+v, want one for version 3", calls)
	}
}
