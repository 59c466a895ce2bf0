package web

import (
	"fmt"
	"strings"
	"time"

	"plenary/internal/catalog"
)

// The views below are what templates see of the catalogue. They are
// copied field by field from the domain types so that private details (an
// online meeting's link, ID and passcode) can never reach a public page,
// whatever a template says.

// dateView is one event ("date") of a course.
type dateView struct {
	ID          int64
	DateLabel   string // "Friday 10 June 2022"
	Format      string // "Online"
	Online      bool   // online or hybrid: the system check is relevant
	Provider    string // "Zoom", for "Online (Zoom)"
	Duration    string // "1 day (7 hours)"
	Times       string // the first day's hours with the zone
	SameTimes   bool   // every day has the same hours and zone label
	Past        bool
	Cancelled   bool
	Changed     bool
	Venue       venueView
	Days        []dayView
	CalendarURL string
}

// Bookable reports whether the date is still to come and running.
func (d dateView) Bookable() bool { return !d.Past && !d.Cancelled }

type venueView struct {
	Name    string
	Address []string // lines
}

type dayView struct {
	Label  string // "Day 1: Monday 6 March 2023", or "Agenda" for a one-day date
	Single bool   // the only day of its date
	Times  string // "10:00–17:00 UK time (GMT)"
	Agenda []agendaView
}

type agendaView struct {
	Times string // "10:00–12:30" or "09:30"
	Kind  string // "Teaching"
	Title string
	Quiet bool // breaks and lunch are shown more quietly
}

var agendaKindLabels = map[catalog.AgendaKind]string{
	catalog.Registration: "Registration",
	catalog.Teaching:     "Teaching",
	catalog.Break:        "Break",
	catalog.Lunch:        "Lunch",
	catalog.Plenary:      "Plenary",
	catalog.Other:        "",
}

func newDateView(e catalog.Event, now time.Time) dateView {
	loc := e.Location()
	v := dateView{
		ID:          e.ID,
		DateLabel:   e.DateLabel(),
		Format:      e.Format.Label(),
		Online:      e.Format == catalog.Online || e.Format == catalog.Hybrid,
		Duration:    e.DurationLabel(),
		Past:        e.Past(now),
		Cancelled:   e.Status == catalog.Cancelled,
		Changed:     e.Status == catalog.Changed,
		CalendarURL: fmt.Sprintf("/events/%d.ics", e.ID),
		SameTimes:   true,
	}
	if v.Online {
		v.Provider = e.Meeting.Provider
	}
	if e.Format == catalog.InPerson || e.Format == catalog.Hybrid {
		v.Venue.Name = e.Venue.Name
		for _, l := range strings.Split(e.Venue.Address, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				v.Venue.Address = append(v.Venue.Address, l)
			}
		}
	}
	for i, d := range e.Days {
		if i == 0 {
			v.Times = d.TimeRange(loc)
		} else if d.TimeRange(loc) != v.Times {
			// Other hours, or the same hours in another zone
			// abbreviation across a clock change.
			v.SameTimes = false
		}
		// A one-day date already shows its day and hours above the
		// agenda; a longer one names each day.
		label := "Agenda"
		if len(e.Days) > 1 {
			label = fmt.Sprintf("Day %d: %s", i+1, d.Date.In(time.UTC).Format("Monday 2 January 2006"))
		}
		dv := dayView{Label: label, Times: d.TimeRange(loc), Single: len(e.Days) == 1}
		for _, a := range d.Agenda {
			t := a.Start.String()
			if a.HasEnd() {
				t += "–" + a.End.String()
			}
			// The kind is shown unless the title already says it ("Tea
			// break", "Lunch").
			kind := agendaKindLabels[a.Kind]
			if strings.Contains(strings.ToLower(a.Title), strings.ToLower(kind)) {
				kind = ""
			}
			dv.Agenda = append(dv.Agenda, agendaView{
				Times: t,
				Kind:  kind,
				Title: a.Title,
				Quiet: a.Kind == catalog.Break || a.Kind == catalog.Lunch,
			})
		}
		v.Days = append(v.Days, dv)
	}
	return v
}

// joiningPromise says when joining instructions are sent, from the
// course's lead time in working days.
func joiningPromise(days int) string {
	switch {
	case days <= 0:
		return "Joining instructions are e-mailed before the course starts."
	case days == 1:
		return "Joining instructions are e-mailed at least one working day before the course."
	default:
		return fmt.Sprintf("Joining instructions are e-mailed at least %d working days before the course.", days)
	}
}
