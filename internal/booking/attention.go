package booking

import (
	"context"
	"fmt"
	"slices"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database"
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

	pending, err := s.store.inStatus(ctx, PendingReview)
	if err != nil {
		return a, wrap(err)
	}
	since, err := reviewStarts(ctx, s.db, pending)
	if err != nil {
		return a, wrap(err)
	}
	for _, b := range pending {
		if err := s.store.fillDetails(ctx, &b); err != nil {
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

	offers, err := s.store.offersLapsingBy(ctx, now.Add(window))
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

// reviewStarts returns, for each of the bookings waiting for review, when
// its review started: when its pending-review e-mail was queued. (A
// booking enters review once: when taken, or when moved up from the
// waiting list.)
func reviewStarts(ctx context.Context, q database.Querier, pending []Booking) (map[int64]time.Time, error) {
	mails, err := messaging.OfKind(ctx, q, string(mailPendingReview), subjectRefs(pending))
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	for _, b := range pending {
		if m := mails[SubjectRef(b.ID)]; len(m) > 0 {
			out[b.ID] = m[0].CreatedAt // the oldest
		}
	}
	return out, nil
}

// failingMessages lists messages that failed for good or are being
// retried after a failure, oldest first, with the booking and event each
// is about.
func (s *Service) failingMessages(ctx context.Context, event func(int64) (catalog.Course, catalog.Event, error)) ([]FailingMessage, error) {
	failing, err := messaging.Failing(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, d := range failing {
		if id, ok := BookingOfSubject(d.SubjectRef); ok {
			ids = append(ids, id)
		}
	}
	events, err := s.store.eventsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []FailingMessage
	for _, d := range failing {
		m := FailingMessage{ID: d.ID, Kind: d.Kind, ToEmail: d.ToEmail, Subject: d.Subject, Status: d.Status,
			Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt}
		m.BookingID, _ = BookingOfSubject(d.SubjectRef)
		m.EventID = events[m.BookingID]
		if m.EventID != 0 {
			_, e, err := event(m.EventID)
			if err != nil {
				return nil, err
			}
			m.CreatedAt = m.CreatedAt.In(e.Location())
		}
		out = append(out, m)
	}
	return out, nil
}
