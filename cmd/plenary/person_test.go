package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog/catalogtest"
)

// TestPersonCommands: export prints everything about an address as JSON;
// erase asks first (anything but "yes" erases nothing), refuses a person
// with a booking still to come, erases with "yes" or -yes and prints the
// counts; both are in the audit log.
func TestPersonCommands(t *testing.T) {
	dbURL, db := migrated(t)
	course := catalogtest.Course(t, db, nil)
	a := testApp(t, dbURL, db)
	ctx := context.Background()
	book := func(name, email string) booking.Result {
		res, err := a.bookings.Book(ctx, booking.Request{EventID: course.Events[0].ID, Name: name, Email: email,
			Organisation: "North Clinic", Role: "Nurse", SystemChecked: true}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	gone := book("Petra Vandersloot", "petra@example.org")
	if _, err := a.bookings.CancelByID(ctx, gone.Booking.ID, audit.Job("test"), booking.CancelOptions{Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	book("Kofi Upcoming", "kofi@example.org")

	out, _, err := cli(t, dbURL, "person", "export", "PETRA@example.org")
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Email string
		Data  map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &exp); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, out)
	}
	if !strings.Contains(string(exp.Data["bookings"]), "Petra Vandersloot") || exp.Data["messages"] == nil {
		t.Fatalf("export: %s", out)
	}

	if _, _, err := userCLI(t, dbURL, "no\n", "person", "erase", "petra@example.org"); err == nil ||
		!strings.Contains(err.Error(), "nothing erased") {
		t.Fatalf("erase answered no: %v", err)
	}
	if _, stderr, err := userCLI(t, dbURL, "", "person", "erase", "-yes", "kofi@example.org"); err == nil ||
		!strings.Contains(err.Error(), "still to come") {
		t.Fatalf("erase with a booking to come: %v %s", err, stderr)
	}
	if _, _, err := cli(t, dbURL, "person", "erase", "-yes", "not an address"); err == nil {
		t.Fatal("erase took something that is not an address")
	}
	out, stderr, err := userCLI(t, dbURL, "yes\n", "person", "erase", "petra@example.org")
	if err != nil {
		t.Fatalf("erase: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "bookings   1") || !strings.Contains(out, "Erased or anonymised for petra@example.org") ||
		!strings.Contains(out, "bookings   1") {
		t.Fatalf("erase said:\n%s\n%s", stderr, out)
	}
	out, _, _ = cli(t, dbURL, "person", "export", "petra@example.org")
	if strings.Contains(out, "Vandersloot") {
		t.Fatalf("still exported after the erasure:\n%s", out)
	}
	entries, err := audit.List(ctx, db, audit.Filter{Object: "person"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "person.export person.erase person.export" {
		t.Errorf("audit: %s", got)
	}
}
