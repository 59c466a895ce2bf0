package catalog_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// TestEditsSinceAndCourseByID: an editor opened at version 1 is told
// which fields two later saves changed, by whom, oldest first; a course
// is found by its ID, and a missing ID is ErrNotFound.
func TestEditsSinceAndCourseByID(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	t0 := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(t0)
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	got, err := s.CourseByID(ctx, c.ID)
	if err != nil || got.Slug != c.Slug || len(got.Events) != 1 {
		t.Fatalf("CourseByID: %+v, %v", got.Slug, err)
	}
	if _, err := s.CourseByID(ctx, c.ID+100); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("CourseByID of a missing course: %v, want ErrNotFound", err)
	}
	bob := audit.StaffMember(7, "Bob Baker")
	got.Title = "A new title"
	if _, err := s.Save(ctx, []*catalog.Course{&got}, catalog.SaveOptions{Actor: bob, Now: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got.Fees[0].Amount = 15000
	got.Waitlist = true
	if _, err := s.Save(ctx, []*catalog.Course{&got}, catalog.SaveOptions{Actor: bob, Now: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	edits, err := s.EditsSince(ctx, c.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) != 2 {
		t.Fatalf("edits since 1: %+v, want 2", edits)
	}
	if edits[0].Version != 2 || !slices.Equal(edits[0].Changed, []string{"title"}) || edits[0].Actor.Name != "Bob Baker" {
		t.Errorf("first edit: %+v", edits[0])
	}
	if edits[1].Version != 3 || !slices.Equal(edits[1].Changed, []string{"fees", "waitlist"}) {
		t.Errorf("second edit: %+v", edits[1])
	}
	if edits, _ := s.EditsSince(ctx, c.ID, 3); len(edits) != 0 {
		t.Errorf("edits since the stored version: %+v, want none", edits)
	}
	all, _ := s.EditsSince(ctx, c.ID, 0)
	if len(all) != 3 || !slices.Contains(all[0].Changed, "title") {
		t.Errorf("edits since 0: %+v, want the creation with its fields first", all)
	}
}

// TestSectionText: a text typed in the editor is stored as the course
// file will carry it, and a course file's own text is left as it is.
func TestSectionText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"  # Heading\n\nText.\n\n```\ncode \n": "### Heading\n\nText.\n\n```\ncode\n```",
		"## Two\n### Three":                    "### Two\n### Three",
		"   ":                                  "",
		"Plain *text*.":                        "Plain *text*.",
	} {
		got := catalog.SectionText(in)
		if got != want {
			t.Errorf("SectionText(%q) = %q, want %q", in, got, want)
		}
		if again := catalog.SectionText(got); again != got {
			t.Errorf("SectionText is not stable on %q: %q", got, again)
		}
	}
}
