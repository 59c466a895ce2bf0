package database_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

func TestMigrationFoldersMatch(t *testing.T) {
	names := func(dialect string) []string {
		entries, err := os.ReadDir(filepath.Join("migrations", dialect))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out
	}
	sqlite, pg := names("sqlite"), names("postgres")
	if len(sqlite) == 0 {
		t.Fatal("no migrations found")
	}
	if len(sqlite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(sqlite), len(pg))
	}
	for i := range sqlite {
		if sqlite[i] != pg[i] {
			t.Errorf("migration %d: sqlite %q, postgres %q", i, sqlite[i], pg[i])
		}
	}
}

func TestPrepareNewDatabaseMigrates(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	if err := db.Prepare(ctx, false); err != nil {
		t.Fatalf("Prepare on a new database: %v", err)
	}
	current, latest, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if current != latest || current == 0 {
		t.Fatalf("after Prepare: at %d, latest %d", current, latest)
	}
	// A second Prepare is a no-op.
	if err := db.Prepare(ctx, false); err != nil {
		t.Fatalf("second Prepare: %v", err)
	}
}

func TestInTxRollsBack(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := database.InTx(ctx, db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO courses (slug, title, created_at, updated_at) VALUES ($1, $2, $3, $3)`,
			"rolled-back", "Rolled back", sqlNow()); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want boom", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM courses`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("after rollback: %d courses, want 0", n)
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	_, err := database.Open(context.Background(), "mysql://x")
	if !errors.Is(err, database.ErrUnsupportedURL) {
		t.Fatalf("got %v, want ErrUnsupportedURL", err)
	}
}

func sqlNow() time.Time { return time.Now().UTC() }

// TestInTxRollsBackOnPanic: a panic inside the transaction (recovered by
// the caller, as the web's recovery middleware does) rolls it back, so the
// next write is not left waiting for a lock that is never released.
func TestInTxRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE panic_probe (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		database.InTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO panic_probe (n) VALUES (1)`); err != nil {
				t.Fatal(err)
			}
			panic("a bug in a handler")
		})
	}()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := database.InTx(wctx, db, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(wctx, `INSERT INTO panic_probe (n) VALUES (2)`)
		return err
	})
	if err != nil {
		t.Fatalf("the next write after a panic: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM panic_probe`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows: %d, %v; want only the second write", n, err)
	}
}
