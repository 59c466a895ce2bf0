package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
)

// What the course team does to a booking: settle a review, cancel it,
// offer a waiting person a place, correct details. (Moving is move.go,
// adding by hand byhand.go, recording a payment payment.go.) The actor is whoever settles
// it: the CLI passes audit.CommandLine, the staff area will pass
// audit.StaffMember.

// Approve confirms a booking that was waiting for a coordinator's review.
// message, when not empty, is the coordinator's word to the person: the
// confirmation e-mail carries it (escaped like any other text).
func (s *Service) Approve(ctx context.Context, id int64, actor audit.Actor, message string) (Booking, error) {
	message, err := CheckStaffMessage(message)
	if err != nil {
		return Booking{}, err
	}
	return s.settleReview(ctx, id, actor, actionApprove, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		b.NeedsReview = false
		if err := s.admit(ctx, tx, b, now); err != nil {
			return false, err
		}
		if err := s.store.withTx(tx).saveState(ctx, b, now); err != nil {
			return false, err
		}
		return false, s.notifyWith(ctx, tx, mailConfirmed, m.Course, m.Event, *b, "", withStaffMessage(message))
	})
}

// DeclineReview declines a booking that was waiting for review; its place
// goes to the first person waiting. message is as for Approve. A booking
// moved into review may carry its invoice: the person owes nothing for a
// booking declined, so an unpaid invoice is void (Waived) and a paid fee
// is due back (RefundDue), as when a coordinator cancels waiving the
// terms.
func (s *Service) DeclineReview(ctx context.Context, id int64, actor audit.Actor, message string) (Booking, error) {
	message, err := CheckStaffMessage(message)
	if err != nil {
		return Booking{}, err
	}
	return s.settleReview(ctx, id, actor, actionDeclineReview, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		b.Status = Declined
		switch b.Payment {
		case Paid:
			b.Payment = RefundDue
		case Invoice:
			b.Payment = Waived
		}
		if err := s.store.withTx(tx).saveState(ctx, b, now); err != nil {
			return false, err
		}
		return true, s.notifyWith(ctx, tx, mailReviewDeclined, m.Course, m.Event, *b, "", withStaffMessage(message))
	})
}

// settleReview is change for a decision on a review: decide runs only on a
// booking that waits for one; any other returns ErrNotPendingReview.
func (s *Service) settleReview(ctx context.Context, id int64, actor audit.Actor, action string,
	decide func(tx *sql.Tx, m *Manage, now time.Time) (freed bool, err error)) (Booking, error) {
	return s.change(ctx, id, actor, action, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		if m.Booking.Status != PendingReview {
			return false, ErrNotPendingReview
		}
		return decide(tx, m, now)
	})
}

// Limits on what a coordinator types for a staff action.
const (
	maxStaffMessage = 2000
	maxReason       = 500
)

// CheckStaffMessage checks a coordinator's message to a person: any length up
// to maxStaffMessage, line breaks allowed, no control or hidden
// characters. It returns the message trimmed.
func CheckStaffMessage(msg string) (string, error) {
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "\r\n", "\n"))
	if msg == "" {
		return "", nil
	}
	if e := textProblem(msg, maxStaffMessage, true); e != "" {
		return "", FormError{"message": "The message " + e}
	}
	return msg, nil
}

// withStaffMessage puts a coordinator's message into an e-mail.
func withStaffMessage(msg string) func(d *mailData) {
	if msg == "" {
		return nil
	}
	return func(d *mailData) { d.StaffMessage = msg }
}

// reasonFor checks the reason a coordinator typed for an action: required,
// one paragraph of at most maxReason characters. field is the form field
// it belongs to.
func reasonFor(field, reason string) (string, FormError) {
	reason = strings.TrimSpace(strings.ReplaceAll(reason, "\r\n", "\n"))
	if reason == "" {
		return "", FormError{field: "Give a reason: it is kept in the audit log."}
	}
	if e := textProblem(reason, maxReason, true); e != "" {
		return "", FormError{field: "The reason " + e}
	}
	return reason, nil
}

// CancelOptions say how a coordinator cancels a booking.
type CancelOptions struct {
	// WaiveTerms: the person owes nothing. An unpaid invoice is void
	// (Waived); a paid fee is due back (RefundDue). Without it the
	// course's cancellation terms apply, as when the person cancels: an
	// unpaid invoice stays open for finance to settle by the terms, a
	// paid fee becomes refund due for finance to settle by them.
	WaiveTerms bool
	// Reason is required: why, for the audit log (not sent to the person).
	Reason string

	byStaff bool
}

