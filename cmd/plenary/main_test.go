package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/demo"
	"plenary/internal/catalog"
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
	dbURL := dbtest.URL(t)
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
	if n, err := catalog.NewStore(db).CountCourses(context.Background()); err != nil || n != 0 {
		t.Fatalf("courses after a failed import: %d (%v), want 0", n, err)
	}
}

func TestExportUnknownSlug(t *testing.T) {
	_, _, err := cli(t, dbtest.URL(t), "export", "no-such-course")
	if err == nil || !strings.Contains(err.Error(), "no-such-course") {
		t.Fatalf("got %v", err)
	}
}

// TestServeDemo starts the real server with the demo catalogue on a free
// port, fetches pages, and stops it as SIGTERM would.
func TestServeDemo(t *testing.T) {
	dbURL := dbtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	getenv := func(k string) string {
		return map[string]string{"PLENARY_DATABASE_URL": dbURL, "PLENARY_LOG_FORMAT": "json"}[k]
	}
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
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve stopped early: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start within 60s")
	}
	for path, want := range map[string]string{
		"/":                      "Dynamic Interpersonal Therapy",
		"/courses/dit-refresher": "10:00–17:00 UK time (BST)",
		"/healthz":               "ok",
	} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: status %d, body lacks %q", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop within 20s of the signal")
	}
}
