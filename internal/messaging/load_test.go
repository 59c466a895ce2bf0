package messaging_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// TestConcurrentEnqueueSendsEachOnce enqueues 200 messages from 20
// goroutines, each transaction reading before it writes as a booking does,
// while two job clients on two pools (as two Plenary processes would)
// work the queue. Every message must be sent exactly once. On SQLite this
// is River's young driver against our pool of 8 connections with
// _txlock=immediate and busy_timeout(5000) rather than the single
// connection River's documentation suggests; database.InTx queues this
// process's writers, so no transaction may fail with "database is
// locked", under the race detector too.
func TestConcurrentEnqueueSendsEachOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	t.Parallel()
	url := dbtest.URL(t)
	db := dbtest.OpenURL(t, url)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	other := dbtest.OpenURL(t, url)

	rec := &messaging.Recorder{}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@localhost>"})
	logs := &logCounter{}
	// Both runners poll at the production interval: each poll is a write
	// transaction, and needless ones crowd SQLite's single writer.
	startRunner(t, db, outbox, rec, logs, time.Second)
	startRunner(t, other, messaging.NewOutbox(other, nil, messaging.OutboxOptions{}), rec, logs, time.Second)

	const goroutines, each = 20, 10
	start := time.Now()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		slowest time.Duration
	)
	errs := make(chan error, goroutines*each)
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				n := g*each + i
				began := time.Now()
				err := database.InTx(context.Background(), db, func(tx *sql.Tx) error {
					var queued int
					if err := tx.QueryRow(`SELECT COUNT(*) FROM messages WHERE subject_ref = $1`, fmt.Sprintf("booking/%d", n)).Scan(&queued); err != nil {
						return err
					}
					m := confirmation(n)
					m.Subject = fmt.Sprintf("Booking %d (%d before)", n, queued)
					_, _, err := outbox.Enqueue(context.Background(), tx, m)
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("message %d: %w", n, err)
				}
				mu.Lock()
				slowest = max(slowest, time.Since(began))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	enqueued := time.Since(start)
	total := goroutines * each
	t.Logf("%s: %d messages enqueued in %v (slowest transaction %v)", db.Dialect, total,
		enqueued.Round(time.Millisecond), slowest.Round(time.Millisecond))
	waitFor(t, "every message to be sent", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM messages WHERE status = 'sent'`) == total
	})
	t.Logf("%s: all sent %v after the first was queued", db.Dialect, time.Since(start).Round(time.Millisecond))

	// Every job completed: none is left to send a message again, so
	// the recorder's count is final.
	waitJobsDone(t, db)
	seen := map[int64]int{}
	for _, m := range rec.Messages() {
		seen[m.ID]++
	}
	if len(seen) != total {
		t.Errorf("%d distinct messages sent, want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %d sent %d times", id, n)
		}
	}
	// How many took a retry is a measure of contention, not correctness
	// (a retried message is still sent once): bench/ measures it.
	if n := count(t, db, `SELECT COUNT(*) FROM messages WHERE attempts <> 1`); n != 0 {
		t.Logf("%s: %d messages took more than one attempt", db.Dialect, n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message'`); n != total {
		t.Errorf("%d send jobs, want %d", n, total)
	}
	if n, first := logs.report(); n > 0 {
		t.Logf("River logged %d warnings or errors under load, first: %q", n, first)
	}
}
