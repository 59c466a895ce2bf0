package certificates

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// KindThanks is the thank-you after a date to a person who completed it,
// with the certificate attached (booking sends it through booking.Thanks).
const KindThanks = "thanks_certificate"

// The Issuer gives booking's thank-you what the register knows.
var _ booking.Thanks = (*Issuer)(nil)

// CompletedOf returns who completed the date by booking ID; register is
// false when no register is wired; taken is the register's Taken. It implements booking.Thanks.
func (s *Issuer) CompletedOf(ctx context.Context, eventID int64) (map[int64]bool, bool, bool, error) {
	if s.opts.Completions == nil {
		return nil, false, false, nil
	}
	done, err := s.opts.Completions.Completed(ctx, eventID)
	if err != nil {
		return nil, true, false, fmt.Errorf("certificates: completed of event %d: %w", eventID, err)
	}
	taken, err := s.opts.Completions.Taken(ctx, eventID)
	if err != nil {
		return nil, true, false, fmt.Errorf("certificates: register of event %d: %w", eventID, err)
	}
	out := make(map[int64]bool, len(done))
	for _, c := range done {
		out[c.BookingID] = true
	}
	return out, true, taken, nil
}

// QueueThanks issues the booking's certificate in tx (or takes the one it
// has) and queues the thank-you with it attached, under booking's dedupe
// key — or, when "send all" e-mailed that certificate already, without
// the attachment, saying it was sent. A revoked certificate is not sent: queued is false and booking
// sends its plain thank-you. It implements booking.Thanks.
func (s *Issuer) QueueThanks(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, t booking.ThankYou,
	actor audit.Actor) (bool, error) {
	if s.opts.Completions == nil || s.opts.Outbox == nil {
		return false, nil
	}
	done, err := s.opts.Completions.Completed(ctx, e.ID)
	if err != nil {
		return false, err
	}
	for _, comp := range done {
		if comp.BookingID != t.BookingID {
			continue
		}
		cert, _, err := s.issue(ctx, tx, c, e, comp, actor)
		var fe FormError
		if errors.As(err, &fe) {
			return false, nil // a name the certificate cannot print: the plain thank-you
		}
		if err != nil || cert.State != Valid {
			return false, err
		}
		// Staff's "send all" e-mailed this certificate already: the
		// thank-you says so and does not carry it a second time.
		sent, err := messaging.Deliveries(ctx, tx, []string{sendKey(cert.ID)})
		if err != nil {
			return false, err
		}
		_, already := sent[sendKey(cert.ID)]
		data, err := json.Marshal(mailData{Certificate: cert, Base: s.opts.BaseURL, FeedbackURL: t.FeedbackURL, CourseURL: t.CourseURL,
			AlreadySent: already})
		if err != nil {
			return false, err
		}
		_, _, err = s.opts.Outbox.Enqueue(ctx, tx, messaging.Message{Kind: KindThanks, DedupeKey: t.DedupeKey,
			SubjectRef: t.SubjectRef, ToName: t.Name, ToEmail: t.Email, Data: data})
		return err == nil, err
	}
	return false, nil
}

// thanksKey is booking's dedupe key of a booking's thank-you
// (booking.ThankYou.DedupeKey), whichever kind went.
func thanksKey(bookingID int64) string { return "thanks/" + strconv.FormatInt(bookingID, 10) }

// carriedByThanks keeps, of the certificates c, those whose booking's
// thank-you went with that very certificate attached: a thank-you of
// KindThanks queued at or after the certificate was issued (a
// certificate reissued since is a new one, not yet sent).
func carriedByThanks(ctx context.Context, q database.Querier, certs []Certificate) (map[int64]bool, error) {
	keys := make([]string, len(certs))
	for i, c := range certs {
		keys[i] = thanksKey(c.BookingID)
	}
	sent, err := messaging.Deliveries(ctx, q, keys)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, c := range certs {
		if d, ok := sent[thanksKey(c.BookingID)]; ok && d.Kind == KindThanks && !d.CreatedAt.Before(c.IssuedAt) {
			out[c.ID] = true
		}
	}
	return out, nil
}
