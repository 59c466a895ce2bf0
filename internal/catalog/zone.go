package catalog

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// DefaultTimeZone is the zone events use unless they name another.
const DefaultTimeZone = "Europe/London"

// Location returns the event's zone. An unknown zone (which validation
// refuses on save) falls back to UTC rather than failing a page.
func (e Event) Location() *time.Location {
	return loadLocation(e.TimeZone)
}

// locations caches loaded zones: time.LoadLocation parses the zone data
// on every call, and pages ask for every event's zone on every request.
var locations sync.Map // name → *time.Location

func loadLocation(name string) *time.Location {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	locations.Store(name, loc)
	return loc
}

// ZoneLabel names the zone of t the way people say it, with the
// abbreviation in force at t: "UK time (BST)" in summer, "UK time (GMT)" in
// winter, "Dublin time (IST)", "Paris time (CET)".
func ZoneLabel(t time.Time) string {
	abbr, _ := t.Zone()
	name := t.Location().String()
	var place string
	switch name {
	case "Europe/London", "Europe/Belfast", "GB", "GB-Eire":
		place = "UK"
	case "UTC", "Etc/UTC", "":
		return "UTC"
	default:
		place = name[strings.LastIndex(name, "/")+1:]
		place = strings.ReplaceAll(place, "_", " ")
	}
	return fmt.Sprintf("%s time (%s)", place, abbr)
}

// Span returns the day's start and end as instants.
func (d Day) Span(loc *time.Location) (start, end time.Time) {
	return d.Start.At(d.Date, loc), d.End.At(d.Date, loc)
}

// TimeRange writes the day's hours with the zone spelled out, e.g.
// "10:00–17:00 UK time (BST)".
func (d Day) TimeRange(loc *time.Location) string {
	start, _ := d.Span(loc)
	return fmt.Sprintf("%s–%s %s", d.Start, d.End, ZoneLabel(start))
}

// Hours is the length of the day in hours, rounded to the half hour, for
// "7 hours" on a course page. It counts wall-clock time, so a day that
// spans a clock change is still the hours people sit.
func (d Day) Hours() float64 {
	mins := d.End.Minutes - d.Start.Minutes
	return float64((mins+15)/30) / 2
}

// DurationLabel says how long the event runs: "1 day, 10:00–17:00",
// "4 days, 09:30–16:30 each day", or "3 days" when the hours differ. It
// gives the hours the day runs rather than a count of hours, which would
// include lunch and breaks and so overstate the teaching.
func (e Event) DurationLabel() string {
	if len(e.Days) == 0 {
		return ""
	}
	first := e.Days[0]
	hours := first.Start.String() + "–" + first.End.String()
	if len(e.Days) == 1 {
		return "1 day, " + hours
	}
	for _, d := range e.Days[1:] {
		if d.Start != first.Start || d.End != first.End {
			return fmt.Sprintf("%d days", len(e.Days))
		}
	}
	return fmt.Sprintf("%d days, %s each day", len(e.Days), hours)
}

// DateLabel writes the event's dates for people: "Friday 10 June 2022", or
// "Monday 6 – Friday 10 March 2023" for consecutive days, or a list.
func (e Event) DateLabel() string {
	if len(e.Days) == 0 {
		return ""
	}
	first, last := e.Days[0].Date, e.Days[len(e.Days)-1].Date
	full := func(d Date) string { return d.In(time.UTC).Format("Monday 2 January 2006") }
	if len(e.Days) == 1 {
		return full(first)
	}
	consecutive := true
	for i := 1; i < len(e.Days); i++ {
		if e.Days[i].Date != e.Days[i-1].Date.AddDays(1) {
			consecutive = false
			break
		}
	}
	if !consecutive {
		parts := make([]string, len(e.Days))
		for i, d := range e.Days {
			parts[i] = full(d.Date)
		}
		return strings.Join(parts, ", ")
	}
	f, l := first.In(time.UTC), last.In(time.UTC)
	switch {
	case f.Year() != l.Year():
		return full(first) + " – " + full(last)
	case f.Month() != l.Month():
		return f.Format("Monday 2 January") + " – " + full(last)
	default:
		return f.Format("Monday 2") + " – " + full(last)
	}
}

// Past reports whether the event has ended at now.
func (e Event) Past(now time.Time) bool { return !e.EndsAt.After(now) }

// computeSpan sets StartsAt and EndsAt from the days.
func (e *Event) computeSpan() {
	if len(e.Days) == 0 {
		return
	}
	loc := e.Location()
	e.StartsAt, _ = e.Days[0].Span(loc)
	_, e.EndsAt = e.Days[len(e.Days)-1].Span(loc)
	e.StartsAt, e.EndsAt = e.StartsAt.UTC(), e.EndsAt.UTC()
}
