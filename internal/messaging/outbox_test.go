package messaging_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

func TestEnqueueRolledBackLeavesNothing(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	env := newJobsEnv(t, db, rec)
	boom := errors.New("booking failed")
	err := database.InTx(context.Background(), db, func(tx *sql.Tx) error {
		if _, _, err := env.outbox.Enqueue(context.Background(), tx, confirmation(1)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx: got %v, want the booking's error", err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM messages`); n != 0 {
		t.Errorf("%d messages after rollback, want 0", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM river_job`); n != 0 {
		t.Errorf("%d jobs after rollback, want 0", n)
	}
	// With no job, nothing can send it. To show the running client saw
	// nothing to send, queue a message after the rollback and wait until
	// its job has completed: the client has polled since the rollback,
	// and it sent that message alone.
	later := confirmation(2)
	id, _ := enqueue(t, db, env.outbox, later)
	waitJobsDone(t, db)
	if got := rec.Messages(); len(got) != 1 || got[0].ID != id {
		t.Errorf("sent %+v after the rollback, want only the message queued later", got)
	}
}

func TestCommittedMessageIsSentOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	env := newJobsEnv(t, db, rec)
	m := confirmation(7)
	m.Attachments = []messaging.Attachment{
		{Filename: "dit-refresher.ics", ContentType: "text/calendar; method=REQUEST; charset=utf-8", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")},
		{Filename: "notes.bin", ContentType: "application/octet-stream", Data: []byte{0, 1, 2, 255}},
	}
	id, created := enqueue(t, db, env.outbox, m)
	if !created {
		t.Fatal("first enqueue: created=false")
	}
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, id).Status == messaging.Sent })

	got := message(t, env.outbox, id)
	if got.Attempts != 1 || got.LastError != "" || got.SentAt.IsZero() {
		t.Errorf("after sending: attempts %d, last error %q, sent at %v", got.Attempts, got.LastError, got.SentAt)
	}
	if !strings.HasPrefix(got.MessageID, "<confirmation.") || !strings.HasSuffix(got.MessageID, "@training.example>") {
		t.Errorf("Message-ID %q, want <confirmation.…@training.example>", got.MessageID)
	}
	if got.From != "Plenary <noreply@training.example>" || got.SubjectRef != "booking/7" {
		t.Errorf("From %q, subject %q", got.From, got.SubjectRef)
	}
	if len(got.Attachments) != 2 || !bytes.Equal(got.Attachments[1].Data, []byte{0, 1, 2, 255}) ||
		got.Attachments[0].ContentType != m.Attachments[0].ContentType {
		t.Errorf("attachments came back as %+v", got.Attachments)
	}

	// Running the finished job again (as a retry or a rescue after a crash
	// would) must not send the message a second time.
	var jobID int64
	if err := db.QueryRowContext(context.Background(), `SELECT id FROM river_job`).Scan(&jobID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "River to complete the job", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'completed'`) == 1
	})
	if _, err := env.runner.JobRetry(context.Background(), jobID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the retried job to complete", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'completed' AND attempt = 2`) == 1
	})
	sent := rec.Messages()
	if len(sent) != 1 {
		t.Fatalf("sent %d times, want once", len(sent))
	}
	if sent[0].ID != id || sent[0].MessageID != got.MessageID || len(sent[0].Attachments) != 2 {
		t.Errorf("the mailer got %+v", sent[0])
	}
}

func TestDuplicateDedupeKeyIsNotStoredOrSentTwice(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	env := newJobsEnv(t, db, rec)
	id1, created1 := enqueue(t, db, env.outbox, confirmation(3))
	again := confirmation(3)
	again.Subject = "A second confirmation"
	id2, created2 := enqueue(t, db, env.outbox, again)
	if !created1 || created2 || id1 != id2 {
		t.Fatalf("enqueue twice: (%d, %v) then (%d, %v); want the same ID, created only once", id1, created1, id2, created2)
	}
	// Once its one job has completed nothing else can send it.
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, id1).Status == messaging.Sent })
	waitJobsDone(t, db)
	if n := count(t, db, `SELECT COUNT(*) FROM messages`); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM river_job`); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
	if sent := rec.Messages(); len(sent) != 1 || sent[0].Subject != "Your place on the DIT refresher" {
		t.Errorf("sent %+v, want the first message once", sent)
	}
}

func TestFailingMailerIsRetried(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	rec.FailNext(2, errors.New("451 4.3.0 try again later"))
	env := newJobsEnv(t, db, rec)
	id, _ := enqueue(t, db, env.outbox, confirmation(1))
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, id).Status == messaging.Sent })
	if got := message(t, env.outbox, id); got.Attempts != 3 {
		t.Errorf("attempts %d, want 3 (two failures, then sent)", got.Attempts)
	}
	if n := len(rec.Messages()); n != 1 {
		t.Errorf("sent %d times, want once", n)
	}
}

func TestFailuresAreVisibleAndFinal(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	rec.FailNext(1000, errors.New("550 5.1.1 mailbox unavailable"))
	env := newJobsEnv(t, db, rec)
	id, _ := enqueue(t, db, env.outbox, confirmation(1))
	waitFor(t, "a failed attempt", func() bool { return message(t, env.outbox, id).Attempts >= 1 })
	got := message(t, env.outbox, id)
	if !strings.Contains(got.LastError, "550 5.1.1") {
		t.Errorf("last error %q, want the mailer's", got.LastError)
	}
	waitFor(t, "the message to fail for good", func() bool { return message(t, env.outbox, id).Status == messaging.Failed })
	got = message(t, env.outbox, id)
	if got.Attempts != 12 || !got.SentAt.IsZero() {
		t.Errorf("failed message: attempts %d, sent at %v; want 12 attempts, not sent", got.Attempts, got.SentAt)
	}
	waitFor(t, "River to discard the job", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'discarded'`) == 1
	})
	failing, err := env.outbox.List(context.Background(), messaging.ListFilter{Status: messaging.Failed})
	if err != nil || len(failing) != 1 || failing[0].ID != id {
		t.Errorf("List(Failed): %v, %v", failing, err)
	}
}

