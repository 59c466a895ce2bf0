package messaging_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"sync"
	"testing"
	"time"

	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
)

func reusingMailer(t *testing.T, srv *mailtest.Server, idleFor time.Duration, perConn int) *messaging.SMTPMailer {
	t.Helper()
	m, err := messaging.NewSMTPMailer(srv.URL(), "Plenary <noreply@training.example>", "",
		messaging.WithTLSConfig(srv.TLSConfig()), messaging.WithReuse(idleFor, perConn))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// receivedOnce checks that the server got each of want (Message-IDs)
// exactly once and nothing else.
func receivedOnce(t *testing.T, srv *mailtest.Server, want map[string]bool) {
	t.Helper()
	receivedOnceExcept(t, srv, want, nil)
}

// receivedOnceExcept is receivedOnce, except that a message in twice
// (the Message-IDs whose send was accepted but could not be recorded:
// the one window in which a message goes twice) may arrive twice.
func receivedOnceExcept(t *testing.T, srv *mailtest.Server, want, twice map[string]bool) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range srv.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		seen[msg.Header.Get("Message-ID")]++
	}
	for mid, n := range seen {
		if !want[mid] {
			t.Errorf("%s: received %d times, but no such message was sent", mid, n)
		} else if n == 2 && twice[mid] {
			t.Logf("%s: received twice: accepted, but not recorded sent in time (the documented window), so sent again", mid)
		} else if n != 1 {
			t.Errorf("%s: received %d times, want once", mid, n)
		}
	}
	for mid := range want {
		if seen[mid] == 0 {
			t.Errorf("%s: never received", mid)
		}
	}
}

