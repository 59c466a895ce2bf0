package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// People is what lists hold about a person, for a request for their
// data (package person): their subscriptions and the consent evidence of
// each, and the record of the list mail their address was sent (which
// dates and freed places, when; the last list e-mail). It holds no
// state; cmd/plenary registers it before the audit log.
type People struct{}

// PersonLists is the lists' part of a person's data.
type PersonLists struct {
	Subscriptions []PersonSubscription `json:"subscriptions"`
	// Announced is every date (or a date's place freeing up) told to the
	// address in a list e-mail, oldest first.
	Announced []PersonAnnounced `json:"announced"`
	// LastListEmail is when the address was last sent a list e-mail (it
	// holds back the next for a day), and that e-mail in the mail log.
	LastListEmail *PersonLastMail `json:"last_list_email,omitempty"`
}

// PersonAnnounced is one item of a list e-mail sent to the address.
type PersonAnnounced struct {
	Kind    string    `json:"kind"` // "date" (a new date) or "freed" (a place free again)
	EventID int64     `json:"event_id"`
	Round   int       `json:"round,omitempty"` // which freeing of the date
	SentAt  time.Time `json:"sent_at"`
}

// PersonLastMail is the address's last list e-mail.
type PersonLastMail struct {
	At        time.Time `json:"at"`
	MessageID int64     `json:"message_id,omitempty"`
}

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
// their evidence, and the list mail the address was sent (PersonLists).
func (People) Export(ctx context.Context, q database.Querier, email string) (any, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	subs, err := exportSubscriptions(ctx, q, key)
	if err != nil {
		return nil, err
	}
	out := PersonLists{Subscriptions: subs, Announced: []PersonAnnounced{}}
	rows, err := q.QueryContext(ctx, `SELECT kind, event_id, round, sent_at FROM list_sent WHERE email_key = $1
		ORDER BY sent_at, event_id, kind, round`, key)
	if err != nil {
		return nil, fmt.Errorf("lists: export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a PersonAnnounced
		if err := rows.Scan(&a.Kind, &a.EventID, &a.Round, &a.SentAt); err != nil {
			return nil, fmt.Errorf("lists: export: %w", err)
		}
		a.SentAt = a.SentAt.UTC()
		out.Announced = append(out.Announced, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lists: export: %w", err)
	}
	var last PersonLastMail
	err = q.QueryRowContext(ctx, `SELECT last_at, message_id FROM list_mail_last WHERE email_key = $1`, key).Scan(&last.At, &last.MessageID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("lists: export: %w", err)
	default:
		last.At = last.At.UTC()
		out.LastListEmail = &last
	}
	return out, nil
}

// exportSubscriptions returns the subscriptions of the address key with
// their evidence.
func exportSubscriptions(ctx context.Context, q database.Querier, key string) ([]PersonSubscription, error) {
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
