package messaging_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

// What a restart can and cannot do to a message, as these tests pin down:
//
//   - A stop (SIGTERM: StopAndCancel) in the middle of sending loses
//     nothing and sends nothing twice. The job contexts are cancelled, but
//     go-mail uses the context only to dial: a conversation that has begun
//     runs to its end (bounded by the job's Timeout), the worker records
//     the result with a context that is not cancelled, and River records
//     the job before Stop returns. A job cancelled before its
//     conversation began fails, keeps its error and is retried by the
//     next process. (On a machine so loaded that River's completer cannot
//     write in time, Stop can return with jobs still marked running; they
//     are rescued PLENARY_MAIL_RESCUE_AFTER later. That delays their
//     messages but does not repeat them: each is either recorded as sent,
//     so the retry does nothing, or was never begun.)
//   - A crash (SIGKILL, power loss, or the database gone) after the SMTP
//     server has accepted a message (its 250 reply to the final ".") but
//     before the worker's UPDATE marking it sent has committed does send
//     that message twice: the row still says queued, the job still says
//     running, and when messaging.RescueSends or River's rescuer makes
//     the job available again (PLENARY_MAIL_RESCUE_AFTER, a minute by
//     default) the next attempt finds the message unsent and sends it
//     again, with the same Message-ID. The worker records "sent" straight
//     after the 250, before QUIT (SMTPMailer.Deliver), so the window is
//     one UPDATE long. SMTP has no way to ask the server whether it
//     already has a message, so this window can be made narrow but not
//     closed; the only alternative is at-most-once (mark the message
//     "sending" before the conversation and never retry it blind), which
//     loses mail instead. At most the jobs in flight at the crash
//     (MaxWorkers) are affected, and each repeat carries the stored
//     Message-ID, so mail clients that thread or de-duplicate by
//     Message-ID show it once.
//   - The same window opens without a crash if the database stays
//     unreachable while the worker tries to record a send (for a quarter
//     of PLENARY_MAIL_RESCUE_AFTER): the job fails, is retried, and sends
//     again.
//
// TestCrashMidSendRepeatsOnlyUnrecordedSends checks that this window is
// the only one: every message that arrives twice was accepted by the
// server in the crashed process, and no other message arrives twice.

// restartTotal is how many messages each test sends.
const restartTotal = 150

// process is one Plenary process: its own pool on the shared database,
// its outbox and, once started, its job runner.
type process struct {
	db     *database.DB
	outbox *messaging.Outbox
	runner *river.Client[*sql.Tx]
	logs   *logCounter
	// stopWait bounds the stop at the end of the test; a dead process's
	// runner cannot record anything, so it is not worth waiting for.
	stopWait time.Duration
}

// openProcess opens a new pool on url, as a starting process would.
func openProcess(t *testing.T, url string) *process {
	t.Helper()
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &process{
		db:       db,
		outbox:   messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>"}),
		logs:     &logCounter{},
		stopWait: 10 * time.Second,
	}
}

// reportLogsAtEnd logs, when the test ends, what River logged at warning
// level or above in the process, which explains most slow or failed runs.
func (p *process) reportLogsAtEnd(t *testing.T, name string) {
	t.Cleanup(func() {
		if n, first := p.logs.report(); n > 0 {
			t.Logf("%s: River logged %d warnings or errors, first: %q", name, n, first)
		}
	})
}

// run starts the process's job runner with the SMTP mailer. The caller
// stops it (or lets it die); a cleanup makes sure it is stopped.
func (p *process) run(t *testing.T, mailer messaging.Mailer) {
	t.Helper()
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, p.outbox, mailer)
	c, err := messaging.NewJobs(p.db, workers, nil, messaging.JobsOptions{
		Run:          true,
		Logger:       slog.New(p.logs),
		MaxWorkers:   10,
		PollInterval: 50 * time.Millisecond,
		RetryPolicy:  quickRetry{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.runner = c
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), p.stopWait)
		defer cancel()
		_ = c.StopAndCancel(ctx) // already stopped, or dead on purpose
	})
}

