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

// Recording a payment against an invoice, for finance and coordinators
// with the right (invoices:mark_paid).

// Receipt is a payment received against a booking's invoice.
type Receipt struct {
	Amount    int64  // minor units of Currency; more than 0
	Currency  string // "" = the invoice's; any other must be the invoice's
	On        catalog.Date
	Reference string // the bank's or card's reference; required
}

// ErrNotUnpaid refuses to record a payment against a booking without an
// open invoice (never invoiced, already paid, refunded, waived).
var ErrNotUnpaid = errors.New("booking: the booking has no unpaid invoice")

// maxReference is the longest payment reference, in characters.
const maxReference = 100

// MarkPaid records, for actor, that booking id's unpaid invoice was paid:
// the amount, the day it arrived (not in the future, in the date's zone)
// and the reference. Bad input returns a FormError ("amount", "paid_on",
// "reference"); a booking without an unpaid invoice ErrNotUnpaid. The
// invoice is then paid; for a booking cancelled with its invoice still
// open, the money is due back (refund due). Nothing is e-mailed.
func (s *Service) MarkPaid(ctx context.Context, id int64, actor audit.Actor, r Receipt) (Booking, error) {
	return s.change(ctx, id, actor, actionMarkPaid, func(tx *sql.Tx, m *Manage, now time.Time) (bool, error) {
		b := &m.Booking
		if b.Payment != Invoice {
			return false, ErrNotUnpaid
		}
		ferr := FormError{}
		if r.Currency == "" {
			r.Currency = b.Currency
		}
		switch {
		case r.Amount <= 0:
			ferr["amount"] = "Enter the amount received, more than nothing."
		case r.Currency != b.Currency:
			ferr["amount"] = "Record the amount in the invoice's currency, " + b.Currency + "."
		}
		today := catalog.DateOf(now.In(m.Event.Location()))
		switch {
		case r.On.IsZero():
			ferr["paid_on"] = "Enter the day the payment arrived."
		case today.Before(r.On):
			ferr["paid_on"] = "The day the payment arrived cannot be in the future."
		}
		r.Reference = strings.TrimSpace(r.Reference)
		if r.Reference == "" {
			ferr["reference"] = "Enter the payment's reference (from the bank statement or the card receipt)."
		} else if e := textProblem(r.Reference, maxReference, false); e != "" {
			ferr["reference"] = "The reference " + e
		}
		if len(ferr) > 0 {
			return false, ferr
		}
		b.Payment = Paid
		if !b.Status.Active() {
			b.Payment = RefundDue
		}
		b.PaidAmount, b.PaidCurrency, b.PaidOn, b.PaidReference = r.Amount, r.Currency, r.On.String(), r.Reference
		st := s.store.withTx(tx)
		if err := st.saveState(ctx, b, now); err != nil {
			return false, err
		}
		_, err := tx.ExecContext(ctx, `UPDATE bookings SET paid_amount_minor = $2, paid_currency = $3, paid_on = $4,
			paid_reference = $5 WHERE id = $1`, b.ID, b.PaidAmount, b.PaidCurrency, b.PaidOn, b.PaidReference)
		if err != nil {
			return false, fmt.Errorf("update booking %d: %w", b.ID, err)
		}
		return false, nil
	})
}
