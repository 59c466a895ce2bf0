package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// importFixture writes course c as a course file, imports it and returns
// the file's name and an app on the same database for booking.
func importFixture(t *testing.T, dbURL string, c catalog.Course) (string, *app) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "course.md")
	writeCourse(t, file, c)
	if _, stderr, err := cli(t, dbURL, "migrate"); err != nil {
		t.Fatalf("migrate: %v %s", err, stderr)
	}
	if _, stderr, err := cli(t, dbURL, "import", file); err != nil {
		t.Fatalf("first import: %v %s", err, stderr)
	}
	db := dbtest.OpenURL(t, dbURL)
	a := testApp(t, dbURL, db)
	return file, a
}

func writeCourse(t *testing.T, file string, c catalog.Course) {
	t.Helper()
	if err := os.WriteFile(file, catalog.FormatCourseFile(c), 0o600); err != nil {
		t.Fatal(err)
	}
}

func bookAs(t *testing.T, a *app, eventID int64, name string) {
	t.Helper()
	if _, err := a.bookings.Book(context.Background(), booking.Request{EventID: eventID, Name: name,
		Email: strings.ToLower(name) + "@example.org", Organisation: "Clinic", Role: "Nurse", SystemChecked: true}, audit.ParticipantOf(0)); err != nil {
		t.Fatal(err)
	}
}

// state is the date's version and capacity, its bookings' statuses and
// the number of messages, for checking that nothing changed.
func state(t *testing.T, a *app, slug string) string {
	t.Helper()
	ctx := context.Background()
	c, err := a.catalog.CourseBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	e := c.Events[0]
	list, err := a.bookings.List(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	s := []string{"version " + strconv.Itoa(e.Version), "capacity " + strconv.Itoa(e.Capacity), "messages " + strconv.Itoa(n)}
	for _, b := range list {
		s = append(s, b.Name+" "+string(b.Status))
	}
	return strings.Join(s, ", ")
}

// TestImportFillsWaitingListInTheSave raises a full date's capacity by
// import: the person waiting is confirmed by the time the command
// returns — in the import's own transaction — and the import says so.
func TestImportFillsWaitingListInTheSave(t *testing.T) {
	dbURL := dbtest.URL(t)
	c := catalogtest.NewCourse(time.Now())
	c.Waitlist = true
	c.Events[0].Capacity = 1
	file, a := importFixture(t, dbURL, c)
	stored, err := a.catalog.CourseBySlug(context.Background(), c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"Ann", "Ben", "Cal"} {
		bookAs(t, a, stored.Events[0].ID, n)
	}
	c.Events[0].Capacity = 2
	writeCourse(t, file, c)

	out, stderr, err := cli(t, dbURL, "import", "-n", file)
	t.Logf("import -n:\n%s", out)
	if err != nil || !strings.Contains(out, "date first: would move up from the waiting list 1 confirmed") {
		t.Fatalf("import -n: %v %s\n%s", err, stderr, out)
	}
	if got := state(t, a, c.Slug); !strings.Contains(got, "capacity 1,") || !strings.Contains(got, "Ben waitlisted, Cal waitlisted") {
		t.Fatalf("after import -n: %s", got)
	}
	out, stderr, err = cli(t, dbURL, "import", file)
	if err != nil || !strings.Contains(out, "dates updated (not visible to participants): first") ||
		!strings.Contains(out, "date first: moved up from the waiting list 1 confirmed") {
		t.Fatalf("import: %v %s\n%s", err, stderr, out)
	}
	if got := state(t, a, c.Slug); !strings.Contains(got, "capacity 2,") || !strings.Contains(got, "Ann confirmed, Ben confirmed, Cal waitlisted") {
		t.Fatalf("after import: %s", got)
	}
}

// TestImportDryRun runs import -n on a late change to a date's times and
// its passcode: it prints what the import would change and whom it would
// tell, says -confirm-late is needed, fails as the import would, never
// prints a passcode, and saves and sends nothing. With -confirm-late the
// dry run passes; the real import then does what it said.
func TestImportDryRun(t *testing.T) {
	dbURL := dbtest.URL(t)
	c := catalogtest.NewCourse(time.Now())
	c.Waitlist = true
	c.Events[0].Capacity = 1
	c.Events[0].Days[0].Date = catalog.DateOf(time.Now().AddDate(0, 0, 3))
	file, a := importFixture(t, dbURL, c)
	stored, err := a.catalog.CourseBySlug(context.Background(), c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	bookAs(t, a, stored.Events[0].ID, "Ann")
	bookAs(t, a, stored.Events[0].ID, "Ben")
	before := state(t, a, c.Slug)

	c.Events[0].Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true}
	c.Events[0].Meeting.Passcode = "NEW-PASS-123"
	writeCourse(t, file, c)
	noSecrets := func(what, s string) {
		t.Helper()
		for _, secret := range []string{"secret-passcode", "NEW-PASS-123"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s shows a passcode:\n%s", what, s)
			}
		}
	}
	cleanMessage := func(what string, err error) {
		t.Helper()
		for _, prefix := range []string{"catalog:", "booking:", "database:"} {
			if strings.Contains(err.Error(), prefix) {
				t.Errorf("%s: the message carries %q: %v", what, prefix, err)
			}
		}
	}

	out, _, err := cli(t, dbURL, "import", "-n", file)
	t.Logf("import -n:\n%s\nerror: %v", out, err)
	if err == nil || !strings.Contains(err.Error(), "would be refused") || !strings.Contains(err.Error(), "-confirm-late") ||
		!strings.Contains(err.Error(), "Test course (first) starts on") {
		t.Fatalf("import -n of a late change: got %v, want it refused as the import would be", err)
	}
	cleanMessage("import -n", err)
	for _, want := range []string{"Dry run", "course.md: test-course would be updated", "date first changed (now version 2):",
		"    Times: 10:00–17:00 → 11:00–17:00\n", "    joining details changed\n",
		"date first: would tell 1 confirmed, 1 on the waiting list", "(needs -confirm-late)"} {
		if !strings.Contains(out, want) {
			t.Errorf("import -n output lacks %q:\n%s", want, out)
		}
	}
	noSecrets("import -n", out+err.Error())
	if got := state(t, a, c.Slug); got != before {
		t.Fatalf("import -n changed the database:\nbefore %s\nafter  %s", before, got)
	}

	out, _, err = cli(t, dbURL, "import", "-n", "-confirm-late", file)
	if err != nil || !strings.Contains(out, "would tell 1 confirmed, 1 on the waiting list") || strings.Contains(out, "needs -confirm-late") {
		t.Fatalf("import -n -confirm-late: %v\n%s", err, out)
	}
	if got := state(t, a, c.Slug); got != before {
		t.Fatalf("import -n -confirm-late changed the database:\nbefore %s\nafter  %s", before, got)
	}

	_, _, err = cli(t, dbURL, "import", file)
	if err == nil || !strings.HasPrefix(err.Error(), "nothing imported: Test course (first) starts on") {
		t.Fatalf("import without -confirm-late: got %v", err)
	}
	cleanMessage("import", err)
	out, _, err = cli(t, dbURL, "import", "-confirm-late", file)
	if err != nil || !strings.Contains(out, "date first: told 1 confirmed, 1 on the waiting list") || !strings.Contains(out, "joining details changed") {
		t.Fatalf("import -confirm-late: %v\n%s", err, out)
	}
	noSecrets("import", out)
	if got := state(t, a, c.Slug); !strings.HasPrefix(got, "version 2, capacity 1,") {
		t.Fatalf("after the import: %s", got)
	}
}
