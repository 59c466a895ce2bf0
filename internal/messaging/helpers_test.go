package messaging_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"plenary/internal/database"
	"plenary/internal/messaging"
)

// quickRetry retries a failed job at once, instead of River's attempt⁴
// seconds, so retry tests take milliseconds.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(10 * time.Millisecond)
}

// jobsEnv is the wiring main does, on a test database: an insert-only
// client for the outbox, and a running client with the send worker.
type jobsEnv struct {
	db     *database.DB
	outbox *messaging.Outbox
	runner *river.Client[*sql.Tx]
	logs   *logCounter
}

func newJobsEnv(t *testing.T, db *database.DB, mailer messaging.Mailer) *jobsEnv {
	t.Helper()
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@training.example>"})
	logs := &logCounter{}
	return &jobsEnv{db: db, outbox: outbox, runner: startRunner(t, db, outbox, mailer, logs, 50*time.Millisecond), logs: logs}
}

// startRunner starts a client that works send jobs until the test ends.
//
// poll is how often it looks for jobs inserted through the outbox's
// insert-only client: 50ms keeps tests quick; production uses 1s.
func startRunner(t *testing.T, db *database.DB, outbox *messaging.Outbox, mailer messaging.Mailer, logs *logCounter, poll time.Duration) *river.Client[*sql.Tx] {
	t.Helper()
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, outbox, mailer)
	c, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{
		Run:          true,
		Logger:       slog.New(logs),
		PollInterval: poll,
		RetryPolicy:  quickRetry{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stop job client: %v", err)
		}
	})
	return c
}

// enqueue queues m in a transaction of its own.
func enqueue(t *testing.T, db *database.DB, o *messaging.Outbox, m messaging.Message) (int64, bool) {
	t.Helper()
	var (
		id      int64
		created bool
	)
	err := database.InTx(context.Background(), db, func(tx *sql.Tx) error {
		var err error
		id, created, err = o.Enqueue(context.Background(), tx, m)
		return err
	})
	if err != nil {
		t.Fatalf("enqueue %s: %v", m.DedupeKey, err)
	}
	return id, created
}

// waitFor polls cond until it holds or three minutes pass (the race detector
// and parallel tests make a slow machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitJobsDone waits until every send job has completed: from then on
// no job can send anything, so what the mailer has is final.
func waitJobsDone(t *testing.T, db *database.DB) {
	t.Helper()
	waitFor(t, "every send job to complete", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM river_job WHERE kind = 'send_message' AND state <> 'completed'`) == 0
	})
}

func message(t *testing.T, o *messaging.Outbox, id int64) messaging.Message {
	t.Helper()
	m, err := o.Message(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func count(t *testing.T, db *database.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func confirmation(n int) messaging.Message {
	return messaging.Message{
		Kind:       "confirmation",
		DedupeKey:  fmt.Sprintf("confirmation/%d", n),
		SubjectRef: fmt.Sprintf("booking/%d", n),
		ToName:     "Dr Ada Lovelace",
		ToEmail:    fmt.Sprintf("ada%d@example.org", n),
		Subject:    "Your place on the DIT refresher",
		Text:       "You are booked.\n",
		HTML:       "<p>You are booked.</p>",
	}
}

// logCounter is a slog handler that counts River's warnings and errors
// and keeps the first few, so tests can report what went wrong under load.
type logCounter struct {
	mu    sync.Mutex
	n     int
	first []string
}

func (l *logCounter) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if len(l.first) < 5 {
		l.first = append(l.first, b.String())
	}
	return nil
}

func (l *logCounter) report() (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, append([]string(nil), l.first...)
}

// gate is a mailer that lets the first limit messages through to inner
// and holds every later one until open is called, or until its job's
// context ends (a stop): then that send fails without having begun. A
// test that must stop or crash a process in the middle of sending uses it,
// so a machine fast enough to send everything first cannot win the race.
type gate struct {
	inner   messaging.Mailer
	limit   int
	opened  chan struct{}
	once    sync.Once
	mu      sync.Mutex
	passed  int
	waiting int
}

func newGate(inner messaging.Mailer, limit int) *gate {
	return &gate{inner: inner, limit: limit, opened: make(chan struct{})}
}

func (g *gate) Send(ctx context.Context, m messaging.Message) error {
	g.mu.Lock()
	if g.passed < g.limit {
		g.passed++
		g.mu.Unlock()
		return g.inner.Send(ctx, m)
	}
	g.waiting++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}()
	select {
	case <-g.opened:
		return g.inner.Send(ctx, m)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// held is how many sends wait at the gate.
func (g *gate) held() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}

// open lets every held and later send through.
func (g *gate) open() { g.once.Do(func() { close(g.opened) }) }
