package catalog_test

import (
	"errors"
	"reflect"
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
