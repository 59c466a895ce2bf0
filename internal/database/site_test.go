package database_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

// TestOpenExistingRefusesMissingDatabase: a command pointed at a SQLite
// file that is not there, or at a database with no Plenary tables, gets
// ErrNoDatabase and nothing is created.
func TestOpenExistingRefusesMissingDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "plenary.db")
	if _, err := database.OpenExisting(ctx, "sqlite:"+path); !errors.Is(err, database.ErrNoDatabase) {
		t.Fatalf("missing file: got %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenExisting created %s (stat: %v)", filepath.Dir(path), err)
	}

	// An empty database (a new SQLite file, a fresh PostgreSQL schema).
	empty := dbtest.URL(t)
	db := dbtest.OpenURL(t, empty)
	if ok, err := db.HasSchema(ctx); err != nil || ok {
		t.Fatalf("HasSchema on an empty %s database: %v, %v", db.Dialect, ok, err)
	}
	if _, err := database.OpenExisting(ctx, empty); !errors.Is(err, database.ErrNoDatabase) {
		t.Fatalf("empty %s database: got %v, want ErrNoDatabase", db.Dialect, err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := database.OpenExisting(ctx, empty)
	if err != nil {
		t.Fatalf("migrated %s database: %v", db.Dialect, err)
	}
	got.Close()
}

// TestRecordSite: the first address sets the UID domain; a later one
// changes the address only.
func TestRecordSite(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	if _, err := db.Site(ctx); !errors.Is(err, database.ErrNoSite) {
		t.Fatalf("Site before any record: got %v, want ErrNoSite", err)
	}
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s, err := db.RecordSite(ctx, "https://Training.Example.org:8443/", t0)
	if err != nil {
		t.Fatal(err)
	}
	want := database.Site{BaseURL: "https://Training.Example.org:8443", UIDDomain: "training.example.org", RecordedAt: t0}
	if s != want {
		t.Fatalf("first record: got %+v, want %+v", s, want)
	}
	t1 := t0.Add(time.Hour)
	if s, err = db.RecordSite(ctx, "https://courses.example.com", t1); err != nil {
		t.Fatal(err)
	}
	want = database.Site{BaseURL: "https://courses.example.com", UIDDomain: "training.example.org", RecordedAt: t1}
	if s != want {
		t.Fatalf("second record: got %+v, want %+v", s, want)
	}
	if got, err := db.Site(ctx); err != nil || got != want {
		t.Fatalf("Site: got %+v, %v; want %+v", got, err, want)
	}
	if _, err := db.RecordSite(ctx, "localhost:8080", t1); err == nil {
		t.Fatal("an address without a scheme was recorded")
	}
}

// TestRecordSiteLocalFirst: a trial run on localhost gets UIDs of its own
// (never "@localhost", which another install would share), and the first
// real address replaces them once; after that the domain is fixed.
func TestRecordSiteLocalFirst(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s, err := db.RecordSite(ctx, "http://localhost:8080", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(s.UIDDomain, ".plenary.invalid") || strings.Contains(s.UIDDomain, "localhost") {
		t.Fatalf("UID domain for localhost = %q, want a random name under .plenary.invalid", s.UIDDomain)
	}
	other := dbtest.New(t)
	s2, err := other.RecordSite(ctx, "http://localhost:8080", t0)
	if err != nil {
		t.Fatal(err)
	}
	if s2.UIDDomain == s.UIDDomain {
		t.Fatalf("two installs on localhost share the UID domain %q", s.UIDDomain)
	}
	if again, err := db.RecordSite(ctx, "http://127.0.0.1:8080", t0); err != nil || again.UIDDomain != s.UIDDomain {
		t.Fatalf("another local address changed the provisional domain: %q, %v (was %q)", again.UIDDomain, err, s.UIDDomain)
	}
	real, err := db.RecordSite(ctx, "https://training.example.org", t0)
	if err != nil || real.UIDDomain != "training.example.org" {
		t.Fatalf("first real host: UID domain %q, %v; want training.example.org", real.UIDDomain, err)
	}
	for _, addr := range []string{"http://localhost:8080", "https://courses.example.com"} {
		if got, err := db.RecordSite(ctx, addr, t0); err != nil || got.UIDDomain != "training.example.org" {
			t.Fatalf("after %s: UID domain %q, %v; want it fixed at training.example.org", addr, got.UIDDomain, err)
		}
	}
}