// TestSMTPReusesConnection sends messages one after another through one
// mailer: they share one connection until it has carried perConn, and a
// connection idle for idleFor is closed.
func TestSMTPReusesConnection(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	mailer := reusingMailer(t, srv, time.Minute, 5)
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 12 {
		m := confirmation(i)
		m.MessageID = fmt.Sprintf("<reuse%d@training.example>", i)
		want[m.MessageID] = true
		if err := mailer.Send(ctx, m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	receivedOnce(t, srv, want)
	// 5 + 5 + 2: the first two closed after their fifth message.
	if got := srv.Connections(); got != 3 {
		t.Errorf("12 messages at 5 per connection took %d connections, want 3", got)
	}
	waitFor(t, "the two full connections to be closed", func() bool { return srv.Open() == 1 })
	if err := mailer.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Close to end the kept connection", func() bool { return srv.Open() == 0 })

	// Closed after idling.
	srv2 := mailtest.Start(t)
	idle := reusingMailer(t, srv2, 100*time.Millisecond, 100)
	if err := idle.Send(ctx, confirmation(100)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the idle connection to be closed", func() bool { return srv2.Open() == 0 })
	if err := idle.Send(ctx, confirmation(101)); err != nil {
		t.Fatal(err)
	}
	if got := srv2.Connections(); got != 2 {
		t.Errorf("a message after the idle connection was closed: %d connections in all, want 2", got)
	}
	if srv2.Len() != 2 {
		t.Errorf("server received %d messages, want 2", srv2.Len())
	}

	// WithReuse(0, …): one connection per message, as before.
	srv3 := mailtest.Start(t)
	single := reusingMailer(t, srv3, 0, 1)
	for i := range 3 {
		if err := single.Send(ctx, confirmation(200+i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv3.Connections(); got != 3 {
		t.Errorf("without reuse 3 messages took %d connections, want 3", got)
	}
}

// TestSMTPReconnectsAfterDrop has the server drop kept connections, idle
// (all at once) and at the start of a message (each after three): every
// message still arrives once, over new connections, without an error.
func TestSMTPReconnectsAfterDrop(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	mailer := reusingMailer(t, srv, time.Minute, 100)
	ctx := context.Background()
	want := map[string]bool{}
	send := func(i int) {
		t.Helper()
		m := confirmation(i)
		m.MessageID = fmt.Sprintf("<drop%d@training.example>", i)
		want[m.MessageID] = true
		if err := mailer.Send(ctx, m); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	for i := range 3 {
		send(i)
	}
	srv.DropConnections() // the kept connection goes while idle: RSET finds it
	waitFor(t, "the server to drop the connection", func() bool { return srv.Open() == 0 })
	for i := 3; i < 6; i++ {
		send(i)
	}
	if got := srv.Connections(); got != 2 {
		t.Errorf("after one drop: %d connections, want 2", got)
	}
	srv.DropAfter(2) // hangs up at MAIL FROM of the third message on a connection
	for i := 6; i < 12; i++ {
		send(i)
	}
	receivedOnce(t, srv, want)
	// The second connection already had 3: dropped at once; then 2 + 2 + 2.
	if got := srv.Connections(); got != 5 {
		t.Errorf("after the drops: %d connections, want 5", got)
	}
}

// TestReusedConnectionsThroughQueue sends a burst through the outbox and
// River's workers on both engines with the server hanging up on every
// connection after a few messages: each message is sent exactly once and
// recorded sent, over far fewer connections than messages.
func TestReusedConnectionsThroughQueue(t *testing.T) {
	t.Parallel()
	const total = 150
	srv := mailtest.Start(t)
	db := dbtest.New(t)
	mailer := &unrecordedSpy{SMTPMailer: reusingMailer(t, srv, time.Minute, 100), ids: map[int64]bool{}, t: t}
	env := newJobsEnv(t, db, mailer)
	t.Cleanup(func() {
		if n, first := env.logs.report(); n > 0 {
			t.Logf("River logged %d warnings or errors, first: %q", n, first)
		}
		if t.Failed() {
			rows, err := db.Query(`SELECT message_id_header, attempts, last_error FROM messages WHERE last_error <> '' OR attempts <> 1`)
			if err != nil {
				t.Log(err)
				return
			}
			defer rows.Close()
			for rows.Next() {
				var (
					mid, lastErr string
					attempts     int
				)
				if rows.Scan(&mid, &attempts, &lastErr) == nil {
					t.Logf("%s: %d attempts, last error %q", mid, attempts, lastErr)
				}
			}
		}
	})
	for i := range total {
		enqueue(t, db, env.outbox, confirmation(i))
	}
	waitFor(t, "every message to be sent", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM messages WHERE status = 'sent'`) == total
	})
	firstHalf := srv.Connections()
	srv.DropAfter(4)
	for i := total; i < 2*total; i++ {
		enqueue(t, db, env.outbox, confirmation(i))
	}
	waitFor(t, "every message to be sent", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM messages WHERE status = 'sent'`) == 2*total
	})
	waitJobsDone(t, db)
	want := map[string]bool{}
	twice := map[string]bool{}
	rows, err := db.QueryContext(context.Background(), `SELECT id, message_id_header FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			id  int64
			mid string
		)
		if err := rows.Scan(&id, &mid); err != nil {
			t.Fatal(err)
		}
		want[mid] = true
		if mailer.unrecorded(id) {
			twice[mid] = true
		}
	}
	rows.Close()
	receivedOnceExcept(t, srv, want, twice)
	if n := count(t, db, `SELECT COUNT(*) FROM messages WHERE attempts <> 1`); n != 0 {
		t.Errorf("%d messages took more than one attempt; a dropped kept connection should cost none", n)
	}
	// Connections are reused, and MaxWorkers (30) bounds how many are
	// open at once. (How many are opened in all depends on the machine:
	// on a slow one the server's 10 s read timeout closes some idle ones.)
	if firstHalf >= total {
		t.Errorf("%d messages took %d connections: none was reused", total, firstHalf)
	}
	if peak := srv.Peak(); peak > 30 {
		t.Errorf("%d connections were open at once, want at most 30 (MaxWorkers)", peak)
	}
	t.Logf("%s: %d messages over %d connections (at most %d at once), then %d with the server hanging up after 4 over %d more",
		dbtest.Engine(), total, firstHalf, srv.Peak(), total, srv.Connections()-firstHalf)
}

// unrecordedSpy passes sends to an SMTPMailer and notes each message whose
// send returned an *UnrecordedError: the server accepted it, but it could
// not be recorded sent in time (a database starved for seconds, as under
// -race on a loaded machine), so its job's retry sends it again.
type unrecordedSpy struct {
	*messaging.SMTPMailer
	mu  sync.Mutex
	ids map[int64]bool
	t   *testing.T
}

func (s *unrecordedSpy) Send(ctx context.Context, m messaging.Message) error {
	return s.Deliver(ctx, m, nil)
}

func (s *unrecordedSpy) Deliver(ctx context.Context, m messaging.Message, accepted func(string) error) error {
	err := s.SMTPMailer.Deliver(ctx, m, accepted)
	var ue *messaging.UnrecordedError
	if errors.As(err, &ue) {
		s.mu.Lock()
		s.ids[m.ID] = true
		s.mu.Unlock()
		s.t.Log(err)
	}
	return err
}

func (s *unrecordedSpy) unrecorded(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}
