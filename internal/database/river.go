package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverDriver returns the River job-queue driver for the DB's engine. Both
// work on database/sql, so River's transactions are *sql.Tx and a job can
// be inserted in the same transaction as the change that needs it. The
// PostgreSQL driver polls for new jobs instead of using LISTEN/NOTIFY.
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	if db.Dialect == Postgres {
		return riverdatabasesql.New(db.DB)
	}
	return riversqlite.New(db.DB)
}

// riverMigrator returns River's own migrator. Its tables go in the schema
// the connection is in (search_path on PostgreSQL), beside Plenary's.
func (db *DB) riverMigrator() (*rivermigrate.Migrator[*sql.Tx], error) {
	m, err := rivermigrate.New(db.RiverDriver(), &rivermigrate.Config{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return nil, fmt.Errorf("database: river migrations: %w", err)
	}
	return m, nil
}

// riverPending reports how many of River's migrations are still to apply.
func (db *DB) riverPending(ctx context.Context) (int, error) {
	m, err := db.riverMigrator()
	if err != nil {
		return 0, err
	}
	done, err := m.ExistingVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("database: river schema version: %w", err)
	}
	applied := make(map[int]bool, len(done))
	for _, v := range done {
		applied[v.Version] = true
	}
	n := 0
	for _, v := range m.AllVersions() {
		if !applied[v.Version] {
			n++
		}
	}
	return n, nil
}

// migrateRiver applies River's pending migrations, each in its own
// transaction, and returns how many it applied. On PostgreSQL it holds a
// per-schema advisory lock meanwhile, as goose does for Plenary's own
// migrations, so instances starting together do not race.
func (db *DB) migrateRiver(ctx context.Context) (int, error) {
	m, err := db.riverMigrator()
	if err != nil {
		return 0, err
	}
	if db.Dialect == Postgres {
		unlock, err := db.riverLock(ctx)
		if err != nil {
			return 0, err
		}
		defer unlock()
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("database: river migrate: %w", err)
	}
	return len(res.Versions), nil
}

// riverLock takes a session advisory lock on its own connection and
// returns the function that releases it.
func (db *DB) riverLock(ctx context.Context) (func(), error) {
	id, err := db.schemaLockID(ctx)
	if err != nil {
		return nil, err
	}
	id ^= 0x726976 // "riv": distinct from the goose lock of the same schema
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("database: river migration lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, id); err != nil {
		conn.Close()
		return nil, fmt.Errorf("database: river migration lock: %w", err)
	}
	return func() {
		_, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, id)
		if err != nil {
			// Throw the session away rather than return it to the pool
			// still holding the lock; ending the session releases it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}
