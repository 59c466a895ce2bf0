package certificates

import (
	"fmt"
	"slices"
	"strconv"

	"plenary/internal/catalog"
)

// CPD time comes from a day's agenda: its teaching and plenary items
// count, everything else (registration, breaks, lunch, other) never. An
// item without an end runs until the next item starts, or the day ends.
// Items are clipped to the day's times and overlaps count once. A day
// without teaching or plenary items counts nothing: CPD time is what
// the agenda shows as taught, never guessed from the day's hours.

// Session is one part of a day that counts for CPD: a teaching or
// plenary item with its end worked out, in minutes since midnight in
// the event's zone.
type Session struct {
	Start, End int
	Title      string
}

// Key names the session in the register: its start, HH:MM.
func (s Session) Key() string { return clockText(s.Start) }

// Label is the session as staff read it: "10:00–11:30 Title".
func (s Session) Label() string {
	return clockText(s.Start) + "–" + clockText(s.End) + " " + s.Title
}

// Minutes is the session's length.
func (s Session) Minutes() int { return s.End - s.Start }

// counts reports whether an agenda item of kind k is CPD time.
func counts(k catalog.AgendaKind) bool { return k == catalog.Teaching || k == catalog.Plenary }

// Sessions returns the day's teaching and plenary items in start order,
// each clipped to the day's times (an item wholly outside them is left
// out).
func Sessions(d catalog.Day) []Session {
	items := slices.Clone(d.Agenda)
	slices.SortStableFunc(items, func(a, b catalog.AgendaItem) int { return a.Start.Minutes - b.Start.Minutes })
	dayStart, dayEnd := 0, 24*60
	if d.Start.Valid {
		dayStart = d.Start.Minutes
	}
	if d.End.Valid {
		dayEnd = d.End.Minutes
	}
	var out []Session
	for i, a := range items {
		if !counts(a.Kind) || !a.Start.Valid {
			continue
		}
		end := dayEnd
		switch {
		case a.End.Valid:
			end = a.End.Minutes
		default:
			for _, next := range items[i+1:] {
				if next.Start.Valid && next.Start.Minutes > a.Start.Minutes {
					end = next.Start.Minutes
					break
				}
			}
		}
		s := Session{Start: max(a.Start.Minutes, dayStart), End: min(end, dayEnd), Title: a.Title}
		if s.End > s.Start {
			out = append(out, s)
		}
	}
	return out
}

// DayMinutes is the CPD time of one day: the union of its sessions.
func DayMinutes(d catalog.Day) int {
	var spans []span
	for _, s := range Sessions(d) {
		spans = append(spans, span{s.Start, s.End})
	}
	return total(merge(spans))
}

// EventMinutes is the CPD time of a date: the sum of its days'.
func EventMinutes(e catalog.Event) int {
	n := 0
	for _, d := range e.Days {
		n += DayMinutes(d)
	}
	return n
}

// FormatHours writes minutes as hours the way the course page and the
// certificate show them: "6", "5.5", "1.25", "0.75".
func FormatHours(minutes int) string {
	if minutes%60 == 0 {
		return strconv.Itoa(minutes / 60)
	}
	s := strconv.FormatFloat(float64(minutes)/60, 'f', 2, 64)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}

// HoursLabel is "CPD: 5.5 hours" ("1 hour" for one), or "" for none.
func HoursLabel(minutes int) string {
	if minutes <= 0 {
		return ""
	}
	unit := "hours"
	if minutes == 60 {
		unit = "hour"
	}
	return fmt.Sprintf("CPD: %s %s", FormatHours(minutes), unit)
}

// span is a half-open interval [from, to), in whatever unit the caller
// uses (minutes of a day, seconds).
type span struct{ from, to int }

// merge returns the union of spans, sorted and without overlaps.
func merge(spans []span) []span {
	s := slices.Clone(spans)
	slices.SortFunc(s, func(a, b span) int { return a.from - b.from })
	var out []span
	for _, x := range s {
		if x.to <= x.from {
			continue
		}
		if n := len(out); n > 0 && x.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, x.to)
			continue
		}
		out = append(out, x)
	}
	return out
}

// total is the length of merged spans.
func total(spans []span) int {
	n := 0
	for _, x := range spans {
		n += x.to - x.from
	}
	return n
}

// intersect returns the parts of a (merged) that lie in b (merged).
func intersect(a, b []span) []span {
	var out []span
	for _, x := range a {
		for _, y := range b {
			if f, t := max(x.from, y.from), min(x.to, y.to); t > f {
				out = append(out, span{f, t})
			}
		}
	}
	return merge(out)
}

func clockText(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
