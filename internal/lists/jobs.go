package lists

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// ForgetArgs is the periodic job that forgets requests never confirmed
// (see Service.ForgetUnconfirmed).
type ForgetArgs struct{}

// Kind names the job in River's tables.
func (ForgetArgs) Kind() string { return "lists_forget_unconfirmed" }

type forgetWorker struct {
	river.WorkerDefaults[ForgetArgs]
	svc *Service
}

func (w *forgetWorker) Work(ctx context.Context, _ *river.Job[ForgetArgs]) error {
	_, err := w.svc.ForgetUnconfirmed(ctx)
	return err
}

// AnnounceArgs is the periodic scan that sends list mail (see
// Service.Announce). Any instance may run it, and two at once send
// nothing twice.
type AnnounceArgs struct{}

// Kind names the job in River's tables.
func (AnnounceArgs) Kind() string { return "lists_announce" }

type announceWorker struct {
	river.WorkerDefaults[AnnounceArgs]
	svc *Service
}

// Timeout lets a run over many subscribers finish (River's default is a
// minute).
func (w *announceWorker) Timeout(*river.Job[AnnounceArgs]) time.Duration { return 10 * time.Minute }

func (w *announceWorker) Work(ctx context.Context, _ *river.Job[AnnounceArgs]) error {
	_, err := w.svc.Announce(ctx)
	return err
}

// AnnounceEvery is how often the list-mail scan runs.
const AnnounceEvery = time.Minute

// AddWorkers registers the lists' workers with w and returns their
// periodic jobs: forgetting unconfirmed requests every hour (and on
// start), and the list-mail scan every AnnounceEvery.
func AddWorkers(w *river.Workers, svc *Service) []*river.PeriodicJob {
	river.AddWorker(w, &forgetWorker{svc: svc})
	river.AddWorker(w, &announceWorker{svc: svc})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(AnnounceEvery),
			func() (river.JobArgs, *river.InsertOpts) { return AnnounceArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return ForgetArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}
