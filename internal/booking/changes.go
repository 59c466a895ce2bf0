package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/catalog"
)

// Manage is what the manage page shows: the booking with its course and
// event.
type Manage struct {
	Booking Booking
	Course  catalog.Course
	Event   catalog.Event
}

// ByToken returns the booking a manage link points to. An unknown or
// malformed token returns ErrNotFound.
func (s *Service) ByToken(ctx context.Context, token string) (Manage, error) {
	id, err := bookingIDByToken(ctx, s.db, token)
	if err != nil {
		return Manage{}, err
	}
	return s.manage(ctx, id)
}

func (s *Service) manage(ctx context.Context, id int64) (Manage, error) {
	b, err := bookingByID(ctx, s.db, id)
	if err != nil {
		return Manage{}, err
	}
	c, e, err := s.catalog.Event(ctx, b.EventID)
	if err != nil {
		return Manage{}, fmt.Errorf("booking %d: %w", id, err)
	}
	return Manage{Booking: b, Course: c, Event: e}, nil
}

// change runs fn on booking id in a transaction that holds its event's
// lock, with the booking re-read under the lock.
func (s *Service) change(ctx context.Context, id int64, fn func(tx *sql.Tx, m *Manage, now time.Time) error) (Booking, error) {
	m, err := s.manage(ctx, id)
	if err != nil {
		return Booking{}, err
	}
	now := s.now().UTC()
	err = s.eventTx(ctx, m.Event.ID, func(tx *sql.Tx) error {
		ev, err := lockEvent(ctx, s.db.Dialect, tx, m.Event.ID)
		if err != nil {
			return err
		}
		m.Event.Status, m.Event.Capacity, m.Event.StartsAt = ev.status, ev.capacity, ev.startsAt
		if m.Booking, err = bookingByID(ctx, tx, id); err != nil {
			return err
		}
		return fn(tx, &m, now)
	})
	if err != nil {
		return Booking{}, fmt.Errorf("booking %d: %w", id, err)
	}
	return m.Booking, nil
}

// Cancel cancels the booking behind a manage link. Its place, if it held
// one, goes to the first person waiting. Cancelling a booking that is no
// longer active returns ErrNotActive and frees nothing.
func (s *Service) Cancel(ctx context.Context, token string) (Booking, error) {
	id, err := bookingIDByToken(ctx, s.db, token)
	if err != nil {
		return Booking{}, err
	}
	return s.CancelByID(ctx, id)
}

// CancelByID cancels a booking (for coordinators and the CLI).
func (s *Service) CancelByID(ctx context.Context, id int64) (Booking, error) {
	return s.change(ctx, id, func(tx *sql.Tx, m *Manage, now time.Time) error {
		b := &m.Booking
		if !b.Status.Active() || b.Status == Attended || b.Status == NoShow {
			return ErrNotActive
		}
		held := b.Status.HoldsPlace()
		b.Status, b.CancelledAt, b.OfferExpiresAt = Cancelled, now, time.Time{}
		if b.Payment == Paid {
			b.Payment = RefundDue
		}
		if err := saveState(ctx, tx, b, now); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, mailCancelled, m.Course, m.Event, *b, ""); err != nil {
			return err
		}
		if held {
			return s.fillPlaces(ctx, tx, m.Course, m.Event, now)
		}
		return nil
	})
}

// AcceptOffer takes up an offered place.
func (s *Service) AcceptOffer(ctx context.Context, token string) (Booking, error) {
	id, err := bookingIDByToken(ctx, s.db, token)
	if err != nil {
		return Booking{}, err
	}
	return s.change(ctx, id, func(tx *sql.Tx, m *Manage, now time.Time) error {
		b := &m.Booking
		switch {
		case b.Status != Offered:
			return ErrNoOffer
		case !now.Before(b.OfferExpiresAt):
			return ErrOfferLapsed // the expiry job passes it on
		}
		b.OfferExpiresAt = time.Time{}
		// A place offered from the waiting list is not yet reviewed: one
		// whose answers the rules send to review waits for it now.
		if err := s.admit(ctx, tx, b, now); err != nil {
			return err
		}
		if err := saveState(ctx, tx, b, now); err != nil {
			return err
		}
		kind := mailConfirmed
		if b.Status == PendingReview {
			kind = mailPendingReview
		}
		return s.notify(ctx, tx, kind, m.Course, m.Event, *b, "")
	})
}

