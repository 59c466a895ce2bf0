package lists

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// People is what lists hold about a person, for a request for their
// data (package person): their subscriptions and the consent evidence of
// each. It holds no state; cmd/plenary registers it before the audit log.
type People struct{}

// PersonSubscription is one subscription as an export shows it, with its
// consent evidence, oldest step first.
type PersonSubscription struct {
	ID          int64            `json:"id"`
	Email       string           `json:"email"`
	Name        string           `json:"name,omitempty"`
	Target      string           `json:"target"`
	Status      string           `json:"status"`
	RequestedAt time.Time        `json:"requested_at"`
	ConfirmedAt time.Time        `json:"confirmed_at,omitzero"`
	WithdrawnAt time.Time        `json:"withdrawn_at,omitzero"`
	Evidence    []PersonEvidence `json:"evidence"`
}

// PersonEvidence is one step of a subscription's consent evidence.
type PersonEvidence struct {
	Step           string    `json:"step"`
	What           string    `json:"what"`
	WordingVersion string    `json:"wording_version,omitempty"`
	WordingSHA256  string    `json:"wording_sha256,omitempty"`
	Source         string    `json:"source"`
	How            string    `json:"how,omitempty"`
	At             time.Time `json:"at"`
	SourceNote     string    `json:"source_note,omitempty"`
	ConsentedOn    string    `json:"consented_on,omitempty"`
}

// Export returns the subscriptions of email, whatever its case, with
// their evidence.
func (People) Export(ctx context.Context, q database.Querier, email string) (any, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	out := []PersonSubscription{}
	rows, err := q.QueryContext(ctx, `SELECT id, email, name, target_key, status, requested_at, confirmed_at, withdrawn_at
		FROM list_subscriptions WHERE email_key = $1 ORDER BY id`, key)
	if err != nil {
		return nil, fmt.Errorf("lists: export: %w", err)
	}
	for rows.Next() {
		var s PersonSubscription
		var confirmed, withdrawn sql.NullTime
		if err := rows.Scan(&s.ID, &s.Email, &s.Name, &s.Target, &s.Status, &s.RequestedAt, &confirmed, &withdrawn); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lists: export: %w", err)
		}
		s.RequestedAt, s.ConfirmedAt, s.WithdrawnAt = s.RequestedAt.UTC(), utcOrZero(confirmed), utcOrZero(withdrawn)
		s.Evidence = []PersonEvidence{}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lists: export: %w", err)
	}
	for i := range out {
		ev, err := q.QueryContext(ctx, `SELECT step, what, wording_version, wording_sha256, source, how, at, source_note, consented_on
			FROM list_consent_evidence WHERE subscription_id = $1 ORDER BY id`, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("lists: export: %w", err)
		}
		for ev.Next() {
			var e PersonEvidence
			if err := ev.Scan(&e.Step, &e.What, &e.WordingVersion, &e.WordingSHA256, &e.Source, &e.How, &e.At, &e.SourceNote, &e.ConsentedOn); err != nil {
				ev.Close()
				return nil, fmt.Errorf("lists: export: %w", err)
			}
			e.At = e.At.UTC()
			out[i].Evidence = append(out[i].Evidence, e)
		}
		ev.Close()
		if err := ev.Err(); err != nil {
			return nil, fmt.Errorf("lists: export: %w", err)
		}
	}
	return out, nil
}

// Erase deletes the subscriptions of email, whatever its case, and their
// consent evidence, and the record of what list mail the address was
// sent (list_sent, list_mail_last): once the person asks to be forgotten
// there is nobody to send to, and the evidence names them. It returns how
// many rows went.
func (People) Erase(ctx context.Context, tx *sql.Tx, email string, _ time.Time) (int, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	ev, err := tx.ExecContext(ctx, `DELETE FROM list_consent_evidence WHERE subscription_id IN
		(SELECT id FROM list_subscriptions WHERE email_key = $1)`, key)
	if err != nil {
		return 0, fmt.Errorf("lists: erase: %w", err)
	}
	subs, err := tx.ExecContext(ctx, `DELETE FROM list_subscriptions WHERE email_key = $1`, key)
	if err != nil {
		return 0, fmt.Errorf("lists: erase: %w", err)
	}
	n1, _ := ev.RowsAffected()
	n2, _ := subs.RowsAffected()
	for _, table := range []string{"list_sent", "list_mail_last"} {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE email_key = $1`, key)
		if err != nil {
			return 0, fmt.Errorf("lists: erase: %w", err)
		}
		n, _ := res.RowsAffected()
		n2 += n
	}
	return int(n1 + n2), nil
}

func utcOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
