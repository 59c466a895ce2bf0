package booking

import (
	"context"
	"database/sql"
	"time"

	"plenary/internal/audit"
)

// auditState is what the audit log keeps of a booking around a change:
// where it stands, and the name and organisation when a correction changed
// them. Never the access needs (special-category data) or the answers.
type auditState struct {
	Status         Status     `json:"status"`
	WaitPosition   int        `json:"wait_position,omitempty"`
	Payment        Payment    `json:"payment"`
	OfferExpiresAt *time.Time `json:"offer_expires_at,omitempty"`
	Name           string     `json:"name,omitempty"`
	Organisation   string     `json:"organisation,omitempty"`
	// The rest of the details a coordinator may correct, when they changed.
	Email              string `json:"email,omitempty"`
	Role               string `json:"role,omitempty"`
	RegistrationNumber string `json:"registration_number,omitempty"`
	PONumber           string `json:"po_number,omitempty"`
	// A recorded payment and the link of a moved booking.
	PaidAmount    int64  `json:"paid_amount_minor,omitempty"`
	PaidCurrency  string `json:"paid_currency,omitempty"`
	PaidOn        string `json:"paid_on,omitempty"`
	PaidReference string `json:"paid_reference,omitempty"`
	EventID       int64  `json:"event_id,omitempty"`
	MovedFrom     int64  `json:"moved_from,omitempty"`
	MovedTo       int64  `json:"moved_to,omitempty"`
}

func stateOf(b Booking) auditState {
	st := auditState{Status: b.Status, Payment: b.Payment}
	if b.Status == Waitlisted {
		st.WaitPosition = b.WaitPosition
	}
	if !b.OfferExpiresAt.IsZero() {
		t := b.OfferExpiresAt.UTC()
		st.OfferExpiresAt = &t
	}
	st.PaidAmount, st.PaidCurrency, st.PaidOn, st.PaidReference = b.PaidAmount, b.PaidCurrency, b.PaidOn, b.PaidReference
	if b.PaidAmount == 0 {
		st.PaidCurrency = ""
	}
	st.MovedFrom, st.MovedTo = b.MovedFrom, b.MovedTo
	if b.MovedFrom != 0 || b.MovedTo != 0 {
		st.EventID = b.EventID
	}
	return st
}

// auditStates are the before and after of a change from before to after.
func auditStates(before, after Booking) (auditState, auditState) {
	b, a := stateOf(before), stateOf(after)
	if before.Name != after.Name || before.Organisation != after.Organisation {
		b.Name, b.Organisation = before.Name, before.Organisation
		a.Name, a.Organisation = after.Name, after.Organisation
	}
	if before.Email != after.Email || before.Role != after.Role || before.RegistrationNumber != after.RegistrationNumber ||
		before.PONumber != after.PONumber {
		b.Name, b.Organisation = before.Name, before.Organisation
		a.Name, a.Organisation = after.Name, after.Organisation
		b.Email, b.Role, b.RegistrationNumber, b.PONumber = before.Email, before.Role, before.RegistrationNumber, before.PONumber
		a.Email, a.Role, a.RegistrationNumber, a.PONumber = after.Email, after.Role, after.RegistrationNumber, after.PONumber
	}
	return b, a
}

// Audit actions on a booking, as audit entries name them.
const (
	actionCreate        = "booking.create"
	actionCancel        = "booking.cancel"
	actionAcceptOffer   = "booking.accept_offer"
	actionDeclineOffer  = "booking.decline_offer"
	actionApprove       = "booking.approve"
	actionDeclineReview = "booking.decline_review"
	actionCorrect       = "booking.correct"
	actionMoveUp        = "booking.move_up" // from the waiting list, confirmed or offered a place
	actionLapse         = "booking.lapse"   // an offer not taken up in time
	actionEraseNeeds    = "booking.erase_access_needs"
	actionOffer         = "booking.offer_place" // a coordinator's offer out of the queue's order
	actionMove          = "booking.move"        // on the old booking (moved away) and the new one (moved here)
	actionMarkPaid      = "booking.mark_paid"
	actionWithdrawOffer = "booking.withdraw_offer" // an open offer passed to someone else by a coordinator (OfferPlace)
)

// record writes the audit entry of a change to a booking from before to
// after, in the change's transaction tx.
func record(ctx context.Context, tx *sql.Tx, now time.Time, actor audit.Actor, action string, before, after Booking,
	reason string) error {
	b, a := auditStates(before, after)
	return audit.Record(ctx, tx, now, actor, action, "booking", after.ID, b, a, reason)
}
