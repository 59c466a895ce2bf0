package booking

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
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

// running reports whether e has started and not yet ended, and goes ahead.
func running(e catalog.Event, now time.Time) bool {
	return (e.Status == catalog.Scheduled || e.Status == catalog.Changed) && !now.Before(e.StartsAt) && now.Before(e.EndsAt)
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
	return mailKey("joining", bookingID, strconv.Itoa(version))
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
// already have theirs (messaging says so) are passed over, so running it
// twice, or after a restart, queues nothing more. Each batch queued for
// an event is audited in actor's name (the job's) as event.send_joining,
// event.send_reminders or event.send_thanks, with the bookings it went to.
// It returns how many messages it queued, at most 500 a run.
func (s *Service) SendDue(ctx context.Context, actor audit.Actor) (int, error) {
	if s.outbox == nil {
		return 0, nil
	}
	now := s.now().UTC()
	ids, err := s.store.dueEvents(ctx, now.Add(-thanksWindow), now.Add(sendHorizon), sendDueEvents)
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
		for _, step := range []func(context.Context, catalog.Course, catalog.Event, time.Time, int, audit.Actor) (int, error){
			s.joiningDue, s.remindersDue, s.thanksDue,
		} {
			k, err := step(ctx, c, e, now, sendDueMessages-n, actor)
			n += k
			if err != nil {
				return n, fmt.Errorf("booking: send due for event %d: %w", id, err)
			}
		}
	}
	return n, nil
}

// joiningDue queues the joining instructions still owed for e.
func (s *Service) joiningDue(ctx context.Context, c catalog.Course, e catalog.Event, now time.Time, limit int,
	actor audit.Actor) (int, error) {
	if !upcoming(e, now) || now.Before(s.JoiningSendAt(c, e)) {
		return 0, nil
	}
	owed := func(tx *sql.Tx, list []Booking) ([]Booking, error) {
		return notYetQueued(ctx, tx, list, func(b Booking) string { return joiningKey(b.ID, e.Version) })
	}
	return s.sendEach(ctx, e, []Status{Confirmed}, owed, limit, actor, "event.send_joining",
		func(tx *sql.Tx, b Booking) error { return s.sendJoining(ctx, tx, c, e, b, false) })
}

// remindersDue queues the reminders still owed for e. A booking confirmed
// after the reminder time gets none (its confirmation is reminder
// enough), and one reminded at or after this version's reminder time (the
// event changed, but not its first day) is not reminded again.
func (s *Service) remindersDue(ctx context.Context, c catalog.Course, e catalog.Event, now time.Time, limit int,
	actor audit.Actor) (int, error) {
	at := s.ReminderAt(c, e)
	if at.IsZero() || !upcoming(e, now) || now.Before(at) {
		return 0, nil
	}
	key := func(b Booking) string { return mailKey(string(mailReminder), b.ID, strconv.Itoa(e.Version)) }
	owed := func(tx *sql.Tx, list []Booking) ([]Booking, error) {
		list = slices.DeleteFunc(list, func(b Booking) bool { return b.ConfirmedAt.IsZero() || !b.ConfirmedAt.Before(at) })
		reminded, err := messaging.OfKind(ctx, tx, string(mailReminder), subjectRefs(list))
		if err != nil {
			return nil, err
		}
		return slices.DeleteFunc(list, func(b Booking) bool {
			return slices.ContainsFunc(reminded[SubjectRef(b.ID)], func(d messaging.Delivery) bool {
				return d.DedupeKey == key(b) || !d.CreatedAt.Before(at)
			})
		}), nil
	}
	return s.sendEach(ctx, e, []Status{Confirmed}, owed, limit, actor, "event.send_reminders",
		func(tx *sql.Tx, b Booking) error {
			return s.queue(ctx, tx, mailSpec{
				kind: mailReminder, dedupe: key(b),
				fill: func(d *mailData) {
					fillJoining(d, e)
					// The reminder shows the agenda and the venue, never the
					// meeting's link, ID or passcode: keep them out of the
					// e-mail's stored data too (they reach people only in
					// joining instructions).
					d.JoinURL, d.MeetingID, d.Passcode = "", "", ""
					d.ReminderDays = c.ReminderDaysBefore
				},
			}, c, e, b, "")
		})
}

