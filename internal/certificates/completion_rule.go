package certificates

import (
	"context"
	"slices"

	"plenary/internal/catalog"
)

// What counts as completing a date is the course's rule
// (catalog.Course.CompletionPercent):
//
//   - every day present (0, the default): each day of the date is
//     attended. A day is attended when its whole-day mark is present,
//     late or left early, or — when it was taken per session instead —
//     when every teaching session of the day is so marked.
//   - at least N per cent of the teaching minutes: the minutes attended
//     over all days, against EventMinutes. A day or session marked
//     present, late or left early counts its teaching minutes in full,
//     unless a meeting report recorded the minutes actually attended,
//     which then count instead. A date with no teaching minutes falls
//     back to every day present.
//
// Excused is not attended: it excuses the absence, it does not teach the
// content. Session marks win over a whole-day mark of the same day: the
// day's mark counts only for the sessions left unmarked.

// Completed returns who completed the date, by the register and the
// course's rule, in the order of the register (by name). Only confirmed
// and attended bookings can complete. It implements Completions.
func (r *Register) Completed(ctx context.Context, eventID int64) ([]Completion, error) {
	c, e, err := r.bookings.EventOf(ctx, eventID)
	if err != nil {
		return nil, err
	}
	marks, err := r.marks(ctx, r.db, eventID)
	if err != nil {
		return nil, err
	}
	list, err := r.bookings.List(ctx, eventID)
	if err != nil {
		return nil, err
	}
	cpd := EventMinutes(e)
	var out []Completion
	for _, b := range list {
		if !onRegister(b.Status) {
			continue
		}
		if ok, _ := completes(c, e, b.ID, marks); ok {
			out = append(out, Completion{BookingID: b.ID, EventID: eventID, Name: b.Name, Email: b.Email, CPDMinutes: cpd})
		}
	}
	return out, nil
}

var _ Completions = (*Register)(nil)

// completes applies the course's rule to one booking's marks; it also
// returns the teaching minutes attended.
func completes(c catalog.Course, e catalog.Event, bookingID int64, marks map[markKey]stored) (bool, int) {
	allDays, attended := true, 0
	for _, d := range e.Days {
		ok, minutes := dayAttendance(d, bookingID, marks)
		allDays = allDays && ok
		attended += minutes
	}
	total := EventMinutes(e)
	if c.CompletionPercent == 0 || total == 0 {
		return allDays && len(e.Days) > 0, attended
	}
	return attended*100 >= c.CompletionPercent*total, attended
}

// dayAttendance says whether the booking attended day d and for how many
// of its teaching minutes. When the day has session marks, they decide:
// a whole-day mark stands in only for the sessions not marked (for their
// full teaching time when attended). Without session marks the whole-day
// mark decides alone, a meeting report's minutes included.
func dayAttendance(d catalog.Day, bookingID int64, marks map[markKey]stored) (bool, int) {
	whole, hasWhole := marks[markKey{bookingID, d.Date, ""}]
	sessions := Sessions(d)
	bySession := slices.ContainsFunc(sessions, func(s Session) bool {
		_, ok := marks[markKey{bookingID, d.Date, s.Key()}]
		return ok
	})
	if !bySession {
		if !hasWhole {
			return false, 0
		}
		return whole.Mark.Attended(), minutesOf(whole, DayMinutes(d))
	}
	all, minutes := true, 0
	for _, s := range sessions {
		m, ok := marks[markKey{bookingID, d.Date, s.Key()}]
		if !ok {
			if !hasWhole {
				all = false
				continue
			}
			m = stored{Mark: whole.Mark} // the day's mark, without a report's day total
		}
		all = all && m.Mark.Attended()
		minutes += minutesOf(m, s.Minutes())
	}
	return all, minutes
}

// minutesOf is what a mark counts toward the percent rule: the report's
// minutes when recorded (never more than the teaching time), else the
// whole teaching time when attended.
func minutesOf(m stored, teaching int) int {
	switch {
	case !m.Mark.Attended():
		return 0
	case m.HasMinutes:
		return min(m.Minutes, teaching)
	}
	return teaching
}
