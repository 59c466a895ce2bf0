package messaging_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// TestDisplayNamesStillDeliver books messages for people whose names an
// address parser would choke on if pasted between quotes, and checks
// that each arrives, through the outbox, the job queue and a real SMTP
// conversation, at the right address, with a To header that net/mail
// reads back as the same name and address.
func TestDisplayNamesStillDeliver(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	db := dbtest.New(t)
	env := newJobsEnv(t, db, smtpMailer(t, srv))
	names := []string{
		`Zoë "Z" O'Neil, MSc <test>`,
		`a@b`,
		`Smith, John; Jones, Ann`,
		`[Admin] (the boss) <root@localhost>`,
		`"quoted"`,
		`back\slash "and" quote\`,
		`=?utf-8?q?not_really_encoded?=`,
		`Siobhán Ní Dhubhghaill-O'Sullivan, Consultant Clinical Psychologist, Child and Adolescent Mental Health Services`,
		`   `, // blank: the bare address
	}
	ids := map[int64]int{}
	for i, name := range names {
		m := confirmation(i)
		m.ToName = name
		id, _ := enqueue(t, db, env.outbox, m)
		ids[id] = i
	}
	waitFor(t, "every message to be sent", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM messages WHERE status = 'sent'`) == len(names)
	})
	if n := count(t, db, `SELECT COALESCE(SUM(attempts), 0) FROM messages`); n != len(names) {
		t.Errorf("%d attempts for %d messages: some failed first", n, len(names))
	}
	got := srv.Messages()
	if len(got) != len(names) {
		t.Fatalf("server received %d messages, want %d", len(got), len(names))
	}
	for _, r := range got {
		msg, err := mailtest.Parse(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		var i int
		// Which message is it? The envelope says, by address.
		if _, err := fmt.Sscanf(r.To[0], "ada%d@example.org", &i); err != nil || len(r.To) != 1 {
			t.Fatalf("envelope recipients %v", r.To)
		}
		want := strings.Join(strings.Fields(names[i]), " ")
		to, err := mail.ParseAddress(msg.Header.Get("To"))
		if err != nil {
			t.Errorf("name %q: To %q does not parse: %v", names[i], msg.Header.Get("To"), err)
			continue
		}
		if to.Address != r.To[0] || to.Name != want {
			t.Errorf("name %q: To %q reads back as name %q, address %q", names[i], msg.Header.Get("To"), to.Name, to.Address)
		}
		if list, err := mail.ParseAddressList(msg.Header.Get("To")); err != nil || len(list) != 1 {
			t.Errorf("name %q: To %q is %d addresses (%v)", names[i], msg.Header.Get("To"), len(list), err)
		}
	}
}

// TestComposeCleansNames sends, straight through the SMTP mailer, names
// that the outbox would refuse to store (line breaks, control
// characters): the mailer still never fails for a name, and nothing in
// the name becomes a header of its own.
func TestComposeCleansNames(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	mailer := smtpMailer(t, srv)
	for i, name := range []string{"Eve\r\nBcc: victim@example.net", "Tab\there\x00and\x1bescape", "bad utf-8 \xff\xfe"} {
		m := confirmation(i)
		m.ToName = name
		m.MessageID = fmt.Sprintf("<names.%d@training.example>", i)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := mailer.Send(ctx, m)
		cancel()
		if err != nil {
			t.Errorf("name %q: %v", name, err)
		}
	}
	for _, r := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		if msg.Header.Get("Bcc") != "" || len(r.To) != 1 {
			t.Errorf("a name added recipients: Bcc %q, envelope %v", msg.Header.Get("Bcc"), r.To)
		}
		to, err := mail.ParseAddress(msg.Header.Get("To"))
		if err != nil || to.Address != r.To[0] || strings.ContainsFunc(to.Name, func(r rune) bool { return r < ' ' }) {
			t.Errorf("To %q: %+v, %v", msg.Header.Get("To"), to, err)
		}
	}
	if n := srv.Len(); n != 3 {
		t.Errorf("server received %d messages, want 3", n)
	}
	m := confirmation(9)
	m.ToEmail = "not an address"
	if err := mailer.Send(context.Background(), m); err == nil {
		t.Error("a bad address was sent")
	}
}

// TestReplyToReachesRecipient sends through real SMTP with the Reply-To
// that main wires (PLENARY_MAIL_REPLY_TO, else PLENARY_CONTACT_EMAIL)
// given to the outbox only: it is stored with the message and arrives in
// the header.
func TestReplyToReachesRecipient(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	db := dbtest.New(t)
	mailer, err := messaging.NewSMTPMailer(srv.URL(), "Plenary <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	env := newJobsEnv(t, db, mailer)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{
		From: "Plenary <noreply@training.example>", ReplyTo: "Course team <courses@training.example>",
	})
	id, _ := enqueue(t, db, outbox, confirmation(1))
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, id).Status == messaging.Sent })
	if got := message(t, outbox, id).ReplyTo; got != "Course team <courses@training.example>" {
		t.Errorf("stored Reply-To %q", got)
	}
	got := srv.Messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages", len(got))
	}
	msg, err := mailtest.Parse(got[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := mail.ParseAddress(msg.Get("Reply-To"))
	if err != nil || rt.Address != "courses@training.example" || rt.Name != "Course team" {
		t.Errorf("Reply-To %q (%v)", msg.Get("Reply-To"), err)
	}
}

// TestDevMailboxKeepsReplyTo queues a message with no SMTP server
// configured: the dev mailbox keeps it with its Reply-To, and the .eml
// the admin page offers carries it.
func TestDevMailboxKeepsReplyTo(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	env := newJobsEnv(t, db, messaging.DevMailbox{})
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{
		From: "Plenary <noreply@training.example>", ReplyTo: "courses@training.example",
	})
	id, _ := enqueue(t, db, outbox, confirmation(2))
	waitFor(t, "the message to be kept", func() bool { return message(t, env.outbox, id).Status == messaging.Kept })
	m := message(t, outbox, id)
	if m.ReplyTo != "courses@training.example" {
		t.Errorf("kept message's Reply-To %q", m.ReplyTo)
	}
	var eml bytes.Buffer
	if err := messaging.WriteEML(&eml, m, "Plenary <noreply@localhost>", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	msg, err := mailtest.Parse(eml.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if rt, err := mail.ParseAddress(msg.Get("Reply-To")); err != nil || rt.Address != "courses@training.example" {
		t.Errorf("eml Reply-To %q (%v)", msg.Get("Reply-To"), err)
	}
}

// TestSentIsRecordedBeforeQuit checks that a message is recorded as sent
// before the sender says anything more to the server after its 250: when
// the server sees the connection end, the outbox already says sent. It
// also measures the window in which a crash would send a message twice —
// from the server's acceptance to the commit of "sent" — and logs it
// (docs/PERFORMANCE.md, "Crash recovery").
func TestSentIsRecordedBeforeQuit(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 100 messages: skipped with -short")
	}
	t.Parallel()
	const total = 100
	srv := mailtest.Start(t)
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>"})

	var (
		mu        sync.Mutex
		atClose   = map[string]string{} // Message-ID → status when the connection ended
		committed = map[string]time.Time{}
	)
	srv.OnClose(func(r mailtest.Received) {
		msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Error(err)
			return
		}
		mid := msg.Header.Get("Message-ID")
		var status string
		if err := db.QueryRow(`SELECT status FROM messages WHERE message_id_header = $1`, mid).Scan(&status); err != nil {
			t.Error(err)
		}
		mu.Lock()
		atClose[mid] = status
		mu.Unlock()
	})
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, outbox, smtpMailer(t, srv), messaging.SendOptions{Observe: func(r messaging.Recorded) {
		mu.Lock()
		committed[r.MessageID] = r.Committed
		mu.Unlock()
	}})
	runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{Run: true, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range total {
		enqueue(t, db, outbox, confirmation(i))
	}
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		runner.Stop(ctx)
	})
	waitFor(t, "every message to be sent and every connection closed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(atClose) == total && len(committed) == total
	})

	mu.Lock()
	defer mu.Unlock()
	var windows []time.Duration
	for _, r := range srv.Messages() {
		msg, _ := mail.ReadMessage(bytes.NewReader(r.Data))
		mid := msg.Header.Get("Message-ID")
		if atClose[mid] != string(messaging.Sent) {
			t.Errorf("%s: the connection ended with the message still %q in the outbox", mid, atClose[mid])
		}
		w := committed[mid].Sub(r.At)
		if w <= 0 {
			t.Errorf("%s: recorded %v before the server accepted it", mid, -w)
		}
		windows = append(windows, w)
	}
	slices.Sort(windows)
	q := func(p float64) time.Duration { return windows[int(p*float64(len(windows)-1))] }
	t.Logf("%s: duplicate window (server's acceptance to the commit of \"sent\") over %d messages: p50 %v, p90 %v, p99 %v, max %v",
		dbtest.Engine(), len(windows), q(0.5).Round(10*time.Microsecond), q(0.9).Round(10*time.Microsecond),
		q(0.99).Round(10*time.Microsecond), windows[len(windows)-1].Round(10*time.Microsecond))
}

// blockingMailer holds every send until released, so jobs stay running.
type blockingMailer struct {
	started chan struct{}
	release chan struct{}
}

func (b *blockingMailer) Send(ctx context.Context, _ messaging.Message) error {
	b.started <- struct{}{}
	<-b.release
	return errors.New("released")
}

// TestRescueSendsTakesOnlyDeadSends leaves three send jobs running (their
// mailer blocks), then checks what RescueSends moves: nothing while the
// attempts are younger than the rescue time, all three once they are
// older — on both engines, whose River drivers keep times differently.
func TestRescueSendsTakesOnlyDeadSends(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	block := &blockingMailer{started: make(chan struct{}, 3), release: make(chan struct{})}
	env := newJobsEnv(t, db, block)
	t.Cleanup(func() { close(block.release) })
	for i := range 3 {
		enqueue(t, db, env.outbox, confirmation(i))
	}
	for range 3 {
		select {
		case <-block.started:
		case <-time.After(time.Minute):
			t.Fatal("the sends did not start")
		}
	}
	waitFor(t, "three running send jobs", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE state = 'running'`) == 3
	})
	ctx := context.Background()
	const after = time.Minute
	rescue := func(now time.Time) int64 {
		t.Helper()
		n, err := messaging.RescueSends(ctx, db, after, now)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := rescue(time.Now()); n != 0 {
		t.Errorf("rescued %d live sends", n)
	}
	if n := rescue(time.Now().Add(after - 5*time.Second)); n != 0 {
		t.Errorf("rescued %d sends before their time", n)
	}
	// Another kind of job left running is River's business, not ours.
	if _, err := db.Exec(`UPDATE river_job SET kind = 'other' WHERE id = (SELECT MIN(id) FROM river_job)`); err != nil {
		t.Fatal(err)
	}
	if n := rescue(time.Now().Add(after + 5*time.Second)); n != 2 {
		t.Errorf("rescued %d sends a minute on, want 2", n)
	}
	// Rescued means available again, or already fetched again by the
	// running client (a second attempt): PostgreSQL's client may take
	// them back before this count.
	if n := count(t, db, `SELECT COUNT(*) FROM river_job
		WHERE kind = 'send_message' AND (state = 'available' OR attempt >= 2)`); n != 2 {
		t.Errorf("%d send jobs available again (or taken again), want 2", n)
	}
}

// TestDueMessageIsAvailableAtOnce checks the state of the send jobs the
// outbox inserts: a message due now is "available" to the next fetch of
// any process, and only one for later waits as "scheduled" for River's
// scheduler, which runs only on the elected leader (every 5 s, and after
// a crash not before the dead leader's lease has run out).
func TestDueMessageIsAvailableAtOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>"})
	due, later, earlier := confirmation(1), confirmation(2), confirmation(3)
	later.ScheduledAt = now.Add(time.Hour)
	earlier.ScheduledAt = now.Add(-time.Hour) // e.g. joining instructions for a late booking
	msgs := []messaging.Message{due, later, earlier}
	for _, m := range msgs {
		enqueue(t, db, outbox, m)
	}
	rows, err := db.Query(`SELECT state FROM river_job WHERE kind = 'send_message' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var states []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		states = append(states, s)
	}
	if want := []string{"available", "scheduled", "available"}; !slices.Equal(states, want) {
		t.Errorf("send jobs for messages due now, in an hour and an hour ago: %v, want %v", states, want)
	}
}
