package messaging

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// bodiesErased is what the audit log records of a run of EraseBodies.
type bodiesErased struct {
	Messages  int       `json:"messages"`
	SentUntil time.Time `json:"sent_before"`
}

// EraseBodies erases the text, HTML, data and attachments of the messages
// sent (or kept by the dev mailbox) more than retention ago, for actor
// (the retention job), and returns how many. The rows stay: the mail log
// still shows who each went to, its subject, and when; a queued or
// failed message (which may yet be retried) is never touched. A run that erases something is audited
// (message.erase_bodies) in the same transaction, with the count.
func (o *Outbox) EraseBodies(ctx context.Context, retention time.Duration, actor audit.Actor) (int, error) {
	now := o.now()
	cutoff := now.Add(-retention)
	var n int
	err := database.InTx(ctx, o.db, func(tx *sql.Tx) error {
		ids, err := idsOf(ctx, tx, `SELECT id FROM messages
			WHERE status IN ($1, $2) AND sent_at < $3
			AND (text_body <> '' OR html_body <> '' OR render_data <> ''
				OR id IN (SELECT message_id FROM message_attachments))`, string(Sent), string(Kept), cutoff)
		if err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		err = database.InBatches(ids, func(marks string, args []any) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM message_attachments WHERE message_id IN (`+marks+`)`, args...); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE messages SET text_body = '', html_body = '', render_data = ''
				WHERE id IN (`+marks+`)`, args...)
			return err
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, "message.erase_bodies", "message", 0, nil,
			bodiesErased{Messages: n, SentUntil: cutoff}, "")
	})
	if err != nil {
		return 0, fmt.Errorf("messaging: erase bodies: %w", err)
	}
	return n, nil
}

func idsOf(ctx context.Context, q database.Querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// EraseBodiesArgs is the periodic job that erases the bodies of e-mails
// older than PLENARY_MESSAGE_BODY_RETENTION_DAYS.
type EraseBodiesArgs struct{}

// Kind names the job in River's tables.
func (EraseBodiesArgs) Kind() string { return "message_erase_bodies" }

type eraseBodiesWorker struct {
	river.WorkerDefaults[EraseBodiesArgs]
	outbox    *Outbox
	retention time.Duration
}

func (w *eraseBodiesWorker) Work(ctx context.Context, _ *river.Job[EraseBodiesArgs]) error {
	_, err := w.outbox.EraseBodies(ctx, w.retention, audit.Job(EraseBodiesArgs{}.Kind()))
	return err
}

// AddRetention registers the body-erasure worker with w and returns its
// periodic job (every six hours, and on start); retention 0 keeps bodies
// and returns nil.
func AddRetention(w *river.Workers, outbox *Outbox, retention time.Duration) []*river.PeriodicJob {
	if retention <= 0 {
		return nil
	}
	river.AddWorker(w, &eraseBodiesWorker{outbox: outbox, retention: retention})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return EraseBodiesArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}
