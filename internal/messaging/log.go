package messaging

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// What the staff mail log does to messages: send a failed one again
// (Retry) and send a new copy of a delivered one (Resend). Both are
// audited (object "message") in the transaction that changes the
// outbox, and both insert the send job there, as Enqueue does.

// ErrNotFailed is returned by Retry for a message that has not failed.
var ErrNotFailed = errors.New("messaging: only a failed message can be retried")

// ErrStillFinishing is returned by Retry when the failed attempt's send
// job is still being put away; a moment later the retry can be made.
var ErrStillFinishing = errors.New("messaging: the last attempt is still finishing; try again in a moment")

// ErrNotDelivered is returned by Resend for a message that was not sent
// or kept: a queued message is still on its way, a failed one is retried.
var ErrNotDelivered = errors.New("messaging: only a sent or kept message can be sent again")

// searchText is how a recipient is stored and matched for the mail log's
// search: name and address lowercased by Go (Unicode), so both engines
// compare the same strings.
func searchText(parts ...string) string {
	return strings.ToLower(strings.TrimSpace(strings.Join(parts, " ")))
}

// likeEscape escapes LIKE's wildcards with a backslash (ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// messageState is what the audit log records of a message around a
// retry.
type messageState struct {
	Status    Status `json:"status"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
}

// Retry puts a failed message back in the queue with a new send job, in
// one transaction with its audit entry ("message.retry"). The message
// keeps its attempts so far (the log shows how often it has been tried
// in all) and its last error until the next attempt replaces it; the new
// job gets River's full round of attempts. A message that is not failed
// (someone else retried it first) returns ErrNotFailed.
func (o *Outbox) Retry(ctx context.Context, id int64, actor audit.Actor) error {
	if o.jobs == nil {
		return errors.New("messaging: retry: the outbox has no job client")
	}
	return database.InTx(ctx, o.db, func(tx *sql.Tx) error {
		var before messageState
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status, attempts, last_error FROM messages WHERE id = $1`, id).
			Scan(&status, &before.Attempts, &before.LastError)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %d", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("messaging: retry %d: %w", id, err)
		}
		before.Status = Status(status)
		now := o.now()
		res, err := tx.ExecContext(ctx, `UPDATE messages SET status = $1, scheduled_at = $2 WHERE id = $3 AND status = $4`,
			string(Queued), now, id, string(Failed))
		if err != nil {
			return fmt.Errorf("messaging: retry %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("messaging: retry %d: %w", id, err)
			}
			return ErrNotFailed
		}
		res2, err := o.jobs.InsertTx(ctx, tx, SendArgs{MessageID: id}, nil)
		if err != nil {
			return fmt.Errorf("messaging: retry %d: send job: %w", id, err)
		}
		if res2.UniqueSkippedAsDuplicate {
			// The last attempt's job has not finished being put away
			// (it records the failure, then River discards the job): a
			// moment later the retry can go. Roll back rather than leave
			// the message queued with no job to send it.
			return ErrStillFinishing
		}
		after := before
		after.Status = Queued
		return audit.Record(ctx, tx, now, actor, "message.retry", "message", id, before, after, "")
	})
}

// Resend queues a new copy of a sent or kept message to the same person,
// under a new dedupe key and Message-ID, in one transaction with its
// audit entry ("message.resend", on the original, naming the copy). The
// copy says what the original said: a message still holding its data is
// queued with that data (rendered when it goes); one already rendered is
// queued with its stored content — the text the person received, manage
// link included, which stays valid as long as the booking's link does.
// It returns the copy's ID.
func (o *Outbox) Resend(ctx context.Context, id int64, actor audit.Actor) (int64, error) {
	orig, err := o.load(ctx, id)
	if err != nil {
		return 0, err
	}
	if orig.Status != Sent && orig.Status != Kept {
		return 0, ErrNotDelivered
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return 0, fmt.Errorf("messaging: resend %d: %w", id, err)
	}
	cp := Message{Kind: orig.Kind, DedupeKey: orig.DedupeKey + "/resend/" + hex.EncodeToString(b), SubjectRef: orig.SubjectRef,
		From: orig.From, ReplyTo: orig.ReplyTo, ToName: orig.ToName, ToEmail: orig.ToEmail,
		Marketing: orig.Marketing, ListUnsubscribe: orig.ListUnsubscribe,
		ListUnsubscribeMailto: orig.ListUnsubscribeMailto}
	if len(orig.Data) > 0 {
		cp.Data = orig.Data
	} else {
		cp.Subject, cp.Text, cp.HTML, cp.Attachments = orig.Subject, orig.Text, orig.HTML, orig.Attachments
	}
	var newID int64
	err = database.InTx(ctx, o.db, func(tx *sql.Tx) error {
		var created bool
		var err error
		newID, created, err = o.Enqueue(ctx, tx, cp)
		if err != nil {
			return err
		}
		if !created {
			return fmt.Errorf("messaging: resend %d: dedupe key %s already used", id, cp.DedupeKey)
		}
		return audit.Record(ctx, tx, o.now(), actor, "message.resend", "message", id,
			map[string]any{"status": orig.Status}, map[string]any{"status": orig.Status, "copy": newID}, "")
	})
	if err != nil {
		return 0, fmt.Errorf("messaging: resend %d: %w", id, err)
	}
	return newID, nil
}
