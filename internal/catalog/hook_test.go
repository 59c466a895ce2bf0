package catalog_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// TestSaveAndLoadNoticeFields checks the reminder, region and directions
// survive the store.
func TestSaveAndLoadNoticeFields(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.ReminderDaysBefore = 7
	c.Events[0].Region = "Scotland"
	c.Events[0].Format = catalog.Hybrid
	c.Events[0].Venue = catalog.Venue{Name: "Hall", Address: "1 Road\nTown", Directions: "Side door.\nRing twice."}
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
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
	res, err := s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(now.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res[0].EventsChanged) != 0 || !reflect.DeepEqual(res[0].EventsUpdated, []string{"first"}) {
		t.Fatalf("region change: got %+v, want the event updated, not changed", res[0])
	}
	// New directions are.
	next.Events[0].Venue.Directions = "Front door."
	if res, err = s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(now.Add(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	want := []catalog.Change{{Field: catalog.FieldVenueDirections, Old: "Side door.\nRing twice.", New: "Front door."}}
	if len(res[0].EventsChanged) != 1 || !reflect.DeepEqual(res[0].EventsChanged[0].Changes, want) {
		t.Fatalf("directions change: got %+v, want %+v", res[0].EventsChanged, want)
	}
}

func TestValidateNoticeFields(t *testing.T) {
	c := catalogtest.NewCourse(time.Now())
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

// TestSaveHook checks that hooks run in the save's transaction for every
// event the saved course lists — added, changed, updated (capacity) and
// unchanged — with the change and the save's options, that WithTx keeps
// them (they are given to NewStore), and that an error rolls the whole
// save back.
func TestSaveHook(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(t0)
	type call struct {
		ref          string
		added        bool
		oldV, newV   int
		chV          int
		fields       []catalog.Field
		capacity     int
		confirmLate  bool
		sameAsSaveTx bool
	}
	var calls []call
	var fail error
	s := catalog.NewStore(db, catalog.Hooks{EventSaved: func(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
		// The hook sees the new row through tx.
		var v, capacity int
		if err := tx.QueryRowContext(ctx, `SELECT version, capacity FROM events WHERE id = $1`, ev.New.ID).Scan(&v, &capacity); err != nil {
			return err
		}
		var fields []catalog.Field
		for _, f := range ev.Change.Changes {
			fields = append(fields, f.Field)
		}
		calls = append(calls, call{ev.New.Ref, ev.Added, ev.Old.Version, ev.New.Version, ev.Change.Version, fields, capacity,
			ev.Options.ConfirmLate, v == ev.New.Version})
		ev.Report.JoiningSent = len(calls)
		return fail
	}})
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	if want := []call{{"first", true, 0, 1, 1, nil, c.Events[0].Capacity, false, true}}; !reflect.DeepEqual(calls, want) {
		t.Fatalf("hook calls for a new course: got %+v, want %+v", calls, want)
	}
	calls = nil
	next := catalogtest.NewCourse(t0)
	next.Events[0].Days[0].Start = clock(11, 0)
	if _, err := s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	want := []call{{"first", false, 1, 2, 2, []catalog.Field{catalog.FieldDayTimes}, c.Events[0].Capacity, false, true}}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("hook calls: got %+v, want %+v", calls, want)
	}

	// A capacity change alone, and a save that changes nothing, call the
	// hook too: places may have come free.
	calls = nil
	next.Events[0].Capacity = 40
	res, err := s.Save(ctx, []*catalog.Course{&next}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: t0.Add(90 * time.Minute), ConfirmLate: true})
	if err != nil {
		t.Fatal(err)
	}
	want = []call{{"first", false, 2, 2, 2, nil, 40, true, true}}
	if !reflect.DeepEqual(calls, want) || len(res[0].Reports) != 1 || res[0].Reports[0].Ref != "first" || res[0].Reports[0].JoiningSent != 1 {
		t.Fatalf("capacity change: hook calls %+v, reports %+v; want %+v", calls, res[0].Reports, want)
	}
	calls = nil
	if _, err := s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(t0.Add(100*time.Minute))); err != nil || len(calls) != 1 || calls[0].fields != nil {
		t.Fatalf("unchanged save: %v, hook calls %+v", err, calls)
	}

	// A failing hook rolls back the course as well as the event.
	fail = errors.New("refused")
	calls = nil
	again := catalogtest.NewCourse(t0)
	again.Title = "Renamed"
	again.Events[0].Capacity = 40
	again.Events[0].Days[0].Start = clock(12, 0)
	if _, err := s.Save(ctx, []*catalog.Course{&again}, catalogtest.Options(t0.Add(2*time.Hour))); !errors.Is(err, fail) {
		t.Fatalf("save with a failing hook: got %v, want the hook's error", err)
	}
	got, _ := s.CourseBySlug(ctx, c.Slug)
	if got.Title != c.Title || got.Events[0].Version != 2 || got.Events[0].Days[0].Start != clock(11, 0) {
		t.Fatalf("after a refused save: title %q version %d start %v, want nothing changed", got.Title, got.Events[0].Version, got.Events[0].Days[0].Start)
	}

	// A dry run runs the hooks, reports, and changes nothing.
	calls, fail = nil, nil
	res, err = s.Save(ctx, []*catalog.Course{&again}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: t0.Add(150 * time.Minute), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].newV != 3 || len(res[0].EventsChanged) != 1 || res[0].Reports[0].JoiningSent != 1 {
		t.Fatalf("dry run: hook calls %+v, result %+v", calls, res[0])
	}
	got, _ = s.CourseBySlug(ctx, c.Slug)
	if got.Title != c.Title || got.Events[0].Version != 2 || !got.UpdatedAt.Equal(t0.Add(90*time.Minute)) {
		t.Fatalf("after a dry run: title %q version %d updated %v, want nothing changed", got.Title, got.Events[0].Version, got.UpdatedAt)
	}

	// Save saves through a store bound to its transaction (WithTx),
	// which keeps the hooks.
	calls = nil
	again = catalogtest.NewCourse(t0)
	again.Title = "Renamed"
	again.Events[0].Capacity = 40
	again.Events[0].Days[0].Start = clock(12, 0)
	if _, err := s.Save(ctx, []*catalog.Course{&again}, catalog.SaveOptions{Actor: catalogtest.Actor, Now: t0.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0].newV != 3 {
		t.Fatalf("Save hook calls: got %+v, want one for version 3", calls)
	}
}

// TestPrivateChangeRaisesVersionOnly: a new passcode raises the version
// (so that new joining instructions go) but does not mark the date as
// changed on the public site.
func TestPrivateChangeRaisesVersionOnly(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	next := catalogtest.NewCourse(t0)
	next.Events[0].Meeting.Passcode = "NEW-PASS-123"
	res, err := s.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.CourseBySlug(ctx, c.Slug)
	if e := got.Events[0]; e.Version != 2 || e.Status != catalog.Scheduled || len(res[0].EventsChanged) != 1 ||
		!res[0].EventsChanged[0].Changes[0].Private {
		t.Fatalf("got version %d status %s changes %+v; want 2, scheduled, one private change", e.Version, e.Status, res[0].EventsChanged)
	}
}

// TestDiffFields checks the change list names real fields, per day where
// a field belongs to a day, and marks exactly the meeting's joining
// details private.
func TestDiffFields(t *testing.T) {
	t.Parallel()
	old := catalogtest.NewCourse(time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)).Events[0]
	day2 := old.Days[0]
	day2.Date = day2.Date.AddDays(1)
	old.Days = append(old.Days, day2)
	new := old
	new.Days = slices.Clone(old.Days)
	new.Days[1].End = clock(16, 0)
	new.Meeting.Passcode = "NEW-PASS-123"
	new.Meeting.Provider = "Teams"
	new.Venue.Address = "2 Road"
	got := catalog.Diff(old, new)
	want := []catalog.Change{
		{Field: catalog.FieldDayTimes, Day: 2, Old: "10:00–17:00", New: "10:00–16:00"},
		{Field: catalog.FieldVenueAddress, Old: old.Venue.Address, New: "2 Road"},
		{Field: catalog.FieldMeetingProvider, Old: old.Meeting.Provider, New: "Teams"},
		{Field: catalog.FieldMeetingPasscode, Old: old.Meeting.Passcode, New: "NEW-PASS-123", Private: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for _, f := range []catalog.Field{catalog.FieldMeetingURL, catalog.FieldMeetingID, catalog.FieldMeetingPasscode} {
		if !f.Private() {
			t.Errorf("%s is not private", f)
		}
	}
}
