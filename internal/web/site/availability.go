package site

import (
	"fmt"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
)

// availability is how a date stands for booking, as the course page and
// the booking form say it.
type availability struct {
	// Open means the form takes bookings: a place, or a place on the
	// waiting list when Waitlist is set.
	Open     bool
	Waitlist bool
	// Label is "5 places left", "Places available", "Full — join the
	// waiting list", "Full" or "Bookings closed".
	Label string
	// Action is the link's text: "Book a place" or "Join the waiting
	// list".
	Action string
	URL    string // the booking form
}

// Shown reports whether there is anything to say (booking is on and the
// date is still to come and running).
func (a availability) Shown() bool { return a.Label != "" }

// availabilityOf says how event e of course c stands at now, with places
// p. A cancelled or past date has no availability: nothing is shown.
func availabilityOf(c catalog.Course, e catalog.Event, p booking.Places, now time.Time) availability {
	if e.Status == catalog.Cancelled || e.Past(now) {
		return availability{}
	}
	a := availability{URL: fmt.Sprintf("/events/%d/book", e.ID), Action: "Book a place"}
	left := p.Left()
	switch {
	case e.Status == catalog.Completed || !now.Before(booking.ClosesAt(c, e)):
		a.Label = "Bookings closed"
	case left == 0 && c.Waitlist:
		a.Open, a.Waitlist = true, true
		a.Label, a.Action = "Full — join the waiting list", "Join the waiting list"
	case left == 0:
		a.Label = "Full"
	case left < 0:
		a.Open, a.Label = true, "Places available"
	case left == 1:
		a.Open, a.Label = true, "1 place left"
	default:
		a.Open, a.Label = true, fmt.Sprintf("%d places left", left)
	}
	return a
}