func smtpMailer(t *testing.T, srv *mailtest.Server) *messaging.SMTPMailer {
	t.Helper()
	m, err := messaging.NewSMTPMailer(srv.URL(), "Plenary <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// enqueueAll queues restartTotal joining-instruction-like messages and
// returns their stored Message-IDs, mapped to the message IDs.
func enqueueAll(t *testing.T, p *process) map[string]int64 {
	t.Helper()
	for n := range restartTotal {
		m := confirmation(n)
		m.Kind = "joining"
		m.DedupeKey = fmt.Sprintf("joining/%d/1", n)
		m.Subject = fmt.Sprintf("Joining instructions %d", n)
		enqueue(t, p.db, p.outbox, m)
	}
	stored := map[string]int64{}
	rows, err := p.db.Query(`SELECT id, message_id_header FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id  int64
			mid string
		)
		if err := rows.Scan(&id, &mid); err != nil {
			t.Fatal(err)
		}
		stored[mid] = id
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(stored) != restartTotal {
		t.Fatalf("%d distinct stored Message-IDs, want %d", len(stored), restartTotal)
	}
	return stored
}

// deliveries counts what the server received by Message-ID header, and
// fails the test for a message whose Message-ID is not a stored one.
func deliveries(t *testing.T, srv *mailtest.Server, stored map[string]int64) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for _, r := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Errorf("received message does not parse: %v", err)
			continue
		}
		mid := msg.Header.Get("Message-ID")
		if _, ok := stored[mid]; !ok {
			t.Errorf("received Message-ID %q is not a stored one", mid)
		}
		seen[mid]++
	}
	return seen
}

// waitAllSent waits until the outbox shows every message sent. A message
// is marked sent only after its conversation, by the one job that sends
// it, so from then on no send is under way and none can start: a job
// still to run finds its message sent and does nothing.
//
// It then waits a little for River to record every send job completed,
// but does not insist: River's completer writes in batches after the
// worker has returned, and on a machine loaded enough that its writes
// fail three times (SQLite busy, its own timeouts) it gives up, leaving
// the job "running" for the rescuer an hour later — harmless here, since
// the message is recorded as sent.
func waitAllSent(t *testing.T, p *process) {
	t.Helper()
	waitFor(t, "every message to be marked sent", func() bool {
		return count(t, p.db, `SELECT COUNT(*) FROM messages WHERE status = 'sent' AND sent_at IS NOT NULL`) == restartTotal
	})
	const q = `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message' AND state <> 'completed'`
	deadline := time.Now().Add(30 * time.Second)
	for count(t, p.db, q) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(t, p.db, q); n > 0 {
		t.Logf("%d send jobs not recorded as completed 30s after every message was sent (River's completer gave up)", n)
	}
}

// rescue does what River's rescuer, on the leader, does to jobs that have
// been running longer than RescueStuckJobsAfter (1h by default): it makes
// them available again. Called before the new process starts, when the
// old one has gone, the running jobs are the old process's; this does now
// what River would do an hour later.
func rescue(t *testing.T, p *process) int64 {
	t.Helper()
	res, err := p.db.Exec(`UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := res.RowsAffected()
	return n
}

// TestRestartMidSendSendsEachOnce stops the job runner with StopAndCancel
// (what plenary serve does on SIGTERM) once the SMTP server has a third
// of the messages, then starts a new process — a new pool on the same
// database, a new River client — which sends the rest. Every message
// arrives exactly once, with its stored Message-ID.
func TestRestartMidSendSendsEachOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("restart test: skipped with -short")
	}
	t.Parallel()
	srv := mailtest.Start(t)
	mailer := smtpMailer(t, srv)
	url := dbtest.URL(t)
	first := openProcess(t, url)
	first.reportLogsAtEnd(t, "first process")
	if _, err := first.db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored := enqueueAll(t, first)

	// The gate holds every send after the first third, so the stop comes
	// with sends waiting to begin however fast the machine is.
	gated := newGate(mailer, restartTotal/3)
	t.Cleanup(gated.open)
	first.run(t, gated)
	waitFor(t, "a third of the messages to arrive, and more sends to wait", func() bool {
		return srv.Len() == restartTotal/3 && gated.held() > 0
	})
	// Generous: StopAndCancel returns as soon as the jobs in flight have
	// returned and been recorded, which takes milliseconds; a stop that
	// timed out would leave jobs "running" for the rescuer, an hour on.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := first.runner.StopAndCancel(ctx); err != nil {
		t.Fatalf("stop the first runner: %v", err)
	}
	atStop := srv.Len()
	first.db.Close()
	if atStop != restartTotal/3 {
		t.Errorf("%d messages arrived before the stop, want the %d the gate let through", atStop, restartTotal/3)
	}

	second := openProcess(t, url)
	second.reportLogsAtEnd(t, "second process")
	// Normally none, but on a machine so loaded that River's completer
	// cannot write in time (SQLite busy, its own query timeouts), the stop
	// returns with some jobs still marked running; River's rescuer would
	// make them available an hour later. Their messages are either sent
	// and recorded (the retry does nothing) or not begun.
	stuck := rescue(t, second)
	second.run(t, mailer)
	waitAllSent(t, second)

	seen := deliveries(t, srv, stored)
	for mid, id := range stored {
		if seen[mid] != 1 {
			t.Errorf("message %d (%s) arrived %d times, want 1", id, mid, seen[mid])
		}
	}
	t.Logf("%s: %d of %d messages had arrived at the stop, %d jobs left running; all arrived once", dbtest.Engine(), atStop, restartTotal, stuck)
}

// TestTemporaryRefusalMidSendIsRetriedOnce has the SMTP server refuse 20
// messages with "451 try again later" once a third have arrived. Each
// refused attempt is recorded (River keeps the error with the job), the
// message is retried, and every message still arrives exactly once.
func TestTemporaryRefusalMidSendIsRetriedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("restart test: skipped with -short")
	}
	t.Parallel()
	const refusals = 20
	srv := mailtest.Start(t)
	p := openProcess(t, dbtest.URL(t))
	p.reportLogsAtEnd(t, "process")
	if _, err := p.db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored := enqueueAll(t, p)
	// The gate holds the sends after the first third until the server
	// refuses, so the refusals fall mid-send however fast the machine.
	gated := newGate(smtpMailer(t, srv), restartTotal/3)
	t.Cleanup(gated.open)
	p.run(t, gated)
	waitFor(t, "a third of the messages to arrive", func() bool { return srv.Len() == restartTotal/3 })
	srv.FailNext(refusals)
	gated.open()
	waitAllSent(t, p)

	seen := deliveries(t, srv, stored)
	for mid, id := range stored {
		if seen[mid] != 1 {
			t.Errorf("message %d (%s) arrived %d times, want 1", id, mid, seen[mid])
		}
	}
	// Every refusal is one failed attempt, kept in the job's errors and
	// counted in the message's attempts; nothing else failed.
	jobs, err := p.runner.JobList(context.Background(), river.NewJobListParams().Kinds("send_message").First(10*restartTotal))
	if err != nil {
		t.Fatal(err)
	}
	var refused, other int
	for _, j := range jobs.Jobs {
		for _, e := range j.Errors {
			if strings.Contains(e.Error, "451") {
				refused++
			} else {
				other++
				t.Logf("other job error: %s", e.Error)
			}
		}
	}
	if refused != refusals || other != 0 {
		t.Errorf("job errors: %d refusals (want %d), %d others", refused, refusals, other)
	}
	if n := count(t, p.db, `SELECT COALESCE(SUM(attempts), 0) FROM messages`); n != restartTotal+refusals {
		t.Errorf("%d attempts in all, want %d", n, restartTotal+refusals)
	}
}

// dyingMailer stands between a worker and the SMTP mailer of a process
// that is about to crash. After kill, nothing more happens in the
// process: a send not yet begun never begins, and a conversation already
// under way ends at the server as it would (the server cannot tell) but
// its outcome never reaches the worker, so it is never recorded.
type dyingMailer struct {
	inner messaging.Mailer

	mu        sync.Mutex
	dead      bool
	inFlight  int
	returned  map[string]bool // accepted, and the worker was told so
	swallowed map[string]bool // accepted after the crash: never recorded
	release   chan struct{}   // closed at the end of the test
}

func newDyingMailer(inner messaging.Mailer) *dyingMailer {
	return &dyingMailer{inner: inner, returned: map[string]bool{}, swallowed: map[string]bool{}, release: make(chan struct{})}
}

var errDead = errors.New("the process is dead")

func (d *dyingMailer) Send(ctx context.Context, m messaging.Message) error {
	d.mu.Lock()
	if d.dead {
		d.mu.Unlock()
		<-d.release
		return errDead
	}
	d.inFlight++
	d.mu.Unlock()

	err := d.inner.Send(ctx, m)

	d.mu.Lock()
	d.inFlight--
	dead := d.dead
	if err == nil {
		if dead {
			d.swallowed[m.MessageID] = true
		} else {
			d.returned[m.MessageID] = true
		}
	}
	d.mu.Unlock()
	if dead {
		<-d.release
		return errDead
	}
	return err
}

func (d *dyingMailer) kill() {
	d.mu.Lock()
	d.dead = true
	d.mu.Unlock()
}

func (d *dyingMailer) busy() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.inFlight
}

// TestCrashMidSendRepeatsOnlyUnrecordedSends crashes a process in the
// middle of sending — its sends stop, its pool is closed, nothing it has
// not yet written reaches the database — then lets RescueSends take the
// jobs the dead process left running once they are older than the rescue
// time, and starts a new process. Every message arrives; a message
// arrives twice only if the server accepted it in the crashed process,
// which is the window described at the top of this file; no other
// message arrives twice, and every copy carries the stored Message-ID.
func TestCrashMidSendRepeatsOnlyUnrecordedSends(t *testing.T) {
	if testing.Short() {
		t.Skip("restart test: skipped with -short")
	}
	t.Parallel()
	srv := mailtest.Start(t)
	mailer := smtpMailer(t, srv)
	url := dbtest.URL(t)
	first := openProcess(t, url)
	if _, err := first.db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	stored := enqueueAll(t, first)

	// The gate lets a third through and holds the sends after them; they
	// count as under way in the dying process. Released after the crash,
	// they reach the server, which accepts them, but the dead process
	// never records it: the window at the top of this file, every time,
	// however fast the machine.
	gated := newGate(mailer, restartTotal/3)
	dying := newDyingMailer(gated)
	first.stopWait = time.Second
	first.run(t, dying)
	t.Cleanup(func() { close(dying.release) }) // before the runner's stop, which waits for its workers
	t.Cleanup(gated.open)
	waitFor(t, "a third of the messages to arrive, and more sends to wait", func() bool {
		return srv.Len() == restartTotal/3 && gated.held() > 0
	})
	dying.kill()
	gated.open()
	first.db.Close()
	// Close stops new statements at once, but a transaction already under
	// way (River fetching jobs, say) still commits, and its connection
	// closes only then. Wait for that, so the dead process's last writes
	// are in before the new one looks; a real crash ends them at once.
	waitFor(t, "the crashed process's connections to close", func() bool { return first.db.Stats().OpenConnections == 0 })
	waitFor(t, "conversations under way at the crash to end", func() bool { return dying.busy() == 0 })
	atCrash := srv.Len()
	if atCrash >= restartTotal {
		t.Errorf("all %d messages were sent before the crash", atCrash)
	}

	second := openProcess(t, url)
	second.reportLogsAtEnd(t, "second process")
	// The new process's rescue pass (messaging.KeepRescuingSends in
	// plenary serve) makes the dead process's sends available again once
	// they are older than the rescue time, here 3 s, instead of River's
	// rescuer an hour later.
	const rescueAfter = 3 * time.Second
	stuck := int64(count(t, second.db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message' AND state = 'running'`))
	var rescued int64
	waitFor(t, "the sends left running to be rescued", func() bool {
		n, err := messaging.RescueSends(context.Background(), second.db, rescueAfter, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		rescued += n
		return rescued >= stuck
	})
	second.run(t, mailer)
	waitAllSent(t, second)

	dying.mu.Lock()
	returned, swallowed := dying.returned, dying.swallowed
	dying.mu.Unlock()
	seen := deliveries(t, srv, stored)
	twice := 0
	for mid, id := range stored {
		switch n := seen[mid]; {
		case n == 1 && swallowed[mid]:
			t.Errorf("message %d (%s) was accepted after the crash, never recorded, yet arrived only once", id, mid)
		case n == 1:
		case n == 2 && (swallowed[mid] || returned[mid]):
			// Accepted by the server in the crashed process, and
			// not recorded before the pool closed.
			twice++
		default:
			t.Errorf("message %d (%s) arrived %d times (accepted before the crash: %v, after: %v)",
				id, mid, n, returned[mid], swallowed[mid])
		}
	}
	if len(swallowed) == 0 {
		t.Error("no send was accepted after the crash: the window was not exercised")
	}
	if twice < len(swallowed) {
		t.Errorf("%d messages arrived twice, fewer than the %d accepted but never recorded", twice, len(swallowed))
	}
	if workers := 10; twice > workers {
		t.Errorf("%d messages arrived twice, more than the %d workers that can be in flight", twice, workers)
	}
	t.Logf("%s: %d of %d had arrived at the crash, %d jobs left running, %d accepted after the crash (never recorded); %d arrived twice, the rest once",
		dbtest.Engine(), atCrash, restartTotal, stuck, len(swallowed), twice)
}
