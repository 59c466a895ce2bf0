package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// Internal notes: what the course team writes on a booking for each
// other. A note is never sent to the participant, never shown on their
// manage page and never in an export; the audit log records that one was
// added (with its text, as the change's after).

// NoteMaxLength is the longest note, in characters.
const NoteMaxLength = 4000

// Note is one internal note on a booking.
type Note struct {
	ID        int64
	BookingID int64
	Author    audit.Actor
	Text      string
	CreatedAt time.Time // UTC
}

// actionNote is the audit action of a note added.
const actionNote = "booking.note"

// CheckNote returns what is wrong with a note's text (already trimmed),
// for the form to show beside the field; "" when it is fine.
func CheckNote(text string) string {
	if text == "" {
		return "Write the note."
	}
	if e := textProblem(text, NoteMaxLength, true); e != "" {
		return "The note " + e
	}
	return ""
}

// NoteError is a note refused for its text; the message is for the form.
type NoteError struct{ Message string }

func (e *NoteError) Error() string { return "booking: note: " + e.Message }

// normaliseNote trims a note and turns a browser's CRLF into LF.
func normaliseNote(text string) string {
	return strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
}

// AddNote adds an internal note by actor to the booking, and records it in
// the audit log in the same transaction. A note whose text is refused
// returns a *NoteError and saves nothing; an unknown booking ErrNotFound.
func (s *Service) AddNote(ctx context.Context, bookingID int64, actor audit.Actor, text string) (Note, error) {
	text = normaliseNote(text)
	if msg := CheckNote(text); msg != "" {
		return Note{}, &NoteError{Message: msg}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	n := Note{BookingID: bookingID, Author: actor, Text: text, CreatedAt: now}
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM bookings WHERE id = $1`, bookingID).Scan(&one); err != nil {
			if err == sql.ErrNoRows {
				return ErrNotFound
			}
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO booking_notes (booking_id, author_kind, author_id, author_name, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, bookingID, string(actor.Kind), actor.ID, actor.Name, text, now).
			Scan(&n.ID); err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		return audit.Record(ctx, tx, now, actor, actionNote, "booking", bookingID, nil, struct {
			Note string `json:"note"`
		}{text}, "")
	})
	if err != nil {
		return Note{}, fmt.Errorf("booking %d: note: %w", bookingID, err)
	}
	return n, nil
}

// Notes returns the booking's internal notes, newest first.
func (s *Service) Notes(ctx context.Context, bookingID int64) ([]Note, error) {
	var out []Note
	err := s.store.each(ctx, `SELECT id, booking_id, author_kind, author_id, author_name, body, created_at
		FROM booking_notes WHERE booking_id = $1 ORDER BY id DESC`, []any{bookingID}, func(scan func(...any) error) error {
		var n Note
		var kind string
		if err := scan(&n.ID, &n.BookingID, &kind, &n.Author.ID, &n.Author.Name, &n.Text, &n.CreatedAt); err != nil {
			return err
		}
		n.Author.Kind, n.CreatedAt = audit.ActorKind(kind), n.CreatedAt.UTC()
		out = append(out, n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("booking %d: notes: %w", bookingID, err)
	}
	return out, nil
}
