package booking

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors returned by the service. Handlers map them to plain messages.
var (
	ErrNotFound         = errors.New("booking: not found")
	ErrEventFull        = errors.New("booking: the event is full and has no waiting list")
	ErrClosed           = errors.New("booking: bookings for this date are closed")
	ErrEventCancelled   = errors.New("booking: the date is cancelled")
	ErrEventUnavailable = errors.New("booking: the date is not open for booking")
	ErrNotActive        = errors.New("booking: the booking is no longer active")
	ErrNoOffer          = errors.New("booking: there is no open offer of a place")
	ErrOfferLapsed      = errors.New("booking: the offer of a place has lapsed")
	ErrNotPendingReview = errors.New("booking: the booking is not waiting for review")
	// ErrLateChange refuses a participant-visible change to an event
	// inside the minimum-notice window that the coordinator has not
	// confirmed (see LateChangeError and catalog.SaveOptions.ConfirmLate).
	ErrLateChange = errors.New("booking: a change inside the minimum-notice window must be confirmed")
)

// Status is where a booking stands.
type Status string

// Booking statuses.
const (
	Confirmed     Status = "confirmed"
	Waitlisted    Status = "waitlisted"
	Offered       Status = "offered"        // a place is held for them until OfferExpiresAt
	PendingReview Status = "pending_review" // a place is held while a coordinator looks
	Cancelled     Status = "cancelled"      // by the participant or a coordinator
	Declined      Status = "declined"       // an offer turned down, or a review declined
	Lapsed        Status = "lapsed"         // an offer not taken up in time
	Attended      Status = "attended"
	NoShow        Status = "no_show"
)

// Active reports whether the booking still counts: it holds a place or a
// spot in the queue, and blocks a second booking by the same person.
func (s Status) Active() bool {
	switch s {
	case Confirmed, Waitlisted, Offered, PendingReview, Attended, NoShow:
		return true
	}
	return false
}

// HoldsPlace reports whether the booking takes one of the event's places.
func (s Status) HoldsPlace() bool { return s.Active() && s != Waitlisted }

// Label is the status as a participant reads it.
func (s Status) Label() string {
	switch s {
	case Confirmed:
		return "Confirmed"
	case Waitlisted:
		return "On the waiting list"
	case Offered:
		return "Place offered"
	case PendingReview:
		return "Waiting for review"
	case Cancelled:
		return "Cancelled"
	case Declined:
		return "Declined"
	case Lapsed:
		return "Offer lapsed"
	case Attended:
		return "Attended"
	case NoShow:
		return "Did not attend"
	}
	return string(s)
}

// allStatuses is every Status, in the order of the constants above.
var allStatuses = []Status{Confirmed, Waitlisted, Offered, PendingReview, Cancelled, Declined, Lapsed, Attended, NoShow}

// heldStatuses and activeStatuses are the statuses that HoldsPlace and
// Active accept, for the store's queries (the partial unique index in
// migration 0003 spells out the same active list; a test checks it).
var (
	heldStatuses   = statusesWhere(Status.HoldsPlace)
	activeStatuses = statusesWhere(Status.Active)
)

func statusesWhere(keep func(Status) bool) []Status {
	var out []Status
	for _, s := range allStatuses {
		if keep(s) {
			out = append(out, s)
		}
	}
	return out
}

// Payment is how the fee stands.
type Payment string

// Payment states. Card payments will add their own.
const (
	NoPayment Payment = "none"       // free, or not yet due (waiting list)
	Invoice   Payment = "invoice"    // confirmed; invoice issued, payment pending
	Paid      Payment = "paid"       // payment received
	RefundDue Payment = "refund_due" // cancelled after paying
	Refunded  Payment = "refunded"
	// Waived: a coordinator cancelled the booking waiving the course's
	// terms before it was paid; the invoice is void and nothing is owed.
	// Stored as payment 'none' with fee_waived set (migration 0013).
	Waived Payment = "waived"
)

// Booking is one person's place (or place in the queue) on an event.
type Booking struct {
	ID                 int64
	EventID            int64
	Status             Status
	Name               string
	Email              string
	Organisation       string
	Role               string
	RegistrationNumber string
	AccessNeeds        string // special-category data: coordinators only
	AccessNeedsErased  bool
	SystemChecked      bool
	NeedsReview        bool   // the rules asked for a coordinator's look
	ReviewReason       string // why, for the coordinator
	Notes              []string
	Answers            map[string]string // by question key

	FeeTier       string
	Amount        int64 // minor units
	Currency      string
	Payment       Payment
	PONumber      string
	InvoiceNumber int64 // 0 until an invoice is issued
	// The payment a coordinator recorded (MarkPaid): amount in minor
	// units, the day it arrived, the bank's or card's reference.
	PaidAmount    int64
	PaidCurrency  string
	PaidOn        string // YYYY-MM-DD; "" when none was recorded
	PaidReference string

	// MovedFrom is the booking this one replaced when a coordinator moved
	// the person here from another date; MovedTo the one that replaced it.
	MovedFrom int64
	MovedTo   int64

	// WaitPosition is the place in the queue (1 = next) for a waitlisted
	// booking, 0 otherwise. It is computed when the booking is read.
	WaitPosition   int
	OfferExpiresAt time.Time

	CreatedAt   time.Time
	UpdatedAt   time.Time
	ConfirmedAt time.Time
	CancelledAt time.Time

	// MailFailing is set when the last message to the booking that
	// finished failed for good (the outbox ran out of attempts) and none
	// has been delivered since: the address needs a coordinator's look.
	// Messaging is asked when the coordinators' views read the booking
	// (List, ListWithAnswers, Schedule, ByToken); elsewhere it is false.
	MailFailing bool
}

// InvoiceLabel writes the invoice number as it appears on invoices.
func (b Booking) InvoiceLabel() string {
	if b.InvoiceNumber == 0 {
		return ""
	}
	return fmt.Sprintf("INV-%06d", b.InvoiceNumber)
}

// emailKey is the form of an address used to tell people apart.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
