package booking

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

// DefaultOfferWindow is how soon an offer must lapse to count as about to
// lapse in Attention when the caller gives no window.
const DefaultOfferWindow = 24 * time.Hour

// Attention is what needs the course team now: bookings waiting for
// review, offers about to lapse, and messages failing. Times are in each
// event's zone (UTC for a message about no booking).
type Attention struct {
	Now     time.Time // UTC
	Window  time.Duration
	Reviews []WaitingReview // oldest first
	Offers  []LapsingOffer  // soonest first
	Failing []FailingMessage
}

// Empty reports whether nothing needs attention.
func (a Attention) Empty() bool { return len(a.Reviews)+len(a.Offers)+len(a.Failing) == 0 }

// WaitingReview is a booking waiting for a coordinator's review.
type WaitingReview struct {
	Booking Booking
	Course  catalog.Course
	Event   catalog.Event
	// Since is when the review started (the booking was taken, or moved
	// up from the waiting list), in the event's zone.
	Since time.Time
	// Due is the day the participant was promised a reply by: the
	// ReviewWorkingDays-th working day after Since's day.
	Due catalog.Date
	// WorkingDays is how many working days it has waited: those after
	// Since's day, up to and including today.
	WorkingDays int
	// Overdue is set once today is after Due.
	Overdue bool
}

// LapsingOffer is an offer of a place that lapses within the window (or
// has lapsed and waits for the expiry job).
type LapsingOffer struct {
	Booking Booking
	Course  catalog.Course
	Event   catalog.Event
	Expires time.Time // in the event's zone
}

// FailingMessage is an e-mail that failed for good, or is failing and
// will be tried again.
type FailingMessage struct {
	ID        int64
	Kind      string
	BookingID int64 // 0 for mail about no booking (such as staff notices)
	EventID   int64 // the booking's event; 0 without one
	ToEmail   string
	Subject   string
	Status    messaging.Status // failed, or queued while retrying
	Attempts  int
	LastError string
	CreatedAt time.Time // in the event's zone, or UTC
}

// Attention returns what needs the course team: every booking waiting for
// review (oldest first, with the working days waited against the
// ReviewWorkingDays promised), every offer lapsing within window (0 =
// DefaultOfferWindow), and every message that failed or is failing.
func (s *Service) Attention(ctx context.Context, window time.Duration) (Attention, error) {
	if window <= 0 {
		window = DefaultOfferWindow
	}
	now := s.now().UTC()
	a := Attention{Now: now, Window: window}
	events := map[int64]struct {
		c catalog.Course
		e catalog.Event
	}{}
	event := func(id int64) (catalog.Course, catalog.Event, error) {
		if ce, ok := events[id]; ok {
			return ce.c, ce.e, nil
		}
		c, e, err := s.catalog.Event(ctx, id)
		if err != nil {
			return c, e, fmt.Errorf("event %d: %w", id, err)
		}
		events[id] = struct {
			c catalog.Course
			e catalog.Event
		}{c, e}
		return c, e, nil
	}
	wrap := func(err error) error { return fmt.Errorf("booking: attention: %w", err) }

	pending, err := bookingsWhere(ctx, s.db, `b.status = 'pending_review'`, nil, 0)
	if err != nil {
		return a, wrap(err)
	}
	since, err := s.reviewStarts(ctx)
	if err != nil {
		return a, wrap(err)
	}
	for _, b := range pending {
		if err := fillDetails(ctx, s.db, &b); err != nil {
			return a, wrap(err)
		}
		c, e, err := event(b.EventID)
		if err != nil {
			return a, wrap(err)
		}
		start, ok := since[b.ID]
		if !ok {
			start = b.CreatedAt
		}
		loc := e.Location()
		r := WaitingReview{Booking: b, Course: c, Event: e, Since: start.In(loc), Due: s.ReviewDue(e, start)}
		startDay, today := catalog.DateOf(start.In(loc)), catalog.DateOf(now.In(loc))
		region := workdays.Region(e.Region)
		r.WorkingDays = max(s.workdays.WorkingDaysBetween(region, workdays.Date(startDay).AddDays(1), workdays.Date(today).AddDays(1)), 0)
		r.Overdue = r.Due.Before(today)
		a.Reviews = append(a.Reviews, r)
	}
	slices.SortStableFunc(a.Reviews, func(x, y WaitingReview) int { return x.Since.Compare(y.Since) })

	offers, err := bookingsWhere(ctx, s.db, `b.status = 'offered' AND b.offer_expires_at <= $1`, []any{now.Add(window)}, 0)
	if err != nil {
		return a, wrap(err)
	}
	for _, b := range offers {
		c, e, err := event(b.EventID)
		if err != nil {
			return a, wrap(err)
		}
		a.Offers = append(a.Offers, LapsingOffer{Booking: b, Course: c, Event: e, Expires: b.OfferExpiresAt.In(e.Location())})
	}
	slices.SortStableFunc(a.Offers, func(x, y LapsingOffer) int { return x.Expires.Compare(y.Expires) })

	if a.Failing, err = s.failingMessages(ctx, event); err != nil {
		return a, wrap(err)
	}
	return a, nil
}

// reviewStarts returns, for each booking waiting for review, when its
// review started: when its pending-review e-mail was queued. (A booking
// enters review once: when taken, or when moved up from the waiting list.)
func (s *Service) reviewStarts(ctx context.Context) (map[int64]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT m.booking_id, m.created_at FROM messages m
		WHERE m.kind = $1 AND m.booking_id IN (SELECT id FROM bookings WHERE status = 'pending_review')
		ORDER BY m.id`, string(mailPendingReview))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var t time.Time
		if err := rows.Scan(&id, &t); err != nil {
			return nil, err
		}
		if _, seen := out[id]; !seen {
			out[id] = t.UTC()
		}
	}
	return out, rows.Err()
}

// failingMessages lists messages that failed for good or are being
// retried after a failure, oldest first.
func (s *Service) failingMessages(ctx context.Context, event func(int64) (catalog.Course, catalog.Event, error)) ([]FailingMessage, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT m.id, m.kind, m.booking_id, b.event_id, m.to_email, m.subject, m.status, m.attempts, m.last_error, m.created_at
		FROM messages m LEFT JOIN bookings b ON b.id = m.booking_id
		WHERE m.status = 'failed' OR (m.status = 'queued' AND m.last_error <> '')
		ORDER BY m.id`)
	if err != nil {
		return nil, err
	}
	var out []FailingMessage
	for rows.Next() {
		var m FailingMessage
		var bookingID, eventID sql.NullInt64
		var status string
		if err := rows.Scan(&m.ID, &m.Kind, &bookingID, &eventID, &m.ToEmail, &m.Subject, &status, &m.Attempts, &m.LastError, &m.CreatedAt); err != nil {
			rows.Close()
			return nil, err
		}
		m.BookingID, m.EventID, m.Status, m.CreatedAt = bookingID.Int64, eventID.Int64, messaging.Status(status), m.CreatedAt.UTC()
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, m := range out {
		if m.EventID == 0 {
			continue
		}
		_, e, err := event(m.EventID)
		if err != nil {
			return nil, err
		}
		out[i].CreatedAt = m.CreatedAt.In(e.Location())
	}
	return out, nil
}