func TestScheduledMessageIsNotSentEarly(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	env := newJobsEnv(t, db, rec)
	later := confirmation(1)
	later.Kind, later.DedupeKey = "joining", "joining/1/1"
	later.ScheduledAt = time.Now().Add(time.Hour)
	soon := confirmation(2)
	soon.Kind, soon.DedupeKey = "joining", "joining/2/1"
	soon.ScheduledAt = time.Now().Add(1500 * time.Millisecond)
	laterID, _ := enqueue(t, db, env.outbox, later)
	soonID, _ := enqueue(t, db, env.outbox, soon)

	// What keeps them from going early is the queue's state (River holds
	// a job until its time), checked here and by when the one due soon
	// was sent, not by watching the mailer for a while.
	// On a loaded machine the one due soon may already be due by now:
	// what must hold is that nothing is listed due before its time.
	due, err := env.outbox.List(context.Background(), messaging.ListFilter{Due: true})
	asked := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range due {
		if m.ID == laterID || m.ScheduledAt.After(asked) {
			t.Fatalf("List(Due) lists message %d scheduled at %v, before its time (asked at %v)", m.ID, m.ScheduledAt, asked)
		}
	}
	waitFor(t, "the soon message to be sent", func() bool { return message(t, env.outbox, soonID).Status == messaging.Sent })
	got := message(t, env.outbox, soonID)
	if got.SentAt.Before(got.ScheduledAt) {
		t.Errorf("sent at %v, before its time %v", got.SentAt, got.ScheduledAt)
	}
	if got := message(t, env.outbox, laterID); got.Status != messaging.Queued || got.Attempts != 0 {
		t.Errorf("the message due in an hour is %s after %d attempts", got.Status, got.Attempts)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'scheduled'`); n != 1 {
		t.Errorf("%d send jobs still scheduled, want the one due in an hour", n)
	}
	if sent := rec.Messages(); len(sent) != 1 || sent[0].ID != soonID {
		t.Errorf("sent %+v, want only the message that was due", sent)
	}
}

func TestDevMailboxKeepsMessages(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	env := newJobsEnv(t, db, messaging.DevMailbox{})
	id, _ := enqueue(t, db, env.outbox, confirmation(1))
	waitFor(t, "the message to be kept", func() bool { return message(t, env.outbox, id).Status == messaging.Kept })
	if got := message(t, env.outbox, id); got.SentAt.IsZero() || got.Attempts != 1 {
		t.Errorf("kept message: sent at %v, attempts %d", got.SentAt, got.Attempts)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	o := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@localhost>", Now: func() time.Time { return now }})
	var ids []int64
	for i := 1; i <= 5; i++ {
		m := confirmation(i % 2) // bookings 1, 0, 1, 0, 1
		m.DedupeKey = m.DedupeKey + "/" + string(rune('a'+i))
		if i == 5 {
			m.Kind = "cancellation"
			m.ScheduledAt = now.Add(time.Hour)
			m.Attachments = []messaging.Attachment{{Filename: "cancel.ics", ContentType: "text/calendar; method=CANCEL", Data: []byte("x")}}
		}
		id, _ := enqueue(t, db, o, m)
		ids = append(ids, id)
	}
	ids5 := func(ms []messaging.Message) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    messaging.ListFilter
		want []int64
	}{
		{"all, newest first", messaging.ListFilter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"subject", messaging.ListFilter{SubjectRef: "booking/1"}, []int64{ids[4], ids[2], ids[0]}},
		{"kind", messaging.ListFilter{Kind: "cancellation"}, []int64{ids[4]}},
		{"due", messaging.ListFilter{Due: true}, []int64{ids[3], ids[2], ids[1], ids[0]}},
		{"limit", messaging.ListFilter{Limit: 2}, []int64{ids[4], ids[3]}},
		{"page", messaging.ListFilter{BeforeID: ids[3], Limit: 2}, []int64{ids[2], ids[1]}},
		{"status", messaging.ListFilter{Status: messaging.Sent}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := o.List(context.Background(), tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if g := ids5(got); !slices.Equal(g, tt.want) {
				t.Errorf("got %v, want %v", g, tt.want)
			}
		})
	}
	all, _ := o.List(context.Background(), messaging.ListFilter{Kind: "cancellation"})
	if a := all[0].Attachments; len(a) != 1 || a[0].Filename != "cancel.ics" || a[0].Data != nil {
		t.Errorf("List attachments: %+v, want the name without the data", a)
	}
	if !all[0].ScheduledAt.Equal(now.Add(time.Hour)) || !all[0].CreatedAt.Equal(now) || all[0].Status != messaging.Queued {
		t.Errorf("times and status: %+v", all[0])
	}
	if _, err := o.Message(context.Background(), 99999); !errors.Is(err, messaging.ErrNotFound) {
		t.Errorf("Message(99999): %v, want ErrNotFound", err)
	}
}

func TestEnqueueRejectsBadMessages(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@localhost>"})
	tests := []struct {
		name   string
		mutate func(m *messaging.Message)
		want   string
	}{
		{"no dedupe key", func(m *messaging.Message) { m.DedupeKey = "" }, "dedupe key"},
		{"no kind", func(m *messaging.Message) { m.Kind = " " }, "kind"},
		{"bad address", func(m *messaging.Message) { m.ToEmail = "ada at example" }, "e-mail address"},
		{"name and address", func(m *messaging.Message) { m.ToEmail = "Ada <ada@example.org>" }, "e-mail address"},
		{"header injection", func(m *messaging.Message) { m.Subject = "Hi\r\nBcc: x@example.org" }, "line break"},
		{"no text", func(m *messaging.Message) { m.Text = "" }, "text body"},
		{"bad attachment", func(m *messaging.Message) { m.Attachments = []messaging.Attachment{{Filename: "a.ics"}} }, "attachment 1"},
		{"http unsubscribe", func(m *messaging.Message) { m.Marketing, m.ListUnsubscribe = true, "http://x" }, "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := confirmation(1)
			tt.mutate(&m)
			err := database.InTx(context.Background(), db, func(tx *sql.Tx) error {
				_, _, err := o.Enqueue(context.Background(), tx, m)
				return err
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error about %s", err, tt.want)
			}
		})
	}
}

// TestJobBatchKeepsMessagesUntilFlush: a JobBatch writes nothing until
// Flush; then every new message is stored once, in order, with one send
// job, and is sent; a dedupe key already stored, or twice in the batch,
// stores and sends nothing more; a message truncated away is never
// stored; a message with attachments is refused (it needs Enqueue).
func TestJobBatchKeepsMessagesUntilFlush(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	env := newJobsEnv(t, db, rec)
	enqueue(t, db, env.outbox, confirmation(1))
	ctx := context.Background()
	err := database.InTx(ctx, db, func(tx *sql.Tx) error {
		b := env.outbox.Batch()
		for _, n := range []int{1, 2, 3, 2, 9} { // 1 is stored already; 2 comes twice
			if err := b.Add(confirmation(n)); err != nil {
				return err
			}
		}
		b.Truncate(4) // 9's request failed
		withFile := confirmation(5)
		withFile.Attachments = []messaging.Attachment{{Filename: "a.ics", ContentType: "text/calendar", Data: []byte("x")}}
		if err := b.Add(withFile); err == nil || !strings.Contains(err.Error(), "attachments") {
			t.Errorf("a batched message with attachments: %v, want refused", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&n); err != nil || n != 1 {
			t.Errorf("before Flush: %d messages stored (%v), want the 1 from before", n, err)
		}
		return b.Flush(ctx, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, err := db.QueryContext(ctx, `SELECT dedupe_key FROM messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	want := []string{confirmation(1).DedupeKey, confirmation(2).DedupeKey, confirmation(3).DedupeKey}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("stored %v, want %v", keys, want)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM river_job`); n != 3 {
		t.Errorf("%d send jobs, want 3 (one per message)", n)
	}
	waitFor(t, "three messages sent", func() bool { return len(rec.Messages()) >= 3 })
	waitJobsDone(t, db)
	if got := len(rec.Messages()); got != 3 {
		t.Errorf("%d e-mails sent, want 3", got)
	}
}
