package booking

import (
	"context"
	"database/sql"
	"time"

	"plenary/internal/audit"
)

// What the course team does to a booking: settle a review. (Cancelling
// for someone is CancelByID, in manage.go.) The actor is whoever settles
// it: the CLI passes audit.CommandLine, the staff area will pass
// audit.StaffMember.

// Approve confirms a booking that was waiting for a coordinator's review.
func (s *Service) Approve(ctx context.Context, id int64, actor audit.Actor) (Booking, error) {
	return s.settleReview(ctx, id, actor, actionApprove, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		b.NeedsReview = false
		if err := s.admit(ctx, tx, b, now); err != nil {
			return false, err
		}
		if err := s.store.withTx(tx).saveState(ctx, b, now); err != nil {
			return false, err
		}
		return false, s.notify(ctx, tx, mailConfirmed, m.Course, m.Event, *b, "")
	})
}

// DeclineReview declines a booking that was waiting for review; its place
// goes to the first person waiting.
func (s *Service) DeclineReview(ctx context.Context, id int64, actor audit.Actor) (Booking, error) {
	return s.settleReview(ctx, id, actor, actionDeclineReview, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		b.Status = Declined
		if err := s.store.withTx(tx).saveState(ctx, b, now); err != nil {
			return false, err
		}
		return true, s.notify(ctx, tx, mailReviewDeclined, m.Course, m.Event, *b, "")
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
