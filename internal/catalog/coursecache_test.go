package catalog_test

import (
	"database/sql"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

// fresh reads the course with id through a new Store, whose cache is
// empty: what the database holds now.
func fresh(t *testing.T, db *database.DB, id int64) catalog.Course {
	t.Helper()
	c, err := catalog.NewStore(db, catalog.Hooks{}).CourseByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readAll reads the course every cached way (by ID, by slug, by each of
// its events) and fails unless each equals want.
func readAll(t *testing.T, s *catalog.Store, want catalog.Course) {
	t.Helper()
	byID, err := s.CourseByID(ctx, want.ID)
	if err != nil || !reflect.DeepEqual(byID, want) {
		t.Fatalf("CourseByID: got %+v, %v\nwant %+v", byID, err, want)
	}
	bySlug, err := s.CourseBySlug(ctx, want.Slug)
	if err != nil || !reflect.DeepEqual(bySlug, want) {
		t.Fatalf("CourseBySlug: got %+v, %v\nwant %+v", bySlug, err, want)
	}
	for _, we := range want.Events {
		c, e, err := s.Event(ctx, we.ID)
		if err != nil || !reflect.DeepEqual(c, want) || !reflect.DeepEqual(e, we) {
			t.Fatalf("Event %d: got %+v %+v, %v\nwant %+v", we.ID, c, e, err, want)
		}
	}
}

func richCourse(t *testing.T, now time.Time) catalog.Course {
	c := catalogtest.NewCourse(now)
	withBookingRules(t, &c)
	c.Topics = []string{"DIT", "Psychotherapy"}
	return c
}

func TestCourseCacheReadEqualsFreshRead(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := richCourse(t, t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	want := fresh(t, db, c.ID)
	if len(want.Rules) == 0 || len(want.Events[0].Days[0].Agenda) == 0 {
		t.Fatalf("test course lacks rules or agenda: %+v", want)
	}
	for range 3 { // the first fills the cache, the rest come from it
		readAll(t, s, want)
	}
	// Inside a transaction the course is read from the database, and
	// equals the cached one.
	err := database.InTx(ctx, db, func(tx *sql.Tx) error {
		got, err := s.WithTx(tx).CourseByID(ctx, c.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("in a transaction: got %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CourseByID(ctx, c.ID+100); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown course: got %v, want ErrNotFound", err)
	}
	if _, err := s.CourseBySlug(ctx, "no-such-course"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown slug: got %v, want ErrNotFound", err)
	}
	if _, _, err := s.Event(ctx, c.Events[0].ID+100); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("unknown event: got %v, want ErrNotFound", err)
	}
}

// TestCourseCacheSeesEveryWrite saves each kind of change through the
// reading Store itself and through a second Store over the same database
// (a second instance), and checks that the next read through the first,
// whose cache holds the course, sees it.
func TestCourseCacheSeesEveryWrite(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	changes := []struct {
		name   string
		change func(c *catalog.Course)
		see    func(c catalog.Course) bool
	}{
		{"course text", func(c *catalog.Course) { c.Title = "Renamed" }, func(c catalog.Course) bool { return c.Title == "Renamed" }},
		{"course status", func(c *catalog.Course) { c.Status = catalog.Draft }, func(c catalog.Course) bool { return c.Status == catalog.Draft }},
		{"booking settings", func(c *catalog.Course) { c.OfferHoldHours = 12 }, func(c catalog.Course) bool { return c.OfferHoldHours == 12 }},
		{"topics", func(c *catalog.Course) { c.Topics = []string{"Other"} }, func(c catalog.Course) bool { return reflect.DeepEqual(c.Topics, []string{"Other"}) }},
		{"fees", func(c *catalog.Course) { c.Fees[0].Amount = 9900 }, func(c catalog.Course) bool { return c.Fees[0].Amount == 9900 }},
		{"questions", func(c *catalog.Course) { c.Questions[2].Label = "Are you NHS?" }, func(c catalog.Course) bool { return c.Questions[2].Label == "Are you NHS?" }},
		{"rules", func(c *catalog.Course) { c.Rules = c.Rules[:1] }, func(c catalog.Course) bool { return len(c.Rules) == 1 }},
		{"capacity", func(c *catalog.Course) { c.Events[0].Capacity = 40 }, func(c catalog.Course) bool { return c.Events[0].Capacity == 40 }},
		{"meeting details", func(c *catalog.Course) { c.Events[0].Meeting.Passcode = "new" }, func(c catalog.Course) bool { return c.Events[0].Meeting.Passcode == "new" }},
		{"date moved", func(c *catalog.Course) { c.Events[0].Days[0].Date = c.Events[0].Days[0].Date.AddDays(1) },
			func(c catalog.Course) bool { return c.Events[0].Status == catalog.Changed }},
		{"agenda", func(c *catalog.Course) { c.Events[0].Days[0].Agenda[0].Title = "Arrive" },
			func(c catalog.Course) bool { return c.Events[0].Days[0].Agenda[0].Title == "Arrive" }},
		{"date cancelled", func(c *catalog.Course) { c.Events[0].Status = catalog.Cancelled },
			func(c catalog.Course) bool { return c.Events[0].Status == catalog.Cancelled }},
		{"date added", func(c *catalog.Course) {
			e := c.Events[0]
			e.Ref, e.ID, e.Days = "second", 0, []catalog.Day{c.Events[0].Days[0]}
			e.Days[0].Date = e.Days[0].Date.AddDays(7)
			e.Days[0].Agenda = nil
			c.Events = append(c.Events, e)
		}, func(c catalog.Course) bool { return len(c.Events) == 2 }},
	}
	for _, writer := range []string{"same store", "second store"} {
		for _, ch := range changes {
			t.Run(writer+"/"+ch.name, func(t *testing.T) {
				t.Parallel()
				db := dbtest.New(t)
				s := catalog.NewStore(db, catalog.Hooks{})
				c := richCourse(t, t0)
				if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
					t.Fatal(err)
				}
				before := fresh(t, db, c.ID)
				readAll(t, s, before) // fills the cache
				w := s
				if writer == "second store" {
					w = catalog.NewStore(db, catalog.Hooks{})
					readAll(t, w, before)
				}
				next, err := w.CourseByID(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				ch.change(&next)
				res, err := w.Save(ctx, []*catalog.Course{&next}, catalogtest.Options(t0.Add(time.Hour)))
				if err != nil {
					t.Fatal(err)
				}
				if !res[0].Changed {
					t.Fatalf("the change changed nothing: %+v", res[0])
				}
				after := fresh(t, db, c.ID)
				if !ch.see(after) || after.Version != before.Version+1 {
					t.Fatalf("fresh read after the save: version %d (before %d), change seen %v", after.Version, before.Version, ch.see(after))
				}
				readAll(t, s, after)
				readAll(t, w, after)
			})
		}
	}
}

// TestCourseCacheTrustsOnlyTheVersion shows that reads do come from the
// cache — a change written behind the store's back without raising the
// version is not seen — and that raising the version is all it takes.
// Inside a transaction the cache is not used.
func TestCourseCacheTrustsOnlyTheVersion(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	c := catalogtest.Course(t, db, nil)
	readAll(t, s, fresh(t, db, c.ID))
	if _, err := db.ExecContext(ctx, `UPDATE courses SET title = 'Behind its back' WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CourseByID(ctx, c.ID); got.Title != c.Title {
		t.Fatalf("title %q: the read did not come from the cache", got.Title)
	}
	if _, ev, _ := s.Event(ctx, c.Events[0].ID); ev.ID != c.Events[0].ID {
		t.Fatalf("Event from the cache: got %+v", ev)
	}
	err := database.InTx(ctx, db, func(tx *sql.Tx) error {
		got, err := s.WithTx(tx).CourseByID(ctx, c.ID)
		if err != nil || got.Title != "Behind its back" {
			t.Errorf("in a transaction: got %q, %v; want the database's title", got.Title, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE courses SET version = version + 1 WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	readAll(t, s, fresh(t, db, c.ID))
	if got, _ := s.CourseBySlug(ctx, c.Slug); got.Title != "Behind its back" {
		t.Fatalf("after the version rose: title %q", got.Title)
	}
}

// TestEventRecentTrustsACheckForASecond: EventRecent returns the cached
// course without asking the database while its last check is at most a
// second old — so a change behind the store's back is not seen — and
// asks again after that; a save through the store is seen at once, and a
// date the cache does not hold is read as Event reads it.
func TestEventRecentTrustsACheckForASecond(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	var mu sync.Mutex
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	catalog.SetCacheClock(s, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	wait := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := catalogtest.Course(t, db, nil)
	eventID := c.Events[0].ID
	title := func() string {
		t.Helper()
		got, e, err := s.EventRecent(ctx, eventID)
		if err != nil {
			t.Fatalf("EventRecent: %v", err)
		}
		if e.ID != eventID {
			t.Fatalf("EventRecent: event %d, want %d", e.ID, eventID)
		}
		return got.Title
	}
	if got := title(); got != c.Title { // not cached: read
		t.Fatalf("first read: %q", got)
	}
	// Each answer is the caller's own: changing one changes neither the
	// cache nor the next answer.
	mine, myEvent, err := s.EventRecent(ctx, eventID)
	if err != nil {
		t.Fatal(err)
	}
	mine.Title, mine.Events[0].Capacity, myEvent.Capacity = "Changed by its caller", 999, 999
	if again, e, err := s.EventRecent(ctx, eventID); err != nil || again.Title != c.Title || again.Events[0].Capacity == 999 || e.Capacity == 999 {
		t.Fatalf("after a caller changed its copy: %q, capacity %d and %d, %v", again.Title, again.Events[0].Capacity, e.Capacity, err)
	}
	reads := catalog.CacheReads(s)
	if _, err := db.ExecContext(ctx, `UPDATE courses SET title = 'Behind its back', version = version + 1 WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	wait(time.Second)
	if got := title(); got != c.Title {
		t.Fatalf("a second after the check: %q, want the cached title (no check)", got)
	}
	wait(time.Millisecond)
	if got := title(); got != "Behind its back" {
		t.Fatalf("past a second: %q, want the database's title", got)
	}
	if n := catalog.CacheReads(s); n != reads+1 {
		t.Fatalf("%d reads afresh, want %d", n, reads+1)
	}

	// A save through the store: the next read is afresh, at once.
	saved := fresh(t, db, c.ID)
	saved.Title = "Saved here"
	if _, err := s.Save(ctx, []*catalog.Course{&saved}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	if got := title(); got != "Saved here" {
		t.Fatalf("after a save through the store: %q", got)
	}
	if _, _, err := s.EventRecent(ctx, eventID+1000); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("an unknown date: %v, want ErrNotFound", err)
	}
}

// TestCourseCacheCallersCannotChangeIt changes everything a returned
// course holds by reference and checks the next read is unchanged.
func TestCourseCacheCallersCannotChangeIt(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := richCourse(t, t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	want := fresh(t, db, c.ID)
	spoil := func(got catalog.Course, e catalog.Event) {
		got.Topics[0] = "spoilt"
		got.Fees[0].Amount = 1
		got.Questions[0].Label = "spoilt"
		got.Rules[0].Message = "spoilt"
		got.Rules[0].Conditions[0].Question = "spoilt"
		got.Events[0].Capacity = 1
		got.Events[0].Days[0].Agenda[0].Title = "spoilt"
		e.Days[0].Start.Minutes = 1
		e.Days[0].Agenda[0].Title = "spoilt too"
	}
	for range 2 {
		got, err := s.CourseByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		spoil(got, got.Events[0])
		got, err = s.CourseBySlug(ctx, c.Slug)
		if err != nil {
			t.Fatal(err)
		}
		spoil(got, got.Events[0])
		got, e, err := s.Event(ctx, c.Events[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		spoil(got, e)
	}
	readAll(t, s, want)
}

// TestCourseCacheReadsOnceInARush: many requests for a course no cached
// read holds (the first bookings of a course, all at once) read it from
// the database once; the others wait for that read and share it.
func TestCourseCacheReadsOnceInARush(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := richCourse(t, t0)
	if _, err := catalog.NewStore(db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	want := fresh(t, db, c.ID)
	s := catalog.NewStore(db, catalog.Hooks{})
	const n = 64
	start := make(chan struct{})
	errs := make(chan error, n)
	for range n {
		go func() {
			<-start
			got, e, err := s.Event(ctx, want.Events[0].ID)
			switch {
			case err != nil:
				errs <- err
			case !reflect.DeepEqual(got, want) || !reflect.DeepEqual(e, want.Events[0]):
				errs <- errors.New("a read in the rush differs from a fresh read")
			default:
				errs <- nil
			}
		}()
	}
	close(start)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := catalog.CacheReads(s); got != 1 {
		t.Errorf("%d concurrent reads of one course read it from the database %d times, want 1", n, got)
	}
}
