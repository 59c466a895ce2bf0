package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/config"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// cliEnv runs plenary with args and the given environment.
func cliEnv(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return out.String(), errOut.String(), err
}

// migrated makes a new database, migrated by `plenary migrate`, and
// returns its URL and a pool on it.
func migrated(t *testing.T) (string, *database.DB) {
	t.Helper()
	dbURL := dbtest.URL(t)
	if out, stderr, err := cli(t, dbURL, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, out, stderr)
	}
	return dbURL, dbtest.OpenURL(t, dbURL)
}

// testApp builds the services on db as the commands do.
func testApp(t *testing.T, dbURL string, db *database.DB) *app {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return map[string]string{"PLENARY_DATABASE_URL": dbURL}[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := newApp(cfg, db, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCommandsRefuseMissingDatabase: pointed at a database that is not
// there, every command but serve and migrate fails, says where it looked
// and how to point it elsewhere, and creates nothing.
func TestCommandsRefuseMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "plenary.db")
	file := filepath.Join(dir, "course.md")
	if err := os.WriteFile(file, catalog.FormatCourseFile(catalogtest.NewCourse(time.Now())), 0o600); err != nil {
		t.Fatal(err)
	}
	commands := [][]string{
		{"bookings", "-event", "4"}, {"bookings", "-approve", "4"}, {"messages"}, {"schedule", "-event", "4"},
		{"export", "test-course"}, {"import", file}, {"worker"},
	}
	check := func(t *testing.T, dbURL, where string, args []string) {
		_, _, err := cli(t, dbURL, args...)
		if err == nil {
			t.Fatalf("%s: no error on a missing database", args[0])
		}
		msg := err.Error()
		for _, want := range []string{"no Plenary database", where, "PLENARY_DATABASE_URL", "plenary migrate"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: error lacks %q:\n%s", args[0], want, msg)
			}
		}
		if strings.Contains(msg, "no event with ID") {
			t.Errorf("%s: answered from an empty database: %s", args[0], msg)
		}
	}
	for _, args := range commands {
		check(t, "sqlite:"+path, path, args)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a command created %s (stat: %v)", filepath.Dir(path), err)
	}

	// A database that exists but was never migrated: an empty SQLite
	// file, or a PostgreSQL schema without Plenary's tables.
	empty := dbtest.URL(t)
	dbtest.OpenURL(t, empty).Close() // on SQLite, makes the empty file
	where := "has no Plenary tables"
	for _, args := range commands {
		check(t, empty, where, args)
	}
	if ok, err := dbtest.OpenURL(t, empty).HasSchema(context.Background()); err != nil || ok {
		t.Fatalf("a command migrated the empty database (%v, %v)", ok, err)
	}

	// migrate may create one; then the commands work.
	if _, _, err := cli(t, "sqlite:"+path, "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if out, _, err := cli(t, "sqlite:"+path, "messages"); err != nil || !strings.Contains(out, "(no messages)") {
		t.Fatalf("messages after migrate: %v\n%s", err, out)
	}
}

