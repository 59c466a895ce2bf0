// Package dbtest gives each test a fresh, migrated database: a SQLite file
// in the test's temporary folder by default, or a private schema in the
// PostgreSQL database named by PLENARY_TEST_POSTGRES_URL. The same store
// tests therefore run on both engines, in parallel.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/database"
)

// PostgresEnv names the environment variable that switches tests to
// PostgreSQL.
const PostgresEnv = "PLENARY_TEST_POSTGRES_URL"

// New returns a migrated database that is closed (and, on PostgreSQL,
// dropped) when the test ends.
func New(t testing.TB) *database.DB {
	t.Helper()
	db := Open(t)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("dbtest: migrate: %v", err)
	}
	return db
}

// Open returns an empty, unmigrated database with the same lifetime as New.
func Open(t testing.TB) *database.DB {
	t.Helper()
	return OpenURL(t, URL(t))
}

// OpenURL opens a second pool on a database made by URL, for tests that
// need several pools (as several Plenary processes would have).
func OpenURL(t testing.TB, rawURL string) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), rawURL)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// URL makes a new empty database and returns its URL: a SQLite file, or a
// fresh PostgreSQL schema selected through search_path.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	schema := "t_" + randomHex(t, 8)
	admin, err := database.Open(context.Background(), base)
	if err != nil {
		t.Fatalf("dbtest: connect to %s: %v", PostgresEnv, err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("dbtest: drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx sends it as a run-time parameter
	u.RawQuery = q.Encode()
	return u.String()
}

// Engine reports which engine the tests run on, for messages.
func Engine() database.Dialect {
	if strings.TrimSpace(os.Getenv(PostgresEnv)) != "" {
		return database.Postgres
	}
	return database.SQLite
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("dbtest: random: %v", err)
	}
	return hex.EncodeToString(b)
}
