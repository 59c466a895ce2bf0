package database

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"
)

// Migrations in Go, for what SQL cannot do the same way on both engines.
// They are numbered with the SQL files (one sequence) and recorded in the
// same version table; there is no file for them.

// goMigration is one migration written in Go: up runs in the migration's
// transaction.
type goMigration struct {
	version int64
	up      func(ctx context.Context, tx *sql.Tx) error
}

// goMigrations are Plenary's Go migrations, in order.
var goMigrations = []goMigration{
	{15, messageSearchBackfill},
}

// gooseMigrations makes goose migrations of ms (fresh ones each time: a
// provider keeps state in them).
func gooseMigrations(ms []goMigration) []*goose.Migration {
	var out []*goose.Migration
	for _, m := range ms {
		out = append(out, goose.NewGoMigration(m.version, &goose.GoFunc{RunTx: m.up}, nil))
	}
	return out
}

// messageSearchBackfill (15) redoes the mail log's recipient search text
// of the messages stored before it existed. Migration 0014 filled it with
// SQL's lower(), which on SQLite lowers ASCII letters only (and on
// PostgreSQL depends on the database's locale), while Plenary writes it
// for new messages with Go's Unicode lowercasing (messaging.searchText:
// name and address joined by a space, trimmed, lowercased); a search for
// "zoë" missed an old message to "ZOË". Only rows that differ are written.
func messageSearchBackfill(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, to_name, to_email, to_search FROM messages`)
	if err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	type fix struct {
		id     int64
		search string
	}
	var fixes []fix
	for rows.Next() {
		var id int64
		var name, email, search string
		if err := rows.Scan(&id, &name, &email, &search); err != nil {
			rows.Close()
			return fmt.Errorf("read messages: %w", err)
		}
		if want := messageSearchText(name, email); want != search {
			fixes = append(fixes, fix{id, want})
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read messages: %w", err)
	}
	for _, f := range fixes {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET to_search = $1 WHERE id = $2`, f.search, f.id); err != nil {
			return fmt.Errorf("update message %d: %w", f.id, err)
		}
	}
	return nil
}

// messageSearchText is messaging.searchText(name, email) as of migration
// 15 (a migration keeps its own copy: it must not change with the code).
func messageSearchText(name, email string) string {
	return strings.ToLower(strings.TrimSpace(name + " " + email))
}
