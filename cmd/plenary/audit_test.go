package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog/catalogtest"
)

// TestAuditCommand: an import records the operator's changes, and
// plenary audit lists them newest first, filtered by object, actor,
// action and time, as text or JSON in PLENARY_TIMEZONE.
func TestAuditCommand(t *testing.T) {
	dbURL, db := migrated(t)
	file := filepath.Join(t.TempDir(), "course.md")
	c := catalogtest.NewCourse(time.Now())
	writeCourse(t, file, c)
	if _, stderr, err := cli(t, dbURL, "import", file); err != nil {
		t.Fatalf("import: %v %s", err, stderr)
	}
	c.Events[0].Capacity = 30
	writeCourse(t, file, c)
	if _, stderr, err := cli(t, dbURL, "import", file); err != nil {
		t.Fatalf("second import: %v %s", err, stderr)
	}
	// A dry run records nothing.
	c.Title = "Not saved"
	writeCourse(t, file, c)
	if _, stderr, err := cli(t, dbURL, "import", "-n", file); err != nil {
		t.Fatalf("dry run: %v %s", err, stderr)
	}
	a := testApp(t, dbURL, db)
	stored, err := a.catalog.CourseBySlug(context.Background(), c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	eventID := strconv.FormatInt(stored.Events[0].ID, 10)

	env := map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_TIMEZONE": "America/New_York"}
	out, stderr, err := cliEnv(t, env, "audit", "-format", "json")
	if err != nil {
		t.Fatalf("audit: %v %s", err, stderr)
	}
	var entries []auditEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("audit -format json: %v\n%s", err, out)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action+" "+en.Object)
		if en.Actor.Kind != audit.Operator || en.Actor.Name != operator().Name {
			t.Errorf("%s: actor %+v, want the operator %q", en.Action, en.Actor, operator().Name)
		}
		at, err := time.Parse(time.RFC3339, en.At)
		if err != nil {
			t.Fatalf("%s: at %q: %v", en.Action, en.At, err)
		}
		if _, off := at.Zone(); off != -5*3600 && off != -4*3600 {
			t.Errorf("%s: at %q is not in New York time", en.Action, en.At)
		}
	}
	want := []string{"course.update course", "event.update event", "course.create course", "event.create event"}
	if strings.Join(actions, ", ") != strings.Join(want, ", ") {
		t.Fatalf("entries: got %v, want %v (newest first; nothing from the dry run)", actions, want)
	}
	var after struct {
		Capacity int `json:"capacity"`
	}
	if err := json.Unmarshal(entries[1].After, &after); err != nil || after.Capacity != 30 {
		t.Fatalf("event.update after: %s (%v), want capacity 30", entries[1].After, err)
	}

	for _, tt := range []struct {
		args []string
		want []string // the action of each line, newest first; nil for none
	}{
		{[]string{"-object", "course"}, []string{"course.update", "course.create"}},
		{[]string{"-object", "event:" + eventID}, []string{"event.update", "event.create"}},
		{[]string{"-action", "event."}, []string{"event.update", "event.create"}},
		{[]string{"-action", "course.create"}, []string{"course.create"}},
		{[]string{"-actor", "operator"}, []string{"course.update", "event.update", "course.create", "event.create"}},
		{[]string{"-actor", "system"}, nil},
		{[]string{"-actor", "operator:someone-else"}, nil},
		{[]string{"-since", time.Now().AddDate(0, 0, 2).Format(time.DateOnly)}, nil},
		{[]string{"-since", time.Now().AddDate(0, 0, -2).Format(time.DateOnly), "-limit", "1"}, []string{"course.update"}},
	} {
		out, stderr, err := cliEnv(t, env, append([]string{"audit"}, tt.args...)...)
		if err != nil {
			t.Fatalf("audit %v: %v %s", tt.args, err, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if tt.want == nil {
			if out != "(no entries)\n" {
				t.Errorf("audit %v: got\n%s\nwant (no entries)", tt.args, out)
			}
			continue
		}
		if !strings.HasPrefix(lines[0], "ID") || len(lines) != len(tt.want)+1 {
			t.Errorf("audit %v: got\n%s\nwant a header and %v", tt.args, out, tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(lines[i+1], "  "+w+"  ") {
				t.Errorf("audit %v: line %d is %q, want %s", tt.args, i+1, lines[i+1], w)
			}
		}
	}

	// The text sums up the change.
	out, _, _ = cli(t, dbURL, "audit", "-object", "event:"+eventID, "-limit", "1")
	if !strings.Contains(out, "capacity: 20 → 30") {
		t.Errorf("event.update line lacks the capacity change:\n%s", out)
	}

	// Loading the demo is recorded as the demo job's.
	if err := loadDemoInto(t, a); err != nil {
		t.Fatal(err)
	}
	out, _, err = cli(t, dbURL, "audit", "-actor", "system:demo", "-action", "course.")
	if err != nil || strings.Count(out, "course.create") != 3 || !strings.Contains(out, "system demo") {
		t.Errorf("audit of the demo: %v\n%s", err, out)
	}
}

func loadDemoInto(t *testing.T, a *app) error {
	t.Helper()
	// loadDemo fills only an empty catalogue.
	if _, err := a.db.ExecContext(context.Background(), `DELETE FROM courses`); err != nil {
		t.Fatal(err)
	}
	return loadDemo(context.Background(), a.catalog, time.UTC, slog.New(slog.DiscardHandler))
}

// TestAuditCommandEscapesAndRefuses: outside data is escaped on the
// terminal, and bad filters are refused in plain words.
func TestAuditCommandEscapesAndRefuses(t *testing.T) {
	dbURL, db := migrated(t)
	evil := "mallory\x1b]0;pwned\x07\u202e"
	if err := audit.Record(context.Background(), db, time.Now(), audit.CommandLine(evil), "booking.cancel", "booking", 42,
		map[string]string{"status": "confirmed"}, map[string]string{"status": "cancelled\x1b[2J"}, "asked\x1b[31m"); err != nil {
		t.Fatal(err)
	}
	out, _, err := cli(t, dbURL, "audit", "-object", "booking:42")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out, "\x1b\x07\u202e") || !strings.Contains(out, `mallory\x1b]0;pwned\x07\u202e`) ||
		!strings.Contains(out, "reason: asked") {
		t.Fatalf("text output not escaped:\n%q", out)
	}
	out, _, err = cli(t, dbURL, "audit", "-format", "json")
	if err != nil || strings.ContainsAny(out, "\x1b\x07\u202e") {
		t.Fatalf("json output not escaped (%v):\n%q", err, out)
	}

	for _, args := range [][]string{
		{"-object", "booking:x"}, {"-object", ":4"}, {"-actor", "nobody"}, {"-actor", "participant:ann"},
		{"-actor", "operator:"}, {"-since", "yesterday"}, {"-format", "xml"},
	} {
		_, _, err := cli(t, dbURL, append([]string{"audit"}, args...)...)
		if err == nil {
			t.Errorf("audit %v: no error", args)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "audit:") || strings.Contains(msg, "strconv") {
			t.Errorf("audit %v: error %q carries an internal prefix", args, msg)
		}
	}
}
