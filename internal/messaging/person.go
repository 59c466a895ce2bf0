package messaging

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// ErasedSubject replaces the subject of an erased message.
const ErasedSubject = "[erased]"

// erasedError is the last error of a queued message erased before it went.
const erasedError = "erased at the person's request before it was sent"

// People is messaging's part of a person's data (see package person): the
// messages to an address and their attachments. An erasure keeps each
// message's row — its kind, dedupe key (so nothing is ever sent twice),
// subject reference, status and times, which the mail log's counts need —
// and blanks the recipient, subject, bodies, data and attachments. A
// message still queued is not sent.
type People struct{}

// PersonMessage is one message as an export shows it.
type PersonMessage struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	SubjectRef  string    `json:"about,omitempty"`
	ToName      string    `json:"to_name"`
	ToEmail     string    `json:"to_email"`
	Subject     string    `json:"subject"`
	Text        string    `json:"text"`
	Status      Status    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	SentAt      time.Time `json:"sent_at,omitzero"`
	Attachments []string  `json:"attachments,omitempty"`
}

// Export returns the messages to email, whatever its case, oldest first.
func (People) Export(ctx context.Context, q database.Querier, email string) (any, error) {
	ids, err := messagesTo(ctx, q, email)
	if err != nil {
		return nil, err
	}
	out := []PersonMessage{}
	err = database.InBatches(ids, func(marks string, args []any) error {
		rows, err := q.QueryContext(ctx, `SELECT id, kind, subject_ref, to_name, to_email, subject, text_body, status,
			created_at, sent_at FROM messages WHERE id IN (`+marks+`) ORDER BY id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m PersonMessage
			var sent sql.NullTime
			if err := rows.Scan(&m.ID, &m.Kind, &m.SubjectRef, &m.ToName, &m.ToEmail, &m.Subject, &m.Text, &m.Status,
				&m.CreatedAt, &sent); err != nil {
				return err
			}
			m.CreatedAt, m.SentAt = m.CreatedAt.UTC(), sent.Time.UTC()
			if !sent.Valid {
				m.SentAt = time.Time{}
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("messaging: export: %w", err)
	}
	for i := range out {
		rows, err := q.QueryContext(ctx, `SELECT filename FROM message_attachments WHERE message_id = $1 ORDER BY position`, out[i].ID)
		if err != nil {
			return nil, fmt.Errorf("messaging: export: %w", err)
		}
		for rows.Next() {
			var f string
			if err := rows.Scan(&f); err != nil {
				rows.Close()
				return nil, err
			}
			out[i].Attachments = append(out[i].Attachments, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Erase blanks the messages to email and returns how many.
func (People) Erase(ctx context.Context, tx *sql.Tx, email string, _ time.Time) (int, error) {
	ids, err := messagesTo(ctx, tx, email)
	if err != nil {
		return 0, err
	}
	if err := blank(ctx, tx, ids, true); err != nil {
		return 0, fmt.Errorf("messaging: erase: %w", err)
	}
	return len(ids), nil
}

// RedactSubjects blanks the content of the messages about subjects (the
// staff notices that name a person, say), keeping their recipients, and
// returns how many. The caller names its own subjects ("booking/42").
func RedactSubjects(ctx context.Context, tx *sql.Tx, subjects []string) (int, error) {
	var ids []int64
	err := database.InBatches(subjects, func(marks string, args []any) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM messages WHERE subject_ref IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	if err == nil {
		err = blank(ctx, tx, ids, false)
	}
	if err != nil {
		return 0, fmt.Errorf("messaging: redact: %w", err)
	}
	return len(ids), nil
}

// RedactMentions blanks the content of the messages whose subject, text,
// HTML or data mention one of terms (a person's name or address, as they
// typed it): a daily digest or a staff notice that named them. The
// recipients stay. It returns how many messages changed. The match is
// LIKE's (on PostgreSQL it minds case; names are written into messages as
// they were typed).
func RedactMentions(ctx context.Context, tx *sql.Tx, terms []string) (int, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, term := range terms {
		if strings.TrimSpace(term) == "" {
			continue
		}
		like := "%" + likeEscape(term) + "%"
		rows, err := tx.QueryContext(ctx, `SELECT id FROM messages WHERE subject <> $2 AND (subject LIKE $1 ESCAPE '\'
			OR text_body LIKE $1 ESCAPE '\' OR html_body LIKE $1 ESCAPE '\' OR render_data LIKE $1 ESCAPE '\')`, like, ErasedSubject)
		if err != nil {
			return 0, fmt.Errorf("messaging: redact mentions: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return 0, err
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
	}
	if err := blank(ctx, tx, ids, false); err != nil {
		return 0, fmt.Errorf("messaging: redact mentions: %w", err)
	}
	return len(ids), nil
}

// blank empties the content of the messages with ids (and, with
// recipient, who they were to); a queued one fails, so it is never sent.
func blank(ctx context.Context, tx *sql.Tx, ids []int64, recipient bool) error {
	set := `subject = $1, text_body = '', html_body = '', render_data = '', server_reply = ''`
	if recipient {
		set += `, to_name = '', to_email = '', to_search = ''`
	}
	return database.InBatches(ids, func(marks string, args []any) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM message_attachments WHERE message_id IN (`+marks+`)`, args...); err != nil {
			return err
		}
		in := shiftMarks(len(args), 4)
		all := append([]any{ErasedSubject, string(Failed), erasedError}, args...)
		_, err := tx.ExecContext(ctx, `UPDATE messages SET `+set+`,
			last_error = CASE WHEN status = 'queued' THEN $3 ELSE last_error END,
			status = CASE WHEN status = 'queued' THEN $2 ELSE status END
			WHERE id IN (`+in+`)`, all...)
		return err
	})
}

// shiftMarks writes n placeholders starting at $from.
func shiftMarks(n, from int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(parts, ", ")
}

// messagesTo returns the IDs of the messages to email, whatever its case:
// to_search holds the recipient folded, and Go compares.
func messagesTo(ctx context.Context, q database.Querier, email string) ([]int64, error) {
	needle := searchText(email)
	if needle == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, to_email FROM messages WHERE to_search LIKE $1 ESCAPE '\' ORDER BY id`,
		"%"+likeEscape(needle)+"%")
	if err != nil {
		return nil, fmt.Errorf("messaging: messages to an address: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var to string
		if err := rows.Scan(&id, &to); err != nil {
			return nil, err
		}
		if strings.EqualFold(strings.TrimSpace(to), strings.TrimSpace(email)) {
			ids = append(ids, id)
		}
	}
	return ids, rows.Err()
}
