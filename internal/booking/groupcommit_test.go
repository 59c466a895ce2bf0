package booking_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// TestGroupCommitIsolatesEachRequest queues seven requests for one date
// while its lock is held, so that six of them are taken in one batch
// (one transaction, their rows written together at its end), and checks
// every request's own outcome: a hand-added booking for someone already
// booked fails with its field error and leaves the others booked; the
// places go in arrival order, the waiting list gets positions 1, 2, 3 in
// arrival order; a repeat by someone booked earlier in the same batch
// finds that booking (not yet written); and the real outbox holds exactly
// one e-mail and one send job per booking (plus the repeat's fresh link),
// with one audit entry and one manage token per booking — nothing of the
// failed request.
//
// In the second run the outbox fails on Eve's e-mail with an SQL error
// (on PostgreSQL that aborts the transaction until the savepoint is
// rolled back): the batch, run first without savepoints, runs again with
// one per request; none of Eve's rows stays, Gus moves up to second on
// the waiting list, and everyone else is booked as before. (That outbox
// has no JobBatch, so it also covers the path that inserts each e-mail
// and send job at once.) In the third the database refuses Eve's booking
// row when the batch writes its rows (a trigger), in the fourth her
// e-mail's row: the same, through the real outbox.
func TestGroupCommitIsolatesEachRequest(t *testing.T) {
	t.Parallel()
	for _, fail := range []string{"", "mail", "row", "message"} {
		t.Run(map[string]string{"": "all-fine", "mail": "eve-mail-fails", "row": "eve-row-fails", "message": "eve-message-row-fails"}[fail], func(t *testing.T) {
			t.Parallel()
			testGroupCommit(t, fail)
		})
	}
}

// failOnOutbox fails with an SQL error in the transaction for one
// recipient, and queues the rest through the real outbox.
type failOnOutbox struct {
	real   *messaging.Outbox
	failTo string
}

func (o failOnOutbox) Enqueue(ctx context.Context, tx *sql.Tx, m messaging.Message) (int64, bool, error) {
	if m.ToEmail == o.failTo {
		_, err := tx.ExecContext(ctx, `INSERT INTO no_such_table (id) VALUES (1)`)
		if err == nil {
			err = errors.New("no_such_table exists")
		}
		return 0, false, err
	}
	return o.real.Enqueue(ctx, tx, m)
}

