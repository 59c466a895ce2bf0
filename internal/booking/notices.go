package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

// EventChanged tells the people booked on an event of a participant-visible
// change to it. It is the body of the catalogue's change hook
// (catalog.Store.OnEventChange) and runs in the save's transaction tx, so
// the notices are queued if and only if the change is saved.
//
// A change is late when the event's first day (the earlier of the old and
// the new one) is fewer than the minimum-notice window's working days
// away. A late change that is not confirmed (confirmLate false) returns an
// error wrapping ErrLateChange, which rolls the save back.
//
// Otherwise every active booking (confirmed, pending review, offered,
// waitlisted) is told:
//   - the event is cancelled: an event_cancelled e-mail (dedupe key
//     event-cancelled/<booking>/<version>), with a calendar cancellation
//     (METHOD:CANCEL) for those who had a calendar invitation; the booking
//     is cancelled, a fee invoiced or paid becomes refund due, and nobody
//     is moved up;
//   - anything else: an event_changed e-mail (event-changed/<booking>/
//     <version>) listing each change old → new, with the updated calendar
//     entry (same UIDs, SEQUENCE = the new version) for confirmed bookings,
//     and, when the change is late, that they may cancel free of charge.
//     A confirmed booking that already had joining instructions, or whose
//     joining instructions are now due, gets the new ones at once
//     (joining/<booking>/<new version>) while the event is still to run.
func (s *Service) EventChanged(ctx context.Context, tx *sql.Tx, c catalog.Course, old, new catalog.Event, ch catalog.EventChange, confirmLate bool) error {
	now := s.now().UTC()
	if !old.EndsAt.After(now) && !new.EndsAt.After(now) {
		return nil // correcting a date that is over tells nobody
	}
	list, err := bookingsWhere(ctx, tx, `b.event_id = $1 AND b.status IN ('confirmed', 'pending_review', 'offered', 'waitlisted')`,
		[]any{new.ID}, 0)
	if err != nil {
		return fmt.Errorf("booking: event %d changed: %w", new.ID, err)
	}
	if len(list) == 0 {
		return nil // nobody to tell, so nothing to confirm
	}
	late, days, first := s.lateChange(old, new, now)
	if late && !confirmLate {
		return fmt.Errorf("%w: %s (%s) starts on %s, %d working day(s) from today, inside the %d-working-day notice window",
			ErrLateChange, c.Title, new.Ref, first.In(time.UTC).Format("Monday 2 January 2006"), days, s.minNotice)
	}
	for _, b := range list {
		if new.Status == catalog.Cancelled {
			err = s.eventCancelled(ctx, tx, c, new, b, now)
		} else {
			err = s.eventChangeNotice(ctx, tx, c, new, b, ch, late, now)
		}
		if err != nil {
			return fmt.Errorf("booking: event %d changed: booking %d: %w", new.ID, b.ID, err)
		}
	}
	return nil
}

// lateChange reports whether a change from old to new at now falls inside
// the minimum-notice window, with the working days left before the
// earlier of the two first days and that day.
func (s *Service) lateChange(old, new catalog.Event, now time.Time) (late bool, days int, first catalog.Date) {
	e := new
	if len(new.Days) == 0 || (len(old.Days) > 0 && old.StartsAt.Before(new.StartsAt)) {
		e = old
	}
	if len(e.Days) == 0 {
		return false, 0, catalog.Date{}
	}
	first = e.Days[0].Date
	today := catalog.DateOf(now.In(e.Location()))
	days = s.workdays.WorkingDaysBetween(workdays.Region(new.Region), workdays.Date(today), workdays.Date(first))
	return s.minNotice > 0 && days < s.minNotice, days, first
}

// eventCancelled cancels b because its event is cancelled, and tells them.
func (s *Service) eventCancelled(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b Booking, now time.Time) error {
	hadPlace, invited := b.Status.HoldsPlace(), b.Status == Confirmed
	var refund string
	switch b.Payment {
	case Paid:
		refund = fmt.Sprintf("The fee you paid (%s) will be refunded in full.", catalog.FormatMoney(b.Amount, b.Currency))
	case Invoice:
		refund = fmt.Sprintf("Invoice %s is cancelled: please do not pay it. If you have paid it already, the fee will be refunded in full.",
			b.InvoiceLabel())
	}
	b.Status, b.CancelledAt, b.OfferExpiresAt = Cancelled, now, time.Time{}
	if b.Payment == Paid || b.Payment == Invoice {
		b.Payment = RefundDue
	}
	if err := saveState(ctx, tx, &b, now); err != nil {
		return err
	}
	spec := mailSpec{
		kind: mailEventCancelled, dedupe: fmt.Sprintf("event-cancelled/%d/%d", b.ID, e.Version),
		fill: func(d *mailData) { d.HadPlace, d.Refund = hadPlace, refund },
	}
	if invited {
		spec.calendar = "CANCEL"
	}
	return s.queue(ctx, tx, spec, c, e, b, "")
}

