package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
)

// The waiting list's mechanics: free places go to the people waiting,
// first come first served, and offers not taken up in time lapse and pass
// on. Each person moved up gets an audit entry (booking.move_up) in the
// name of whoever freed the place: the participant who cancelled, the
// coordinator who declined a review, the save that raised the capacity,
// the job that lapsed an offer.

// FillPlaces moves people up from the waiting list into any free places,
// for example after a coordinator raised the capacity, for actor. It does
// nothing once the event has started.
func (s *Service) FillPlaces(ctx context.Context, eventID int64, actor audit.Actor) error {
	course, event, err := s.catalog.Event(ctx, eventID)
	if err != nil {
		return fmt.Errorf("booking: fill places on event %d: %w", eventID, err)
	}
	now := s.now().UTC()
	err = s.eventTx(ctx, eventID, func(tx *sql.Tx) error {
		ev, err := s.store.withTx(tx).lockEvent(ctx, eventID)
		if err != nil {
			return err
		}
		event.Status, event.Capacity, event.StartsAt = ev.status, ev.capacity, ev.startsAt
		return s.fillPlaces(ctx, tx, course, event, now, actor)
	})
	if err != nil {
		return fmt.Errorf("booking: fill places on event %d: %w", eventID, err)
	}
	return nil
}

// fillPlaces gives free places to the people waiting, first come first
// served: each is confirmed at once, or offered the place for the course's
// hold period. The caller holds the event's lock.
func (s *Service) fillPlaces(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, now time.Time, actor audit.Actor) error {
	return s.fillPlacesCounting(ctx, tx, c, e, now, actor, nil)
}

// fillPlacesCounting is fillPlaces, counting the people moved up by their
// new status in moved (when not nil).
func (s *Service) fillPlacesCounting(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, now time.Time,
	actor audit.Actor, moved map[Status]int) error {
	if !now.Before(e.StartsAt) || e.Status == catalog.Cancelled || e.Status == catalog.Completed {
		return nil // nobody is moved up once the event has started
	}
	st := s.store.withTx(tx)
	for {
		held, err := st.heldPlaces(ctx, e.ID)
		if err != nil {
			return err
		}
		if e.Capacity != 0 && held >= e.Capacity {
			return nil
		}
		b, err := st.firstWaiting(ctx, e.ID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		b.WaitPosition = 1
		before := b
		kind, err := s.promote(ctx, tx, c, e, &b, now)
		if err != nil {
			return err
		}
		if err := st.saveState(ctx, &b, now); err != nil {
			return err
		}
		if err := record(ctx, tx, now, actor, actionMoveUp, before, b, ""); err != nil {
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

// promote gives waiting booking b a free place: offered for the course's
// hold period, or, with none, confirmed (or waiting for review) at once.
// It returns the e-mail that tells them; the caller saves b.
func (s *Service) promote(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, b *Booking, now time.Time) (mailKind, error) {
	if hold := time.Duration(c.OfferHoldHours) * time.Hour; hold > 0 {
		b.Status, b.OfferExpiresAt = Offered, now.Add(hold)
		if b.OfferExpiresAt.After(e.StartsAt) {
			b.OfferExpiresAt = e.StartsAt
		}
		return mailOffered, nil
	}
	if err := s.admit(ctx, tx, b, now); err != nil {
		return "", err
	}
	if b.Status == PendingReview {
		return mailPendingReview, nil
	}
	return mailMovedUp, nil
}

// ExpireOffers lapses every offer whose time is up and passes each place
// to the next person waiting, for actor (the expiry job). It returns how
// many offers lapsed.
func (s *Service) ExpireOffers(ctx context.Context, actor audit.Actor) (int, error) {
	ids, err := s.store.lapsedOfferIDs(ctx, s.now().UTC())
	if err != nil {
		return 0, fmt.Errorf("booking: expire offers: %w", err)
	}
	n := 0
	for _, id := range ids {
		_, err := s.change(ctx, id, actor, actionLapse, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
			b := &m.Booking
			if b.Status != Offered || now.Before(b.OfferExpiresAt) {
				return false, errUnchanged // accepted or declined meanwhile
			}
			b.Status = Lapsed
			if err := s.store.withTx(tx).saveState(ctx, b, now); err != nil {
				return false, err
			}
			n++
			return true, s.notify(ctx, tx, mailOfferLapsed, m.Course, m.Event, *b, "")
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