// DeclineOffer turns down an offered place; it goes to the next person.
func (s *Service) DeclineOffer(ctx context.Context, token string) (Booking, error) {
	id, err := bookingIDByToken(ctx, s.db, token)
	if err != nil {
		return Booking{}, err
	}
	return s.change(ctx, id, func(tx *sql.Tx, m *Manage, now time.Time) error {
		b := &m.Booking
		if b.Status != Offered {
			return ErrNoOffer
		}
		b.Status, b.OfferExpiresAt = Declined, time.Time{}
		if err := saveState(ctx, tx, b, now); err != nil {
			return err
		}
		return s.fillPlaces(ctx, tx, m.Course, m.Event, now)
	})
}

// Approve confirms a booking that was waiting for a coordinator's review.
func (s *Service) Approve(ctx context.Context, id int64) (Booking, error) {
	return s.change(ctx, id, func(tx *sql.Tx, m *Manage, now time.Time) error {
		b := &m.Booking
		if b.Status != PendingReview {
			return ErrNotPendingReview
		}
		b.NeedsReview = false
		if err := s.admit(ctx, tx, b, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE bookings SET needs_review = $2 WHERE id = $1`, b.ID, false); err != nil {
			return err
		}
		if err := saveState(ctx, tx, b, now); err != nil {
			return err
		}
		return s.notify(ctx, tx, mailConfirmed, m.Course, m.Event, *b, "")
	})
}

// DeclineReview declines a booking that was waiting for review; its place
// goes to the first person waiting.
func (s *Service) DeclineReview(ctx context.Context, id int64) (Booking, error) {
	return s.change(ctx, id, func(tx *sql.Tx, m *Manage, now time.Time) error {
		b := &m.Booking
		if b.Status != PendingReview {
			return ErrNotPendingReview
		}
		b.Status = Declined
		if err := saveState(ctx, tx, b, now); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, mailReviewDeclined, m.Course, m.Event, *b, ""); err != nil {
			return err
		}
		return s.fillPlaces(ctx, tx, m.Course, m.Event, now)
	})
}

// UpdateDetails corrects the name or organisation on a booking.
func (s *Service) UpdateDetails(ctx context.Context, token, name, organisation string) (Booking, error) {
	id, err := bookingIDByToken(ctx, s.db, token)
	if err != nil {
		return Booking{}, err
	}
	return s.change(ctx, id, func(tx *sql.Tx, m *Manage, now time.Time) error {
		b := &m.Booking
		if !b.Status.Active() {
			return ErrNotActive
		}
		// Check the two fields with the booking form's own rules.
		req := Request{Name: name, Email: b.Email, Organisation: organisation, Role: b.Role, SystemChecked: true}
		ferr := req.check(catalog.Course{}, catalog.Event{})
		for field := range ferr {
			if field != "name" && field != "organisation" {
				delete(ferr, field)
			}
		}
		if len(ferr) > 0 {
			return ferr
		}
		b.Name, b.Organisation, b.UpdatedAt = req.Name, req.Organisation, now
		_, err := tx.ExecContext(ctx, `UPDATE bookings SET name = $2, organisation = $3, updated_at = $4 WHERE id = $1`,
			b.ID, b.Name, b.Organisation, now)
		return err
	})
}

// FillPlaces moves people up from the waiting list into any free places,
// for example after a coordinator raised the capacity. It does nothing
// once the event has started.
func (s *Service) FillPlaces(ctx context.Context, eventID int64) error {
	course, event, err := s.catalog.Event(ctx, eventID)
	if err != nil {
		return fmt.Errorf("booking: fill places on event %d: %w", eventID, err)
	}
	now := s.now().UTC()
	err = s.eventTx(ctx, eventID, func(tx *sql.Tx) error {
		ev, err := lockEvent(ctx, s.db.Dialect, tx, eventID)
		if err != nil {
			return err
		}
		event.Status, event.Capacity, event.StartsAt = ev.status, ev.capacity, ev.startsAt
		return s.fillPlaces(ctx, tx, course, event, now)
	})
	if err != nil {
		return fmt.Errorf("booking: fill places on event %d: %w", eventID, err)
	}
	return nil
}

// fillPlaces gives free places to the people waiting, first come first
// served: each is confirmed at once, or offered the place for the course's
// hold period. The caller holds the event's lock.
func (s *Service) fillPlaces(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, now time.Time) error {
	return s.fillPlacesCounting(ctx, tx, c, e, now, nil)
}

// fillPlacesCounting is fillPlaces, counting the people moved up by their
// new status in moved (when not nil).
func (s *Service) fillPlacesCounting(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, now time.Time,
	moved map[Status]int) error {
	if !now.Before(e.StartsAt) || e.Status == catalog.Cancelled || e.Status == catalog.Completed {
		return nil // nobody is moved up once the event has started
	}
	for {
		held, err := heldPlaces(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		if e.Capacity != 0 && held >= e.Capacity {
			return nil
		}
		b, err := scanBooking(tx.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings b
			WHERE b.event_id = $1 AND b.status = 'waitlisted' ORDER BY b.id LIMIT 1`, e.ID))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		kind := mailMovedUp
		if hold := time.Duration(c.OfferHoldHours) * time.Hour; hold > 0 {
			b.Status, b.OfferExpiresAt, kind = Offered, now.Add(hold), mailOffered
			if b.OfferExpiresAt.After(e.StartsAt) {
				b.OfferExpiresAt = e.StartsAt
			}
		} else {
			if err := s.admit(ctx, tx, &b, now); err != nil {
				return err
			}
			if b.Status == PendingReview {
				kind = mailPendingReview
			}
		}
		if err := saveState(ctx, tx, &b, now); err != nil {
			return err
		}
		if moved != nil {
			moved[b.Status]++
		}
		if err := s.notify(ctx, tx, kind, c, e, b, ""); err != nil {
			return err
		}
	}
}