// refuseRow makes the database refuse to insert a row into table whose
// column holds value.
func refuseRow(t *testing.T, db *database.DB, table, column, value string) {
	t.Helper()
	when := `(NEW.` + column + ` = '` + value + `')`
	stmts := []string{`CREATE TRIGGER refuse_` + table + ` BEFORE INSERT ON ` + table + `
		FOR EACH ROW WHEN ` + when + ` BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`}
	if db.Dialect == database.Postgres {
		stmts = []string{`CREATE FUNCTION refuse_` + table + `() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
			`CREATE TRIGGER refuse_` + table + ` BEFORE INSERT ON ` + table + `
			FOR EACH ROW WHEN ` + when + ` EXECUTE FUNCTION refuse_` + table + `()`}
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

func testGroupCommit(t *testing.T, fail string) {
	failEve := fail != ""
	db := dbtest.New(t)
	f := newFixture(t, db, 3, nil)
	jobs, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	out := messaging.NewOutbox(db, jobs, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Renderer: mail})
	var ob booking.Outbox = out
	switch fail {
	case "mail":
		ob = failOnOutbox{real: out, failTo: "eve.e@example.org"}
	case "row":
		refuseRow(t, db, "bookings", "name", "Eve E")
	case "message":
		refuseRow(t, db, "messages", "to_email", "eve.e@example.org")
	}
	svc := booking.NewService(booking.Options{DB: db, Catalog: catalog.NewStore(db, catalog.Hooks{}), Outbox: ob,
		BaseURL: "https://training.example", Now: f.clock.Now, MinNoticeWorkingDays: 10})
	id := f.event.ID

	lee, err := svc.Book(ctx, f.request("Lee L"), participant)
	if err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("waited 30 s for %s", what)
			}
		}
	}
	type outcome struct {
		res booking.Result
		err error
	}
	release := booking.HoldDate(svc, id)
	var done []chan outcome
	queue := func(book func() (booking.Result, error)) {
		c := make(chan outcome, 1)
		done = append(done, c)
		go func() {
			res, err := book()
			c <- outcome{res, err}
		}()
	}
	public := func(name string) func() (booking.Result, error) {
		return func() (booking.Result, error) { return svc.Book(ctx, f.request(name), participant) }
	}
	// Ann leads: she takes a batch of one and waits for the lock.
	queue(public("Ann A"))
	waitFor("Ann to lead", func() bool { n, led := booking.Queued(svc, id); return n == 0 && led })
	// The rest queue behind her, one at a time so their order is known.
	byHandLee := func() (booking.Result, error) {
		r := f.request("Lee L")
		return svc.AddByHand(ctx, r, operator, booking.Overrides{})
	}
	cal := f.request("Cal C")
	for i, book := range []func() (booking.Result, error){
		byHandLee, public("Cal C"), public("Dee D"), public("Eve E"),
		func() (booking.Result, error) { return svc.Book(ctx, cal, participant) }, public("Gus G"),
	} {
		queue(book)
		waitFor("the queue to grow", func() bool { n, _ := booking.Queued(svc, id); return n == i+1 })
	}
	release()
	got := make([]outcome, len(done))
	for i, c := range done {
		got[i] = <-c
	}
	ann, dup, calR, dee, eve, again, gus := got[0], got[1], got[2], got[3], got[4], got[5], got[6]

	// The batch runs without savepoints first: the hand-added duplicate is
	// refused before it writes, so it needs none; Eve's failure is an SQL
	// error (her e-mail's, or her row's when the batch writes), so her
	// batch runs again with a savepoint each.
	if got, want := booking.BatchRedos(svc), map[bool]int64{false: 0, true: 1}[failEve]; got != want {
		t.Errorf("batches run again with savepoints: %d, want %d", got, want)
	}
	if !isField(dup.err, "email") {
		t.Fatalf("hand-added booking for Lee, already booked: %v, want a field error on email", dup.err)
	}
	type want struct {
		name   string
		o      outcome
		status booking.Status
		pos    int
	}
	wants := []want{{"Ann", ann, booking.Confirmed, 0}, {"Cal", calR, booking.Confirmed, 0}, {"Dee", dee, booking.Waitlisted, 1},
		{"Eve", eve, booking.Waitlisted, 2}, {"Gus", gus, booking.Waitlisted, 3}}
	wantNames := []string{"Lee L", "Ann A", "Cal C", "Dee D", "Eve E", "Gus G"}
	extra := 1 // Eve's booking, e-mail, job, token and audit entry
	if failEve {
		if eve.err == nil {
			t.Fatalf("Eve, whose e-mail failed: booked %+v, want the error", eve.res.Booking)
		}
		wants = []want{wants[0], wants[1], wants[2], {"Gus", gus, booking.Waitlisted, 2}}
		wantNames = []string{"Lee L", "Ann A", "Cal C", "Dee D", "Gus G"}
		extra = 0
	}
	for _, tt := range wants {
		if tt.o.err != nil {
			t.Fatalf("%s: %v", tt.name, tt.o.err)
		}
		if tt.o.res.Booking.Status != tt.status || tt.o.res.Booking.WaitPosition != tt.pos || tt.o.res.Existing || tt.o.res.Token == "" {
			t.Errorf("%s: %s position %d (existing %v, token %q), want %s %d with a new token", tt.name,
				tt.o.res.Booking.Status, tt.o.res.Booking.WaitPosition, tt.o.res.Existing, tt.o.res.Token, tt.status, tt.pos)
		}
	}
	if again.err != nil || !again.res.Existing || again.res.Booking.ID != calR.res.Booking.ID {
		t.Errorf("Cal again in the same batch: %v existing %v booking %d, want Cal's booking %d", again.err,
			again.res.Existing, again.res.Booking.ID, calR.res.Booking.ID)
	}

	list, err := svc.List(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range list {
		names = append(names, b.Name)
	}
	goal := wantNames
	if len(names) != len(goal) {
		t.Fatalf("bookings on the date: %v, want %v", names, goal)
	}
	for i := range goal {
		if names[i] != goal[i] {
			t.Fatalf("bookings on the date in the order taken: %v, want %v", names, goal)
		}
	}
	if list[0].ID != lee.Booking.ID {
		t.Errorf("Lee's booking changed: %d, want %d", list[0].ID, lee.Booking.ID)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Six bookings, and Cal's repeat mails a fresh link: seven e-mails,
	// seven send jobs, seven tokens; six audit entries (a repeat is not
	// audited).
	if n := count(`SELECT COUNT(*) FROM messages`); n != 6+extra {
		t.Errorf("messages: %d, want %d", n, 6+extra)
	}
	if n := count(`SELECT COUNT(*) FROM river_job WHERE kind = 'send_message'`); n != 6+extra {
		t.Errorf("send jobs: %d, want %d", n, 6+extra)
	}
	if n := count(`SELECT COUNT(*) FROM booking_tokens`); n != 6+extra {
		t.Errorf("tokens: %d, want %d", n, 6+extra)
	}
	if n := count(`SELECT COUNT(*) FROM audit_log WHERE object = 'booking'`); n != 5+extra {
		t.Errorf("audit entries: %d, want %d", n, 5+extra)
	}
	if n := count(`SELECT COUNT(*) FROM messages WHERE to_email = $1`, "lee.l@example.org"); n != 1 {
		t.Errorf("e-mails to Lee: %d, want 1 (the failed hand-added booking sends nothing)", n)
	}
	if n, led := booking.Queued(svc, id); n != 0 || led {
		t.Errorf("after the batch: %d queued, led %v; want the queue gone", n, led)
	}
}

// TestBatchGivesUpOnAHeldDate: on PostgreSQL, while another process holds
// the date's row (a long save, a stuck transaction), a batch waits for it
// only so long: the person is told they are not booked — an error, no
// booking, no e-mail — instead of waiting with no end; once the row is
// free, booking works again. SQLite has no row lock: its wait is the busy
// timeout, tested in internal/database.
func TestBatchGivesUpOnAHeldDate(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	if db.Dialect != database.Postgres {
		t.Skip("a date's row lock exists only on PostgreSQL; SQLite's wait is its busy timeout (internal/database)")
	}
	f := newFixture(t, db, 5, nil)
	booking.SetLockWait(f.svc, 200*time.Millisecond)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT id FROM events WHERE id = $1 FOR UPDATE`, f.event.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Book(ctx, f.request("Held Out"), participant)
	if err == nil {
		t.Fatal("booked while another transaction held the date's row")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE event_id = $1`, f.event.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d bookings after the refused batch (%v), want 0", n, err)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d messages after the refused batch (%v), want 0", n, err)
	}
	res, err := f.svc.Book(ctx, f.request("Let In"), participant)
	if err != nil || res.Booking.Status != booking.Confirmed {
		t.Fatalf("after the row was freed: %+v, %v", res.Booking.Status, err)
	}
}

// TestBatchInvoicesGapFree: a batch gives out invoice numbers in arrival
// order and writes the counter back once; a request whose row the
// database refuses when the batch writes (a trigger, as above) gives its
// number back, so the numbers stay gap-free, and the next booking after
// the batch carries on from the last one given.
func TestBatchInvoicesGapFree(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	f := newFixture(t, db, 10, nil)
	refuseRow(t, db, "bookings", "name", "Cal C")
	id := f.event.ID
	release := booking.HoldDate(f.svc, id)
	names := []string{"Ann A", "Ben B", "Cal C", "Dee D"}
	done := make([]chan error, len(names))
	invoices := make([]int64, len(names))
	for i, name := range names {
		done[i] = make(chan error, 1)
		go func() {
			res, err := f.svc.Book(ctx, f.request(name), participant)
			invoices[i] = res.Booking.InvoiceNumber
			done[i] <- err
		}()
		// One at a time, so the batch's order is known (the first leads
		// and waits for the held date; the rest queue behind).
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
			if n, led := booking.Queued(f.svc, id); led && n == i {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("waited 30 s for %s to queue", name)
			}
		}
	}
	release()
	for i, name := range names {
		err := <-done[i]
		if (err != nil) != (name == "Cal C") {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := fmt.Sprint(invoices); got != "[1 2 0 3]" {
		t.Errorf("invoice numbers in the batch: %s, want [1 2 0 3] (Cal's refused row gives hers back)", got)
	}
	if got := f.book(t, "Eve E").Booking.InvoiceNumber; got != 4 {
		t.Errorf("the next booking's invoice number: %d, want 4", got)
	}
}
