package messaging

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
)

// SendWorker sends one message. It loads the message and does nothing if
// it was already sent or kept, so a retried or rescued job never sends it
// twice; otherwise it hands the message to the Mailer and records the
// outcome. A failure is stored on the message (attempts, last error) and
// returned, so River retries with backoff.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	outbox *Outbox
	mailer Mailer
}

// Timeout bounds one attempt, SMTP conversation included.
func (w *SendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return 2 * time.Minute }

// Work sends the message of job.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	m, err := w.outbox.Message(ctx, job.Args.MessageID)
	if errors.Is(err, ErrNotFound) {
		return river.JobCancel(err) // nothing left to send
	}
	if err != nil {
		return err
	}
	if m.Status == Sent || m.Status == Kept {
		return nil
	}
	if err := w.mailer.Send(ctx, m); err != nil {
		final := job.Attempt >= job.MaxAttempts
		if markErr := w.outbox.markAttemptFailed(context.WithoutCancel(ctx), m.ID, err, final); markErr != nil {
			return errors.Join(err, markErr)
		}
		return err
	}
	status := Sent
	if k, ok := w.mailer.(keeper); ok && k.keeps() {
		status = Kept
	}
	// The message has gone: record it even if the job's context has just
	// ended, and try hard, or a retry would send it again.
	ctx = context.WithoutCancel(ctx)
	for try := 1; ; try++ {
		err = w.outbox.markDelivered(ctx, m.ID, status)
		if err == nil || try == 3 {
			return err
		}
		time.Sleep(time.Duration(try) * time.Second)
	}
}
