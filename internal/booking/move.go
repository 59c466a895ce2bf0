package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/database"
)

// Moving a booking to another date, for a coordinator. The move is one
// transaction holding both dates' locks: the person gets a new booking
// row on the new date (linked both ways: moved_from, moved_to) and the
// old one is cancelled. A new row keeps each date's history, waiting list
// and audit trail whole, and the manage link of the new booking is the
// new date's; the invoice (its number and payment state) goes with the
// person to the new row.

// MoveOptions say how a coordinator moves a booking.
type MoveOptions struct {
	// Reason is required: why, for the audit log (not sent to the person).
	Reason string
}

// ErrNoPlaceOnDate refuses a move to a date with no free place. A move
// never puts the person on a waiting list: a coordinator who wants that
// cancels and adds them by hand.
var ErrNoPlaceOnDate = errors.New("booking: the date to move to has no free place")

// ErrSameDate refuses a move to the date the booking is already on.
var ErrSameDate = errors.New("booking: the booking is already on this date")

// ErrAlreadyBookedThere refuses a move to a date on which the person
// already has an active booking.
var ErrAlreadyBookedThere = errors.New("booking: the person already has a booking on the date to move to")

// ErrFeeTierMissing refuses a move to a course that has several fees and
// none with the booking's fee's name: which applies is the coordinator's
// call, made by cancelling and adding by hand.
var ErrFeeTierMissing = errors.New("booking: the course moved to has no fee of the booking's tier")

