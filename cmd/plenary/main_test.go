package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/demo"
	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// cli runs plenary with args against the database at dbURL and returns
// stdout, stderr and the error.
func cli(t *testing.T, dbURL string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "PLENARY_DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	err := run(context.Background(), args, &out, &errOut, getenv)
	return out.String(), errOut.String(), err
}

func TestUnknownCommand(t *testing.T) {
	_, stderr, err := cli(t, "", "frobnicate")
	if err == nil || !strings.Contains(stderr, `unknown command "frobnicate"`) || !strings.Contains(stderr, "serve") {
		t.Fatalf("got err %v, stderr %q", err, stderr)
	}
}

func TestVersion(t *testing.T) {
	out, _, err := cli(t, "", "version")
	if err != nil || !strings.HasPrefix(out, "plenary ") {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestConfigMasksPassword(t *testing.T) {
	out, _, err := cli(t, "postgres://plenary:hunter2@db.example/plenary", "config")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "PLENARY_DATABASE_URL") {
		t.Fatalf("config output: %q", out)
	}
}

// TestImportExportRoundTrip imports the demo files, exports each course,
// and checks that importing the export changes nothing and exporting again
// gives the same bytes.
func TestImportExportRoundTrip(t *testing.T) {
	dbURL, _ := migrated(t)
	dir := t.TempDir()
	courses, err := demo.Courses(catalog.DateOf(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, c := range courses {
		name := filepath.Join(dir, c.Slug+".md")
		if err := os.WriteFile(name, catalog.FormatCourseFile(c), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	out, stderr, err := cli(t, dbURL, append([]string{"import"}, files...)...)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if got := strings.Count(out, " created\n"); got != len(courses) {
		t.Fatalf("import created %d courses, want %d:\n%s", got, len(courses), out)
	}
	for _, c := range courses {
		exported, stderr, err := cli(t, dbURL, "export", c.Slug)
		if err != nil {
			t.Fatalf("export %s: %v\n%s", c.Slug, err, stderr)
		}
		name := filepath.Join(dir, "exported-"+c.Slug+".md")
		if err := os.WriteFile(name, []byte(exported), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _, err := cli(t, dbURL, "import", name)
		if err != nil || !strings.Contains(out, c.Slug+" unchanged") {
			t.Fatalf("re-import of the export of %s: %v\n%s", c.Slug, err, out)
		}
		again, _, err := cli(t, dbURL, "export", c.Slug)
		if err != nil || again != exported {
			t.Fatalf("second export of %s differs from the first (err %v)", c.Slug, err)
		}
	}
}

func TestImportInvalidFileChangesNothing(t *testing.T) {
	dbURL := dbtest.URL(t)
	if out, _, err := cli(t, dbURL, "migrate"); err != nil || !strings.Contains(out, "schema is at version") {
		t.Fatalf("migrate: %q, %v", out, err)
	}
	dir := t.TempDir()
	courses, err := demo.Courses(catalog.DateOf(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.md")
	if err := os.WriteFile(good, catalog.FormatCourseFile(courses[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.md")
	broken := strings.Replace(string(catalog.FormatCourseFile(courses[1])), "slug: ", "slug: Not A Slug ", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = cli(t, dbURL, "import", good, bad)
	if err == nil || !strings.Contains(err.Error(), "bad.md") || !strings.Contains(err.Error(), "slug") {
		t.Fatalf("import with a bad file: got %v, want an error naming bad.md and slug", err)
	}
	db := dbtest.OpenURL(t, dbURL)
	if n, err := catalog.NewStore(db, catalog.Hooks{}).CountCourses(context.Background()); err != nil || n != 0 {
		t.Fatalf("courses after a failed import: %d (%v), want 0", n, err)
	}
}

func TestExportUnknownSlug(t *testing.T) {
	dbURL, _ := migrated(t)
	_, _, err := cli(t, dbURL, "export", "no-such-course")
	if err == nil || !strings.Contains(err.Error(), "no-such-course") {
		t.Fatalf("got %v", err)
	}
}

// startServe runs `plenary serve -demo` on a free port with getenv and
// returns its base URL and a function that stops it as SIGTERM would and
// reports how it ended.
func startServe(t *testing.T, env map[string]string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	getenv := func(k string) string { return env[k] }
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-demo", "-addr", "127.0.0.1:0"}, io.Discard, pw, getenv)
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "plenary is serving" {
				addr <- line.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not start within 60s")
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("serve did not stop within 30s of the signal")
		}
	}
	t.Cleanup(func() { stop() })
	return base, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestServeDemo starts the real server with the demo catalogue, fetches
// pages, books a place over HTTP as a browser would, sees the confirmation
// reach the dev mailbox through the job queue, and stops the server.
func TestServeDemo(t *testing.T) {
	dbURL := dbtest.URL(t)
	base, stop := startServe(t, map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_LOG_FORMAT": "json"})
	for path, want := range map[string]string{
		"/":                      "Dynamic Interpersonal Therapy",
		"/courses/dit-refresher": "10:00–17:00 UK time (BST)",
		"/healthz":               "ok",
	} {
		if code, body := get(t, base+path); code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: status %d, body lacks %q", path, code, want)
		}
	}

	// Book the refresher's next date.
	db := dbtest.OpenURL(t, dbURL)
	c, err := catalog.NewStore(db, catalog.Hooks{}).CourseBySlug(context.Background(), "dit-refresher")
	if err != nil {
		t.Fatal(err)
	}
	var eventID int64
	for _, e := range c.Events {
		if e.StartsAt.After(time.Now().Add(7 * 24 * time.Hour)) {
			eventID = e.ID
			break
		}
	}
	form := url.Values{
		"name": {"Dana Example"}, "email": {"dana@example.org"}, "organisation": {"North Clinic"},
		"role": {"Psychotherapist"}, "answer_training_completed": {"2025-01-15"}, "fee_tier": {c.Fees[0].Name},
		"system_checked": {"yes"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/events/%d/book", base, eventID), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	manage := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(manage, "/bookings/") {
		t.Fatalf("booking POST: status %d, Location %q; want 303 to the manage page", resp.StatusCode, manage)
	}
	if code, body := get(t, base+manage); code != 200 || !strings.Contains(body, "Your place is confirmed") {
		t.Fatalf("manage page: status %d", code)
	}
	// The job queue, running in serve, delivers the confirmation to the
	// dev mailbox.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var status string
		err := db.QueryRowContext(context.Background(),
			`SELECT status FROM messages WHERE to_email = $1 AND kind = $2`, "dana@example.org", "booking_confirmed").Scan(&status)
		if err == nil && status == "kept" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("confirmation not in the dev mailbox after 30s (status %q, %v)", status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The mail log is for staff signed in with messages:read.
	if code, body := get(t, base+"/admin/messages"); code != 200 || !strings.Contains(body, "Sign in to the staff area") {
		t.Fatalf("/admin/messages with no session: status %d, want the sign-in page", code)
	}
	if _, err := account.New(account.Options{DB: db}).AddUser(context.Background(), audit.CommandLine("test"),
		account.Profile{Email: "coord@example.org", Role: account.Coordinator}, "correct horse battery", time.Now()); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	staff := &http.Client{Jar: jar}
	resp, err = staff.PostForm(base+"/admin/login", url.Values{"email": {"coord@example.org"}, "password": {"correct horse battery"},
		"next": {"/admin/messages"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "dana@example.org") {
		t.Fatalf("/admin/messages after signing in: status %d or the confirmation missing", resp.StatusCode)
	}

	if err := stop(); err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
}

// TestBookingsCommand lists an event's bookings as CSV and JSON
// (TestBookingsCSVExport reads every column).
func TestBookingsCommand(t *testing.T) {
	dbURL := dbtest.URL(t)
	db := dbtest.OpenURL(t, dbURL)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := catalogtest.Course(t, db, func(c *catalog.Course) { c.Events[0].Capacity = 1; c.Waitlist = true })
	svc := booking.NewService(booking.Options{DB: db, Catalog: catalog.NewStore(db, catalog.Hooks{})})
	for _, name := range []string{"Ann", "Ben"} {
		_, err := svc.Book(context.Background(), booking.Request{EventID: c.Events[0].ID, Name: name,
			Email: strings.ToLower(name) + "@example.org", Organisation: "Clinic", Role: "Nurse", SystemChecked: true,
			AccessNeeds: "Step-free access"}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatal(err)
		}
	}
	id := fmt.Sprint(c.Events[0].ID)
	out, stderr, err := cli(t, dbURL, "bookings", "-event", id, "-format", "csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(out, "\ufeff")), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "1,confirmed,,") || !strings.HasPrefix(lines[2], "2,waitlisted,1,") {
		t.Fatalf("CSV:\n%s", out)
	}
	if strings.Contains(out, "Step-free") {
		t.Fatal("access needs listed without -access-needs")
	}
	out, _, err = cli(t, dbURL, "bookings", "-event", id, "-format", "json", "-access-needs")
	var rows []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 || rows[1]["waiting_position"] != float64(1) ||
		rows[0]["access_needs"] != "Step-free access" {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if _, _, err := cli(t, dbURL, "bookings", "-event", "999999"); err == nil || !strings.Contains(err.Error(), "no event") {
		t.Fatalf("unknown event: got %v", err)
	}
}

// TestMessagesCommand lists the mail a booking queued.
func TestMessagesCommand(t *testing.T) {
	dbURL := dbtest.URL(t)
	db := dbtest.OpenURL(t, dbURL)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := catalogtest.Course(t, db, nil)
	a := testApp(t, dbURL, db)
	if _, err := a.bookings.Book(context.Background(), booking.Request{EventID: c.Events[0].ID, Name: "Ann",
		Email: "ann@example.org", Organisation: "Clinic", Role: "Nurse", SystemChecked: true}, audit.ParticipantOf(0)); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := cli(t, dbURL, "messages")
	if err != nil || !strings.Contains(out, "queued") || !strings.Contains(out, "booking_confirmed") || !strings.Contains(out, "ann@example.org") {
		t.Fatalf("messages: %v %s\n%s", err, stderr, out)
	}
	out, _, err = cli(t, dbURL, "messages", "-all", "-format", "json")
	var rows []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0]["status"] != "queued" || rows[0]["attempts"] != float64(0) {
		t.Fatalf("messages -all -format json: %v\n%s", err, out)
	}
	if _, _, err := cli(t, dbURL, "messages", "-due", "-all"); err == nil {
		t.Fatal("-due with -all accepted")
	}
}

// TestImportLateChange re-imports a course file that moves a date a few
// days away: refused without -confirm-late, then accepted with it, and
// the person booked is told. plenary schedule shows the date's timetable.
func TestImportLateChange(t *testing.T) {
	dbURL := dbtest.URL(t)
	c := catalogtest.NewCourse(time.Now())
	c.Events[0].Days[0].Date = catalog.DateOf(time.Now().AddDate(0, 0, 3))
	file, a := importFixture(t, dbURL, c)
	stored, err := a.catalog.CourseBySlug(context.Background(), c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	eventID := stored.Events[0].ID
	if _, err := a.bookings.Book(context.Background(), booking.Request{EventID: eventID, Name: "Ann",
		Email: "ann@example.org", Organisation: "Clinic", Role: "Nurse", SystemChecked: true}, audit.ParticipantOf(0)); err != nil {
		t.Fatal(err)
	}

	c.Events[0].Days[0].Start = catalog.Clock{Minutes: 11 * 60, Valid: true}
	writeCourse(t, file, c)
	_, _, err = cli(t, dbURL, "import", file)
	if err == nil || !strings.Contains(err.Error(), "-confirm-late") {
		t.Fatalf("late change without -confirm-late: got %v", err)
	}
	out, stderr, err := cli(t, dbURL, "import", "-confirm-late", file)
	if err != nil || !strings.Contains(out, "changed (now version 2)") || !strings.Contains(out, "Times: 10:00–17:00") {
		t.Fatalf("late change with -confirm-late: %v %s\n%s", err, stderr, out)
	}
	out, _, err = cli(t, dbURL, "messages", "-all")
	if err != nil || !strings.Contains(out, "event_changed") {
		t.Fatalf("the change notice was not queued: %v\n%s", err, out)
	}
	out, _, err = cli(t, dbURL, "schedule", "-event", fmt.Sprint(eventID))
	if err != nil || !strings.Contains(out, "Joining instructions: 09:00") || !strings.Contains(out, "ann@example.org") {
		t.Fatalf("schedule: %v\n%s", err, out)
	}
}