// ExpireOffers lapses every offer whose time is up and passes each place
// to the next person waiting. It returns how many offers lapsed.
func (s *Service) ExpireOffers(ctx context.Context) (int, error) {
	now := s.now().UTC()
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM bookings WHERE status = 'offered' AND offer_expires_at <= $1 ORDER BY id`, now)
	if err != nil {
		return 0, fmt.Errorf("booking: expire offers: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		_, err := s.change(ctx, id, func(tx *sql.Tx, m *Manage, now time.Time) error {
			b := &m.Booking
			if b.Status != Offered || now.Before(b.OfferExpiresAt) {
				return nil // accepted or declined meanwhile
			}
			b.Status = Lapsed
			if err := saveState(ctx, tx, b, now); err != nil {
				return err
			}
			n++
			if err := s.notify(ctx, tx, mailOfferLapsed, m.Course, m.Event, *b, ""); err != nil {
				return err
			}
			return s.fillPlaces(ctx, tx, m.Course, m.Event, now)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// EraseAccessNeeds erases the access needs of bookings on events that
// ended more than retention ago, and returns how many were erased.
func (s *Service) EraseAccessNeeds(ctx context.Context, retention time.Duration) (int64, error) {
	cutoff := s.now().UTC().Add(-retention)
	res, err := s.db.ExecContext(ctx, `
		UPDATE bookings SET access_needs = '', access_needs_erased = $1, updated_at = $2
		WHERE access_needs <> '' AND event_id IN (SELECT id FROM events WHERE ends_at < $3)`,
		true, s.now().UTC(), cutoff)
	if err != nil {
		return 0, fmt.Errorf("booking: erase access needs: %w", err)
	}
	return res.RowsAffected()
}

// List returns an event's bookings in the order they were taken, with
// waiting-list positions.
func (s *Service) List(ctx context.Context, eventID int64) ([]Booking, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.event_id = $1 ORDER BY b.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("booking: list event %d: %w", eventID, err)
	}
	defer rows.Close()
	var out []Booking
	pos := 0
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, err
		}
		if b.Status == Waitlisted {
			pos++
			b.WaitPosition = pos
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Places says how an event stands.
type Places struct {
	Capacity int // 0 = no limit
	Taken    int
	Waiting  int
}

// Left is the number of free places; -1 when there is no limit.
func (p Places) Left() int {
	if p.Capacity == 0 {
		return -1
	}
	return max(p.Capacity-p.Taken, 0)
}

// PlacesFor returns the places taken and waiting on each of the events.
func (s *Service) PlacesFor(ctx context.Context, events []catalog.Event) (map[int64]Places, error) {
	out := make(map[int64]Places, len(events))
	if len(events) == 0 {
		return out, nil
	}
	ids := make([]string, len(events))
	args := make([]any, len(events))
	for i, e := range events {
		out[e.ID] = Places{Capacity: e.Capacity}
		ids[i] = fmt.Sprintf("$%d", i+1)
		args[i] = e.ID
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT event_id,
		       SUM(CASE WHEN status IN `+heldStatuses+` THEN 1 ELSE 0 END),
		       SUM(CASE WHEN status = 'waitlisted' THEN 1 ELSE 0 END)
		FROM bookings WHERE event_id IN (`+strings.Join(ids, ", ")+`) GROUP BY event_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("booking: places: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var taken, waiting int
		if err := rows.Scan(&id, &taken, &waiting); err != nil {
			return nil, err
		}
		p := out[id]
		p.Taken, p.Waiting = taken, waiting
		out[id] = p
	}
	return out, rows.Err()
}
