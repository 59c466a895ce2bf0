package messaging

import (
	"context"
	"fmt"
	"time"

	"plenary/internal/database"
)

// RescueSends makes send jobs that have been running for longer than
// rescueAfter available to run again, and returns how many it moved.
// Such a job belongs to a process that died (a crash, kill -9, power
// loss): a live attempt ends within 3/4 of rescueAfter (see
// SendOptions), so no live send is ever taken.
//
// River's own rescuer does the same for every kind of job, but only on
// the elected leader, once every 30 seconds, and it waits for the dead
// leader's lease (about 15 s) to run out first; RescueSends runs in every
// process that works jobs, at its start and every rescueAfter/4, so a
// message left in flight by a crash goes again at most rescueAfter plus
// a quarter of it after its attempt began. A job on its last attempt is
// left to River's rescuer, which discards it.
func RescueSends(ctx context.Context, db *database.DB, rescueAfter time.Duration, now time.Time) (int64, error) {
	var horizon any = now.Add(-rescueAfter).UTC()
	if db.Dialect == database.SQLite {
		// riversqlite keeps times as text in this one format and compares
		// them as text.
		horizon = now.Add(-rescueAfter).UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
	}
	res, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available'
		WHERE kind = $1 AND state = 'running' AND attempted_at < $2 AND attempt < max_attempts`,
		SendArgs{}.Kind(), horizon)
	if err != nil {
		return 0, fmt.Errorf("messaging: rescue stuck sends: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("messaging: rescue stuck sends: %w", err)
	}
	return n, nil
}

// KeepRescuingSends runs RescueSends at once and then every rescueAfter/4
// until ctx ends. report, when set, is told of each pass that moved jobs
// or failed (main logs it).
func KeepRescuingSends(ctx context.Context, db *database.DB, rescueAfter time.Duration, report func(rescued int64, err error)) {
	if rescueAfter <= 0 {
		rescueAfter = DefaultRescueAfter
	}
	tick := time.NewTicker(rescueAfter / 4)
	defer tick.Stop()
	for {
		n, err := RescueSends(ctx, db, rescueAfter, time.Now())
		if ctx.Err() != nil {
			return
		}
		if report != nil && (n > 0 || err != nil) {
			report(n, err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