// Move moves booking id to event toEventID for actor, in one step: the
// new date must be open for booking, its course's rules are applied to
// the person's answers again (a refusal returns *RefusedError; a review
// makes the new booking wait for one), it must have a free place and no
// active booking by the same address. The old booking is cancelled and its
// place goes to the old date's waiting list. The person gets one e-mail
// with the new date, a calendar invitation to it and a cancellation of the
// old one, and a manage link for the new booking. The invoice follows the
// person, at the new course's price for the same fee tier (or its only
// fee). It returns the new booking.
func (s *Service) Move(ctx context.Context, id, toEventID int64, actor audit.Actor, o MoveOptions) (Booking, error) {
	reason, ferr := reasonFor("reason", o.Reason)
	if ferr != nil {
		return Booking{}, ferr
	}
	from, err := s.manage(ctx, id)
	if err != nil {
		return Booking{}, err
	}
	if from.Event.ID == toEventID {
		return Booking{}, ErrSameDate
	}
	course, event, err := s.catalog.Event(ctx, toEventID)
	if errors.Is(err, catalog.ErrNotFound) {
		return Booking{}, ErrEventUnavailable
	}
	if err != nil {
		return Booking{}, fmt.Errorf("booking: %w", err)
	}
	now := s.now().UTC()
	var moved Booking
	err = s.eventsTx(ctx, []int64{from.Event.ID, toEventID}, func(tx *sql.Tx, locked map[int64]lockedEvent) error {
		st := s.store.withTx(tx)
		old := from
		ov := locked[old.Event.ID]
		old.Event.Status, old.Event.Capacity, old.Event.StartsAt = ov.status, ov.capacity, ov.startsAt
		if old.Booking, err = st.byID(ctx, id); err != nil {
			return err
		}
		b := old.Booking
		switch b.Status {
		case Confirmed, PendingReview, Offered, Waitlisted:
		default:
			return ErrNotActive
		}
		c, e := course, event
		if tv := locked[toEventID]; tv.version != e.Version {
			if c, e, err = s.catalog.WithTx(tx).Event(ctx, toEventID); err != nil {
				return err
			}
		} else {
			e.Status, e.Capacity, e.StartsAt = tv.status, tv.capacity, tv.startsAt
		}
		if err := bookable(&c, &e, now); err != nil {
			return err
		}
		decision := catalog.Evaluate(c.Rules, b.Answers, e.Days[0].Date, catalog.DateOf(now.In(e.Location())))
		if decision.Outcome == catalog.Refuse {
			return &RefusedError{Reasons: decision.Reasons}
		}
		if _, err := st.activeByEmail(ctx, e.ID, b.Email); err == nil {
			return ErrAlreadyBookedThere
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		held, err := st.heldPlaces(ctx, e.ID)
		if err != nil {
			return err
		}
		if e.Capacity != 0 && held >= e.Capacity {
			return ErrNoPlaceOnDate
		}
		n := Booking{
			EventID: e.ID, Name: b.Name, Email: b.Email, Organisation: b.Organisation, Role: b.Role,
			RegistrationNumber: b.RegistrationNumber, AccessNeeds: b.AccessNeeds, SystemChecked: b.SystemChecked,
			NeedsReview: decision.Outcome == catalog.Review, ReviewReason: strings.Join(decision.Reasons, "\n"),
			Notes: decision.Notes, Answers: b.Answers, FeeTier: b.FeeTier, PONumber: b.PONumber,
			Payment: b.Payment, InvoiceNumber: b.InvoiceNumber, Amount: b.Amount, Currency: b.Currency,
			PaidAmount: b.PaidAmount, PaidCurrency: b.PaidCurrency, PaidOn: b.PaidOn, PaidReference: b.PaidReference,
			MovedFrom: b.ID, CreatedAt: now, UpdatedAt: now,
		}
		if err := moveFee(c, &n); err != nil {
			return err
		}
		// The invoice goes with the person: the old row lets go of its
		// number first (invoice numbers are unique).
		before := b
		b.Status, b.CancelledAt, b.OfferExpiresAt = Cancelled, now, time.Time{}
		b.InvoiceNumber, b.Payment = 0, NoPayment
		if err := st.saveState(ctx, &b, now); err != nil {
			return err
		}
		if err := s.admit(ctx, tx, &n, now); err != nil {
			return err
		}
		if err := st.insertBooking(ctx, &n); err != nil {
			return err
		}
		b.MovedTo = n.ID
		if _, err := tx.ExecContext(ctx, `UPDATE bookings SET moved_to = $2 WHERE id = $1`, b.ID, n.ID); err != nil {
			return fmt.Errorf("update booking %d: %w", b.ID, err)
		}
		if err := record(ctx, tx, now, actor, actionMove, before, b, reason); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, now, actor, actionMove, "booking", n.ID, nil, stateOf(n), reason); err != nil {
			return err
		}
		if err := s.tellMoved(ctx, tx, old, before, c, e, n, now); err != nil {
			return err
		}
		moved = n
		if before.Status.HoldsPlace() {
			return s.fillPlaces(ctx, tx, old.Course, old.Event, now, actor)
		}
		return nil
	})
	if err != nil {
		return Booking{}, fmt.Errorf("booking: move %d to event %d: %w", id, toEventID, err)
	}
	return moved, nil
}

// moveFee prices moved booking n on course c: the fee of the same name,
// else the course's only fee, else (a free course) nothing. A fee already
// paid stays paid whatever the new price: finance settles a difference.
func moveFee(c catalog.Course, n *Booking) error {
	f, ok := feeTier(&c, n.FeeTier)
	switch {
	case ok:
	case len(c.Fees) == 1:
		f = c.Fees[0]
	case len(c.Fees) == 0:
		n.FeeTier, n.Amount, n.Currency = "", 0, ""
		if n.Payment == Invoice {
			n.Payment = Waived // nothing is owed on a free course
		}
		return nil
	default:
		return ErrFeeTierMissing
	}
	n.FeeTier, n.Amount, n.Currency = f.Name, f.Amount, f.Currency
	return nil
}

