package site

import (
	"fmt"
	"html/template"
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
	Duration    string // "1 day, 10:00–17:00"; see catalog.Event.DurationLabel
	Times       string // the first day's hours with the zone
	SameTimes   bool   // every day has the same hours and zone label
	Past        bool
	Cancelled   bool
	Changed     bool
	Venue       venueView
	Days        []dayView
	CalendarURL string
	// Book is how the date stands for booking; zero when booking is off
	// or the date is past or cancelled.
	Book availability
	// SlotDate and SlotNext stand for Book's parts of the page (the
	// templates places_date and places_next) when the page is cached with
	// slots (courseShow, placeSlots); empty otherwise.
	SlotDate, SlotNext template.HTML
	// AgendaShared hides the date's agenda: the course page shows it
	// once for every date. AgendaSameAs names an earlier date with the
	// same agenda, which is then folded away.
	AgendaShared bool
	AgendaSameAs string
	agendaKey    string // equal for dates with the same days and agenda
}

// Bookable reports whether the date is still to come and running.
func (d dateView) Bookable() bool { return !d.Past && !d.Cancelled }

// ShowDays reports whether the date lists its days with their agendas:
// not when it is cancelled or shares the course page's one agenda, nor
// for a single day with no agenda (its facts say it all).
func (d dateView) ShowDays() bool {
	return !d.Cancelled && !d.AgendaShared && (len(d.Days) > 1 || d.hasAgenda())
}

// ListDays reports whether the date lists just its days, without agendas:
// a date of several days whose agenda the course page shows once.
func (d dateView) ListDays() bool { return !d.Cancelled && d.AgendaShared && len(d.Days) > 1 }

func (d dateView) hasAgenda() bool {
	for _, day := range d.Days {
		if len(day.Agenda) > 0 {
			return true
		}
	}
	return false
}

type venueView struct {
	Name    string
	Address []string // lines
}

type dayView struct {
	Label  string // "Day 1: Monday 6 March 2023", or "Agenda" for a one-day date
	Single bool   // the only day of its date
	Times  string // "10:00–17:00 UK time (GMT)"
	Agenda []agendaView
	Number int    // 1 for the first day
	Hours  string // "10:00–17:00", without the zone
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
	var key strings.Builder
	key.WriteString(e.TimeZone)
	for i, d := range e.Days {
		key.WriteString("|" + d.Start.String() + "-" + d.End.String())
		for _, a := range d.Agenda {
			key.WriteString(";" + string(a.Kind) + " " + a.Start.String() + "-" + a.End.String() + " " + a.Title)
		}
		times := d.TimeRange(loc)
		if i == 0 {
			v.Times = times
		} else if times != v.Times {
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
		dv := dayView{Label: label, Times: times, Single: len(e.Days) == 1,
			Number: i + 1, Hours: d.Start.String() + "–" + d.End.String()}
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
	v.agendaKey = key.String()
	return v
}

// shareAgendas returns the days to show once for all the upcoming dates
// when every date going ahead has the same days and agenda (nil
// otherwise), and marks those dates. When they differ, a date that
// repeats an earlier one's agenda is marked to fold it away.
func shareAgendas(dates []dateView) []dayView {
	var running []*dateView
	for i := range dates {
		if !dates[i].Cancelled {
			running = append(running, &dates[i])
		}
	}
	if len(running) == 0 {
		return nil
	}
	same := len(running) > 1 && running[0].hasAgenda()
	for _, d := range running[1:] {
		same = same && d.agendaKey == running[0].agendaKey
	}
	if same {
		for _, d := range running {
			d.AgendaShared = true
		}
		return running[0].Days
	}
	for i, d := range running {
		if !d.hasAgenda() {
			continue
		}
		for _, earlier := range running[:i] {
			if earlier.agendaKey == d.agendaKey {
				d.AgendaSameAs = earlier.DateLabel
				break
			}
		}
	}
	return nil
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
