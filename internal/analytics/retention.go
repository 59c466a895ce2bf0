package analytics

import (
	"context"
	"fmt"
	"time"
	_ "time/tzdata" // the UK zone, on machines without zone files

	"github.com/riverqueue/river"

	"plenary/internal/workdays"
)

// ukZone is the zone of the counts' days.
var ukZone = func() *time.Location {
	zone, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // time/tzdata is linked in
	}
	return zone
}()

// RetentionCutoff is the first UK day whose counts are kept at now when
// counts are kept for days days: the day of now and the days-1 before it
// stay, every earlier day goes.
func RetentionCutoff(now time.Time, days int) workdays.Date {
	return workdays.DateOf(now.In(ukZone)).AddDays(-(days - 1))
}

// EraseOlderThan deletes the counts of the UK days more than days days
// old at now (see RetentionCutoff) and returns how many rows went; days
// 0 or less keeps everything.
func (r *Report) EraseOlderThan(ctx context.Context, now time.Time, days int) (int64, error) {
	if days <= 0 {
		return 0, nil
	}
	return r.EraseBefore(ctx, RetentionCutoff(now, days))
}

// EraseArgs is the periodic job that erases page-view counts older than
// PLENARY_PAGE_VIEW_RETENTION_DAYS.
type EraseArgs struct{}

// Kind names the job in River's tables.
func (EraseArgs) Kind() string { return "page_views_erase" }

type eraseWorker struct {
	river.WorkerDefaults[EraseArgs]
	report *Report
	days   int
	now    func() time.Time
}

func (w *eraseWorker) Work(ctx context.Context, _ *river.Job[EraseArgs]) error {
	if _, err := w.report.EraseOlderThan(ctx, w.now(), w.days); err != nil {
		return fmt.Errorf("page-view retention: %w", err)
	}
	return nil
}

// AddRetention registers the erasure worker with w and returns its
// periodic job (every six hours, and on start); days 0 keeps the counts
// and returns nil. now is the clock (nil: time.Now).
func AddRetention(w *river.Workers, report *Report, days int, now func() time.Time) []*river.PeriodicJob {
	if days <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	river.AddWorker(w, &eraseWorker{report: report, days: days, now: now})
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return EraseArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}
