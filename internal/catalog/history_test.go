package catalog_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// TestStaleVersionRefused: two editors start from the same version; the
// first to save wins, and the second, based on the old version, is
// refused with who changed the course and when, and changes nothing.
func TestStaleVersionRefused(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(t0)
	res, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0))
	if err != nil {
		t.Fatal(err)
	}
	if c.Version != 1 || res[0].Version != 1 {
		t.Fatalf("a new course: version %d (result %d), want 1", c.Version, res[0].Version)
	}

	ann, ben := audit.StaffMember(1, "Ann"), audit.StaffMember(2, "Ben")
	first, _ := s.CourseBySlug(ctx, c.Slug)
	second, _ := s.CourseBySlug(ctx, c.Slug)
	first.Title = "Ann's title"
	based := map[string]int{c.Slug: first.Version}
	if _, err := s.Save(ctx, []*catalog.Course{&first}, catalog.SaveOptions{Actor: ann, Now: t0.Add(time.Hour), BasedOn: based}); err != nil {
		t.Fatalf("the first editor's save: %v", err)
	}
	if first.Version != 2 {
		t.Fatalf("after the first editor: version %d, want 2", first.Version)
	}
	entries := func() int {
		t.Helper()
		all, err := audit.List(ctx, db, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	before := entries()

	second.Title = "Ben's title"
	second.Events[0].Capacity = 99
	based = map[string]int{c.Slug: second.Version}
	_, err = s.Save(ctx, []*catalog.Course{&second}, catalog.SaveOptions{Actor: ben, Now: t0.Add(2 * time.Hour), BasedOn: based})
	var stale *catalog.StaleError
	if !errors.As(err, &stale) || !errors.Is(err, catalog.ErrStale) {
		t.Fatalf("the second editor's save: got %v, want a StaleError", err)
	}
	want := catalog.StaleError{Slug: c.Slug, BasedOn: 1, Version: 2, ChangedAt: t0.Add(time.Hour), ChangedBy: ann}
	if !reflect.DeepEqual(*stale, want) {
		t.Fatalf("StaleError: got %+v, want %+v", *stale, want)
	}
	if msg := stale.Message(); !strings.Contains(msg, "staff Ann (user 1)") || !strings.Contains(msg, "version 2") ||
		strings.HasPrefix(msg, "catalog:") {
		t.Errorf("message %q: want who, the version, and no package prefix", msg)
	}
	got, _ := s.CourseBySlug(ctx, c.Slug)
	if got.Title != "Ann's title" || got.Events[0].Capacity != 20 || got.Version != 2 {
		t.Fatalf("after the refused save: title %q capacity %d version %d, want Ann's, 20, 2", got.Title, got.Events[0].Capacity, got.Version)
	}
	if n := entries(); n != before {
		t.Fatalf("audit entries after the refused save: %d, want %d", n, before)
	}

	// Based on the current version, the same change goes through.
	second.Version = got.Version
	based = map[string]int{c.Slug: got.Version}
	if _, err := s.Save(ctx, []*catalog.Course{&second}, catalog.SaveOptions{Actor: ben, Now: t0.Add(3 * time.Hour), BasedOn: based}); err != nil {
		t.Fatalf("a save based on the current version: %v", err)
	}
	if second.Version != 3 {
		t.Fatalf("version %d, want 3", second.Version)
	}
	// A save that changes nothing leaves the version as it is.
	same, _ := s.CourseBySlug(ctx, c.Slug)
	if _, err := s.Save(ctx, []*catalog.Course{&same}, catalog.SaveOptions{Actor: ben, Now: t0.Add(4 * time.Hour),
		BasedOn: map[string]int{c.Slug: 3}}); err != nil || same.Version != 3 {
		t.Fatalf("an unchanged save: version %d, %v; want 3", same.Version, err)
	}

	// Creating a course that someone else has created meanwhile is stale
	// too; an import (no BasedOn) overwrites whatever the version.
	fresh := catalogtest.NewCourse(t0)
	_, err = s.Save(ctx, []*catalog.Course{&fresh}, catalog.SaveOptions{Actor: ann, Now: t0.Add(5 * time.Hour),
		BasedOn: map[string]int{c.Slug: 0}})
	if !errors.As(err, &stale) || stale.Version != 3 || stale.BasedOn != 0 {
		t.Fatalf("creating an existing course: got %v, want a StaleError at version 3", err)
	}
	if _, err := s.Save(ctx, []*catalog.Course{&fresh}, catalogtest.Options(t0.Add(6*time.Hour))); err != nil || fresh.Version != 4 {
		t.Fatalf("an import over it: version %d, %v; want 4", fresh.Version, err)
	}
	// A version the course never had for a course that does not exist.
	ghost := catalogtest.NewCourse(t0)
	ghost.Slug = "ghost"
	_, err = s.Save(ctx, []*catalog.Course{&ghost}, catalog.SaveOptions{Actor: ann, BasedOn: map[string]int{"ghost": 2}})
	if !errors.As(err, &stale) || stale.Version != 0 {
		t.Fatalf("a change to a course that does not exist: got %v, want a StaleError at version 0", err)
	}
}

// TestSaveNeedsAnActor: nobody saves anonymously.
func TestSaveNeedsAnActor(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	c := catalogtest.NewCourse(time.Now())
	_, err := catalog.NewStore(db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{})
	if !errors.Is(err, catalog.ErrNoActor) {
		t.Fatalf("got %v, want ErrNoActor", err)
	}
}

// TestSaveRecordsWhoChangedWhat: a save writes one entry per course and
// per event it creates or changes, as the actor's, with the course's
// fields and the typed changes; a dry run and a failed save leave none.
func TestSaveRecordsWhoChangedWhat(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	var fail error
	s := catalog.NewStore(db, catalog.Hooks{EventSaved: func(context.Context, *sql.Tx, catalog.EventSave) error { return fail }})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	alice := audit.CommandLine("alice")
	c := catalogtest.NewCourse(t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: alice, Now: t0}); err != nil {
		t.Fatal(err)
	}
	list := func(f audit.Filter) []audit.Entry {
		t.Helper()
		got, err := audit.List(ctx, db, f)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := list(audit.Filter{})
	if len(got) != 2 || got[0].Action != "course.create" || got[0].ObjectID != c.ID ||
		got[1].Action != "event.create" || got[1].ObjectID != c.Events[0].ID {
		t.Fatalf("after creating: got %+v, want course.create and event.create", got)
	}
	for _, e := range got {
		if e.Actor != alice || !e.At.Equal(t0) || string(e.Before) != "null" {
			t.Errorf("%s: actor %v at %v before %s; want alice at %v, no before", e.Action, e.Actor, e.At, e.Before, t0)
		}
	}

	// A new title, a new start, a higher capacity and a new passcode.
	next := catalogtest.NewCourse(t0)
	next.Title = "Renamed"
	next.Events[0].Days[0].Start = clock(11, 0)
	next.Events[0].Capacity = 30
	next.Events[0].Meeting.Passcode = "NEW-SECRET"
	if _, err := s.Save(ctx, []*catalog.Course{&next}, catalog.SaveOptions{Actor: alice, Now: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got = list(audit.Filter{Since: t0.Add(time.Hour)})
	if len(got) != 2 || got[0].Action != "course.update" || got[1].Action != "event.update" {
		t.Fatalf("after changing: got %+v, want course.update and event.update", got)
	}
	var course struct {
		Title   string   `json:"title"`
		Version int      `json:"version"`
		Changed []string `json:"changed"`
	}
	var old struct {
		Title   string `json:"title"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(got[0].After, &course); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got[0].Before, &old); err != nil {
		t.Fatal(err)
	}
	if course.Title != "Renamed" || course.Version != 2 || !reflect.DeepEqual(course.Changed, []string{"title", "events"}) ||
		old.Title != c.Title || old.Version != 1 {
		t.Fatalf("course.update: before %s after %s", got[0].Before, got[0].After)
	}
	type eventState struct {
		Ref      string           `json:"ref"`
		Version  int              `json:"version"`
		Capacity int              `json:"capacity"`
		Changes  []catalog.Change `json:"changes"`
	}
	var eb, ea eventState
	if err := json.Unmarshal(got[1].Before, &eb); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got[1].After, &ea); err != nil {
		t.Fatal(err)
	}
	wantChanges := []catalog.Change{
		{Field: catalog.FieldDayTimes, Day: 1, Old: "10:00–17:00", New: "11:00–17:00"},
		{Field: catalog.FieldMeetingPasscode, Private: true},
	}
	if eb.Capacity != 20 || ea.Capacity != 30 || eb.Version != 1 || ea.Version != 2 || ea.Ref != "first" ||
		!reflect.DeepEqual(ea.Changes, wantChanges) {
		t.Fatalf("event.update: before %s after %s; want capacity 20 → 30, version 1 → 2, changes %+v", got[1].Before, got[1].After, wantChanges)
	}
	if strings.Contains(string(got[1].After), "NEW-SECRET") || strings.Contains(string(got[1].Before), c.Events[0].Meeting.Passcode) {
		t.Fatalf("the audit log holds a passcode: %s", got[1].After)
	}

	// A dry run and a save its hook refuses record nothing.
	again := catalogtest.NewCourse(t0)
	again.Title = "Again"
	n := len(list(audit.Filter{}))
	if _, err := s.Save(ctx, []*catalog.Course{&again}, catalog.SaveOptions{Actor: alice, Now: t0.Add(2 * time.Hour), DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if m := len(list(audit.Filter{})); m != n {
		t.Fatalf("entries after a dry run: %d, want %d", m, n)
	}
	fail = errors.New("refused")
	if _, err := s.Save(ctx, []*catalog.Course{&again}, catalog.SaveOptions{Actor: alice, Now: t0.Add(3 * time.Hour)}); !errors.Is(err, fail) {
		t.Fatalf("a refused save: got %v", err)
	}
	if m := len(list(audit.Filter{})); m != n {
		t.Fatalf("entries after a refused save: %d, want %d", m, n)
	}
	// A save that changes nothing records nothing.
	fail = nil
	same := catalogtest.NewCourse(t0)
	same.Title, same.Events[0].Days[0].Start, same.Events[0].Capacity = "Renamed", clock(11, 0), 30
	same.Events[0].Meeting.Passcode = "NEW-SECRET"
	if _, err := s.Save(ctx, []*catalog.Course{&same}, catalog.SaveOptions{Actor: alice, Now: t0.Add(4 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if m := len(list(audit.Filter{})); m != n {
		t.Fatalf("entries after an unchanged save: %d, want %d", m, n)
	}
}

// TestValidateIsPure: Validate reports and changes nothing, even on a
// course that Normalize would change in every way it can.
func TestValidateIsPure(t *testing.T) {
	build := func() catalog.Course {
		c := catalogtest.NewCourse(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
		c.Questions = []catalog.Question{{Key: "role", Label: "Role", Kind: catalog.TextAnswer}}
		c.Rules = []catalog.Rule{{Outcome: catalog.Refuse, Message: "Tell us your role.",
			Conditions: []catalog.Condition{{Question: "role", Op: catalog.OpMissing}}}}
		c.Events[0].TimeZone = ""
		c.Events[0].Region = "Scotland"
		c.Events[0].Status = ""
		return c
	}
	c, copy := build(), build()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if !reflect.DeepEqual(c, copy) {
		t.Fatalf("Validate changed the course:\ngot  %+v\nwant %+v", c, copy)
	}
	// The same course is what Normalize is for: the test above would see
	// a Validate that normalised.
	c.Normalize()
	e := c.Events[0]
	if reflect.DeepEqual(c, copy) || e.TimeZone != catalog.DefaultTimeZone || e.Region != "scotland" ||
		e.Status != catalog.Scheduled || e.StartsAt.IsZero() || !c.Questions[0].Required {
		t.Fatalf("Normalize: got %+v", c)
	}
	once := c
	once.Events = []catalog.Event{e}
	c.Normalize()
	if !reflect.DeepEqual(c, once) {
		t.Fatalf("Normalize twice: got %+v, want %+v", c, once)
	}
}

// TestStaleVersionRefusedAtOnce: two editors based on the same version
// save at the same moment; exactly one wins, whatever the engine.
func TestStaleVersionRefusedAtOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	titles := []string{"Ann's", "Ben's"}
	errs := make(chan error, len(titles))
	start := make(chan struct{})
	var read sync.WaitGroup // both editors have read version 1
	for i, title := range titles {
		read.Add(1)
		go func() {
			mine, err := s.CourseBySlug(ctx, c.Slug)
			read.Done()
			if err != nil {
				errs <- err
				return
			}
			mine.Title = title
			<-start
			_, err = s.Save(ctx, []*catalog.Course{&mine}, catalog.SaveOptions{Actor: audit.StaffMember(int64(i+1), title),
				Now: t0.Add(time.Hour), BasedOn: map[string]int{c.Slug: mine.Version}})
			errs <- err
		}()
	}
	read.Wait()
	close(start)
	won, stale := 0, 0
	for range titles {
		switch err := <-errs; {
		case err == nil:
			won++
		case errors.Is(err, catalog.ErrStale):
			stale++
		default:
			t.Fatalf("a save: %v", err)
		}
	}
	got, _ := s.CourseBySlug(ctx, c.Slug)
	if won != 1 || stale != 1 || got.Version != 2 {
		t.Fatalf("%d saves won, %d were stale, version %d; want 1, 1, 2", won, stale, got.Version)
	}
}

// TestCreatingTheSameCourseAtOnce: two editors creating the same new
// course at once (both based on "no course yet"): one creates it, the
// other is told it is stale — on both engines, never a duplicate-key
// failure.
func TestCreatingTheSameCourseAtOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	errs := make(chan error, 2)
	start := make(chan struct{})
	for i, title := range []string{"Ann's", "Ben's"} {
		go func() {
			c := catalogtest.NewCourse(t0)
			c.Title = title
			<-start
			_, err := s.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: audit.StaffMember(int64(i+1), title),
				Now: t0, BasedOn: map[string]int{c.Slug: 0}})
			errs <- err
		}()
	}
	close(start)
	won, stale := 0, 0
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			won++
		case errors.Is(err, catalog.ErrStale):
			stale++
		default:
			t.Fatalf("a save: %v", err)
		}
	}
	if won != 1 || stale != 1 {
		t.Fatalf("%d saves won, %d were stale; want 1, 1", won, stale)
	}
}
