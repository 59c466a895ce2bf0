package messaging_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// TestSentKeepsServerReply sends through a real SMTP conversation: the
// message records the text of the server's 250 reply to its final ".".
func TestSentKeepsServerReply(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	db := dbtest.New(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(), "Plenary <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	env := newJobsEnv(t, db, mailer)
	id, _ := enqueue(t, db, env.outbox, confirmation(1))
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, id).Status == messaging.Sent })
	if got := message(t, env.outbox, id).ServerReply; got != "2.0.0 OK: queued" {
		t.Errorf("server reply %q, want the test server's %q", got, "2.0.0 OK: queued")
	}
}

// TestLogFilters checks the mail log's filters on both engines: status,
// kind, recipient (name or address, any case, Unicode included, LIKE's
// wildcards taken literally) and when queued.
func TestLogFilters(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Now: clock})
	add := func(n int, name, email, kind string) int64 {
		m := confirmation(n)
		m.ToName, m.ToEmail, m.Kind = name, email, kind
		id, _ := enqueue(t, db, outbox, m)
		return id
	}
	zoe := add(1, "Zoë Ärger", "zoe@example.org", "confirmation")
	now = now.Add(48 * time.Hour)
	bob := add(2, "Bob Under_score", "BOB@Example.org", "offer")
	pct := add(3, "Per Cent", "100%@example.org", "offer")
	ids := func(f messaging.ListFilter) []int64 {
		t.Helper()
		ms, err := outbox.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for name, tt := range map[string]struct {
		f    messaging.ListFilter
		want []int64
	}{
		"all, newest first":    {messaging.ListFilter{}, []int64{pct, bob, zoe}},
		"kind":                 {messaging.ListFilter{Kind: "offer"}, []int64{pct, bob}},
		"status":               {messaging.ListFilter{Statuses: []messaging.Status{messaging.Sent, messaging.Failed}}, nil},
		"status queued":        {messaging.ListFilter{Statuses: []messaging.Status{messaging.Queued}}, []int64{pct, bob, zoe}},
		"name, other case":     {messaging.ListFilter{Recipient: "ZOË är"}, []int64{zoe}},
		"address, other case":  {messaging.ListFilter{Recipient: "bob@EXAMPLE"}, []int64{bob}},
		"underscore literally": {messaging.ListFilter{Recipient: "r_s"}, []int64{bob}},
		"percent literally":    {messaging.ListFilter{Recipient: "0%@"}, []int64{pct}},
		"no match":             {messaging.ListFilter{Recipient: "nobody"}, nil},
		"since":                {messaging.ListFilter{Since: now.Add(-time.Hour)}, []int64{pct, bob}},
		"until":                {messaging.ListFilter{Until: now.Add(-time.Hour)}, []int64{zoe}},
		"page back":            {messaging.ListFilter{BeforeID: bob}, []int64{zoe}},
	} {
		if got := ids(tt.f); !equalIDs(got, tt.want) {
			t.Errorf("%s: got %v, want %v", name, got, tt.want)
		}
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRetryAndResend fails a message for good, retries it (queued again
// with a new send job, audited) until it is sent, then resends it: a
// second message to the same person with the same content and a new
// Message-ID, audited on the original.
func TestRetryAndResend(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	rec := &messaging.Recorder{}
	rec.FailNext(100, errors.New("550 mailbox unavailable"))
	env := newJobsEnv(t, db, rec)
	staff := audit.StaffMember(7, "Ann Smith")
	id, _ := enqueue(t, db, env.outbox, confirmation(1))
	waitFor(t, "the message to fail for good", func() bool { return message(t, env.outbox, id).Status == messaging.Failed })
	failed := message(t, env.outbox, id)
	// The failure is recorded before River puts the job away; until it
	// has, Retry says ErrStillFinishing (not tested here: a race).
	waitFor(t, "the failed job to be discarded", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message' AND state = 'discarded'`) == 1
	})
	if _, err := env.outbox.Resend(context.Background(), id, staff); !errors.Is(err, messaging.ErrNotDelivered) {
		t.Errorf("resend of a failed message: %v, want ErrNotDelivered", err)
	}
	rec.FailNext(0, nil)
	jobsBefore := count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message'`)
	if err := env.outbox.Retry(context.Background(), id, staff); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message'`); got != jobsBefore+1 {
		t.Errorf("send jobs after retry: %d, want %d", got, jobsBefore+1)
	}
	if err := env.outbox.Retry(context.Background(), id, staff); err != nil && !errors.Is(err, messaging.ErrNotFailed) {
		t.Errorf("second retry: %v, want ErrNotFailed or nil", err)
	}
	waitFor(t, "the retried message to be sent", func() bool { return message(t, env.outbox, id).Status == messaging.Sent })
	if got := message(t, env.outbox, id).Attempts; got <= failed.Attempts {
		t.Errorf("attempts after retry %d, want more than the %d before", got, failed.Attempts)
	}
	entries, err := audit.List(context.Background(), db, audit.Filter{Object: "message", ObjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Action != "message.retry" || entries[0].Actor != staff {
		t.Fatalf("audit entries %+v, want one message.retry by %v", entries, staff)
	}
	var before, after map[string]any
	json.Unmarshal(entries[0].Before, &before)
	json.Unmarshal(entries[0].After, &after)
	if before["status"] != "failed" || after["status"] != "queued" {
		t.Errorf("retry audited %s → %s", entries[0].Before, entries[0].After)
	}

	cp, err := env.outbox.Resend(context.Background(), id, staff)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the copy to be sent", func() bool { return message(t, env.outbox, cp).Status == messaging.Sent })
	orig, copied := message(t, env.outbox, id), message(t, env.outbox, cp)
	if copied.ToEmail != orig.ToEmail || copied.Subject != orig.Subject || copied.Text != orig.Text || copied.HTML != orig.HTML ||
		copied.MessageID == orig.MessageID || copied.DedupeKey == orig.DedupeKey || copied.SubjectRef != orig.SubjectRef {
		t.Errorf("copy %+v\nof %+v", copied, orig)
	}
	if n := len(rec.Messages()); n != 2 {
		t.Errorf("mailer got %d messages, want the original and the copy", n)
	}
	entries, _ = audit.List(context.Background(), db, audit.Filter{Action: "message.resend"})
	if len(entries) != 1 || entries[0].ObjectID != id {
		t.Errorf("resend audit entries %+v", entries)
	}
}