// CancelByID cancels a booking for actor (a coordinator, the CLI) with a
// typed reason. The person is told whether the course's terms apply or
// were waived. Its place, if it held one, goes to the first person
// waiting. A missing reason returns a FormError ("reason").
func (s *Service) CancelByID(ctx context.Context, id int64, actor audit.Actor, o CancelOptions) (Booking, error) {
	reason, ferr := reasonFor("reason", o.Reason)
	if ferr != nil {
		return Booking{}, ferr
	}
	o.byStaff = true
	return s.changeFor(ctx, id, actor, actionCancel, reason, s.cancel(ctx, o))
}

// ErrNotWaitlisted refuses to offer a place to a booking that is not on
// the waiting list.
var ErrNotWaitlisted = errors.New("booking: the booking is not on the waiting list")

// ErrNoFreePlace refuses to offer a place on a date with none free.
var ErrNoFreePlace = errors.New("booking: no place is free on this date")

// OfferPlace gives a place to waitlisted booking id out of the queue's
// order, for actor with a typed reason: offered for the course's hold
// period, or confirmed at once when the course has none, and told as the
// waiting list tells people moved up.
//
// The waiting list fills a freed place at once, so usually no place is
// free but one is on offer to the first person waiting. Then, on a course
// that holds offers, OfferPlace passes that open offer to id (see
// OfferToWithdraw for which one): its holder goes back to the waiting list
// in their own place in the queue, is e-mailed that the course team
// withdrew the offer (booking_offer_withdrawn), and gets an audit entry
// (booking.withdraw_offer) with the same reason. With no place free and
// no open offer (or a course that holds none) it returns ErrNoFreePlace:
// to go over capacity a coordinator adds a booking by hand with that
// override.
func (s *Service) OfferPlace(ctx context.Context, id int64, actor audit.Actor, reason string) (Booking, error) {
	reason, ferr := reasonFor("reason", reason)
	if ferr != nil {
		return Booking{}, ferr
	}
	return s.changeFor(ctx, id, actor, actionOffer, reason, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		if b.Status != Waitlisted {
			return false, ErrNotWaitlisted
		}
		switch {
		case m.Event.Status == catalog.Cancelled:
			return false, ErrEventCancelled
		case m.Event.Status == catalog.Completed || !now.Before(m.Event.StartsAt):
			return false, ErrClosed
		}
		st := s.store.withTx(tx)
		held, err := st.heldPlaces(ctx, m.Event.ID)
		if err != nil {
			return false, err
		}
		var withdrawn *Booking
		if m.Event.Capacity != 0 && held >= m.Event.Capacity {
			if m.Course.OfferHoldHours <= 0 {
				return false, ErrNoFreePlace // no offers held: none to pass on
			}
			w, err := st.openOffer(ctx, m.Event.ID, now)
			if errors.Is(err, ErrNotFound) {
				return false, ErrNoFreePlace
			}
			if err != nil {
				return false, err
			}
			withdrawn = &w
		}
		kind, err := s.promote(ctx, tx, m.Course, m.Event, b, now)
		if err != nil {
			return false, err
		}
		b.WaitPosition = 0
		if err := st.saveState(ctx, b, now); err != nil {
			return false, err
		}
		if withdrawn != nil {
			// After b left the queue, so the position told is right.
			if err := s.withdrawOffer(ctx, tx, m.Course, m.Event, *withdrawn, now, actor, reason); err != nil {
				return false, err
			}
		}
		return false, s.notify(ctx, tx, kind, m.Course, m.Event, *b, "")
	})
}

// withdrawOffer puts offered booking w back on the waiting list, in its
// own place in the queue (the queue is in id order, so the place is kept:
// the front, when the waiting list offered it the place in turn), records
// it as actionWithdrawOffer with reason and tells the person. The caller
// holds the event's lock and has given the place to someone else.
func (s *Service) withdrawOffer(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, w Booking,
	now time.Time, actor audit.Actor, reason string) error {
	st := s.store.withTx(tx)
	before := w
	w.Status, w.OfferExpiresAt = Waitlisted, time.Time{}
	if err := st.saveState(ctx, &w, now); err != nil {
		return err
	}
	pos, err := st.waitPosition(ctx, w)
	if err != nil {
		return err
	}
	w.WaitPosition = pos
	if err := record(ctx, tx, now, actor, actionWithdrawOffer, before, w, reason); err != nil {
		return err
	}
	// One e-mail per withdrawn offer: an offer is known by its expiry.
	spec := mailSpec{kind: mailOfferWithdrawn,
		dedupe: mailKey(string(mailOfferWithdrawn), w.ID, strconv.FormatInt(before.OfferExpiresAt.Unix(), 10))}
	return s.queue(ctx, tx, spec, c, e, w, "")
}

