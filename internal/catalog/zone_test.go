package catalog_test

import (
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
)

// TestTimesAcrossClockChanges checks the zone label and the UTC instant of
// a 10:00–17:00 day either side of the UK's March and October changes.
func TestTimesAcrossClockChanges(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		date      string
		wantLabel string
		wantUTC   string // the instant of 10:00 local
	}{
		{"2022-06-10", "10:00–17:00 UK time (BST)", "2022-06-10T09:00:00Z"},
		{"2023-01-10", "10:00–17:00 UK time (GMT)", "2023-01-10T10:00:00Z"},
		// 2025: clocks go forward on Sunday 30 March, back on Sunday 26 October.
		{"2025-03-29", "10:00–17:00 UK time (GMT)", "2025-03-29T10:00:00Z"},
		{"2025-03-30", "10:00–17:00 UK time (BST)", "2025-03-30T09:00:00Z"},
		{"2025-03-31", "10:00–17:00 UK time (BST)", "2025-03-31T09:00:00Z"},
		{"2025-10-25", "10:00–17:00 UK time (BST)", "2025-10-25T09:00:00Z"},
		{"2025-10-26", "10:00–17:00 UK time (GMT)", "2025-10-26T10:00:00Z"},
		{"2025-10-27", "10:00–17:00 UK time (GMT)", "2025-10-27T10:00:00Z"},
	}
	for _, tt := range tests {
		date, err := catalog.ParseDate(tt.date)
		if err != nil {
			t.Fatal(err)
		}
		d := catalog.Day{Date: date, Start: catalog.Clock{Minutes: 600, Valid: true}, End: catalog.Clock{Minutes: 1020, Valid: true}}
		if got := d.TimeRange(london); got != tt.wantLabel {
			t.Errorf("%s: label got %q, want %q", tt.date, got, tt.wantLabel)
		}
		start, _ := d.Span(london)
		if got := start.UTC().Format(time.RFC3339); got != tt.wantUTC {
			t.Errorf("%s: start got %s, want %s", tt.date, got, tt.wantUTC)
		}
	}
}

func TestZoneLabelOtherZones(t *testing.T) {
	tests := []struct {
		zone string
		when time.Time
		want string
	}{
		{"Europe/Paris", time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC), "Paris time (CEST)"},
		{"America/New_York", time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), "New York time (EST)"},
		{"UTC", time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC), "UTC"},
	}
	for _, tt := range tests {
		loc, err := time.LoadLocation(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := catalog.ZoneLabel(tt.when.In(loc)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.zone, got, tt.want)
		}
	}
}

func TestEventLabels(t *testing.T) {
	day := func(s string) catalog.Day {
		d, err := catalog.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return catalog.Day{Date: d, Start: catalog.Clock{Minutes: 600, Valid: true}, End: catalog.Clock{Minutes: 1020, Valid: true}}
	}
	tests := []struct {
		days         []string
		wantDate     string
		wantDuration string
	}{
		{[]string{"2022-06-10"}, "Friday 10 June 2022", "1 day, 10:00–17:00"},
		{[]string{"2023-03-06", "2023-03-07", "2023-03-08", "2023-03-09", "2023-03-10"}, "Monday 6 – Friday 10 March 2023", "5 days, 10:00–17:00 each day"},
		{[]string{"2023-01-30", "2023-01-31", "2023-02-01"}, "Monday 30 January – Wednesday 1 February 2023", "3 days, 10:00–17:00 each day"},
		{[]string{"2023-01-09", "2023-01-16"}, "Monday 9 January 2023, Monday 16 January 2023", "2 days, 10:00–17:00 each day"},
		{[]string{"2023-12-31", "2024-01-01"}, "Sunday 31 December 2023 – Monday 1 January 2024", "2 days, 10:00–17:00 each day"},
	}
	for _, tt := range tests {
		var e catalog.Event
		for _, d := range tt.days {
			e.Days = append(e.Days, day(d))
		}
		if got := e.DateLabel(); got != tt.wantDate {
			t.Errorf("DateLabel %v: got %q, want %q", tt.days, got, tt.wantDate)
		}
		if got := e.DurationLabel(); got != tt.wantDuration {
			t.Errorf("DurationLabel %v: got %q, want %q", tt.days, got, tt.wantDuration)
		}
	}
}

func TestParseClock(t *testing.T) {
	for _, s := range []string{"00:00", "09:30", "23:59"} {
		c, err := catalog.ParseClock(s)
		if err != nil || c.String() != s {
			t.Errorf("ParseClock(%q): got %q, %v", s, c, err)
		}
	}
	for _, s := range []string{"", "9:30", "24:00", "12:60", "ab:cd", "12-30", "12:3x"} {
		if _, err := catalog.ParseClock(s); err == nil {
			t.Errorf("ParseClock(%q): no error", s)
		}
	}
}

func TestParseDateMessages(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2022-06-31", "not a day of the calendar"},
		{"2023-02-29", "not a day of the calendar"},
		{"10/06/2022", "form YYYY-MM-DD"},
		{"", "form YYYY-MM-DD"},
	}
	for _, tt := range tests {
		_, err := catalog.ParseDate(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDate(%q): got %v, want an error saying %q", tt.in, err, tt.want)
		}
	}
	if d, err := catalog.ParseDate("2024-02-29"); err != nil || d.String() != "2024-02-29" {
		t.Errorf("ParseDate(2024-02-29): got %v, %v", d, err)
	}
}
