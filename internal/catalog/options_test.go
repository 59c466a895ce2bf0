package catalog_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// TestOptions reads courses' IDs and titles by title, and dates newest
// first with the labels DateLabel gives them: every date of one course,
// or those of every course from an instant on; one date by ID.
func TestOptions(t *testing.T) {
	t.Parallel()
	s := catalog.NewStore(dbtest.New(t), catalog.Hooks{})
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	z := catalogtest.NewCourse(now)
	z.Slug, z.Title = "zebra", "Zebra course"
	up := z.Events[0]
	old, two := up, up
	old.Ref, old.Days = "old", []catalog.Day{{Date: catalog.Date{Year: 2025, Month: time.March, Day: 4}, Start: up.Days[0].Start, End: up.Days[0].End}}
	two.Ref, two.Days = "two", []catalog.Day{
		{Date: catalog.Date{Year: 2026, Month: time.October, Day: 20}, Start: up.Days[0].Start, End: up.Days[0].End},
		{Date: catalog.Date{Year: 2026, Month: time.October, Day: 21}, Start: up.Days[0].Start, End: up.Days[0].End}}
	z.Events = []catalog.Event{old, two, up}
	a := catalogtest.NewCourse(now)
	a.Slug, a.Title, a.Status = "aardvark", "Aardvark course", catalog.Draft
	if _, err := s.Save(ctx, []*catalog.Course{&z, &a}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	cs, err := s.CourseOptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []catalog.CourseOption{{a.ID, a.Title}, {z.ID, z.Title}}; !reflect.DeepEqual(cs, want) {
		t.Errorf("course options: got %+v, want %+v", cs, want)
	}
	label := func(ds []catalog.DateOption) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.Label)
		}
		return out
	}
	ds, err := s.DateOptions(ctx, catalog.DateOptionFilter{Course: z.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{z.Events[2].DateLabel(), two.DateLabel(), "Tuesday 4 March 2025"}; !reflect.DeepEqual(label(ds), want) {
		t.Errorf("one course's dates: got %q, want %q", label(ds), want)
	}
	if len(ds) == 3 && (ds[1].ID != z.Events[1].ID || ds[1].CourseID != z.ID) {
		t.Errorf("one course's dates: second is %+v, want date %d of course %d", ds[1], z.Events[1].ID, z.ID)
	}
	ds, err = s.DateOptions(ctx, catalog.DateOptionFilter{Since: now.AddDate(0, 0, -90)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a.Events[0].DateLabel(), z.Events[2].DateLabel(), two.DateLabel()}; len(ds) != 3 ||
		!reflect.DeepEqual(label(ds)[1:], want[1:]) || ds[2].ID != z.Events[1].ID {
		t.Errorf("recent dates: got %+v", ds)
	}
	d, err := s.DateOption(ctx, z.Events[0].ID)
	if err != nil || d.Label != "Tuesday 4 March 2025" || d.CourseID != z.ID {
		t.Errorf("one date: %+v, %v", d, err)
	}
	if _, err := s.DateOption(ctx, 999999); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("no date: %v, want ErrNotFound", err)
	}
}

// TestCurrentOptions lists only the courses with a date not yet over
// (and the one asked for), and the dates not over by an instant with
// their instants, status and days.
func TestCurrentOptions(t *testing.T) {
	t.Parallel()
	s := catalog.NewStore(dbtest.New(t), catalog.Hooks{})
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	cur := catalogtest.NewCourse(now)
	cur.Slug, cur.Title = "current", "Current course"
	old := catalogtest.NewCourse(now)
	old.Slug, old.Title = "old", "Old course"
	d := old.Events[0].Days[0]
	d.Date = catalog.Date{Year: 2025, Month: time.March, Day: 4}
	old.Events[0].Days = []catalog.Day{d}
	other := catalogtest.NewCourse(now)
	other.Slug, other.Title = "other", "Other old course"
	other.Events[0].Days = []catalog.Day{d}
	if _, err := s.Save(ctx, []*catalog.Course{&cur, &old, &other}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	cs, err := s.CurrentCourseOptions(ctx, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []catalog.CourseOption{{cur.ID, cur.Title}}; !reflect.DeepEqual(cs, want) {
		t.Errorf("current: got %+v, want %+v", cs, want)
	}
	cs, err = s.CurrentCourseOptions(ctx, now, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []catalog.CourseOption{{cur.ID, cur.Title}, {old.ID, old.Title}}; !reflect.DeepEqual(cs, want) {
		t.Errorf("current and the old one: got %+v, want %+v", cs, want)
	}
	ds, err := s.DateOptions(ctx, catalog.DateOptionFilter{EndsAfter: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].ID != cur.Events[0].ID || ds[0].Status != catalog.Scheduled ||
		!ds[0].EndsAt.After(now) || ds[0].Event().DateLabel() != cur.Events[0].DateLabel() || ds[0].Event().CourseID != cur.ID {
		t.Errorf("dates not over: got %+v, want only %d", ds, cur.Events[0].ID)
	}
	ds, err = s.DateOptions(ctx, catalog.DateOptionFilter{EndsAfter: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(ds) != 3 {
		t.Errorf("dates not over on 1 March 2025: got %d, %v; want 3", len(ds), err)
	}
}

// TestCourseRefs: the courses named by slug or by ID (each once, by
// title, a slug that names nothing left out) and the dates named by ID,
// newest first — the analytics page's light read of what its views name.
func TestCourseRefs(t *testing.T) {
	t.Parallel()
	s := catalog.NewStore(dbtest.New(t), catalog.Hooks{})
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var cs []*catalog.Course
	for _, name := range []string{"Zeta", "Alpha", "Mid"} {
		c := catalogtest.NewCourse(now)
		c.Slug, c.Title = strings.ToLower(name), name+" course"
		cs = append(cs, &c)
	}
	if _, err := s.Save(ctx, cs, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	zeta, alpha, mid := cs[0], cs[1], cs[2]
	refs, err := s.CourseRefs(ctx, []string{"zeta", "no-such-course", "alpha"}, []int64{alpha.ID, mid.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.CourseRef{{alpha.ID, "alpha", "Alpha course"}, {mid.ID, "mid", "Mid course"}, {zeta.ID, "zeta", "Zeta course"}}
	if !reflect.DeepEqual(refs, want) {
		t.Errorf("refs: got %+v, want %+v", refs, want)
	}
	// Since is after every date: were it applied, nothing would be listed.
	ds, err := s.DateOptions(ctx, catalog.DateOptionFilter{IDs: []int64{mid.Events[0].ID, zeta.Events[0].ID}, Since: now.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	// Both dates start at the same instant: newest first is then the
	// larger ID first.
	first, second := max(mid.Events[0].ID, zeta.Events[0].ID), min(mid.Events[0].ID, zeta.Events[0].ID)
	if len(ds) != 2 || ds[0].ID != first || ds[1].ID != second || ds[0].Event().DateLabel() != zeta.Events[0].DateLabel() {
		t.Errorf("dates by ID: got %+v, want %d then %d, Since not applied", ds, first, second)
	}
}
