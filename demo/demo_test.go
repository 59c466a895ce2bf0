package demo

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
)

// days to load the demo on: every month of two years, plus days next to
// the dates the templates aim for.
func loadDays() []catalog.Date {
	var out []catalog.Date
	for d := (catalog.Date{Year: 2025, Month: time.January, Day: 1}); d.Year < 2027; d = d.AddDays(17) {
		out = append(out, d)
	}
	return append(out,
		catalog.Date{Year: 2026, Month: time.December, Day: 24},
		catalog.Date{Year: 2027, Month: time.July, Day: 15},    // the third Thursday of July
		catalog.Date{Year: 2027, Month: time.January, Day: 14}, // the second Thursday of January
		catalog.Date{Year: 2028, Month: time.February, Day: 29},
		catalog.Date{Year: 2022, Month: time.June, Day: 10},
	)
}

func TestCourses(t *testing.T) {
	for _, today := range loadDays() {
		courses, err := Courses(today)
		if err != nil {
			t.Fatalf("Courses(%s): %v", today, err)
		}
		if len(courses) != 3 {
			t.Fatalf("Courses(%s): got %d courses, want 3", today, len(courses))
		}
		zones := map[string]bool{}
		for _, c := range courses {
			if err := c.Validate(); err != nil {
				t.Errorf("Courses(%s): %s: %v", today, c.Slug, err)
			}
			upcoming := 0
			for i, e := range c.Events {
				if i > 0 && e.StartsAt.Before(c.Events[i-1].StartsAt) {
					t.Errorf("Courses(%s): %s: event %s is not in start order", today, c.Slug, e.Ref)
				}
				first := e.Days[0].Date
				if !today.Before(first) {
					continue
				}
				upcoming++
				zones[catalog.ZoneLabel(e.StartsAt.In(e.Location()))] = true
				for _, d := range e.Days {
					if wd := d.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
						t.Errorf("Courses(%s): %s: event %s falls on a %s", today, c.Slug, e.Ref, wd)
					}
					if (d.Date.Month == time.December && d.Date.Day >= 20) || (d.Date.Month == time.January && d.Date.Day <= 3) {
						t.Errorf("Courses(%s): %s: event %s falls on %s, in the Christmas break", today, c.Slug, e.Ref, d.Date)
					}
				}
				if u := e.Meeting.JoinURL; u != "" && !strings.HasPrefix(u, "https://zoom.example/") {
					t.Errorf("%s: join URL %q, want an obviously fake https://zoom.example/ one", c.Slug, u)
				}
			}
			if upcoming == 0 {
				t.Errorf("Courses(%s): %s: got no event after today, want at least one", today, c.Slug)
			}
		}
		for _, z := range []string{"UK time (GMT)", "UK time (BST)"} {
			if !zones[z] {
				t.Errorf("Courses(%s): no upcoming event in %s, want both GMT and BST dates", today, z)
			}
		}
	}
}

