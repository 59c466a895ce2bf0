package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// bookingColumns is the select list scanBooking reads.
const bookingColumns = `b.id, b.event_id, b.status, b.name, b.email, b.organisation, b.role, b.registration_number,
	b.access_needs, b.access_needs_erased, b.system_checked, b.needs_review, b.review_reason, b.notes,
	b.fee_tier, b.amount_minor, b.currency, b.payment, b.po_number, b.invoice_number, b.offer_expires_at,
	b.created_at, b.updated_at, b.confirmed_at, b.cancelled_at, ` + mailFailingColumn

// mailFailingColumn computes Booking.MailFailing: a message to the booking
// failed for good and none was delivered (sent, or kept in the dev
// mailbox) after it.
const mailFailingColumn = `EXISTS (SELECT 1 FROM messages mf WHERE mf.booking_id = b.id AND mf.status = 'failed'
	AND NOT EXISTS (SELECT 1 FROM messages md WHERE md.booking_id = b.id AND md.id > mf.id AND md.status IN ('sent', 'kept')))`

func scanBooking(row interface{ Scan(...any) error }) (Booking, error) {
	var b Booking
	var notes string
	var invoice sql.NullInt64
	var offer, confirmed, cancelled sql.NullTime
	err := row.Scan(&b.ID, &b.EventID, &b.Status, &b.Name, &b.Email, &b.Organisation, &b.Role, &b.RegistrationNumber,
		&b.AccessNeeds, &b.AccessNeedsErased, &b.SystemChecked, &b.NeedsReview, &b.ReviewReason, &notes,
		&b.FeeTier, &b.Amount, &b.Currency, &b.Payment, &b.PONumber, &invoice, &offer,
		&b.CreatedAt, &b.UpdatedAt, &confirmed, &cancelled, &b.MailFailing)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, err
	}
	if notes != "" {
		b.Notes = strings.Split(notes, "\n")
	}
	b.InvoiceNumber = invoice.Int64
	b.OfferExpiresAt, b.ConfirmedAt, b.CancelledAt = utc(offer), utc(confirmed), utc(cancelled)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, nil
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()} }

func nullInt(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }

func insertBooking(ctx context.Context, tx *sql.Tx, b *Booking) error {
	err := tx.QueryRowContext(ctx, `
		INSERT INTO bookings (event_id, status, name, email, email_key, organisation, role, registration_number,
		                      access_needs, system_checked, needs_review, review_reason, notes, fee_tier, amount_minor,
		                      currency, payment, po_number, invoice_number, offer_expires_at, created_at, updated_at,
		                      confirmed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21, $22)
		RETURNING id`,
		b.EventID, string(b.Status), b.Name, b.Email, emailKey(b.Email), b.Organisation, b.Role, b.RegistrationNumber,
		b.AccessNeeds, b.SystemChecked, b.NeedsReview, b.ReviewReason, strings.Join(b.Notes, "\n"), b.FeeTier, b.Amount,
		b.Currency, string(b.Payment), b.PONumber, nullInt(b.InvoiceNumber), nullTime(b.OfferExpiresAt), b.CreatedAt,
		nullTime(b.ConfirmedAt)).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("insert booking: %w", err)
	}
	for k, v := range b.Answers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO booking_answers (booking_id, question, answer) VALUES ($1, $2, $3)`,
			b.ID, k, v); err != nil {
			return fmt.Errorf("insert answer: %w", err)
		}
	}
	return nil
}

// saveState writes the fields a status change touches.
func saveState(ctx context.Context, tx *sql.Tx, b *Booking, now time.Time) error {
	b.UpdatedAt = now
	_, err := tx.ExecContext(ctx, `
		UPDATE bookings SET status = $2, payment = $3, invoice_number = $4, offer_expires_at = $5,
		       confirmed_at = $6, cancelled_at = $7, updated_at = $8
		WHERE id = $1`,
		b.ID, string(b.Status), string(b.Payment), nullInt(b.InvoiceNumber), nullTime(b.OfferExpiresAt),
		nullTime(b.ConfirmedAt), nullTime(b.CancelledAt), now)
	if err != nil {
		return fmt.Errorf("update booking %d: %w", b.ID, err)
	}
	return nil
}

func activeByEmail(ctx context.Context, q database.Querier, eventID int64, key string) (Booking, error) {
	b, err := scanBooking(q.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings b
		WHERE b.event_id = $1 AND b.email_key = $2 AND b.status IN `+activeStatuses, eventID, key))
	if err != nil {
		return b, err
	}
	return b, fillDetails(ctx, q, &b)
}

func bookingByID(ctx context.Context, q database.Querier, id int64) (Booking, error) {
	b, err := scanBooking(q.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.id = $1`, id))
	if err != nil {
		return b, err
	}
	return b, fillDetails(ctx, q, &b)
}

// fillDetails reads a booking's answers and queue position.
func fillDetails(ctx context.Context, q database.Querier, b *Booking) error {
	rows, err := q.QueryContext(ctx, `SELECT question, answer FROM booking_answers WHERE booking_id = $1`, b.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	b.Answers = map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		b.Answers[k] = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if b.Status == Waitlisted {
		b.WaitPosition, err = waitPosition(ctx, q, *b)
	}
	return err
}

// waitPosition is b's place in its event's queue: the queue is in id
// order, which is the order bookings were taken under the event lock.
func waitPosition(ctx context.Context, q database.Querier, b Booking) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE event_id = $1 AND status = 'waitlisted' AND id <= $2`,
		b.EventID, b.ID).Scan(&n)
	return n, err
}

// bookingIDByToken resolves a manage-link secret.
func bookingIDByToken(ctx context.Context, q database.Querier, token string) (int64, error) {
	if !plausibleToken(token) {
		return 0, ErrNotFound
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT booking_id FROM booking_tokens WHERE token_hash = $1`, hashToken(token)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// ListWithAnswers is List with each booking's answers to the course's
// questions, for the coordinator's listing and export.
func (s *Service) ListWithAnswers(ctx context.Context, eventID int64) ([]Booking, error) {
	list, err := s.List(ctx, eventID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT a.booking_id, a.question, a.answer FROM booking_answers a
		JOIN bookings b ON b.id = a.booking_id
		WHERE b.event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("booking: answers on event %d: %w", eventID, err)
	}
	defer rows.Close()
	answers := map[int64]map[string]string{}
	for rows.Next() {
		var id int64
		var k, v string
		if err := rows.Scan(&id, &k, &v); err != nil {
			return nil, err
		}
		if answers[id] == nil {
			answers[id] = map[string]string{}
		}
		answers[id][k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Answers = answers[list[i].ID]
		if list[i].Answers == nil {
			list[i].Answers = map[string]string{}
		}
	}
	return list, nil
}

// EventZones returns the time zone (IANA name) of the event each of the
// bookings is on, for showing their messages' times as the pages do.
// Bookings that do not exist are left out.
func (s *Service) EventZones(ctx context.Context, bookingIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for len(bookingIDs) > 0 {
		batch := bookingIDs[:min(len(bookingIDs), 500)]
		bookingIDs = bookingIDs[len(batch):]
		marks := make([]string, len(batch))
		args := make([]any, len(batch))
		for i, id := range batch {
			marks[i], args[i] = fmt.Sprintf("$%d", i+1), id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT b.id, e.time_zone FROM bookings b JOIN events e ON e.id = b.event_id
			WHERE b.id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("booking: event zones: %w", err)
		}
		for rows.Next() {
			var id int64
			var zone string
			if err := rows.Scan(&id, &zone); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = zone
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
