package database

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// ErrSchemaOutdated is returned by CheckSchema when the database has
// migrations still to apply.
var ErrSchemaOutdated = errors.New("database: schema is older than this binary")

// migrationSource is a set of migrations: SQL files and Go migrations
// (migrate_go.go), numbered in one sequence.
type migrationSource struct {
	files fs.FS
	code  []goMigration
}

// migrationFiles returns the embedded migrations for the DB's engine.
func (db *DB) migrationFiles() fs.FS {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Dialect))
	if err != nil {
		panic(err) // the folder names are fixed at build time
	}
	return sub
}

// migrations returns Plenary's migrations for the DB's engine.
func (db *DB) migrations() migrationSource {
	return migrationSource{files: db.migrationFiles(), code: goMigrations}
}

func (db *DB) provider(ctx context.Context, src migrationSource) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if len(src.code) > 0 {
		opts = append(opts, goose.WithGoMigrations(gooseMigrations(src.code)...))
	}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		// Several instances may start at once against one database: a
		// session lock makes them migrate one after another.
		lockID, err := db.schemaLockID(ctx)
		if err != nil {
			return nil, err
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("database: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.DB, src.files, opts...)
	if err != nil {
		return nil, fmt.Errorf("database: migrations: %w", err)
	}
	return p, nil
}

// schemaLockID is the PostgreSQL advisory lock ID for migrating the
// current schema. The lock is per schema, so installations (and tests) in
// other schemas of the same database do not wait for each other.
func (db *DB) schemaLockID(ctx context.Context) (int64, error) {
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return 0, fmt.Errorf("database: current schema: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte(schema))
	return lock.DefaultLockID ^ int64(h.Sum64()>>1), nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns how many it applied: Plenary's own, then those of the River job
// queue (see RiverDriver), counted together.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	return db.migrate(ctx, db.migrations())
}

func (db *DB) migrate(ctx context.Context, src migrationSource) (int, error) {
	p, err := db.provider(ctx, src)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("database: migrate: %w", err)
	}
	n, err := db.migrateRiver(ctx)
	return len(res) + n, err
}

// SchemaVersion reports the version the database is at and the newest
// version this binary knows. A brand-new database is at version 0.
func (db *DB) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	return db.schemaVersion(ctx, db.migrations())
}

func (db *DB) schemaVersion(ctx context.Context, src migrationSource) (current, latest int64, err error) {
	p, err := db.provider(ctx, src)
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("database: schema version: %w", err)
	}
	return current, latest, nil
}

// Prepare readies the database for serving: a brand-new database is always
// migrated (so the first run just works); an existing one with pending
// migrations — Plenary's or the job queue's — is migrated only when
// autoMigrate is set, and otherwise Prepare returns ErrSchemaOutdated.
func (db *DB) Prepare(ctx context.Context, autoMigrate bool) error {
	return db.prepare(ctx, autoMigrate, db.migrations())
}

func (db *DB) prepare(ctx context.Context, autoMigrate bool, src migrationSource) error {
	current, latest, err := db.schemaVersion(ctx, src)
	if err != nil {
		return err
	}
	if current > latest {
		return fmt.Errorf("database: schema version %d is newer than this binary (%d): run a newer plenary", current, latest)
	}
	riverPending, err := db.riverPending(ctx)
	if err != nil {
		return err
	}
	if current == latest && riverPending == 0 {
		return nil
	}
	if current != 0 && !autoMigrate {
		if current == latest {
			return fmt.Errorf("%w (the job queue has %d migration(s) to apply): run `plenary migrate` or set PLENARY_AUTO_MIGRATE=true", ErrSchemaOutdated, riverPending)
		}
		return fmt.Errorf("%w (at %d, needs %d): run `plenary migrate` or set PLENARY_AUTO_MIGRATE=true", ErrSchemaOutdated, current, latest)
	}
	_, err = db.migrate(ctx, src)
	return err
}
