package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/config"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// TestAttentionCommand books into review with PLENARY_STAFF_EMAIL set: the
// staff are e-mailed through the wiring, and plenary attention lists the
// review with its reason, answers and the commands that settle it, and
// the e-mails failing; settling it empties the list.
func TestAttentionCommand(t *testing.T) {
	dbURL := dbtest.URL(t)
	db := dbtest.OpenURL(t, dbURL)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := catalogtest.Course(t, db, func(c *catalog.Course) {
		c.Events[0].Capacity = 2 // one review fills it nearly
		c.Questions = []catalog.Question{{Key: "nhs", Label: "Do you work in the NHS?", Kind: catalog.YesNo}}
		c.Rules = []catalog.Rule{{Outcome: catalog.Review, Message: "We check eligibility outside the NHS.",
			Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}}
	})
	env := map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_STAFF_EMAIL": "courses@training.example, lead@training.example"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(cfg, db, nil, false)
	if err != nil {
		t.Fatal(err)
	}

	out, stderr, err := cli(t, dbURL, "attention")
	if err != nil || !strings.Contains(out, "Nothing needs attention") {
		t.Fatalf("empty: %v %s\n%s", err, stderr, out)
	}
	res, err := a.bookings.Book(context.Background(), booking.Request{EventID: c.Events[0].ID, Name: "Ann \x1b[31mArcher",
		Email: "ann@example.org", Organisation: "Clinic", Role: "Nurse", SystemChecked: true, Answers: map[string]string{"nhs": "no"}}, audit.ParticipantOf(0))
	var ferr booking.FormError
	if !errors.As(err, &ferr) || ferr["name"] == "" {
		t.Fatalf("a name with an escape sequence: got %v, want a FormError", err)
	}
	res, err = a.bookings.Book(context.Background(), booking.Request{EventID: c.Events[0].ID, Name: "Ann Archer",
		Email: "ann@example.org", Organisation: "Clinic", Role: "Nurse", SystemChecked: true, Answers: map[string]string{"nhs": "no"}}, audit.ParticipantOf(0))
	if err != nil || res.Booking.Status != booking.PendingReview {
		t.Fatalf("book: %+v, %v", res.Booking, err)
	}
	staff, err := a.outbox.List(context.Background(), messaging.ListFilter{Kind: "review_waiting"})
	if err != nil || len(staff) != 2 {
		t.Fatalf("staff e-mails: got %d (%v), want one to each PLENARY_STAFF_EMAIL address", len(staff), err)
	}
	if _, err := db.ExecContext(context.Background(), `UPDATE messages SET status = 'failed', attempts = 5, last_error = $1 WHERE to_email = $2`,
		"550 no such user\x1b[2J", "lead@training.example"); err != nil {
		t.Fatal(err)
	}

	out, stderr, err = cli(t, dbURL, "attention")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	t.Logf("plenary attention:\n%s", out)
	id := res.Booking.ID
	for _, want := range []string{
		"Bookings waiting for review: 1",
		fmt.Sprintf("booking %d  Ann Archer <ann@example.org>  Test course", id),
		"0 of 2 working days",
		"UK time (",
		"why: We check eligibility outside the NHS.",
		"Do you work in the NHS? no",
		fmt.Sprintf("plenary bookings -approve %d | plenary bookings -decline %d", id, id),
		"Offers lapsing within 24 hours: 0",
		"E-mails failing: 1",
		"review_waiting to lead@training.example",
		`550 no such user\x1b[2J`,
		"Dates nearly full or with people waiting: 1",
		fmt.Sprintf("event %d  Test course, ", c.Events[0].ID),
		"1 of 2 places taken, 1 left, 0 waiting",
		"Late changes in the last 14 days: 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("attention lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("attention printed an escape character raw")
	}
	out, _, err = cli(t, dbURL, "attention", "-format", "json")
	var got attentionJSON
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got.Reviews) != 1 || got.Reviews[0].BookingID != id ||
		got.Reviews[0].Reasons[0] != "We check eligibility outside the NHS." || got.Reviews[0].Answers["nhs"] != "no" || len(got.Failing) != 1 ||
		len(got.Filling) != 1 || got.Filling[0].Taken != 1 || !got.Filling[0].NearlyFull {
		t.Fatalf("json: %v\n%s", err, out)
	}

	if _, _, err := cli(t, dbURL, "bookings", "-approve", fmt.Sprint(id)); err != nil {
		t.Fatal(err)
	}
	out, _, _ = cli(t, dbURL, "attention")
	if !strings.Contains(out, "Bookings waiting for review: 0") {
		t.Errorf("after approving: %s", out)
	}
}