// TestServeRecordsSiteIdentity: serve records its base URL at start; the
// UID domain comes from the first one and stays when the address changes.
func TestServeRecordsSiteIdentity(t *testing.T) {
	dbURL := dbtest.URL(t)
	env := map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_BASE_URL": "https://training.example.org"}
	_, stop := startServe(t, env)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	db := dbtest.OpenURL(t, dbURL)
	site, err := db.Site(context.Background())
	if err != nil || site.BaseURL != "https://training.example.org" || site.UIDDomain != "training.example.org" {
		t.Fatalf("after the first serve: %+v, %v", site, err)
	}
	env["PLENARY_BASE_URL"] = "https://courses.example.com/"
	base, stop := startServe(t, env)
	// The web site's calendar files use the recorded UID domain.
	c, err := catalog.NewStore(db, catalog.Hooks{}).CourseBySlug(context.Background(), "dit-refresher")
	if err != nil {
		t.Fatal(err)
	}
	code, ics := get(t, fmt.Sprintf("%s/events/%d.ics", base, c.Events[0].ID))
	if code != 200 || !strings.Contains(ics, fmt.Sprintf("UID:event-%d-day-1@training.example.org", c.Events[0].ID)) {
		t.Errorf("calendar file after the address changed: status %d\n%s", code, ics)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	site, err = db.Site(context.Background())
	if err != nil || site.BaseURL != "https://courses.example.com" || site.UIDDomain != "training.example.org" {
		t.Fatalf("after the second serve: %+v, %v", site, err)
	}
	// A serve started without PLENARY_BASE_URL (a shell without the
	// service's environment) keeps the recorded address rather than
	// writing the default localhost into every later e-mail.
	delete(env, "PLENARY_BASE_URL")
	_, stop = startServe(t, env)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if site, err = db.Site(context.Background()); err != nil || site.BaseURL != "https://courses.example.com" {
		t.Fatalf("after a serve without PLENARY_BASE_URL: %+v, %v", site, err)
	}
}

// TestImportUsesRecordedSite: an import run with another PLENARY_BASE_URL
// mails links to the recorded address and says so; calendar UIDs keep the
// recorded domain when the address changes.
func TestImportUsesRecordedSite(t *testing.T) {
	ctx := context.Background()
	dbURL, db := migrated(t)
	if _, err := db.RecordSite(ctx, "https://training.example.org", time.Now()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := catalogtest.NewCourse(time.Now())
	file := filepath.Join(dir, "course.md")
	if err := os.WriteFile(file, catalog.FormatCourseFile(c), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := cli(t, dbURL, "import", file); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	a := testApp(t, dbURL, db)
	stored, err := a.catalog.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	eventID := stored.Events[0].ID
	res, err := a.bookings.Book(ctx, booking.Request{EventID: eventID, Name: "Ann", Email: "ann@example.org",
		Organisation: "Clinic", Role: "Nurse", SystemChecked: true, FeeTier: "Standard"}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	b := res.Booking
	uid := fmt.Sprintf("UID:event-%d-day-1@training.example.org", eventID)

	// changeNotice re-imports the course with the end moved to hour and
	// returns the change notice to Ann and its calendar file.
	changeNotice := func(env map[string]string, hour int) (body, ics, stderr string) {
		t.Helper()
		c.Events[0].Days[0].End = catalog.Clock{Minutes: hour * 60, Valid: true}
		c.Events[0].Days[0].Agenda[1].End = c.Events[0].Days[0].End
		if err := os.WriteFile(file, catalog.FormatCourseFile(c), 0o600); err != nil {
			t.Fatal(err)
		}
		env["PLENARY_DATABASE_URL"] = dbURL
		out, stderr, err := cliEnv(t, env, "import", "-confirm-late", file)
		if err != nil {
			t.Fatalf("import: %v\n%s%s", err, out, stderr)
		}
		// Read through the outbox: a message not yet sent is rendered on
		// reading.
		list, err := a.outbox.List(ctx, messaging.ListFilter{SubjectRef: booking.SubjectRef(b.ID), Kind: "event_changed", Limit: 1})
		if err != nil || len(list) == 0 {
			t.Fatalf("no change notice: %v", err)
		}
		if len(list[0].Attachments) == 0 {
			t.Fatal("change notice without a calendar file")
		}
		return list[0].Text, string(list[0].Attachments[0].Data), stderr
	}

	body, ics, stderr := changeNotice(map[string]string{"PLENARY_BASE_URL": "http://localhost:8080"}, 16)
	if !strings.Contains(body, "https://training.example.org/bookings/") || strings.Contains(body, "localhost") {
		t.Errorf("change notice links do not use the recorded address:\n%s", body)
	}
	if !strings.Contains(ics, uid) {
		t.Errorf("calendar UID is not %q:\n%s", uid, ics)
	}
	if !strings.Contains(stderr, "http://localhost:8080") || !strings.Contains(stderr, "links use https://training.example.org") {
		t.Errorf("stderr does not say the recorded address is used:\n%s", stderr)
	}

	// The site moves; the UIDs stay.
	if _, err := db.RecordSite(ctx, "https://courses.example.com", time.Now()); err != nil {
		t.Fatal(err)
	}
	body, ics, stderr = changeNotice(map[string]string{}, 15)
	if !strings.Contains(body, "https://courses.example.com/bookings/") {
		t.Errorf("change notice after the move does not link to the new address:\n%s", body)
	}
	if !strings.Contains(ics, uid) {
		t.Errorf("calendar UID changed with the address; want %q:\n%s", uid, ics)
	}
	if stderr != "" {
		t.Errorf("stderr without a PLENARY_BASE_URL of its own: %q", stderr)
	}
}

// reviewCourse is a paid course with two questions, one of which, left
// unanswered, sends the booking to review.
func reviewCourse(c *catalog.Course) {
	c.Questions = []catalog.Question{
		{Key: "training_completed", Label: "When did you complete the full DIT training?", Kind: catalog.DateAnswer, Required: true},
		{Key: "supervisor", Label: "Who supervises your DIT cases?", Kind: catalog.TextAnswer},
	}
	c.Rules = []catalog.Rule{{
		Conditions: []catalog.Condition{{Question: "supervisor", Op: catalog.OpMissing}},
		Outcome:    catalog.Review, Message: "No supervisor named: check with the clinical lead.",
	}}
	c.Events[0].TimeZone = "America/New_York"
}

// TestBookingsCSVExport reads the CSV export back: a byte-order mark,
// cells that would be formulas neutralised (and nothing else changed),
// accented names intact, and every column a coordinator needs.
func TestBookingsCSVExport(t *testing.T) {
	ctx := context.Background()
	dbURL, db := migrated(t)
	c := catalogtest.Course(t, db, reviewCourse)
	a := testApp(t, dbURL, db)
	ev, err := a.catalog.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	eventID := ev.Events[0].ID
	book := func(name, email, org, role string, answers map[string]string) booking.Booking {
		res, err := a.bookings.Book(ctx, booking.Request{EventID: eventID, Name: name, Email: email, Organisation: org,
			Role: role, FeeTier: "Standard", SystemChecked: true, Answers: answers}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatalf("book %s: %v", name, err)
		}
		return res.Booking
	}
	zoe := book("Zoë Ångström", "zoe@example.org", "Clinic", "Nurse",
		map[string]string{"training_completed": "2025-01-15", "supervisor": "Dr Ruth Öz"})
	ben := book("Ben", "ben@example.org", "Clinic", "Nurse", map[string]string{"training_completed": "2024-11-02"})
	cal := book("Cal", "cal@example.org", "Clinic, North", "Nurse", map[string]string{"training_completed": "2024-05-05", "supervisor": "Sam"})
	// Text a spreadsheet would run, set as stored (whatever input checks
	// let through today or let through in the past), and a paid booking
	// cancelled, which is owed a refund.
	for _, u := range []struct {
		id                 int64
		org, role, reg, po string
	}{
		{zoe.ID, `=HYPERLINK("http://evil.example","Click")`, "+44 20 7946 0000", "\tREG-1", "\r=PO"},
		{ben.ID, "  @SUM(A1:A9)", "-2+3", "", ""},
	} {
		if _, err := db.ExecContext(ctx, `UPDATE bookings SET organisation = $1, role = $2, registration_number = $3, po_number = $4
			WHERE id = $5`, u.org, u.role, u.reg, u.po, u.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, `UPDATE bookings SET payment = 'paid' WHERE id = $1`, cal.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.bookings.CancelByID(ctx, cal.ID, operator(), booking.CancelOptions{Reason: "test: cancelled by the coordinator"}); err != nil {
		t.Fatal(err)
	}

	out, stderr, err := cli(t, dbURL, "bookings", "-event", fmt.Sprint(eventID), "-format", "csv")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.HasPrefix(out, "\ufeff") {
		t.Fatalf("CSV does not start with a UTF-8 byte-order mark: %q", out[:min(len(out), 20)])
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not read back: %v\n%s", err, out)
	}
	if len(records) != 4 {
		t.Fatalf("%d records, want a header and 3 bookings:\n%s", len(records), out)
	}
	col := map[string]int{}
	for i, h := range records[0] {
		col[h] = i
	}
	cell := func(row int, name string) string {
		t.Helper()
		i, ok := col[name]
		if !ok {
			t.Fatalf("no column %q in %q", name, records[0])
		}
		return records[row][i]
	}
	ny, _ := time.LoadLocation("America/New_York")
	day := ev.Events[0].Days[0]
	start, _ := day.Span(ny)
	wantTimes := "10:00–17:00 New York time (" + start.Format("MST") + ")"
	for row, b := range map[int]booking.Booking{1: zoe, 2: ben, 3: cal} {
		if got := cell(row, "id"); got != fmt.Sprint(b.ID) {
			t.Errorf("row %d: id %s, want %d", row, got, b.ID)
		}
		if got, want := cell(row, "booked_at"), b.CreatedAt.In(ny).Format("2006-01-02 15:04 MST"); got != want {
			t.Errorf("row %d: booked_at %q, want %q (the event's zone)", row, got, want)
		}
		if cell(row, "course") != "Test course" || cell(row, "date") != ev.Events[0].DateLabel() || cell(row, "times") != wantTimes {
			t.Errorf("row %d: course/date/times %q, %q, %q; want %q", row, cell(row, "course"), cell(row, "date"), cell(row, "times"), wantTimes)
		}
		if cell(row, "fee_tier") != "Standard" || cell(row, "fee") != "£120.00" {
			t.Errorf("row %d: fee %q %q", row, cell(row, "fee_tier"), cell(row, "fee"))
		}
	}
	checks := []struct {
		row        int
		name, want string
	}{
		{1, "name", "Zoë Ångström"},
		{1, "organisation", `'=HYPERLINK("http://evil.example","Click")`},
		{1, "role", "'+44 20 7946 0000"},
		{1, "registration_number", "'\tREG-1"},
		{1, "po_number", `'\r=PO`}, // guarded, then the CR escaped as everywhere on the terminal
		{1, "status", "confirmed"},
		{1, "invoice", "INV-000001"},
		{1, "invoice_state", "invoiced, unpaid"},
		{1, "needs_review", "false"},
		{1, "review_reason", ""},
		{1, "cancelled_at", ""},
		{1, "When did you complete the full DIT training?", "2025-01-15"},
		{1, "Who supervises your DIT cases?", "Dr Ruth Öz"},
		{2, "organisation", "'  @SUM(A1:A9)"},
		{2, "role", "'-2+3"},
		{2, "status", "pending_review"},
		{2, "needs_review", "true"},
		{2, "review_reason", "No supervisor named: check with the clinical lead."},
		{2, "invoice_state", "not invoiced"},
		{2, "When did you complete the full DIT training?", "2024-11-02"},
		{2, "Who supervises your DIT cases?", ""},
		{3, "organisation", "Clinic, North"},
		{3, "status", "cancelled"},
		{3, "invoice_state", "refund due"},
		{3, "Who supervises your DIT cases?", "Sam"},
	}
	for _, c := range checks {
		if got := cell(c.row, c.name); got != c.want {
			t.Errorf("row %d, %s: got %q, want %q", c.row, c.name, got, c.want)
		}
	}
	cancelled, err := time.ParseInLocation("2006-01-02 15:04 MST", cell(3, "cancelled_at"), ny)
	if err != nil || time.Since(cancelled) > time.Hour || time.Since(cancelled) < -time.Hour {
		t.Errorf("cancelled_at %q (%v): not the time of cancelling in New York time", cell(3, "cancelled_at"), err)
	}
	if _, ok := col["access_needs"]; ok {
		t.Error("access needs exported without -access-needs")
	}

	// JSON has the same fields.
	out, _, err = cli(t, dbURL, "bookings", "-event", fmt.Sprint(eventID), "-format", "json")
	var rows []booking.ListingRow
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 3 {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if r := rows[1]; r.ReviewReason != "No supervisor named: check with the clinical lead." || !r.NeedsReview ||
		r.Times != wantTimes || r.Course != "Test course" || len(r.Answers) != 1 ||
		r.Answers[0] != (booking.Answer{Key: "training_completed", Question: "When did you complete the full DIT training?", Answer: "2024-11-02"}) {
		t.Errorf("JSON row for Ben: %+v", r)
	}
	if r := rows[2]; r.CancelledAt == nil || r.InvoiceState != "refund due" || zoneOffset(*r.CancelledAt) != zoneOffset(r.CancelledAt.In(ny)) {
		t.Errorf("JSON row for Cal: %+v", r)
	}
	if !strings.Contains(out, `"cancelled_at": "`) || !regexp.MustCompile(`"booked_at": "[^"]+-0[45]:00"`).MatchString(out) {
		t.Errorf("JSON times are not in the event's zone:\n%s", out)
	}
}

func zoneOffset(t time.Time) int {
	_, off := t.Zone()
	return off
}

// TestBookingsTextShowsAnswersAndReview: the terminal listing shows each
// booking's answers and the rule's message for one waiting for review.
func TestBookingsTextShowsAnswersAndReview(t *testing.T) {
	ctx := context.Background()
	dbURL, db := migrated(t)
	c := catalogtest.Course(t, db, reviewCourse)
	a := testApp(t, dbURL, db)
	stored, err := a.catalog.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.bookings.Book(ctx, booking.Request{EventID: stored.Events[0].ID, Name: "Ben", Email: "ben@example.org",
		Organisation: "Clinic", Role: "Nurse", FeeTier: "Standard", SystemChecked: true,
		Answers: map[string]string{"training_completed": "2024-11-02"}}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	b := res.Booking
	out, stderr, err := cli(t, dbURL, "bookings", "-event", fmt.Sprint(stored.Events[0].ID))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	ny, _ := time.LoadLocation("America/New_York")
	for _, want := range []string{
		"Waiting for review",
		"Needs review: No supervisor named: check with the clinical lead.",
		"When did you complete the full DIT training?: 2024-11-02",
		"booked " + b.CreatedAt.In(ny).Format("Mon 2 Jan 2006 15:04 MST"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text listing lacks %q:\n%s", want, out)
		}
	}
}

// TestOutputEscapesControlCharacters: names, subjects and errors with
// escape sequences or bidi overrides reach the terminal escaped, in every
// command that prints them, and the JSON still reads back as stored.
func TestOutputEscapesControlCharacters(t *testing.T) {
	ctx := context.Background()
	dbURL, db := migrated(t)
	c := catalogtest.Course(t, db, nil)
	a := testApp(t, dbURL, db)
	stored, err := a.catalog.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	eventID := stored.Events[0].ID
	res, err := a.bookings.Book(ctx, booking.Request{EventID: eventID, Name: "Eve", Email: "eve@example.org",
		Organisation: "Clinic", Role: "Nurse", FeeTier: "Standard", SystemChecked: true}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	b := res.Booking
	// Stored before input was checked, or by another route.
	const hostile = "Eve\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\u009b31m\x7f"
	if _, err := db.ExecContext(ctx, `UPDATE bookings SET name = $1, organisation = $1 WHERE id = $2`, hostile, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE messages SET subject = $1, to_email = $1, last_error = $1, render_data = '' WHERE subject_ref = $2`,
		hostile, booking.SubjectRef(b.ID)); err != nil {
		t.Fatal(err)
	}
	const escaped = `Eve\x1b]0;pwned\x07\x1b[2J\u202egnp.exe\x9b31m\x7f`
	id := fmt.Sprint(eventID)
	for _, args := range [][]string{
		{"bookings", "-event", id},
		{"bookings", "-event", id, "-format", "csv"},
		{"bookings", "-event", id, "-format", "json"},
		{"messages", "-all"},
		{"messages", "-all", "-format", "json"},
		{"schedule", "-event", id},
	} {
		out, stderr, err := cli(t, dbURL, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b", "\x7f"} {
			if strings.Contains(out, bad) {
				t.Errorf("%v: output holds %q raw:\n%q", args, bad, out)
			}
		}
		if args[len(args)-1] != "json" && !strings.Contains(out, escaped) {
			t.Errorf("%v: output lacks the escaped text %s:\n%s", args, escaped, out)
		}
		if args[len(args)-1] == "json" {
			var rows []map[string]any
			if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) == 0 {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
			field := "name"
			if args[0] == "messages" {
				field = "subject"
			}
			if rows[0][field] != hostile {
				t.Errorf("%v: %s reads back as %q, want %q", args, field, rows[0][field], hostile)
			}
		}
	}
	// Errors quoting input.
	var w bytes.Buffer
	printError(&w, fmt.Errorf("course.md:3: title: %s\nsecond line", hostile))
	if got, want := w.String(), "plenary: course.md:3: title: "+escaped+"\nsecond line\n"; got != want {
		t.Errorf("printError: got %q, want %q", got, want)
	}
	_, _, err = cli(t, dbURL, "bookings", "-event", id, "-format", "x\x1b[31m")
	w.Reset()
	printError(&w, err)
	if strings.Contains(w.String(), "\x1b") {
		t.Errorf("flag error printed raw: %q", w.String())
	}
}

// TestMessagesOfOneBooking: -booking ID alone lists every message of the
// booking, sent ones too, with times in the event's zone.
func TestMessagesOfOneBooking(t *testing.T) {
	ctx := context.Background()
	dbURL, db := migrated(t)
	c := catalogtest.Course(t, db, func(c *catalog.Course) { c.Events[0].TimeZone = "America/New_York" })
	a := testApp(t, dbURL, db)
	stored, err := a.catalog.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, name := range []string{"Ann", "Ben"} {
		res, err := a.bookings.Book(ctx, booking.Request{EventID: stored.Events[0].ID, Name: name,
			Email: strings.ToLower(name) + "@example.org", Organisation: "Clinic", Role: "Nurse", FeeTier: "Standard", SystemChecked: true}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Booking.ID)
	}
	// Ann's confirmation went out.
	sentAt := time.Date(2026, 1, 15, 14, 30, 0, 0, time.UTC)
	if _, err := db.ExecContext(ctx, `UPDATE messages SET status = 'sent', sent_at = $1, attempts = 1 WHERE subject_ref = $2`,
		sentAt, booking.SubjectRef(ids[0])); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := cli(t, dbURL, "messages", "-booking", fmt.Sprint(ids[0]))
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "ann@example.org") || !strings.Contains(out, "sent") || strings.Contains(out, "ben@example.org") {
		t.Fatalf("messages -booking %d:\n%s", ids[0], out)
	}
	if want := "Thu 15 Jan 2026 09:30 EST"; !strings.Contains(out, want) {
		t.Errorf("sent time not in the event's zone; want %q:\n%s", want, out)
	}
	// Without -booking, only what needs attention: Ben's queued message.
	out, _, err = cli(t, dbURL, "messages")
	if err != nil || strings.Contains(out, "ann@example.org") || !strings.Contains(out, "ben@example.org") {
		t.Fatalf("messages: %v\n%s", err, out)
	}
	out, _, err = cli(t, dbURL, "messages", "-booking", fmt.Sprint(ids[0]), "-format", "json")
	var rows []messageRow
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 1 || rows[0].SentAt == nil ||
		!rows[0].SentAt.Equal(sentAt) || !strings.Contains(out, "-05:00") {
		t.Fatalf("messages -booking -format json: %v\n%s", err, out)
	}
}

// TestBookingsShowMoves: a booking moved to another date is listed on its
// old date as moved there, not as cancelled, and the new one as moved from
// the old date — on the terminal, in the CSV and in the JSON.
func TestBookingsShowMoves(t *testing.T) {
	ctx := context.Background()
	dbURL, db := migrated(t)
	c := catalogtest.Course(t, db, func(c *catalog.Course) { // a second date a week later
		e := c.Events[0]
		e.Ref, e.Days = "second", []catalog.Day{e.Days[0]}
		e.Days[0].Date = e.Days[0].Date.AddDays(7)
		c.Events = append(c.Events, e)
	})
	a := testApp(t, dbURL, db)
	stored, err := a.catalog.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	from, to := stored.Events[0], stored.Events[1]
	res, err := a.bookings.Book(ctx, booking.Request{EventID: from.ID, Name: "Mo", Email: "mo@example.org",
		Organisation: "Clinic", Role: "Nurse", FeeTier: "Standard", SystemChecked: true}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	moved, err := a.bookings.Move(ctx, res.Booking.ID, to.ID, audit.CommandLine("test"), booking.MoveOptions{Reason: "asked by phone"})
	if err != nil {
		t.Fatal(err)
	}
	list := func(eventID int64, format string) string {
		t.Helper()
		out, stderr, err := cli(t, dbURL, "bookings", "-event", fmt.Sprint(eventID), "-format", format)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		return out
	}
	for _, tc := range []struct {
		event  int64
		format string
		want   string
	}{
		{from.ID, "text", fmt.Sprintf("Moved to %s (booking #%d)", to.DateLabel(), moved.ID)},
		{to.ID, "text", fmt.Sprintf("Confirmed, moved from %s (booking #%d)", from.DateLabel(), res.Booking.ID)},
		{from.ID, "csv", "moved to " + to.DateLabel()},
		{to.ID, "csv", "confirmed, moved from " + from.DateLabel()},
		{from.ID, "json", fmt.Sprintf(`"moved_to": %d`, moved.ID)},
		{to.ID, "json", fmt.Sprintf(`"moved_date": %q`, from.DateLabel())},
	} {
		if out := list(tc.event, tc.format); !strings.Contains(out, tc.want) {
			t.Errorf("bookings -event %d -format %s lacks %q:\n%s", tc.event, tc.format, tc.want, out)
		}
	}
	if out := list(from.ID, "text"); strings.Contains(out, "Cancelled") {
		t.Errorf("the moved booking reads as cancelled:\n%s", out)
	}
}
