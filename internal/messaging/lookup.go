package messaging

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"plenary/internal/database"
)

// The lookups below are how other packages ask about messages: by dedupe
// key, by subject and kind, or for failing ones. They take a Querier, so a
// caller can ask inside the transaction that is about to queue more; only
// this package writes SQL on the messages table.

// Delivery is how one message stands, without its content.
type Delivery struct {
	ID         int64
	Kind       string
	DedupeKey  string
	SubjectRef string
	ToEmail    string
	Subject    string
	Status     Status
	Attempts   int
	LastError  string
	SentAt     time.Time // zero until sent or kept
	CreatedAt  time.Time
}

const deliveryColumns = `id, kind, dedupe_key, subject_ref, to_email, subject, status, attempts, last_error, sent_at, created_at`

// Deliveries returns the messages with the given dedupe keys, by key. Keys
// with no message are left out.
func Deliveries(ctx context.Context, q database.Querier, keys []string) (map[string]Delivery, error) {
	out := map[string]Delivery{}
	err := database.InBatches(keys, func(marks string, args []any) error {
		return scanDeliveries(ctx, q, `SELECT `+deliveryColumns+` FROM messages WHERE dedupe_key IN (`+marks+`)`, args,
			func(d Delivery) { out[d.DedupeKey] = d })
	})
	if err != nil {
		return nil, fmt.Errorf("messaging: deliveries: %w", err)
	}
	return out, nil
}

// OfKind returns the messages of kind about each of the subjects, oldest
// first, by subject. Subjects with none are left out.
func OfKind(ctx context.Context, q database.Querier, kind string, subjects []string) (map[string][]Delivery, error) {
	out := map[string][]Delivery{}
	err := database.InBatches(subjects, func(marks string, args []any) error {
		n := strconv.Itoa(len(args) + 1)
		return scanDeliveries(ctx, q, `SELECT `+deliveryColumns+` FROM messages
			WHERE subject_ref IN (`+marks+`) AND kind = $`+n+` ORDER BY id`, append(args, kind),
			func(d Delivery) { out[d.SubjectRef] = append(out[d.SubjectRef], d) })
	})
	if err != nil {
		return nil, fmt.Errorf("messaging: %s messages: %w", kind, err)
	}
	return out, nil
}

// FailingSubjects reports which of the subjects have mail failing: a
// message about them failed for good and none was delivered (sent, or
// kept in the dev mailbox) after it. Subjects without failing mail are
// left out.
func FailingSubjects(ctx context.Context, q database.Querier, subjects []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := database.InBatches(subjects, func(marks string, args []any) error {
		n := len(args)
		query := fmt.Sprintf(`SELECT DISTINCT mf.subject_ref FROM messages mf
			WHERE mf.subject_ref IN (%s) AND mf.status = $%d
			AND NOT EXISTS (SELECT 1 FROM messages md WHERE md.subject_ref = mf.subject_ref AND md.id > mf.id
				AND md.status IN ($%d, $%d))`, marks, n+1, n+2, n+3)
		rows, err := q.QueryContext(ctx, query, append(args, string(Failed), string(Sent), string(Kept))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ref string
			if err := rows.Scan(&ref); err != nil {
				return err
			}
			out[ref] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("messaging: failing subjects: %w", err)
	}
	return out, nil
}

// Failing returns the messages that failed for good or are failing and
// will be tried again (queued with an error), oldest first.
func Failing(ctx context.Context, q database.Querier) ([]Delivery, error) {
	var out []Delivery
	err := scanDeliveries(ctx, q, `SELECT `+deliveryColumns+` FROM messages
		WHERE status = $1 OR (status = $2 AND last_error <> '') ORDER BY id`, []any{string(Failed), string(Queued)},
		func(d Delivery) { out = append(out, d) })
	if err != nil {
		return nil, fmt.Errorf("messaging: failing messages: %w", err)
	}
	return out, nil
}

func scanDeliveries(ctx context.Context, q database.Querier, query string, args []any, each func(Delivery)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d Delivery
		var status string
		var sent sql.NullTime
		if err := rows.Scan(&d.ID, &d.Kind, &d.DedupeKey, &d.SubjectRef, &d.ToEmail, &d.Subject, &status, &d.Attempts,
			&d.LastError, &sent, &d.CreatedAt); err != nil {
			return err
		}
		d.Status, d.CreatedAt = Status(status), d.CreatedAt.UTC()
		if sent.Valid {
			d.SentAt = sent.Time.UTC()
		}
		each(d)
	}
	return rows.Err()
}
