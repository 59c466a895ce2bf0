package catalog

import "strings"

// Diff lists the participant-visible differences between two versions of
// an event, field by field, in a fixed order: dates, each day's times,
// zone, format, venue, meeting, status, each day's agenda. Capacity and
// region are not among them. Changes to the meeting's link, ID and
// passcode are marked Private.
func Diff(old, new Event) []Change {
	var out []Change
	add := func(f Field, day int, o, n string) {
		if o != n {
			out = append(out, Change{Field: f, Day: day, Old: o, New: n, Private: f.Private()})
		}
	}
	add(FieldDays, 0, dayDates(old), dayDates(new))
	for i := range min(len(old.Days), len(new.Days)) {
		add(FieldDayTimes, i+1, dayTimes(old.Days[i]), dayTimes(new.Days[i]))
	}
	add(FieldTimeZone, 0, old.TimeZone, new.TimeZone)
	add(FieldFormat, 0, string(old.Format), string(new.Format))
	add(FieldVenueName, 0, old.Venue.Name, new.Venue.Name)
	add(FieldVenueAddress, 0, old.Venue.Address, new.Venue.Address)
	add(FieldVenueDirections, 0, old.Venue.Directions, new.Venue.Directions)
	add(FieldMeetingProvider, 0, old.Meeting.Provider, new.Meeting.Provider)
	add(FieldMeetingURL, 0, old.Meeting.JoinURL, new.Meeting.JoinURL)
	add(FieldMeetingID, 0, old.Meeting.ID, new.Meeting.ID)
	add(FieldMeetingPasscode, 0, old.Meeting.Passcode, new.Meeting.Passcode)
	if old.Status != new.Status && (old.Status == Cancelled || new.Status == Cancelled) {
		add(FieldStatus, 0, string(old.Status), string(new.Status))
	}
	for i := range max(len(old.Days), len(new.Days)) {
		add(FieldAgenda, i+1, dayAgenda(old, i), dayAgenda(new, i))
	}
	return out
}

// Private reports whether the field is one of the meeting's joining
// details, which only confirmed people may see.
func (f Field) Private() bool {
	return f == FieldMeetingURL || f == FieldMeetingID || f == FieldMeetingPasscode
}

func dayDates(e Event) string {
	parts := make([]string, len(e.Days))
	for i, d := range e.Days {
		parts[i] = d.Date.String()
	}
	return strings.Join(parts, ", ")
}

func dayTimes(d Day) string { return d.Start.String() + "–" + d.End.String() }

func dayAgenda(e Event, i int) string {
	if i >= len(e.Days) {
		return ""
	}
	lines := make([]string, len(e.Days[i].Agenda))
	for j, a := range e.Days[i].Agenda {
		t := a.Start.String()
		if a.HasEnd() {
			t += "–" + a.End.String()
		}
		lines[j] = t + " " + string(a.Kind) + " " + a.Title
	}
	return strings.Join(lines, "\n")
}