// tellMoved queues the one e-mail of a move: the new date, with a manage
// link to the new booking, a calendar invitation to the new date (once
// confirmed) and a cancellation of the old date's entry (if one was
// sent). Then what the new booking's state brings: joining instructions
// now if they are due, or the course team's notice of a review.
func (s *Service) tellMoved(ctx context.Context, tx *sql.Tx, old Manage, oldB Booking, c catalog.Course, e catalog.Event, n Booking,
	now time.Time) error {
	spec := mailSpec{kind: mailMoved, dedupe: mailKey(string(mailMoved), n.ID)}
	if n.Status == Confirmed {
		spec.calendar = "REQUEST"
	}
	if !oldB.ConfirmedAt.IsZero() {
		spec.withdraw = s.calendar(old.Course, old.Event, "CANCEL", false, oldB, now)
	}
	// The words say what is attached, and whether the invoice is the one
	// issued for the old date or one first issued now (a booking that was
	// waiting, offered or under review had none).
	carried := oldB.InvoiceNumber != 0 && oldB.InvoiceNumber == n.InvoiceNumber
	spec.fill = func(d *mailData) {
		d.MovedFrom = old.Event.DateLabel()
		if old.Course.ID != c.ID {
			d.MovedFrom = old.Course.Title + ", " + d.MovedFrom
		}
		d.Review.Reasons = n.ReviewReasons()
		d.Move = moveMail{Invite: spec.calendar != "", Withdraw: spec.withdraw != nil, InvoiceCarried: carried}
	}
	if err := s.queue(ctx, tx, spec, c, e, n, ""); err != nil {
		return err
	}
	switch n.Status {
	case Confirmed:
		return s.joiningIfDue(ctx, tx, c, e, n, false)
	case PendingReview:
		return s.tellStaffReview(ctx, tx, c, e, n)
	}
	return nil
}

// eventsTx is eventTx for a change that touches several events: it takes
// their in-process locks and then their database locks always in
// ascending ID order, so two changes over the same events in opposite
// directions cannot deadlock, and passes fn what it read under the locks.
func (s *Service) eventsTx(ctx context.Context, ids []int64, fn func(tx *sql.Tx, locked map[int64]lockedEvent) error) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, id := range ids {
		unlock := s.events.lock(id)
		defer unlock()
	}
	return database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		locked := map[int64]lockedEvent{}
		for _, id := range ids {
			ev, err := s.store.withTx(tx).lockEvent(ctx, id)
			if err != nil {
				return err
			}
			locked[id] = ev
		}
		return fn(tx, locked)
	})
}

// MoveTarget is a date a booking could be moved to, with how it stands.
type MoveTarget struct {
	Course catalog.Course
	Event  catalog.Event
	Places Places
	// Closed is why the date cannot take the booking now (ErrClosed,
	// ErrNoPlaceOnDate, …); nil when it can, as far as a look before the
	// move can tell.
	Closed error
}

// MoveTargets lists the upcoming dates of published courses other than
// the one booking b is on, the same course's first, each soonest first.
func (s *Service) MoveTargets(ctx context.Context, b Booking, courseID int64) ([]MoveTarget, error) {
	now := s.now().UTC()
	listings, err := s.catalog.Listings(ctx, catalog.Filter{}, now)
	if err != nil {
		return nil, fmt.Errorf("booking: move targets: %w", err)
	}
	var out []MoveTarget
	var events []catalog.Event
	for _, l := range listings {
		for _, e := range l.Upcoming {
			if e.ID == b.EventID {
				continue
			}
			out = append(out, MoveTarget{Course: l.Course, Event: e})
			events = append(events, e)
		}
	}
	places, err := s.PlacesFor(ctx, events)
	if err != nil {
		return nil, err
	}
	for i := range out {
		t := &out[i]
		t.Places = places[t.Event.ID]
		t.Closed = bookable(&t.Course, &t.Event, now)
		if t.Closed == nil && t.Places.Left() == 0 {
			t.Closed = ErrNoPlaceOnDate
		}
	}
	slices.SortStableFunc(out, func(a, b MoveTarget) int {
		if (a.Course.ID == courseID) != (b.Course.ID == courseID) {
			if a.Course.ID == courseID {
				return -1
			}
			return 1
		}
		return a.Event.StartsAt.Compare(b.Event.StartsAt)
	})
	return out, nil
}
