package catalog_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

func date(t *testing.T, s string) catalog.Date {
	t.Helper()
	d, err := catalog.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func dateList(ds []catalog.Date) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return strings.Join(out, " ")
}

// TestAddDatesWeeklyAcrossClockChange makes Tuesday dates by a weekly
// rule across the end of BST (31 October 2027), saves them on both
// engines and reads them back: every date starts at 10:00 UK time, which
// is 09:00 UTC before the change and 10:00 UTC after it.
func TestAddDatesWeeklyAcrossClockChange(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := catalog.NewStore(db, catalog.Hooks{})
	now := time.Date(2027, 9, 1, 12, 0, 0, 0, time.UTC)
	c := catalogtest.NewCourse(now)
	c.Events = nil
	if _, err := s.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	firsts, err := catalog.Recurrence{Repeat: catalog.Weekly, First: date(t, "2027-10-19"), Count: 3}.Dates()
	if err != nil {
		t.Fatal(err)
	}
	if got := dateList(firsts); got != "2027-10-19 2027-10-26 2027-11-02" {
		t.Fatalf("weekly dates: %s", got)
	}
	template := catalog.Event{TimeZone: "Europe/London", Format: catalog.Online, Capacity: 12,
		Days: []catalog.Day{{Date: firsts[0], Start: clock(10, 0), End: clock(16, 0)}}}
	c.AddDates(template, firsts)
	res, err := s.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: catalogtest.Options(now).Actor, Now: now,
		BasedOn: map[string]int{c.Slug: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(res[0].EventsAdded, " "); got != "2027-10-19 2027-10-26 2027-11-02" {
		t.Fatalf("refs added: %s", got)
	}
	got, err := s.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	wantUTC := []int{9, 9, 10}
	for i, e := range got.Events {
		local := e.StartsAt.In(e.Location())
		if local.Hour() != 10 || local.Minute() != 0 || e.Days[0].Start.String() != "10:00" {
			t.Errorf("%s starts at %s local, want 10:00", e.Ref, local.Format("15:04 MST"))
		}
		if e.StartsAt.UTC().Hour() != wantUTC[i] {
			t.Errorf("%s starts at %s UTC, want %02d:00", e.Ref, e.StartsAt.UTC().Format("15:04"), wantUTC[i])
		}
	}
}

// TestRecurrenceMonthlyNthWeekday: the 2nd Tuesday of each month, until a
// day; every 2 months; the last Friday; a fifth weekday as the last.
func TestRecurrenceMonthlyNthWeekday(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		r    catalog.Recurrence
		want string
	}{
		{"2nd Tuesday", catalog.Recurrence{Repeat: catalog.Monthly, First: date(t, "2027-01-12"), Until: date(t, "2027-06-30")},
			"2027-01-12 2027-02-09 2027-03-09 2027-04-13 2027-05-11 2027-06-08"},
		{"every 2 months", catalog.Recurrence{Repeat: catalog.Monthly, Every: 2, First: date(t, "2027-01-12"), Count: 3},
			"2027-01-12 2027-03-09 2027-05-11"},
		{"last Friday, named", catalog.Recurrence{Repeat: catalog.Monthly, First: date(t, "2027-01-01"), Nth: -1, Weekday: time.Friday, Count: 3},
			"2027-01-29 2027-02-26 2027-03-26"},
		{"a 5th Monday is the last", catalog.Recurrence{Repeat: catalog.Monthly, First: date(t, "2027-03-29"), Count: 2},
			"2027-03-29 2027-04-26"},
		{"except and extra", catalog.Recurrence{Repeat: catalog.Weekly, Every: 2, First: date(t, "2027-01-05"), Count: 4,
			Except: []catalog.Date{date(t, "2027-01-19")}, Extra: []catalog.Date{date(t, "2027-01-07")}},
			"2027-01-05 2027-01-07 2027-02-02 2027-02-16"},
		{"once", catalog.Recurrence{Repeat: catalog.Once, First: date(t, "2027-01-05"), Extra: []catalog.Date{date(t, "2027-01-06")}},
			"2027-01-05 2027-01-06"},
	}
	for _, tc := range cases {
		got, err := tc.r.Dates()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if dateList(got) != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, dateList(got), tc.want)
		}
	}
	if l := (catalog.Recurrence{Repeat: catalog.Monthly, First: date(t, "2027-01-12")}).Label(); l != "the 2nd Tuesday of every month" {
		t.Errorf("label %q", l)
	}
}

