package booking

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestMailKeysKeepTheirShape pins the dedupe keys: a key once used is never
// queued again, so a key that changed shape would send a message twice.
func TestMailKeysKeepTheirShape(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{mailKey(string(mailConfirmed), 42), "booking_confirmed/42"},
		{joiningKey(42, 3), "joining/42/3"},
		{mailKey(string(mailReminder), 42, "3"), "reminder/42/3"},
		{mailKey(string(mailThanks), 42), "thanks/42"},
		{mailKey("event-changed", 42, "3"), "event-changed/42/3"},
		{mailKey(string(mailReviewWaiting), 42, "team@example.org"), "review_waiting/42/team@example.org"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestSubjectRef(t *testing.T) {
	if got := SubjectRef(42); got != "booking/42" {
		t.Errorf("SubjectRef(42) = %q", got)
	}
	for ref, want := range map[string]int64{"booking/42": 42, "": 0, "booking/": 0, "booking/x": 0, "booking/-1": 0, "course/42": 0} {
		id, ok := BookingOfSubject(ref)
		if ok != (want != 0) || ok && id != want {
			t.Errorf("BookingOfSubject(%q) = %d, %v; want %d", ref, id, ok, want)
		}
	}
}

// TestStatusLists checks the SQL lists built from the constants: they match
// Active and HoldsPlace, and the partial unique index of both migrations
// names exactly the active statuses.
func TestStatusLists(t *testing.T) {
	if got := statusIn(heldStatuses...); got != "IN ('confirmed', 'offered', 'pending_review', 'attended', 'no_show')" {
		t.Errorf("held: %s", got)
	}
	active := statusIn(activeStatuses...)
	if active != "IN ('confirmed', 'waitlisted', 'offered', 'pending_review', 'attended', 'no_show')" {
		t.Errorf("active: %s", active)
	}
	index := regexp.MustCompile(`(?s)CREATE UNIQUE INDEX bookings_one_active .*?WHERE status (IN \([^)]*\))`)
	for _, engine := range []string{"sqlite", "postgres"} {
		sql, err := os.ReadFile("../database/migrations/" + engine + "/0003_bookings.sql")
		if err != nil {
			t.Fatal(err)
		}
		m := index.FindSubmatch(sql)
		if m == nil || strings.Join(strings.Fields(string(m[1])), " ") != active {
			t.Errorf("%s: the unique index's statuses are not the active ones: %q", engine, m)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("statusIn let a quote through")
		}
	}()
	statusIn(Status("x') OR ('1' = '1"))
}
