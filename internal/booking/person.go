package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// ErrUpcomingBooking refuses to erase a person who still has a place, an
// offer, a review or a spot on a waiting list for a date that has not
// ended: cancel it first (the place goes to the next person waiting, and
// they are told), then erase.
var ErrUpcomingBooking = errors.New("booking: the person has a booking on a date still to come")

// ErasedName is the name an erased booking keeps.
const ErasedName = "Erased"

// People is booking's part of a person's data (see package person): their
// bookings with answers, notes, manage links and access needs, and the
// audit entries about those bookings.
//
// An erasure keeps each booking's row — its date, status, fee, payment,
// invoice number and moves — so that places taken, per-date totals,
// attendance and invoices still add up. The invoice keeps what an invoice
// needs (number, amount, currency, date, the organisation billed and its
// purchase order, the payment recorded); the person's name, address,
// role, registration number, access needs, review reason, eligibility
// notes and answers go, with their manage links and staff notes. The
// booking's messages, and messages to others that name the person, lose
// their content (messaging.RedactSubjects, RedactMentions) and its audit
// entries the person's details (audit.Redact); the rows stay.
type People struct{}

// PersonBooking is one booking as an export shows it.
type PersonBooking struct {
	ID                 int64             `json:"id"`
	Course             string            `json:"course"`
	DateStarts         time.Time         `json:"date_starts"`
	Status             Status            `json:"status"`
	Name               string            `json:"name"`
	Email              string            `json:"email"`
	Organisation       string            `json:"organisation,omitempty"`
	Role               string            `json:"role,omitempty"`
	RegistrationNumber string            `json:"registration_number,omitempty"`
	AccessNeeds        string            `json:"access_needs,omitempty"`
	AccessNeedsErased  bool              `json:"access_needs_erased,omitempty"`
	ReviewReason       string            `json:"review_reason,omitempty"`
	EligibilityNotes   string            `json:"eligibility_notes,omitempty"`
	Answers            map[string]string `json:"answers,omitempty"`
	FeeTier            string            `json:"fee_tier,omitempty"`
	AmountMinor        int64             `json:"amount_minor"`
	Currency           string            `json:"currency,omitempty"`
	Payment            Payment           `json:"payment"`
	PONumber           string            `json:"po_number,omitempty"`
	Invoice            string            `json:"invoice,omitempty"`
	PaidOn             string            `json:"paid_on,omitempty"`
	PaidReference      string            `json:"paid_reference,omitempty"`
	CreatedAt          time.Time         `json:"created_at"`
	Notes              []PersonNote      `json:"staff_notes,omitempty"`
	History            []audit.Entry     `json:"history,omitempty"`
}