// eventChangeNotice tells b what changed and, if they had joining
// instructions (or are now owed them), sends the new ones.
func (s *Service) eventChangeNotice(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b Booking,
	ch catalog.EventChange, late bool, now time.Time) error {
	spec := mailSpec{
		kind: mailEventChanged, dedupe: fmt.Sprintf("event-changed/%d/%d", b.ID, e.Version),
		fill: func(d *mailData) {
			d.Changes, d.Late, d.HadPlace = oneLineChanges(ch.Changes), late, b.Status.HoldsPlace()
		},
	}
	if b.Status == Confirmed {
		spec.calendar = "REQUEST"
	}
	if err := s.queue(ctx, tx, spec, c, e, b, ""); err != nil {
		return err
	}
	if b.Status != Confirmed || !upcoming(e, now) {
		return nil
	}
	var had bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM messages WHERE booking_id = $1 AND kind = $2)`,
		b.ID, string(mailJoining)).Scan(&had)
	if err != nil {
		return err
	}
	if had {
		return s.sendJoining(ctx, tx, c, e, b, true)
	}
	return s.joiningIfDue(ctx, tx, c, e, b, false)
}

// oneLineChanges writes each change's old and new values on one line
// (a venue's address lines joined with commas), "(none)" when empty.
func oneLineChanges(changes []catalog.Change) []catalog.Change {
	out := make([]catalog.Change, len(changes))
	for i, c := range changes {
		out[i] = catalog.Change{Field: c.Field, Old: oneLine(c.Old), New: oneLine(c.New)}
	}
	return out
}

func oneLine(s string) string {
	if l := lines(s); len(l) > 0 {
		return strings.Join(l, ", ")
	}
	return "(none)"
}

// EventSchedule is when an event's timed messages go and how each
// booking's joining instructions stand, for coordinators.
type EventSchedule struct {
	EventID int64
	Version int
	// JoiningAt is when the joining instructions go (UTC); bookings
	// confirmed later get them at once.
	JoiningAt time.Time
	// ReminderAt is when the reminder goes; zero when the course sends
	// none.
	ReminderAt time.Time
	// Bookings are the event's active bookings in the order taken.
	Bookings []JoiningState
}

// JoiningState is how one booking's joining instructions for the event's
// current version stand.
type JoiningState struct {
	Booking Booking
	// Status is the joining e-mail's delivery status (queued, sent, kept
	// in the dev mailbox, or failed), or "" while none is queued.
	Status    messaging.Status
	Attempts  int
	LastError string
	SentAt    time.Time // zero until sent
}

// Schedule returns an event's joining and reminder times and, for each
// active booking, whether its joining instructions for the current version
// were queued, sent or failed.
func (s *Service) Schedule(ctx context.Context, eventID int64) (EventSchedule, error) {
	c, e, err := s.catalog.Event(ctx, eventID)
	if err != nil {
		return EventSchedule{}, fmt.Errorf("booking: schedule of event %d: %w", eventID, err)
	}
	out := EventSchedule{EventID: e.ID, Version: e.Version, JoiningAt: s.JoiningSendAt(c, e), ReminderAt: s.ReminderAt(c, e)}
	rows, err := s.db.QueryContext(ctx, `
		SELECT `+bookingColumns+`, m.status, m.attempts, m.last_error, m.sent_at
		FROM bookings b
		LEFT JOIN messages m ON m.dedupe_key = 'joining/' || CAST(b.id AS TEXT) || '/' || $2
		WHERE b.event_id = $1 AND b.status IN `+activeStatuses+` ORDER BY b.id`, e.ID, fmt.Sprint(e.Version))
	if err != nil {
		return EventSchedule{}, fmt.Errorf("booking: schedule of event %d: %w", eventID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st       sql.NullString
			attempts sql.NullInt64
			lastErr  sql.NullString
			sent     sql.NullTime
		)
		b, err := scanBooking(extraColumns{rows, []any{&st, &attempts, &lastErr, &sent}})
		if err != nil {
			return EventSchedule{}, fmt.Errorf("booking: schedule of event %d: %w", eventID, err)
		}
		out.Bookings = append(out.Bookings, JoiningState{Booking: b, Status: messaging.Status(st.String),
			Attempts: int(attempts.Int64), LastError: lastErr.String, SentAt: utc(sent)})
	}
	if err := rows.Err(); err != nil {
		return EventSchedule{}, fmt.Errorf("booking: schedule of event %d: %w", eventID, err)
	}
	return out, nil
}

// extraColumns scans the booking columns and then more.
type extraColumns struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (x extraColumns) Scan(dest ...any) error { return x.row.Scan(append(dest, x.extra...)...) }