func TestDITRefresherJune2022(t *testing.T) {
	courses, err := Courses(catalog.Date{Year: 2026, Month: time.March, Day: 1})
	if err != nil {
		t.Fatal(err)
	}
	var c catalog.Course
	for _, x := range courses {
		if x.Slug == "dit-refresher" {
			c = x
		}
	}
	if c.Slug == "" || c.Status != catalog.Published {
		t.Fatalf("got no published dit-refresher among %d courses", len(courses))
	}
	if c.Free() {
		t.Errorf("got a free dit-refresher, want fees")
	}
	keys := map[string]catalog.Question{}
	for _, q := range c.Questions {
		keys[q.Key] = q
	}
	// The refuse rule "training_completed is missing" makes that question
	// required, though the file does not say so; the other is optional.
	for k, required := range map[string]bool{"training_completed": true, "supervised_practice_started": false} {
		if q, ok := keys[k]; !ok || q.Kind != catalog.DateAnswer || q.Required != required {
			t.Errorf("question %s: got %+v, want a date question, required %v", k, q, required)
		}
	}
	var e catalog.Event
	for _, x := range c.Events {
		if x.Ref == "2022-06" {
			e = x
		}
	}
	if len(e.Days) != 1 {
		t.Fatalf("got event 2022-06 with %d days, want one", len(e.Days))
	}
	d := e.Days[0]
	if d.Date != (catalog.Date{Year: 2022, Month: time.June, Day: 10}) || d.Start.String() != "10:00" || d.End.String() != "17:00" {
		t.Errorf("got %s %s-%s, want 2022-06-10 10:00-17:00", d.Date, d.Start, d.End)
	}
	if e.Format != catalog.Online || e.TimeZone != "Europe/London" || e.Meeting.Provider != "Zoom" {
		t.Errorf("got format %s zone %s provider %s, want online Europe/London Zoom", e.Format, e.TimeZone, e.Meeting.Provider)
	}
	if got, want := d.TimeRange(e.Location()), "10:00–17:00 UK time (BST)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	want := []string{
		"09:30 registration: Registration",
		"10:00-11:30 teaching: Establishing and negotiating the IPAF",
		"11:30-11:50 break: Tea break",
		"11:50-13:00 teaching: Middle-phase techniques",
		"13:00-14:00 lunch: Lunch",
		"14:00-15:30 teaching: The ending phase",
		"15:30-15:50 break: Tea break",
		"15:50-17:00 plenary: Selection for DIT, difficult scenarios and plenary",
	}
	var got []string
	for _, a := range d.Agenda {
		got = append(got, catalog.FormatAgendaItem(a))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got agenda\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFilesRoundTrip checks that every demo file, once its dates are
// filled in, survives export and import unchanged.
func TestFilesRoundTrip(t *testing.T) {
	names := Names()
	if len(names) != 3 {
		t.Fatalf("got files %q, want 3", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := Render(name, catalog.Date{Year: 2026, Month: time.May, Day: 20})
			if err != nil {
				t.Fatal(err)
			}
			c, err := catalog.ParseCourseFile("demo/"+name, data)
			if err != nil {
				t.Fatal(err)
			}
			out := catalog.FormatCourseFile(c)
			back, err := catalog.ParseCourseFile("exported.md", out)
			if err != nil {
				t.Fatalf("exported file does not parse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(back, c) {
				t.Errorf("round trip: got %+v, want %+v", back, c)
			}
			if again := catalog.FormatCourseFile(back); string(again) != string(out) {
				t.Errorf("export is not a fixed point")
			}
		})
	}
}

func TestUpcoming(t *testing.T) {
	wed := catalog.Date{Year: 2026, Month: time.March, Day: 4} // a Wednesday
	tests := []struct {
		today   catalog.Date
		week    int
		weekday string
		want    catalog.Date
	}{
		{wed, 1, "Friday", catalog.Date{Year: 2026, Month: time.March, Day: 6}},
		{wed, 1, "wednesday", catalog.Date{Year: 2026, Month: time.March, Day: 11}}, // never today
		{wed, 1, "Tuesday", catalog.Date{Year: 2026, Month: time.March, Day: 10}},
		{wed, 6, "Friday", catalog.Date{Year: 2026, Month: time.April, Day: 10}},
		// 23 December 2026 is in the Christmas break: a week on, still in
		// it; two weeks on, clear.
		{catalog.Date{Year: 2026, Month: time.December, Day: 16}, 1, "Wednesday", catalog.Date{Year: 2027, Month: time.January, Day: 6}},
	}
	for _, tt := range tests {
		got, err := Upcoming(tt.today, tt.week, tt.weekday)
		if err != nil || got != tt.want {
			t.Errorf("Upcoming(%s, %d, %s): got %s, %v, want %s", tt.today, tt.week, tt.weekday, got, err, tt.want)
		}
	}
	if _, err := Upcoming(wed, 1, "Fri"); err == nil {
		t.Errorf("Upcoming with weekday Fri: got no error, want one")
	}
	if _, err := Upcoming(wed, 0, "Friday"); err == nil {
		t.Errorf("Upcoming with week 0: got no error, want one")
	}
}

func TestNth(t *testing.T) {
	tests := []struct {
		today   catalog.Date
		n       int
		weekday string
		month   string
		want    catalog.Date
	}{
		{catalog.Date{Year: 2026, Month: time.March, Day: 1}, 3, "Thursday", "July", catalog.Date{Year: 2026, Month: time.July, Day: 16}},
		{catalog.Date{Year: 2026, Month: time.July, Day: 16}, 3, "Thursday", "July", catalog.Date{Year: 2027, Month: time.July, Day: 15}},
		{catalog.Date{Year: 2026, Month: time.July, Day: 15}, 3, "Thursday", "July", catalog.Date{Year: 2026, Month: time.July, Day: 16}},
		{catalog.Date{Year: 2026, Month: time.March, Day: 1}, 2, "Monday", "March", catalog.Date{Year: 2026, Month: time.March, Day: 9}},
		{catalog.Date{Year: 2026, Month: time.March, Day: 1}, 1, "Sunday", "March", catalog.Date{Year: 2027, Month: time.March, Day: 7}},
	}
	for _, tt := range tests {
		got, err := Nth(tt.today, tt.n, tt.weekday, tt.month)
		if err != nil || got != tt.want {
			t.Errorf("Nth(%s, %d, %s, %s): got %s, %v, want %s", tt.today, tt.n, tt.weekday, tt.month, got, err, tt.want)
		}
	}
	if _, err := Nth(tests[0].today, 5, "Monday", "March"); err == nil {
		t.Errorf("Nth 5: got no error, want one")
	}
	if _, err := Nth(tests[0].today, 1, "Monday", "Mar"); err == nil {
		t.Errorf("Nth with month Mar: got no error, want one")
	}
}

// TestDITRefresherRules checks the refresher's eligibility rules and
// booking settings against its 10 June 2022 date: six months before is 10
// December 2021.
func TestDITRefresherRules(t *testing.T) {
	courses, err := Courses(catalog.Date{Year: 2022, Month: time.May, Day: 1})
	if err != nil {
		t.Fatal(err)
	}
	byslug := map[string]catalog.Course{}
	for _, c := range courses {
		byslug[c.Slug] = c
	}
	c := byslug["dit-refresher"]
	if !c.Waitlist || c.OfferHoldHours != 48 || c.CancellationTerms == "" {
		t.Errorf("got waitlist %v, offer hold %d, terms %q; want a waiting list, 48 hours and cancellation terms", c.Waitlist, c.OfferHoldHours, c.CancellationTerms)
	}
	const (
		refuse = "This course is for people who have completed the DIT training."
		note   = "For you this refresher is required before you start supervised DIT practice."
	)
	event := catalog.Date{Year: 2022, Month: time.June, Day: 10}
	today := catalog.Date{Year: 2022, Month: time.May, Day: 1}
	tests := []struct {
		trained, practice string
		want              catalog.Decision
	}{
		{"", "", catalog.Decision{Outcome: catalog.Refuse, Reasons: []string{refuse}}},
		{"", "2022-01-10", catalog.Decision{Outcome: catalog.Refuse, Reasons: []string{refuse}}},
		{"2021-12-09", "", catalog.Decision{Outcome: catalog.Accept, Notes: []string{note}}},
		{"2021-12-10", "", catalog.Decision{Outcome: catalog.Accept}},
		{"2021-12-11", "", catalog.Decision{Outcome: catalog.Accept}},
		{"2019-05-01", "2019-09-01", catalog.Decision{Outcome: catalog.Accept}},
	}
	for _, tt := range tests {
		answers := map[string]string{"training_completed": tt.trained, "supervised_practice_started": tt.practice}
		if got := catalog.Evaluate(c.Rules, answers, event, today); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("trained %q, practice %q: got %+v, want %+v", tt.trained, tt.practice, got, tt.want)
		}
	}

	f := byslug["dit-foundation"]
	got := catalog.Evaluate(f.Rules, map[string]string{"core_profession": "Nurse", "practising_therapist": "no"}, event, today)
	if got.Outcome != catalog.Review || len(got.Reasons) != 1 {
		t.Errorf("five-day training, not practising: got %+v, want review with a reason", got)
	}
	if w := byslug["outcome-measures-webinar"]; !w.Free() || w.Waitlist || w.OfferHoldHours != 0 {
		t.Errorf("webinar: got free %v, waitlist %v, hold %d; want free, no waiting list, 0", w.Free(), w.Waitlist, w.OfferHoldHours)
	}
}
