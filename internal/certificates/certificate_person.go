package certificates

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// People is what the certificates hold about a person, for a request for
// their data (package person): the certificates issued to their address.
// It holds no state; cmd/plenary registers it before the audit log.
//
// An erasure blanks the name and the address on each certificate and
// revokes the valid ones ("erased at the person's request"): a
// certificate whose holder can no longer be named cannot vouch for
// anyone, and its verification page says it was revoked, and when.
type People struct{}

// PersonCertificate is one certificate as an export shows it.
type PersonCertificate struct {
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Course     string    `json:"course"`
	Dates      string    `json:"dates"`
	CPDHours   string    `json:"cpd_hours"`
	Provider   string    `json:"provider"`
	IssuedAt   time.Time `json:"issued_at"`
	State      State     `json:"state"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	ReplacedBy string    `json:"replaced_by,omitempty"`
	VerifyPath string    `json:"verify_path"`
	BookingID  int64     `json:"booking"`
}

// erasedName is what an erased certificate shows for the name.
const erasedName = "[erased]"

// Export returns the certificates issued to email, whatever its case
// (A–Z folded on both engines).
func (People) Export(ctx context.Context, q database.Querier, email string) (any, error) {
	list, err := ofEmail(ctx, q, email)
	if err != nil {
		return nil, err
	}
	out := []PersonCertificate{}
	for _, c := range list {
		out = append(out, PersonCertificate{Code: c.DisplayCode(), Name: c.Name, Email: c.Email, Course: c.CourseTitle,
			Dates: c.Dates, CPDHours: c.Hours(), Provider: c.Provider, IssuedAt: c.IssuedAt, State: c.State,
			RevokedAt: c.RevokedAt, ReplacedBy: DisplayCode(c.ReplacedCode), VerifyPath: "/verify/" + c.DisplayCode(),
			BookingID: c.BookingID})
	}
	return out, nil
}

// Erase blanks the name and address of email's certificates and revokes
// the valid ones, in tx; it returns how many certificates it changed.
func (People) Erase(ctx context.Context, tx *sql.Tx, email string, now time.Time) (int, error) {
	list, err := ofEmail(ctx, tx, email)
	if err != nil {
		return 0, err
	}
	for _, c := range list {
		state, revokedAt, reason := c.State, sql.NullTime{Time: c.RevokedAt, Valid: !c.RevokedAt.IsZero()}, c.RevokedReason
		if state == Valid {
			state, revokedAt, reason = Revoked, sql.NullTime{Time: now.UTC(), Valid: true}, "erased at the person's request"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE certificates SET name = $1, email = '', state = $2, revoked_at = $3,
			revoked_reason = $4 WHERE id = $5`, erasedName, string(state), revokedAt, reason, c.ID); err != nil {
			return 0, fmt.Errorf("certificates: erase: %w", err)
		}
	}
	return len(list), nil
}

func ofEmail(ctx context.Context, q database.Querier, email string) ([]Certificate, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	if key == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, selectCertificate+` WHERE lower(c.email) = $1 ORDER BY c.id`, key)
	if err != nil {
		return nil, fmt.Errorf("certificates: of a person: %w", err)
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		c, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("certificates: of a person: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
