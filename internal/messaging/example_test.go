package messaging_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/database"
	"plenary/internal/messaging"
)

// Example shows the wiring main does: an insert-only job client for the
// outbox (which domain packages call inside their transactions), the
// workers of every package in one bundle, and one running client.
func Example() {
	dir, _ := os.MkdirTemp("", "plenary-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := database.Open(ctx, "sqlite:"+filepath.Join(dir, "plenary.db"))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Prepare(ctx, false); err != nil { // creates River's tables too
		panic(err)
	}
	logger := slog.New(slog.DiscardHandler)

	// 1. The outbox inserts send jobs through an insert-only client.
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{Logger: logger})
	if err != nil {
		panic(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@localhost>"})

	// 2. Every package's workers go in one bundle; with no PLENARY_SMTP_URL
	// the mailer is the dev mailbox.
	var mailer messaging.Mailer = messaging.DevMailbox{}
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, outbox, mailer)
	// booking.AddWorkers(workers, …) and its periodic jobs would go here.

	// 3. One client works the jobs (unless PLENARY_JOBS=off).
	runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{Logger: logger, Run: true, PollInterval: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	// The example waits for the send job to finish by River's events,
	// not by the clock, so a slow machine prints the same.
	events, unsubscribe := runner.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer unsubscribe()
	if err := runner.Start(ctx); err != nil {
		panic(err)
	}
	defer runner.Stop(ctx)

	// A domain package queues a message in its own transaction.
	var id int64
	err = database.InTx(ctx, db, func(tx *sql.Tx) error {
		// … the booking's own statements …
		id, _, err = outbox.Enqueue(ctx, tx, messaging.Message{
			Kind: "confirmation", DedupeKey: "confirmation/1", SubjectRef: "booking/1",
			ToName: "Ada Lovelace", ToEmail: "ada@example.org",
			Subject: "Booked: DIT refresher", Text: "Your place is confirmed.\n",
		})
		return err
	})
	if err != nil {
		panic(err)
	}
	<-events // the send job has run: the message is kept or failed
	m, _ := outbox.Message(ctx, id)
	fmt.Println(m.Subject, "→", m.Status)
	// Output: Booked: DIT refresher → kept
}
