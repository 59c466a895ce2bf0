package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/workdays"
)

// JoiningSendAt is when the joining instructions for e go: the joining
// time (Options.JoiningTime) in the event's zone, on the working day
// c.JoiningLeadDays working days before its first day, counted with the
// bank holidays of the event's region (the install's default when it names
// none). The zone makes it right across clock changes: 09:00 is 08:00 UTC
// in summer and 09:00 UTC in winter. Zero for an event without days.
func (s *Service) JoiningSendAt(c catalog.Course, e catalog.Event) time.Time {
	if len(e.Days) == 0 {
		return time.Time{}
	}
	day := s.workdays.WorkingDaysBefore(workdays.Region(e.Region), workdays.Date(e.Days[0].Date), c.JoiningLeadDays)
	return s.joiningAt.At(catalog.Date(day), e.Location()).UTC()
}

// ReminderAt is when the reminder for e goes: the joining time in the
// event's zone, c.ReminderDaysBefore calendar days before its first day.
// Zero when the course sends no reminder.
func (s *Service) ReminderAt(c catalog.Course, e catalog.Event) time.Time {
	if c.ReminderDaysBefore <= 0 || len(e.Days) == 0 {
		return time.Time{}
	}
	return s.joiningAt.At(e.Days[0].Date.AddDays(-c.ReminderDaysBefore), e.Location()).UTC()
}

// upcoming reports whether e is still to run at now: neither cancelled
// nor completed, and not started. Joining instructions and reminders go
// only to such events.
func upcoming(e catalog.Event, now time.Time) bool {
	return (e.Status == catalog.Scheduled || e.Status == catalog.Changed) && now.Before(e.StartsAt)
}

// joiningIfDue queues b's joining instructions at once if their send time
// has passed and the event is still to run: the path for a booking
// confirmed late.
func (s *Service) joiningIfDue(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b Booking, replaces bool) error {
	now := s.now().UTC()
	if !upcoming(e, now) || now.Before(s.JoiningSendAt(c, e)) {
		return nil
	}
	return s.sendJoining(ctx, tx, c, e, b, replaces)
}

// sendJoining queues the joining instructions of e's current version for
// b, with a calendar invitation that carries the meeting details. Dedupe
// key: joining/<booking>/<event version>.
func (s *Service) sendJoining(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b Booking, replaces bool) error {
	return s.queue(ctx, tx, mailSpec{
		kind: mailJoining, dedupe: joiningKey(b.ID, e.Version), calendar: "REQUEST", joining: true,
		fill: func(d *mailData) {
			fillJoining(d, e)
			d.Replaces = replaces
		},
	}, c, e, b, "")
}

func joiningKey(bookingID int64, version int) string {
	return fmt.Sprintf("joining/%d/%d", bookingID, version)
}

// fillJoining adds the meeting or venue details and the agenda.
func fillJoining(d *mailData, e catalog.Event) {
	if e.Format != catalog.InPerson {
		d.Provider, d.JoinURL, d.MeetingID, d.Passcode = e.Meeting.Provider, e.Meeting.JoinURL, e.Meeting.ID, e.Meeting.Passcode
	}
	if e.Format != catalog.Online {
		d.VenueName = e.Venue.Name
		d.VenueAddress = lines(e.Venue.Address)
		d.Directions = lines(e.Venue.Directions)
	}
	loc := e.Location()
	for _, day := range e.Days {
		md := mailDay{Heading: day.Date.In(time.UTC).Format("Monday 2 January 2006") + ", " + day.TimeRange(loc)}
		for _, a := range day.Agenda {
			t := a.Start.String()
			if a.HasEnd() {
				t += "–" + a.End.String()
			}
			md.Items = append(md.Items, t+" "+a.Title)
		}
		d.Agenda = append(d.Agenda, md)
	}
}

// lines splits text into its non-empty lines, at CRLF, CR or LF (a form
// or a course file may bring any of them).
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Limits of one SendDue run. What is left over goes on the next run, a
// minute later.
const (
	sendDueEvents   = 500 // events looked at
	sendDueMessages = 500 // messages queued
	// thanksWindow is how long after an event the thank-you may still
	// go: a new install, or one that was stopped, does not thank people
	// for courses long past.
	thanksWindow = 7 * 24 * time.Hour
	// sendHorizon bounds how far ahead an event's timed messages can be
	// due: a reminder at most 60 days before, joining instructions at
	// most 30 working days before.
	sendHorizon = 100 * 24 * time.Hour
)

// SendDue queues every timed message whose time has come: joining
// instructions for confirmed bookings once an event's JoiningSendAt has
// passed, reminders once its ReminderAt has, and the thank-you once it
// has ended (for events that ended in the last seven days). It is the
// body of a job that runs every minute.
//
// Each message has a dedupe key (joining/<booking>/<version>,
// reminder/<booking>/<version>, thanks/<booking>) and bookings that
// already have theirs are not looked at again, so running it twice, or
// after a restart, queues nothing more. It returns how many messages it
// queued, at most 500 a run.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	if s.outbox == nil {
		return 0, nil
	}
	now := s.now().UTC()
	ids, err := s.dueEvents(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("booking: send due: %w", err)
	}
	n := 0
	for _, id := range ids {
		if n >= sendDueMessages {
			break
		}
		c, e, err := s.catalog.Event(ctx, id)
		if err != nil {
			return n, fmt.Errorf("booking: send due: %w", err)
		}
		for _, step := range []func(context.Context, catalog.Course, catalog.Event, time.Time, int) (int, error){
			s.joiningDue, s.remindersDue, s.thanksDue,
		} {
			k, err := step(ctx, c, e, now, sendDueMessages-n)
			n += k
			if err != nil {
				return n, fmt.Errorf("booking: send due for event %d: %w", id, err)
			}
		}
	}
	return n, nil
}

