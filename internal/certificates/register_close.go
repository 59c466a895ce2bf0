package certificates

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
)

// Close closes a date's register: once every person is marked on every
// day (by the day, or in every teaching session of it), each booking
// becomes attended (attended on at least one day) or no-show (on none),
// through booking.Service.RecordAttendances, which audits each change:
// in one transaction for the whole date, all or nothing. A booking
// cancelled (or a place given) since the register was read refuses the
// whole close, as an InputError on "register", and changes nothing.
// A register with people not yet marked is an InputError on "register"
// naming the days, and changes nothing. It may be run again after a
// correction: only bookings whose answer changes are written. It
// returns how many bookings changed.
func (r *Register) Close(ctx context.Context, eventID int64, actor audit.Actor) (int, error) {
	e, list, marks, missing, err := r.unmarked(ctx, eventID)
	if err != nil {
		return 0, err
	}
	if len(missing) > 0 {
		return 0, InputError{"register": "not everyone is marked yet (" + strings.Join(missing, ", ") + ")"}
	}
	attended := map[int64]bool{}
	for _, b := range list {
		if !onRegister(b.Status) {
			continue
		}
		came := false
		for _, d := range e.Days {
			if ok, minutes := dayAttendance(d, b.ID, marks); ok || minutes > 0 {
				came = true
			}
		}
		attended[b.ID] = came
	}
	if r.beforeClose != nil {
		r.beforeClose()
	}
	changed, err := r.bookings.RecordAttendances(ctx, eventID, attended, actor)
	if errors.Is(err, booking.ErrRegisterChanged) {
		return 0, InputError{"register": "the date's bookings changed while the register was being closed " +
			"(a booking cancelled or a place given): nothing was closed; reload the register, mark anyone new and close it again"}
	}
	return changed, err
}

// Taken reports whether the date's register is complete: every booking
// on it marked on every day, by the day or in every teaching session —
// what Close asks for. It implements Completions.
func (r *Register) Taken(ctx context.Context, eventID int64) (bool, error) {
	_, _, _, missing, err := r.unmarked(ctx, eventID)
	return err == nil && len(missing) == 0, err
}

// unmarked reads the date, its bookings and marks, and says per day how
// many people on the register are not marked yet ("2 on 2026-06-10").
func (r *Register) unmarked(ctx context.Context, eventID int64) (catalog.Event, []booking.Booking, map[markKey]stored, []string, error) {
	_, e, err := r.bookings.EventOf(ctx, eventID)
	if err != nil {
		return e, nil, nil, nil, err
	}
	marks, err := r.marks(ctx, r.db, eventID)
	if err != nil {
		return e, nil, nil, nil, err
	}
	list, err := r.bookings.List(ctx, eventID)
	if err != nil {
		return e, nil, nil, nil, err
	}
	var missing []string
	for _, d := range e.Days {
		n := 0
		for _, b := range list {
			if onRegister(b.Status) && !dayMarked(d, b.ID, marks) {
				n++
			}
		}
		if n > 0 {
			missing = append(missing, fmt.Sprintf("%d on %s", n, d.Date))
		}
	}
	return e, list, marks, missing, nil
}

// dayMarked reports whether the booking has a mark for day d: the
// day's own, or one in every teaching session.
func dayMarked(d catalog.Day, bookingID int64, marks map[markKey]stored) bool {
	if _, ok := marks[markKey{bookingID, d.Date, ""}]; ok {
		return true
	}
	ss := Sessions(d)
	for _, s := range ss {
		if _, ok := marks[markKey{bookingID, d.Date, s.Key()}]; !ok {
			return false
		}
	}
	return len(ss) > 0
}
