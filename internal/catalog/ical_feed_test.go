package catalog

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
)

// TestCourseCalendar: one file of several dates, parsed back with
// golang-ical: a VEVENT per day of each date with the UIDs of each date's
// own file (so a subscription updates, never duplicates, what was added
// by hand), times in each date's zone with a VTIMEZONE for each zone, the
// refresh hint, and never the joining details.
func TestCourseCalendar(t *testing.T) {
	london := icalEvent(t, "Europe/London", Date{Year: 2026, Month: 10, Day: 23}, Date{Year: 2026, Month: 10, Day: 26})
	york := icalEvent(t, "America/New_York", Date{Year: 2027, Month: 3, Day: 5})
	york.ID = 43
	opts := CalendarOptions{BaseURL: "https://training.example.org/", UIDDomain: "training.example.org",
		Now: time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC), Method: "REQUEST", Joining: true, Organizer: "noreply@training.example.org"}
	raw := CourseCalendar(icalCourse, []Event{london, york}, opts)
	checkStrict(t, raw)
	for _, notWant := range []string{"s3cret-pass", "zoom.us/j", "ATTENDEE", "METHOD:REQUEST"} {
		if bytes.Contains(raw, []byte(notWant)) {
			t.Errorf("subscribed calendar has %q", notWant)
		}
	}
	for _, want := range []string{"METHOD:PUBLISH", "REFRESH-INTERVAL;VALUE=DURATION:" + FeedRefresh, "X-PUBLISHED-TTL:" + FeedRefresh,
		"NAME:Dynamic Interpersonal Therapy"} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("no %q", want)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	type got struct{ uid, tzid, start string }
	var events []got
	for _, ev := range cal.Events() {
		p := ev.GetProperty(ics.ComponentPropertyDtStart)
		events = append(events, got{ev.Id(), strings.Join(p.ICalParameters["TZID"], ","), p.Value})
	}
	want := []got{
		{"event-42-day-1@training.example.org", "Europe/London", "20261023T100000"},
		{"event-42-day-2@training.example.org", "Europe/London", "20261026T100000"},
		{"event-43-day-1@training.example.org", "America/New_York", "20270305T100000"},
	}
	if !slices.Equal(events, want) {
		t.Errorf("events\n got %v\nwant %v", events, want)
	}
	var zones []string
	for _, c := range cal.Components {
		if tz, ok := c.(*ics.VTimezone); ok {
			zones = append(zones, tz.GetProperty(ics.ComponentPropertyTzid).Value)
		}
	}
	if !slices.Equal(zones, []string{"Europe/London", "America/New_York"}) {
		t.Errorf("VTIMEZONEs %v", zones)
	}
	// Each date's own download has the same UIDs: importing both, or
	// subscribing after adding one by hand, updates one entry.
	single, err := ics.ParseCalendar(bytes.NewReader(Calendar(icalCourse, london, CalendarOptions{BaseURL: opts.BaseURL, UIDDomain: opts.UIDDomain})))
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range single.Events() {
		if ev.Id() != want[i].uid {
			t.Errorf("own file's UID %s, subscribed calendar's %s", ev.Id(), want[i].uid)
		}
		if s := ev.GetProperty(ics.ComponentPropertySequence).Value; s != cal.Events()[i].GetProperty(ics.ComponentPropertySequence).Value {
			t.Errorf("SEQUENCE %s in its own file, %s in the subscription", s, cal.Events()[i].GetProperty(ics.ComponentPropertySequence).Value)
		}
	}
	// The same dates made again later: the same UIDs.
	opts.Now = opts.Now.Add(48 * time.Hour)
	again, err := ics.ParseCalendar(bytes.NewReader(CourseCalendar(icalCourse, []Event{london, york}, opts)))
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range again.Events() {
		if ev.Id() != want[i].uid {
			t.Errorf("re-made file: UID %s, want %s", ev.Id(), want[i].uid)
		}
	}
	if empty := CourseCalendar(icalCourse, nil, opts); !bytes.Contains(empty, []byte("BEGIN:VCALENDAR")) || bytes.Contains(empty, []byte("VEVENT")) {
		t.Errorf("no dates: %s", empty)
	}
}
