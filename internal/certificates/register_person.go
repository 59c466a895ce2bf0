package certificates

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// RegisterMarks is what the register holds about a person, for a request
// for their data (package person): the marks on the bookings made with
// their address. cmd/plenary registers it (as "register") beside
// booking.People.
//
// A mark holds no name or address, only its booking's ID: once booking's
// holder has anonymised the booking, the marks name nobody, and they stay
// so that a date's attendance still adds up. Erase therefore changes
// nothing.
type RegisterMarks struct{}

// PersonMark is one register mark as an export shows it.
type PersonMark struct {
	BookingID int64     `json:"booking"`
	Course    string    `json:"course"`
	Day       string    `json:"day"`               // YYYY-MM-DD
	Session   string    `json:"session,omitempty"` // HH:MM, or "" for the whole day
	Mark      string    `json:"mark"`              // as staff read it: "Present", "Left early"
	Minutes   *int      `json:"minutes,omitempty"` // attended, from a meeting report
	MarkedAt  time.Time `json:"marked_at"`
}

// Export returns the marks on the bookings made with email, whatever its
// case, by booking, day and session.
func (RegisterMarks) Export(ctx context.Context, q database.Querier, email string) (any, error) {
	out := []PersonMark{}
	key := strings.ToLower(strings.TrimSpace(email))
	if key == "" {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `
		SELECT m.booking_id, c.title, m.day, m.session, m.mark, m.minutes, m.marked_at
		FROM register_marks m JOIN bookings b ON b.id = m.booking_id
		     JOIN events e ON e.id = m.event_id JOIN courses c ON c.id = e.course_id
		WHERE b.email_key = $1 ORDER BY m.booking_id, m.day, m.session`, key)
	if err != nil {
		return nil, fmt.Errorf("register: marks of a person: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p       PersonMark
			mark    string
			minutes sql.NullInt64
		)
		if err := rows.Scan(&p.BookingID, &p.Course, &p.Day, &p.Session, &mark, &minutes, &p.MarkedAt); err != nil {
			return nil, fmt.Errorf("register: marks of a person: %w", err)
		}
		p.Mark, p.MarkedAt = Mark(mark).Label(), p.MarkedAt.UTC()
		if minutes.Valid {
			n := int(minutes.Int64)
			p.Minutes = &n
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Erase changes nothing: marks hold no name or address (see
// RegisterMarks).
func (RegisterMarks) Erase(context.Context, *sql.Tx, string, time.Time) (int, error) { return 0, nil }
