package messaging_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// TestEraseBodiesAfterRetention: a message sent longer ago than the
// retention loses its text, HTML and attachments and keeps its recipient,
// subject and time; a queued one and a recent one keep everything; the
// run is audited, and a second run finds nothing.
func TestEraseBodiesAfterRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	env := newJobsEnv(t, db, &messaging.Recorder{})
	old := confirmation(1)
	old.Attachments = []messaging.Attachment{{Filename: "a.ics", ContentType: "text/calendar", Data: []byte("BEGIN:VCALENDAR")}}
	oldID, _ := enqueue(t, db, env.outbox, old)
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, oldID).Status == messaging.Sent })
	later := confirmation(2)
	later.ScheduledAt = time.Now().Add(24 * time.Hour)
	laterID, _ := enqueue(t, db, env.outbox, later)

	// The retention job's clock, a year and more on.
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	future := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{Now: func() time.Time { return time.Now().Add(400 * 24 * time.Hour) }})
	job := audit.Job(messaging.EraseBodiesArgs{}.Kind())
	if n, err := future.EraseBodies(ctx, 500*24*time.Hour, job); err != nil || n != 0 {
		t.Fatalf("inside the retention: erased %d (%v), want 0", n, err)
	}
	if n, err := future.EraseBodies(ctx, 365*24*time.Hour, job); err != nil || n != 1 {
		t.Fatalf("erased %d (%v), want 1", n, err)
	}
	got := message(t, env.outbox, oldID)
	if got.Text != "" || got.HTML != "" || len(got.Attachments) != 0 || got.ToEmail != "ada1@example.org" ||
		got.Subject != old.Subject || got.SentAt.IsZero() {
		t.Errorf("after the erasure: %+v", got)
	}
	if q := message(t, env.outbox, laterID); q.Text != later.Text || q.Status != messaging.Queued {
		t.Errorf("the queued message changed: %+v", q)
	}
	entries, err := audit.List(ctx, db, audit.Filter{Action: "message.erase_bodies"})
	if err != nil || len(entries) != 1 || string(entries[0].After) == "" {
		t.Fatalf("audit: %+v %v", entries, err)
	}
	if n, err := future.EraseBodies(ctx, 365*24*time.Hour, job); err != nil || n != 0 {
		t.Errorf("second run erased %d (%v), want 0", n, err)
	}
}

// TestErasedMessageIsNotSent: a message queued to an address that is
// then erased (People.Erase) loses its content and recipient, and its
// send job ends without sending anything.
func TestErasedMessageIsNotSent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>"})
	id, _ := enqueue(t, db, outbox, confirmation(3))
	err = database.InTx(ctx, db, func(tx *sql.Tx) error {
		n, err := messaging.People{}.Erase(ctx, tx, "ADA3@example.org", time.Now())
		if err == nil && n != 1 {
			t.Errorf("erased %d messages, want 1", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &messaging.Recorder{}
	startRunner(t, db, outbox, rec, &logCounter{}, 50*time.Millisecond)
	waitFor(t, "the send job to be cancelled", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'cancelled'`) == 1
	})
	got := message(t, outbox, id)
	if len(rec.Messages()) != 0 || got.ToEmail != "" || got.Text != "" || got.Status != messaging.Failed ||
		got.Subject != messaging.ErasedSubject {
		t.Errorf("sent %d; message %+v", len(rec.Messages()), got)
	}
}
