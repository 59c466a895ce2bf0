package messaging_test

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strconv"
	"testing"
	"time"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// TestLookups checks what other packages may ask about messages: by
// dedupe key, by subject and kind, which subjects have mail failing, and
// which messages are failing — also inside the caller's transaction.
func TestLookups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.New(t)
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	o := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: "Plenary <noreply@localhost>", Now: func() time.Time { return now }})
	msg := func(key, subject, kind string) int64 {
		m := confirmation(1)
		m.DedupeKey, m.SubjectRef, m.Kind = key, subject, kind
		id, _ := enqueue(t, db, o, m)
		return id
	}
	setStatus := func(id int64, status messaging.Status, lastError string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, `UPDATE messages SET status = $1, last_error = $2 WHERE id = $3`,
			string(status), lastError, id); err != nil {
			t.Fatal(err)
		}
	}
	a1 := msg("confirmation/1", "booking/1", "confirmation")
	a2 := msg("joining/1/2", "booking/1", "joining")
	a3 := msg("joining/1/3", "booking/1", "joining")
	b1 := msg("confirmation/2", "booking/2", "confirmation")
	c1 := msg("confirmation/3", "booking/3", "confirmation")
	c2 := msg("reminder/3", "booking/3", "reminder")
	staff := msg("review/3/staff", "", "review")

	setStatus(a1, messaging.Failed, "mailbox full") // failed, but a later message to booking 1 went
	setStatus(a2, messaging.Sent, "")               //
	setStatus(b1, messaging.Failed, "no such user") // booking 2: failing
	setStatus(c1, messaging.Kept, "")               // booking 3: a kept message, then a failure
	setStatus(c2, messaging.Failed, "host down")    //
	setStatus(staff, messaging.Queued, "try again") // retrying
	setStatus(a3, messaging.Queued, "")             // queued without an error: not failing

	d, err := messaging.Deliveries(ctx, db, []string{"joining/1/2", "joining/1/3", "joining/9/9"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 2 || d["joining/1/2"].ID != a2 || d["joining/1/2"].Status != messaging.Sent ||
		d["joining/1/3"].Status != messaging.Queued || d["joining/1/2"].SubjectRef != "booking/1" || !d["joining/1/2"].CreatedAt.Equal(now) {
		t.Errorf("Deliveries: %+v", d)
	}

	kinds, err := messaging.OfKind(ctx, db, "joining", []string{"booking/1", "booking/2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds["booking/1"]; len(kinds) != 1 || len(got) != 2 || got[0].ID != a2 || got[1].ID != a3 {
		t.Errorf("OfKind joining: %+v", kinds)
	}

	failing, err := messaging.FailingSubjects(ctx, db, []string{"booking/1", "booking/2", "booking/3", "booking/4"})
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(failing)); !slices.Equal(got, []string{"booking/2", "booking/3"}) {
		t.Errorf("FailingSubjects: got %v, want booking/2 and booking/3", got)
	}

	// More subjects than one statement binds: asked in batches.
	many := make([]string, 1200)
	for i := range many {
		many[i] = "booking/" + strconv.Itoa(1000+i)
	}
	many[1100] = "booking/2"
	if failing, err := messaging.FailingSubjects(ctx, db, many); err != nil || len(failing) != 1 || !failing["booking/2"] {
		t.Errorf("FailingSubjects of 1200: %v, %v", failing, err)
	}

	list, err := messaging.Failing(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range list {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ids, []int64{a1, b1, c2, staff}) || list[3].LastError != "try again" || list[1].ToEmail == "" {
		t.Errorf("Failing: got %v (%+v), want %v", ids, list, []int64{a1, b1, c2, staff})
	}

	// Inside a transaction, the lookups see what it has queued.
	err = database.InTx(ctx, db, func(tx *sql.Tx) error {
		m := confirmation(5)
		m.SubjectRef = "booking/5"
		if _, _, err := o.Enqueue(ctx, tx, m); err != nil {
			return err
		}
		d, err := messaging.Deliveries(ctx, tx, []string{m.DedupeKey})
		if err != nil {
			return err
		}
		if d[m.DedupeKey].Status != messaging.Queued {
			t.Errorf("in the transaction: %+v", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// No values, no query, no error.
	if d, err := messaging.Deliveries(ctx, db, nil); err != nil || len(d) != 0 {
		t.Errorf("Deliveries(nil): %v, %v", d, err)
	}
}
