// Package dbtest gives each test a fresh, migrated database: a SQLite file
// in the test's temporary folder by default, or a private schema in the
// PostgreSQL database named by PLENARY_TEST_POSTGRES_URL. The same store
// tests therefore run on both engines, in parallel.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
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
	u, drop, err := Schema(context.Background(), base, "t_")
	if err != nil {
		t.Fatalf("dbtest: %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return u
}

// Schema creates a new schema, named prefix and random letters, in the
// PostgreSQL database at base and returns a URL that selects it through
// search_path (pgx sends it as a run-time parameter), and a func that
// drops it. Tests use it through URL; the bench programs call it directly.
func Schema(ctx context.Context, base, prefix string) (dbURL string, drop func() error, err error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("database URL: %w", err)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	schema := prefix + hex.EncodeToString(b)
	admin, err := database.Open(ctx, base)
	if err != nil {
		return "", nil, err
	}
	if admin.Dialect != database.Postgres {
		admin.Close()
		return "", nil, errors.New("a schema needs a postgres:// URL")
	}
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop = func() error {
		defer admin.Close()
		if _, err := admin.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// Engine reports which engine the tests run on, for messages.
func Engine() database.Dialect {
	if strings.TrimSpace(os.Getenv(PostgresEnv)) != "" {
		return database.Postgres
	}
	return database.SQLite
}
