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

// AddWorkers registers the lists' workers with w and returns their
// periodic jobs: forgetting unconfirmed requests every hour (and on
// start).
func AddWorkers(w *river.Workers, svc *Service) []*river.PeriodicJob {
	river.AddWorker(w, &forgetWorker{svc: svc})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return ForgetArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
	}
}