// thanksDue queues the thank-you for the people who came to e, once it
// has ended and for seven days after. With a register (Options.Thanks)
// it waits for the register to be complete, and those who completed get
// their certificate with it while the others get thanks_missed.
func (s *Service) thanksDue(ctx context.Context, c catalog.Course, e catalog.Event, now time.Time, limit int,
	actor audit.Actor) (int, error) {
	if e.Status == catalog.Cancelled || now.Before(e.EndsAt) || now.Sub(e.EndsAt) >= thanksWindow {
		return 0, nil
	}
	key := func(b Booking) string { return mailKey(string(mailThanks), b.ID) }
	owed := func(tx *sql.Tx, list []Booking) ([]Booking, error) { return notYetQueued(ctx, tx, list, key) }
	plain := func(tx *sql.Tx, b Booking) error {
		return s.queue(ctx, tx, mailSpec{kind: mailThanks, dedupe: key(b),
			fill: func(d *mailData) { d.FeedbackURL = c.FeedbackURL }}, c, e, b, "")
	}
	if s.thanks == nil {
		return s.sendEach(ctx, e, []Status{Confirmed, Attended}, owed, limit, actor, "event.send_thanks", plain)
	}
	// With the register: wait for it to be complete (a day at most),
	// then send each person the thank-you that fits. A register still
	// incomplete after the wait says nothing of those not marked: they
	// get the plain thank-you, never "did not complete".
	done, register, taken, err := s.thanks.CompletedOf(ctx, e.ID)
	if err != nil {
		return 0, err
	}
	if !register {
		return s.sendEach(ctx, e, []Status{Confirmed, Attended}, owed, limit, actor, "event.send_thanks", plain)
	}
	if !taken && now.Sub(e.EndsAt) < thanksWaitForRegister {
		return 0, nil
	}
	return s.sendEach(ctx, e, []Status{Confirmed, Attended}, owed, limit, actor, "event.send_thanks",
		func(tx *sql.Tx, b Booking) error {
			if !done[b.ID] {
				if !taken {
					return plain(tx, b)
				}
				return s.queue(ctx, tx, mailSpec{kind: mailThanksMissed, dedupe: key(b)}, c, e, b, "")
			}
			queued, err := s.thanks.QueueThanks(ctx, tx, c, e, ThankYou{BookingID: b.ID, Name: b.Name, Email: b.Email,
				DedupeKey: key(b), SubjectRef: SubjectRef(b.ID), CourseURL: s.mailAbout(c, e, b).CourseURL,
				FeedbackURL: c.FeedbackURL}, actor)
			if err != nil || queued {
				return err
			}
			return plain(tx, b)
		})
}

// notYetQueued keeps the bookings whose message (dedupe key key(b)) is
// not in the outbox yet.
func notYetQueued(ctx context.Context, q database.Querier, list []Booking, key func(Booking) string) ([]Booking, error) {
	keys := make([]string, len(list))
	for i, b := range list {
		keys[i] = key(b)
	}
	queued, err := messaging.Deliveries(ctx, q, keys)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(b Booking) bool { _, ok := queued[key(b)]; return ok }), nil
}

// sentAudit is the audit record of one batch of timed messages.
type sentAudit struct {
	Version  int     `json:"version"`
	Bookings []int64 `json:"bookings"`
}

// sendEach runs send, in one transaction, for at most limit of e's
// bookings in statuses that owed keeps (the ones still owed the message),
// and records the batch as action in the audit log. It holds the event's
// lock and does nothing if the event's version moved since e was read:
// the next run sees the new one.
func (s *Service) sendEach(ctx context.Context, e catalog.Event, statuses []Status,
	owed func(tx *sql.Tx, list []Booking) ([]Booking, error), limit int, actor audit.Actor, action string,
	send func(tx *sql.Tx, b Booking) error) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	n := 0
	err := s.eventTx(ctx, e.ID, func(tx *sql.Tx) error {
		n = 0
		st := s.store.withTx(tx)
		ev, err := st.lockEvent(ctx, e.ID)
		if err != nil {
			return err
		}
		if ev.version != e.Version {
			return nil
		}
		list, err := st.onEvent(ctx, e.ID, statuses...)
		if err != nil {
			return err
		}
		if list, err = owed(tx, list); err != nil {
			return err
		}
		sent := sentAudit{Version: e.Version}
		for _, b := range list[:min(len(list), limit)] {
			if err := send(tx, b); err != nil {
				return fmt.Errorf("booking %d: %w", b.ID, err)
			}
			sent.Bookings = append(sent.Bookings, b.ID)
			n++
		}
		if n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, s.now().UTC(), actor, action, "event", e.ID, nil, sent, "")
	})
	return n, err
}
