package booking

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/audit"
)

// ExpireOffersArgs is the periodic job that lapses offers whose hold has
// run out and passes each place to the next person waiting.
type ExpireOffersArgs struct{}

// Kind names the job in River's tables.
func (ExpireOffersArgs) Kind() string { return "booking_expire_offers" }

// EraseAccessNeedsArgs is the daily job that erases access needs once the
// retention period after an event has passed.
type EraseAccessNeedsArgs struct{}

// Kind names the job in River's tables.
func (EraseAccessNeedsArgs) Kind() string { return "booking_erase_access_needs" }

// SendDueArgs is the periodic job that queues the timed messages whose
// time has come: joining instructions, reminders and thank-yous (see
// Service.SendDue).
type SendDueArgs struct{}

// Kind names the job in River's tables.
func (SendDueArgs) Kind() string { return "booking_send_due" }

// DigestArgs is the periodic job that sends the daily digest of what
// needs attention once its time has come (see Service.SendDigest).
type DigestArgs struct{}

// Kind names the job in River's tables.
func (DigestArgs) Kind() string { return "booking_attention_digest" }

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	svc *Service
}

func (w *digestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	_, err := w.svc.SendDigest(ctx, audit.Job(DigestArgs{}.Kind()))
	return err
}

type sendDueWorker struct {
	river.WorkerDefaults[SendDueArgs]
	svc *Service
}

func (w *sendDueWorker) Work(ctx context.Context, _ *river.Job[SendDueArgs]) error {
	_, err := w.svc.SendDue(ctx, audit.Job(SendDueArgs{}.Kind()))
	return err
}

type expireOffersWorker struct {
	river.WorkerDefaults[ExpireOffersArgs]
	svc *Service
}

func (w *expireOffersWorker) Work(ctx context.Context, _ *river.Job[ExpireOffersArgs]) error {
	_, err := w.svc.ExpireOffers(ctx, audit.Job(ExpireOffersArgs{}.Kind()))
	return err
}

type eraseAccessNeedsWorker struct {
	river.WorkerDefaults[EraseAccessNeedsArgs]
	svc       *Service
	retention time.Duration
}

func (w *eraseAccessNeedsWorker) Work(ctx context.Context, _ *river.Job[EraseAccessNeedsArgs]) error {
	_, err := w.svc.EraseAccessNeeds(ctx, w.retention, audit.Job(EraseAccessNeedsArgs{}.Kind()))
	return err
}

// AddWorkers registers booking's workers with w and returns the periodic
// jobs that drive them: offer expiry, the timed messages (joining
// instructions, reminders, thank-yous) and the daily digest's check every
// minute, access-needs erasure
// every six hours (all also on start). retention is how long after an
// event its bookings' access needs are kept.
func AddWorkers(w *river.Workers, svc *Service, retention time.Duration) []*river.PeriodicJob {
	river.AddWorker(w, &expireOffersWorker{svc: svc})
	river.AddWorker(w, &eraseAccessNeedsWorker{svc: svc, retention: retention})
	river.AddWorker(w, &sendDueWorker{svc: svc})
	river.AddWorker(w, &digestWorker{svc: svc})
	periodic := func(every time.Duration, args river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{RunOnStart: true})
	}
	return []*river.PeriodicJob{
		periodic(time.Minute, ExpireOffersArgs{}),
		periodic(time.Minute, SendDueArgs{}),
		periodic(time.Minute, DigestArgs{}),
		periodic(6*time.Hour, EraseAccessNeedsArgs{}),
	}
}
