// Package catalogtest builds courses for tests: a published one-day online
// course with one date, saved through the real store on any engine, and
// the options of a plain save.
package catalogtest

import (
	"context"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/database"
)

// Course saves a published one-day online course with one event four
// weeks from now (10:00–17:00 UK time), after applying mutate, and returns
// it as stored.
func Course(t testing.TB, db *database.DB, mutate func(c *catalog.Course)) catalog.Course {
	t.Helper()
	c := NewCourse(time.Now())
	if mutate != nil {
		mutate(&c)
	}
	if _, err := catalog.NewStore(db, catalog.Hooks{}).Save(context.Background(), []*catalog.Course{&c}, Options(time.Now())); err != nil {
		t.Fatalf("catalogtest: save course %q: %v", c.Slug, err)
	}
	return c
}

// Actor is who saves in tests: a job named "test".
var Actor = audit.Job("test")

// Options are the options of a plain save at now by Actor.
func Options(now time.Time) catalog.SaveOptions {
	return catalog.SaveOptions{Actor: Actor, Now: now}
}

// NewCourse builds, without saving, the course that Course saves: one
// online event on the day four weeks after now.
func NewCourse(now time.Time) catalog.Course {
	day := catalog.DateOf(now.In(time.UTC).AddDate(0, 0, 28))
	return catalog.Course{
		Slug:            "test-course",
		Title:           "Test course",
		Summary:         "A course for tests.",
		Status:          catalog.Published,
		About:           "About the **test** course.",
		JoiningLeadDays: 1,
		Topics:          []string{"Testing"},
		Fees:            []catalog.FeeTier{{Name: "Standard", Amount: 12000, Currency: "GBP"}},
		Events: []catalog.Event{{
			Ref:      "first",
			TimeZone: catalog.DefaultTimeZone,
			Format:   catalog.Online,
			Capacity: 20,
			Meeting:  catalog.Meeting{Provider: "Zoom", JoinURL: "https://zoom.example/j/123", ID: "123 456", Passcode: "secret-passcode"},
			Days: []catalog.Day{{
				Date:  day,
				Start: catalog.Clock{Minutes: 10 * 60, Valid: true},
				End:   catalog.Clock{Minutes: 17 * 60, Valid: true},
				Agenda: []catalog.AgendaItem{
					{Kind: catalog.Registration, Start: catalog.Clock{Minutes: 9*60 + 30, Valid: true}, Title: "Registration"},
					{Kind: catalog.Teaching, Start: catalog.Clock{Minutes: 12 * 60, Valid: true}, End: catalog.Clock{Minutes: 16 * 60, Valid: true}, Title: "Teaching"},
				},
			}},
		}},
	}
}