// TestRecurrenceLimits refuses more than 100 dates, by count or by a far
// last day, and a rule without an end.
func TestRecurrenceLimits(t *testing.T) {
	t.Parallel()
	first := date(t, "2027-01-05")
	for name, r := range map[string]catalog.Recurrence{
		"count":  {Repeat: catalog.Weekly, First: first, Count: 101},
		"until":  {Repeat: catalog.Weekly, First: first, Until: date(t, "2029-01-01")},
		"extras": {Repeat: catalog.Weekly, First: first, Count: 100, Extra: []catalog.Date{date(t, "2027-01-06")}},
		"no end": {Repeat: catalog.Weekly, First: first},
	} {
		_, err := r.Dates()
		var re *catalog.RuleError
		if !errors.As(err, &re) {
			t.Errorf("%s: got %v, want a RuleError", name, err)
			continue
		}
		if name != "no end" && !strings.Contains(re.Message, "at most 100") {
			t.Errorf("%s: message %q", name, re.Message)
		}
	}
	if ds, err := (catalog.Recurrence{Repeat: catalog.Weekly, First: first, Count: 100}).Dates(); err != nil || len(ds) != 100 {
		t.Errorf("100 dates: %d, %v", len(ds), err)
	}
}

// TestMoveToKeepsAgenda copies a two-day date to a new first day: the
// days keep their spacing, times and agenda, the copy gets a fresh ref
// and no joining link.
func TestMoveToKeepsAgenda(t *testing.T) {
	t.Parallel()
	c := catalogtest.NewCourse(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	e := c.Events[0]
	e.Days = append(e.Days, catalog.Day{Date: e.Days[0].Date.AddDays(2), Start: clock(9, 0), End: clock(12, 0)})
	c.Events[0] = e
	added := c.AddDates(e, []catalog.Date{date(t, "2027-06-07")})
	n := added[0]
	if n.Ref != "2027-06-07" || n.ID != 0 || n.Meeting.JoinURL != "" || n.Meeting.Provider != "Zoom" {
		t.Fatalf("copy: %+v", n)
	}
	if n.Days[0].Date.String() != "2027-06-07" || n.Days[1].Date.String() != "2027-06-09" || n.Days[1].Start.String() != "09:00" {
		t.Fatalf("days: %+v", n.Days)
	}
	if len(n.Days[0].Agenda) != 2 || n.Days[0].Agenda[1].Title != "Teaching" {
		t.Fatalf("agenda: %+v", n.Days[0].Agenda)
	}
	n.Days[0].Agenda[0].Title = "changed"
	if e.Days[0].Agenda[0].Title == "changed" {
		t.Fatal("the copy shares its agenda with the original")
	}
	if again := c.NewRef(date(t, "2027-06-07")); again != "2027-06-07-2" {
		t.Fatalf("second ref on the same day: %s", again)
	}
}

// TestClockRoundTrip: every minute of a day writes as HH:MM and reads back.
func TestClockRoundTrip(t *testing.T) {
	for m := range 24 * 60 {
		c := catalog.Clock{Minutes: m, Valid: true}
		s := c.String()
		if want := fmt.Sprintf("%02d:%02d", m/60, m%60); s != want {
			t.Fatalf("Clock{%d}.String() = %q, want %q", m, s, want)
		}
		if back, err := catalog.ParseClock(s); err != nil || back != c {
			t.Fatalf("ParseClock(%q) = %v, %v", s, back, err)
		}
	}
	if _, err := catalog.ParseClock("24:00"); err == nil || !strings.Contains(err.Error(), `"24:00"`) {
		t.Errorf("ParseClock(24:00): %v, want an error naming it", err)
	}
}
