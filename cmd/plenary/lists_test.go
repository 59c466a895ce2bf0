package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/catalog/catalogtest"
	"plenary/internal/lists"
)

// TestListsImportCommand: -n prints the counts and changes nothing; the
// import subscribes with consent held, lists bad rows by line, and a
// second run changes nothing.
func TestListsImportCommand(t *testing.T) {
	dbURL, db := migrated(t)
	course := catalogtest.Course(t, db, nil)
	env := map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_LIST_SECRET": strings.Repeat("s", 40)}
	file := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(file, []byte("email,name\nann@example.org,Ann\nnope,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"lists", "import", "-mode", "held", "-course", course.Slug, "-source", "Paper forms, spring open day", "-date", "2025-04-01"}
	out, stderr, err := cliEnv(t, env, append(append([]string{}, args[:2]...), append([]string{"-n"}, append(args[2:], file)...)...)...)
	if err != nil || !strings.Contains(out, "would import") || !strings.Contains(out, "confirmed on consent held: 1") ||
		!strings.Contains(out, "people.csv:3: \"nope\" is not an e-mail address") {
		t.Fatalf("-n: %v\n%s%s", err, out, stderr)
	}
	svc := lists.NewService(lists.Options{DB: db, Secret: []byte(strings.Repeat("s", 40))})
	if subs, _ := svc.Subscriptions(context.Background(), "ann@example.org"); len(subs) != 0 {
		t.Fatalf("-n imported: %+v", subs)
	}
	out, stderr, err = cliEnv(t, env, append(args, file)...)
	if err != nil || !strings.Contains(out, "confirmed on consent held: 1") {
		t.Fatalf("import: %v\n%s%s", err, out, stderr)
	}
	subs, _ := svc.Subscriptions(context.Background(), "ann@example.org")
	if len(subs) != 1 || subs[0].Status != lists.Confirmed || subs[0].CourseID != course.ID {
		t.Fatalf("imported: %+v", subs)
	}
	out, _, err = cliEnv(t, env, append(args, file)...)
	if err != nil || !strings.Contains(out, "already confirmed: 1") || !strings.Contains(out, "confirmed on consent held: 0") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if _, _, err := cliEnv(t, env, "lists", "import", "-mode", "held", file); err == nil {
		t.Error("no target: no error")
	}
}
