package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // the driver behind stmtConnector
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The engines Plenary runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a connection pool together with the engine it talks to. Queries are
// written once for both engines; where one must differ, the store switches
// on Dialect.
type DB struct {
	*sql.DB
	Dialect Dialect

	// writers queues this process's write transactions on SQLite, which
	// allows one writer at a time. SQLite's own lock wait (busy_timeout)
	// is not fair: under a burst of bookings an unlucky transaction can
	// wait out the timeout and fail with "database is locked". Queueing
	// in Go first leaves SQLite's wait for other processes and River's
	// short housekeeping writes. Nil on PostgreSQL, which locks rows.
	writers *sync.Mutex

	// stmts is the SQLite connector whose connections cache prepared
	// statements; nil on PostgreSQL.
	stmts *stmtConnector
}

// Querier is what stores need to run statements: satisfied by *sql.DB and
// *sql.Tx, so a store can be bound to a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ErrUnsupportedURL is returned for a database URL that names neither
// SQLite nor PostgreSQL.
var ErrUnsupportedURL = errors.New("database: URL must start with sqlite: or postgres://")

// ErrNoDatabase is returned by OpenExisting when there is no Plenary
// database where the URL points: no SQLite file, or a database (or
// PostgreSQL schema) without Plenary's tables.
var ErrNoDatabase = errors.New("database: no Plenary database there")

// Open connects to the database named by rawURL: "sqlite:PATH" (or a bare
// path ending in .db) for the embedded engine, "postgres://…" or
// "postgresql://…" for PostgreSQL. It checks the connection before
// returning. A SQLite file (and its folder) that does not exist is
// created.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	return open(ctx, rawURL, true)
}

// OpenExisting is Open for a database that must exist already: it never
// creates a file, and it returns an error wrapping ErrNoDatabase when the
// SQLite file is missing or the database has none of Plenary's tables
// (an empty file, or a PostgreSQL schema that was never migrated).
func OpenExisting(ctx context.Context, rawURL string) (*DB, error) {
	db, err := open(ctx, rawURL, false)
	if err != nil {
		return nil, err
	}
	ok, err := db.HasSchema(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if !ok {
		db.Close()
		if db.Dialect == Postgres {
			return nil, fmt.Errorf("%w: the database has no Plenary tables in its schema", ErrNoDatabase)
		}
		return nil, fmt.Errorf("%w: the file has no Plenary tables", ErrNoDatabase)
	}
	return db, nil
}

// SQLitePath returns the file a sqlite: URL names, and false for a
// PostgreSQL URL.
func SQLitePath(rawURL string) (string, bool) {
	if !strings.HasPrefix(rawURL, "sqlite:") && !strings.HasSuffix(rawURL, ".db") {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "//"), true
}

// HasSchema reports whether Plenary's tables are in the database (in the
// current schema, on PostgreSQL): whether it has ever been migrated.
func (db *DB) HasSchema(ctx context.Context) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.Dialect == Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := db.QueryRowContext(ctx, q, "courses").Scan(&n); err != nil {
		return false, fmt.Errorf("database: look for Plenary's tables: %w", err)
	}
	return n > 0, nil
}

func open(ctx context.Context, rawURL string, create bool) (*DB, error) {
	var db *DB
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		pool, err := sql.Open("pgx", rawURL)
		if err != nil {
			return nil, fmt.Errorf("database: open postgres: %w", err)
		}
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		db = &DB{DB: pool, Dialect: Postgres}
	case strings.HasPrefix(rawURL, "sqlite:"), strings.HasSuffix(rawURL, ".db"):
		path, _ := SQLitePath(rawURL)
		if path == "" {
			return nil, errors.New("database: sqlite URL has no file path")
		}
		if !create {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s does not exist", ErrNoDatabase, path)
			} else if err != nil {
				return nil, fmt.Errorf("database: %w", err)
			}
		} else if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("database: create folder for %s: %w", path, err)
			}
		}
		// Each connection keeps its prepared statements (stmtcache.go).
		connector, err := newStmtConnector(sqliteDSN(path, create), stmtCacheSize)
		if err != nil {
			return nil, fmt.Errorf("database: open sqlite: %w", err)
		}
		pool := sql.OpenDB(connector)
		// WAL lets readers run beside the one writer; writers queue on
		// busy_timeout. A handful of connections is plenty for that.
		pool.SetMaxOpenConns(8)
		pool.SetMaxIdleConns(8)
		db = &DB{DB: pool, Dialect: SQLite, writers: &sync.Mutex{}, stmts: connector}
	default:
		return nil, ErrUnsupportedURL
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: connect to %s: %w", db.Dialect, err)
	}
	return db, nil
}

// begin starts a transaction. On SQLite, BEGIN IMMEDIATE waits up to
// busy_timeout for another process (or River's own writes) to let go of
// the database; on a machine so overloaded that the wait runs out, it is
// tried again a few times, which is safe because nothing has been done.
func (db *DB) begin(ctx context.Context) (*sql.Tx, error) {
	for attempt := 1; ; attempt++ {
		tx, err := db.BeginTx(ctx, nil)
		if err == nil || db.Dialect != SQLite || attempt == 3 || !isBusy(err) {
			return tx, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY ("database is
// locked").
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// sqliteDSN builds the modernc DSN. busy_timeout comes first so that the
// pragmas after it wait for a lock instead of failing; _txlock=immediate
// makes every transaction take the write lock at BEGIN, so a
// read-then-write transaction never fails half-way with "database is
// locked".
// Without create, the file is opened read-write only if it exists
// (mode=rw), so a file removed after the check is not made anew.
func sqliteDSN(path string, create bool) string {
	q := url.Values{}
	if !create {
		q.Add("mode", "rw")
	}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	// url.Values sorts keys; the pragmas keep their order within "_pragma".
	return "file:" + path + "?" + q.Encode()
}

// InTx runs fn in a transaction, committing if fn returns nil and rolling
// back otherwise. fn must not start another transaction on db.
func InTx(ctx context.Context, db *DB, fn func(tx *sql.Tx) error) error {
	if db.writers != nil {
		db.writers.Lock()
		defer db.writers.Unlock()
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("database: begin: %w", err)
	}
	// A panic in fn (recovered further up, by the web's recovery
	// middleware) must not leave the transaction open: on SQLite it would
	// hold the database's write lock until the connection is closed.
	done := false
	defer func() {
		if !done {
			tx.Rollback()
		}
	}()
	err = fn(tx)
	done = true
	if err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("database: rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("database: commit: %w", err)
	}
	return nil
}