// OfferToWithdraw is the open offer that OfferPlace would pass to a
// chosen person on event e now that no place is free: the most recent
// offer from the waiting list not yet taken up or lapsed. The most
// recent, because its holder has had the least time to count on it (and
// was the latest in the queue of those offered), while an earlier holder
// may be about to take the place up. It returns ErrNotFound when there is
// none.
func (s *Service) OfferToWithdraw(ctx context.Context, eventID int64) (Booking, error) {
	b, err := s.store.openOffer(ctx, eventID, s.now().UTC())
	if err != nil {
		return Booking{}, fmt.Errorf("booking: open offer on event %d: %w", eventID, err)
	}
	return b, nil
}

// Details are the person's details a coordinator may correct.
type Details struct {
	Name, Email, Organisation, Role, RegistrationNumber, PONumber string
}

// detailFields are the booking form's fields that Details holds.
var detailFields = []string{"name", "email", "organisation", "role", "registration_number", "po_number"}

// CorrectDetails corrects a booking's details for actor, checked with the
// booking form's rules; a new e-mail address must not be that of another
// active booking on the same date. Bad input returns a FormError keyed by
// the booking form's field names. Nothing is e-mailed.
func (s *Service) CorrectDetails(ctx context.Context, id int64, actor audit.Actor, d Details) (Booking, error) {
	return s.change(ctx, id, actor, actionCorrect, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		req := Request{Name: d.Name, Email: d.Email, Organisation: d.Organisation, Role: d.Role,
			RegistrationNumber: d.RegistrationNumber, PONumber: d.PONumber, SystemChecked: true}
		ferr := req.checkAs(&catalog.Course{}, &catalog.Event{}, staffVoice)
		for field := range ferr {
			if !slices.Contains(detailFields, field) {
				delete(ferr, field)
			}
		}
		if len(ferr) > 0 {
			return false, ferr
		}
		st := s.store.withTx(tx)
		if emailKey(req.Email) != emailKey(b.Email) && b.Status.Active() {
			other, err := st.activeByEmail(ctx, b.EventID, req.Email)
			switch {
			case err == nil && other.ID != b.ID:
				return false, FormError{"email": fmt.Sprintf("Booking %d on this date already has this e-mail address.", other.ID)}
			case err != nil && !errors.Is(err, ErrNotFound):
				return false, err
			}
		}
		next := *b
		next.Name, next.Email, next.Organisation, next.Role = req.Name, req.Email, req.Organisation, req.Role
		next.RegistrationNumber, next.PONumber = req.RegistrationNumber, req.PONumber
		if next.Name == b.Name && next.Email == b.Email && next.Organisation == b.Organisation && next.Role == b.Role &&
			next.RegistrationNumber == b.RegistrationNumber && next.PONumber == b.PONumber {
			return false, errUnchanged
		}
		*b = next
		return false, st.saveAllDetails(ctx, b, now)
	})
}

// saveAllDetails writes the details a coordinator may correct.
func (s store) saveAllDetails(ctx context.Context, b *Booking, now time.Time) error {
	b.UpdatedAt = now
	_, err := s.q.ExecContext(ctx, `UPDATE bookings SET name = $2, email = $3, email_key = $4, organisation = $5, role = $6,
		registration_number = $7, po_number = $8, updated_at = $9 WHERE id = $1`,
		b.ID, b.Name, b.Email, emailKey(b.Email), b.Organisation, b.Role, b.RegistrationNumber, b.PONumber, now)
	if err != nil {
		return fmt.Errorf("update booking %d: %w", b.ID, err)
	}
	return nil
}

// ManageByID returns booking id with its course and date, for the staff
// area's pages; an unknown booking is ErrNotFound.
func (s *Service) ManageByID(ctx context.Context, id int64) (Manage, error) {
	m, err := s.manage(ctx, id)
	if err != nil {
		return Manage{}, fmt.Errorf("booking %d: %w", id, err)
	}
	return m, nil
}
