package database

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// TestPrepareRefusesOldSchema checks the start-up rule with two made-up
// migration sets: a database at version 1 is "old" for a binary that knows
// version 2, and is migrated only when asked.
func TestPrepareRefusesOldSchema(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1 := fstest.MapFS{
		"0001_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n")},
	}
	v2 := fstest.MapFS{
		"0001_a.sql": v1["0001_a.sql"],
		"0002_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n")},
	}
	if err := db.prepare(ctx, false, migrationSource{files: v1}); err != nil {
		t.Fatalf("new database: %v", err)
	}
	err = db.prepare(ctx, false, migrationSource{files: v2})
	if !errors.Is(err, ErrSchemaOutdated) {
		t.Fatalf("old schema without auto-migrate: got %v, want ErrSchemaOutdated", err)
	}
	if _, err := db.ExecContext(ctx, `SELECT id FROM b`); err == nil {
		t.Fatal("table b exists although Prepare refused to migrate")
	}
	if err := db.prepare(ctx, true, migrationSource{files: v2}); err != nil {
		t.Fatalf("old schema with auto-migrate: %v", err)
	}
	if _, err := db.ExecContext(ctx, `SELECT id FROM b`); err != nil {
		t.Fatalf("table b after auto-migrate: %v", err)
	}
}
