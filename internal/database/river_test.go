package database_test

import (
	"context"
	"errors"
	"testing"

	"github.com/riverqueue/river/rivermigrate"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

// TestMigrateCreatesRiverTables checks that River's tables come with
// Plenary's, in the connection's own schema on PostgreSQL (dbtest gives each
// test a private one through search_path).
func TestMigrateCreatesRiverTables(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	for _, table := range []string{"river_job", "river_leader", "river_queue", "river_migration", "messages"} {
		var n int
		var err error
		switch db.Dialect {
		case database.Postgres:
			err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.tables
				WHERE table_schema = current_schema() AND table_name = $1`, table).Scan(&n)
		default:
			err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`, table).Scan(&n)
		}
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s: table %s found %d times in the current schema, want 1", db.Dialect, table, n)
		}
	}
	// A second run applies nothing.
	n, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second Migrate applied %d migration(s), want 0", n)
	}
}

// TestPrepareRefusesPendingRiverMigrations treats a River migration still to
// apply like one of Plenary's: refused without auto-migrate, applied with it.
func TestPrepareRefusesPendingRiverMigrations(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	m, err := rivermigrate.New(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Take River back one version, as if this binary brought a newer River.
	res, err := m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{MaxSteps: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Versions) != 1 {
		t.Fatalf("down one step: %d versions", len(res.Versions))
	}
	if err := db.Prepare(ctx, false); !errors.Is(err, database.ErrSchemaOutdated) {
		t.Fatalf("Prepare without auto-migrate: got %v, want ErrSchemaOutdated", err)
	}
	if err := db.Prepare(ctx, true); err != nil {
		t.Fatalf("Prepare with auto-migrate: %v", err)
	}
	v, err := m.Validate(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK {
		t.Fatalf("after auto-migrate River reports %v", v.Messages)
	}
	if err := db.Prepare(ctx, false); err != nil {
		t.Fatalf("Prepare on an up-to-date database: %v", err)
	}
}
