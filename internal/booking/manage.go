package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
)

// What a participant does through their manage link: look at the booking,
// cancel it, take up or turn down an offered place, correct their name or
// organisation. The link is the credential, so the actor of these changes
// is always audit.ParticipantOf the booking; coordinators use the
// ID-based calls (CancelByID here, desk.go) with their own actor.

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
	id, err := s.store.bookingIDByToken(ctx, token)
	if err != nil {
		return Manage{}, err
	}
	return s.ForDesk(ctx, id)
}

func (s *Service) manage(ctx context.Context, id int64) (Manage, error) {
	b, err := s.store.byID(ctx, id)
	if err != nil {
		return Manage{}, err
	}
	c, e, err := s.catalog.Event(ctx, b.EventID)
	if err != nil {
		return Manage{}, fmt.Errorf("booking %d: %w", id, err)
	}
	return Manage{Booking: b, Course: c, Event: e}, nil
}

// errUnchanged is what a change's fn returns when it finds nothing to do:
// change then writes nothing and returns no error.
var errUnchanged = errors.New("booking: unchanged")

// change runs fn on booking id in a transaction that holds its event's
// lock, with the booking re-read under the lock. Then, in the same
// transaction, it records the change as action by actor in the audit log
// and, when fn freed a place (freed), fills it from the waiting list.
func (s *Service) change(ctx context.Context, id int64, actor audit.Actor, action string,
	fn func(tx *sql.Tx, m *Manage, now time.Time) (freed bool, err error)) (Booking, error) {
	return s.changeFor(ctx, id, actor, action, "", fn)
}

// changeFor is change with the reason the actor typed, kept in the audit
// entry.
func (s *Service) changeFor(ctx context.Context, id int64, actor audit.Actor, action, reason string,
	fn func(tx *sql.Tx, m *Manage, now time.Time) (freed bool, err error)) (Booking, error) {
	m, err := s.manage(ctx, id)
	if err != nil {
		return Booking{}, err
	}
	now := s.now().UTC()
	err = s.eventTx(ctx, m.Event.ID, func(tx *sql.Tx) error {
		st := s.store.withTx(tx)
		ev, err := st.lockEvent(ctx, m.Event.ID)
		if err != nil {
			return err
		}
		m.Event.Status, m.Event.Capacity, m.Event.StartsAt = ev.status, ev.capacity, ev.startsAt
		if m.Booking, err = st.byID(ctx, id); err != nil {
			return err
		}
		before := m.Booking
		freed, err := fn(tx, &m, now)
		if err != nil {
			return err
		}
		if err := record(ctx, tx, now, actor, action, before, m.Booking, reason); err != nil {
			return err
		}
		if freed {
			return s.fillPlaces(ctx, tx, m.Course, m.Event, now, actor)
		}
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return m.Booking, nil
	}
	if err != nil {
		return Booking{}, fmt.Errorf("booking %d: %w", id, err)
	}
	return m.Booking, nil
}

// changeByLink is change for the participant behind a manage link: the
// link is the credential, so they are the actor.
func (s *Service) changeByLink(ctx context.Context, token, action string,
	fn func(tx *sql.Tx, m *Manage, now time.Time) (freed bool, err error)) (Booking, error) {
	id, err := s.store.bookingIDByToken(ctx, token)
	if err != nil {
		return Booking{}, err
	}
	return s.change(ctx, id, audit.ParticipantOf(id), action, fn)
}

// Cancel cancels the booking behind a manage link. Its place, if it held
// one, goes to the first person waiting. Cancelling a booking that is no
// longer active returns ErrNotActive and frees nothing.
func (s *Service) Cancel(ctx context.Context, token string) (Booking, error) {
	return s.changeByLink(ctx, token, actionCancel, s.cancel(ctx, CancelOptions{}))
}

// cancel is the change that cancels a booking, for change: on the
// course's terms (what a participant's own cancellation does), or, for a
// coordinator who waives them (o.WaiveTerms), owing nothing.
func (s *Service) cancel(ctx context.Context, o CancelOptions) func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
	return func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		if !b.Status.Active() || b.Status == Attended || b.Status == NoShow {
			return false, ErrNotActive
		}
		held := b.Status.HoldsPlace()
		b.Status, b.CancelledAt, b.OfferExpiresAt = Cancelled, now, time.Time{}
		switch {
		case b.Payment == Paid:
			b.Payment = RefundDue
		case b.Payment == Invoice && o.WaiveTerms:
			b.Payment = Waived
		}
		if err := s.store.withTx(tx).saveState(ctx, b, now); err != nil {
			return false, err
		}
		var fill func(d *mailData)
		if o.byStaff {
			fill = func(d *mailData) {
				d.ByStaff, d.Waived = true, o.WaiveTerms
				if !o.WaiveTerms {
					d.Terms = strings.TrimSpace(m.Course.CancellationTerms)
				}
			}
		}
		return held, s.notifyWith(ctx, tx, mailCancelled, m.Course, m.Event, *b, "", fill)
	}
}

// AcceptOffer takes up an offered place.
func (s *Service) AcceptOffer(ctx context.Context, token string) (Booking, error) {
	return s.changeByLink(ctx, token, actionAcceptOffer, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		switch {
		case b.Status != Offered:
			return false, ErrNoOffer
		case !now.Before(b.OfferExpiresAt):
			return false, ErrOfferLapsed // the expiry job passes it on
		}
		b.OfferExpiresAt = time.Time{}
		// A place offered from the waiting list is not yet reviewed: one
		// whose answers the rules send to review waits for it now.
		if err := s.admit(ctx, tx, b, now); err != nil {
			return false, err
		}
		if err := s.store.withTx(tx).saveState(ctx, b, now); err != nil {
			return false, err
		}
		kind := mailConfirmed
		if b.Status == PendingReview {
			kind = mailPendingReview
		}
		return false, s.notify(ctx, tx, kind, m.Course, m.Event, *b, "")
	})
}

// DeclineOffer turns down an offered place; it goes to the next person.
func (s *Service) DeclineOffer(ctx context.Context, token string) (Booking, error) {
	return s.changeByLink(ctx, token, actionDeclineOffer, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		if b.Status != Offered {
			return false, ErrNoOffer
		}
		b.Status, b.OfferExpiresAt = Declined, time.Time{}
		return true, s.store.withTx(tx).saveState(ctx, b, now)
	})
}

// UpdateDetails corrects the name or organisation on a booking.
func (s *Service) UpdateDetails(ctx context.Context, token, name, organisation string) (Booking, error) {
	return s.changeByLink(ctx, token, actionCorrect, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		if !b.Status.Active() {
			return false, ErrNotActive
		}
		// Check the two fields with the booking form's own rules.
		req := Request{Name: name, Email: b.Email, Organisation: organisation, Role: b.Role, SystemChecked: true}
		ferr := req.check(&catalog.Course{}, &catalog.Event{})
		for field := range ferr {
			if field != "name" && field != "organisation" {
				delete(ferr, field)
			}
		}
		if len(ferr) > 0 {
			return false, ferr
		}
		b.Name, b.Organisation = req.Name, req.Organisation
		return false, s.store.withTx(tx).saveDetails(ctx, b, now)
	})
}