// PersonNote is a staff note on a booking, in an export.
type PersonNote struct {
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// Export returns the bookings made with email (whatever its case), oldest
// first, with their answers, staff notes and audit history.
func (People) Export(ctx context.Context, q database.Querier, email string) (any, error) {
	out := []PersonBooking{}
	st := store{q: q}
	err := st.each(ctx, `SELECT b.id, c.title, e.starts_at, b.status, b.name, b.email, b.organisation, b.role,
			b.registration_number, b.access_needs, b.access_needs_erased, b.review_reason, b.notes, b.fee_tier,
			b.amount_minor, b.currency, b.payment, b.po_number, b.invoice_number, b.paid_on, b.paid_reference, b.created_at
		FROM bookings b JOIN events e ON e.id = b.event_id JOIN courses c ON c.id = e.course_id
		WHERE b.email_key = $1 ORDER BY b.id`, []any{emailKey(email)}, func(scan func(...any) error) error {
		var p PersonBooking
		var invoice sql.NullInt64
		if err := scan(&p.ID, &p.Course, &p.DateStarts, &p.Status, &p.Name, &p.Email, &p.Organisation, &p.Role,
			&p.RegistrationNumber, &p.AccessNeeds, &p.AccessNeedsErased, &p.ReviewReason, &p.EligibilityNotes, &p.FeeTier,
			&p.AmountMinor, &p.Currency, &p.Payment, &p.PONumber, &invoice, &p.PaidOn, &p.PaidReference, &p.CreatedAt); err != nil {
			return err
		}
		p.DateStarts, p.CreatedAt = p.DateStarts.UTC(), p.CreatedAt.UTC()
		p.Invoice = Booking{InvoiceNumber: invoice.Int64}.InvoiceLabel()
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking: export: %w", err)
	}
	for i := range out {
		p := &out[i]
		answers, err := st.answers(ctx, `SELECT booking_id, question, answer FROM booking_answers WHERE booking_id = $1`, p.ID)
		if err != nil {
			return nil, fmt.Errorf("booking: export: %w", err)
		}
		p.Answers = answers[p.ID]
		err = st.each(ctx, `SELECT author_name, body, created_at FROM booking_notes WHERE booking_id = $1 ORDER BY id`,
			[]any{p.ID}, func(scan func(...any) error) error {
				var n PersonNote
				if err := scan(&n.Author, &n.Text, &n.CreatedAt); err != nil {
					return err
				}
				n.CreatedAt = n.CreatedAt.UTC()
				p.Notes = append(p.Notes, n)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("booking: export: %w", err)
		}
		history, err := audit.List(ctx, q, audit.Filter{Object: "booking", ObjectID: p.ID, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("booking: export: %w", err)
		}
		for j := len(history) - 1; j >= 0; j-- { // oldest first
			p.History = append(p.History, history[j])
		}
	}
	return out, nil
}

// Erase anonymises the bookings made with email and returns how many. It
// refuses (ErrUpcomingBooking) while one of them is active on a date that
// has not ended.
func (People) Erase(ctx context.Context, tx *sql.Tx, email string, now time.Time) (int, error) {
	st := store{q: tx}
	key := emailKey(email)
	var upcoming int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings b JOIN events e ON e.id = b.event_id
		WHERE b.email_key = $1 AND e.ends_at > $2 AND b.status `+statusIn(Confirmed, Waitlisted, Offered, PendingReview),
		key, now.UTC()).Scan(&upcoming)
	if err != nil {
		return 0, fmt.Errorf("booking: erase: %w", err)
	}
	if upcoming > 0 {
		return 0, ErrUpcomingBooking
	}
	terms := []string{email}
	var ids []int64
	err = st.each(ctx, `SELECT id, name, email FROM bookings WHERE email_key = $1 ORDER BY id`, []any{key},
		func(scan func(...any) error) error {
			var id int64
			var name, addr string
			if err := scan(&id, &name, &addr); err != nil {
				return err
			}
			ids = append(ids, id)
			terms = append(terms, name, addr)
			return nil
		})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	refs := make([]string, len(ids))
	for i, id := range ids {
		refs[i] = SubjectRef(id)
		// The key stays unique per booking: the partial index allows one
		// active booking per address and date.
		_, err := tx.ExecContext(ctx, `UPDATE bookings SET name = $2, email = '', email_key = $3, role = '',
			registration_number = '', access_needs = '', access_needs_erased = $4, review_reason = '', notes = '',
			updated_at = $5 WHERE id = $1`, id, ErasedName, fmt.Sprintf("erased/%d", id), true, now.UTC())
		if err != nil {
			return 0, fmt.Errorf("booking: erase %d: %w", id, err)
		}
		for _, table := range []string{"booking_answers", "booking_tokens", "booking_notes"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE booking_id = $1`, id); err != nil {
				return 0, fmt.Errorf("booking: erase %d: %w", id, err)
			}
		}
	}
	if _, err := messaging.RedactSubjects(ctx, tx, refs); err != nil {
		return 0, fmt.Errorf("booking: erase: %w", err)
	}
	// Messages to others that name them: a staff notice about another
	// booking, the daily digest.
	if _, err := messaging.RedactMentions(ctx, tx, uniqueTerms(terms)); err != nil {
		return 0, fmt.Errorf("booking: erase: %w", err)
	}
	if _, err := audit.Redact(ctx, tx, "booking", ids, uniqueTerms(terms)); err != nil {
		return 0, fmt.Errorf("booking: erase: %w", err)
	}
	return len(ids), nil
}

func uniqueTerms(terms []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range terms {
		k := strings.ToLower(strings.TrimSpace(t))
		// A name of one or two letters would blank every value holding
		// them: redact only names worth matching.
		if len(k) < 3 || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out
}
