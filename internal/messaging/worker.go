package messaging

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
)

// DefaultRescueAfter is how long a send may be under way before it is
// taken to have died with its process and is sent again: the default of
// PLENARY_MAIL_RESCUE_AFTER.
const DefaultRescueAfter = time.Minute

// The parts of RescueAfter (R) one attempt may use, so that a live send
// is never taken for a dead one: the job's Timeout is R/2, which bounds
// loading the message and the SMTP conversation (Deliver gives each of
// its two phases at most 2/5 of the time left); recording the outcome
// then has at most R/4. An attempt therefore ends within 3R/4 of its
// start, and nothing rescues it before R.
func sendTimeout(rescueAfter time.Duration) time.Duration   { return rescueAfter / 2 }
func recordTimeout(rescueAfter time.Duration) time.Duration { return rescueAfter / 4 }

// SendWorker sends one message. It loads the message and does nothing if
// it was already sent or kept, so a retried or rescued job never sends it
// twice; otherwise it hands the message to the Mailer and records the
// outcome. A failure is stored on the message (attempts, last error) and
// returned, so River retries with backoff.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	outbox      *Outbox
	mailer      Mailer
	rescueAfter time.Duration
	// observe, when set, is told when each sent message was recorded.
	observe func(Recorded)
}

// Recorded is one message recorded as sent, for SendOptions.Observe.
type Recorded struct {
	ID        int64
	MessageID string    // the Message-ID header
	Accepted  time.Time // when the worker read the server's 250
	Committed time.Time // when the UPDATE marking it sent had committed
}

// SendOptions configure the send worker.
type SendOptions struct {
	// RescueAfter is PLENARY_MAIL_RESCUE_AFTER: how long an attempt may
	// be under way before it is taken to have died with its process. It
	// must be the JobsOptions.RescueAfter of the client that works the
	// jobs. Default DefaultRescueAfter.
	RescueAfter time.Duration
	// Observe, when set, is called after each message is recorded as
	// sent, with the moments that bound the window in which a crash sends
	// it twice. Tests and measurements use it.
	Observe func(Recorded)
}

// Timeout bounds one attempt: half of RescueAfter (see sendTimeout).
func (w *SendWorker) Timeout(*river.Job[SendArgs]) time.Duration {
	return sendTimeout(w.rescueAfter)
}

// Work sends the message of job.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	m, err := w.outbox.load(ctx, job.Args.MessageID)
	if errors.Is(err, ErrNotFound) {
		return river.JobCancel(err) // nothing left to send
	}
	if err != nil {
		return err
	}
	if m.Status == Sent || m.Status == Kept {
		return nil
	}
	if m.ToEmail == "" {
		// Erased at the person's request (People.Erase): to no one.
		return river.JobCancel(errors.New("messaging: the message was erased"))
	}
	status := Sent
	if k, ok := w.mailer.(keeper); ok && k.keeps() {
		status = Kept
	}
	// A message queued with its data is rendered now, outside the
	// transaction that queued it, and stored before it goes, so the mail
	// log shows what was sent. A failure to render counts as a failed
	// attempt.
	if err = w.outbox.saveRendered(ctx, &m); err != nil {
		return w.failed(ctx, job, m.ID, err)
	}
	if m.Status == Sent || m.Status == Kept {
		// Another attempt (a rescued send running beside this one) stored
		// the content first and has sent it since: saveRendered read the
		// message back.
		return nil
	}
	accepted := false
	record := func(reply string) error {
		accepted = true
		at := time.Now()
		err := w.record(ctx, m.ID, status, reply)
		if err == nil && w.observe != nil {
			w.observe(Recorded{ID: m.ID, MessageID: m.MessageID, Accepted: at, Committed: time.Now()})
		}
		return err
	}
	if d, ok := w.mailer.(deliverer); ok {
		err = d.Deliver(ctx, m, record)
	} else if err = w.mailer.Send(ctx, m); err == nil {
		err = record("")
	}
	if err == nil || accepted {
		// Sent and recorded, or sent and not recorded: then River
		// retries, and the retry sends it again (see UnrecordedError).
		return err
	}
	return w.failed(ctx, job, m.ID, err)
}

// failed records a failed attempt at sending message id and returns err
// for River to retry.
func (w *SendWorker) failed(ctx context.Context, job *river.Job[SendArgs], id int64, err error) error {
	final := job.Attempt >= job.MaxAttempts
	if markErr := w.outbox.markAttemptFailed(context.WithoutCancel(ctx), id, err, final); markErr != nil {
		return errors.Join(err, markErr)
	}
	return err
}

// record marks message id delivered. The message has gone, so it keeps
// trying even if the job's context has just ended, for at most
// recordTimeout: a briefly busy or unreachable database must not make a
// retry send the message again.
func (w *SendWorker) record(ctx context.Context, id int64, status Status, reply string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout(w.rescueAfter))
	defer cancel()
	wait := 50 * time.Millisecond
	for {
		err := w.outbox.markDelivered(ctx, id, status, reply)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}