// dueEvents lists the events that may have timed messages due: those to
// run in the next 100 days and those that ended in the last seven.
func (s *Service) dueEvents(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT id FROM events
		WHERE status IN ('scheduled', 'changed', 'completed') AND ends_at > $1 AND starts_at <= $2
		ORDER BY starts_at, id LIMIT $3`, now.Add(-thanksWindow), now.Add(sendHorizon), sendDueEvents)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// joiningDue queues the joining instructions still owed for e.
func (s *Service) joiningDue(ctx context.Context, c catalog.Course, e catalog.Event, now time.Time, limit int) (int, error) {
	if !upcoming(e, now) || now.Before(s.JoiningSendAt(c, e)) {
		return 0, nil
	}
	return s.sendEach(ctx, e, `b.status = 'confirmed' AND NOT EXISTS (
		SELECT 1 FROM messages m WHERE m.dedupe_key = 'joining/' || CAST(b.id AS TEXT) || '/' || $2)`,
		[]any{fmt.Sprint(e.Version)}, limit,
		func(tx *sql.Tx, b Booking) error { return s.sendJoining(ctx, tx, c, e, b, false) })
}

// remindersDue queues the reminders still owed for e. A booking confirmed
// after the reminder time gets none (its confirmation is reminder
// enough), and one reminded at or after this version's reminder time (the
// event changed, but not its first day) is not reminded again.
func (s *Service) remindersDue(ctx context.Context, c catalog.Course, e catalog.Event, now time.Time, limit int) (int, error) {
	at := s.ReminderAt(c, e)
	if at.IsZero() || !upcoming(e, now) || now.Before(at) {
		return 0, nil
	}
	return s.sendEach(ctx, e, `b.status = 'confirmed' AND b.confirmed_at < $2 AND NOT EXISTS (
		SELECT 1 FROM messages m WHERE m.booking_id = b.id AND m.kind = 'reminder'
		AND (m.dedupe_key = 'reminder/' || CAST(b.id AS TEXT) || '/' || $3 OR m.created_at >= $2))`,
		[]any{at, fmt.Sprint(e.Version)}, limit,
		func(tx *sql.Tx, b Booking) error {
			return s.queue(ctx, tx, mailSpec{
				kind: mailReminder, dedupe: fmt.Sprintf("reminder/%d/%d", b.ID, e.Version),
				fill: func(d *mailData) {
					fillJoining(d, e)
					d.ReminderDays = c.ReminderDaysBefore
				},
			}, c, e, b, "")
		})
}

// thanksDue queues the thank-you for the people who came to e, once it
// has ended and for seven days after.
func (s *Service) thanksDue(ctx context.Context, c catalog.Course, e catalog.Event, now time.Time, limit int) (int, error) {
	if e.Status == catalog.Cancelled || now.Before(e.EndsAt) || now.Sub(e.EndsAt) >= thanksWindow {
		return 0, nil
	}
	return s.sendEach(ctx, e, `b.status IN ('confirmed', 'attended') AND NOT EXISTS (
		SELECT 1 FROM messages m WHERE m.dedupe_key = 'thanks/' || CAST(b.id AS TEXT))`,
		nil, limit,
		func(tx *sql.Tx, b Booking) error {
			return s.queue(ctx, tx, mailSpec{kind: mailThanks, dedupe: fmt.Sprintf("thanks/%d", b.ID)}, c, e, b, "")
		})
}

// sendEach runs send, in one transaction, for at most limit bookings of e
// matching where (over "bookings b"; $1 is the event, args follow). It
// holds the event's lock and does nothing if the event's version moved
// since e was read: the next run sees the new one.
func (s *Service) sendEach(ctx context.Context, e catalog.Event, where string, args []any, limit int,
	send func(tx *sql.Tx, b Booking) error) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	n := 0
	err := s.eventTx(ctx, e.ID, func(tx *sql.Tx) error {
		n = 0
		q := `SELECT version FROM events WHERE id = $1`
		if s.db.Dialect == database.Postgres {
			q += ` FOR UPDATE`
		}
		var version int
		if err := tx.QueryRowContext(ctx, q, e.ID).Scan(&version); err != nil {
			return err
		}
		if version != e.Version {
			return nil
		}
		list, err := bookingsWhere(ctx, tx, `b.event_id = $1 AND `+where, append([]any{e.ID}, args...), limit)
		if err != nil {
			return err
		}
		for _, b := range list {
			if err := send(tx, b); err != nil {
				return fmt.Errorf("booking %d: %w", b.ID, err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// bookingsWhere reads the bookings matching where (over "bookings b") in
// id order, at most limit of them (0 = all).
func bookingsWhere(ctx context.Context, q database.Querier, where string, args []any, limit int) ([]Booking, error) {
	query := `SELECT ` + bookingColumns + ` FROM bookings b WHERE ` + where + ` ORDER BY b.id`
	if limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Booking
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
