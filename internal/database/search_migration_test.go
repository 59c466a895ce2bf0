package database_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"plenary/internal/database/dbtest"
)

// TestMessageSearchMigration checks migration 15 on both engines: messages
// stored before 0014 get the mail log's recipient search text exactly as
// Plenary writes it for new ones (Go's Unicode lowercasing, trimmed), so
// "zoë" finds an old message to "ZOË" on SQLite too, and a message with no
// name has no leading space.
func TestMessageSearchMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.Open(t)
	if err := db.MigrateBefore(ctx, 14); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, to := range [][2]string{{"ZOË Ünal", "ZOË.UNAL@Example.ORG"}, {"", "Ann@Example.org"}, {"Ben B", "ben@example.org"}} {
		_, err := db.ExecContext(ctx, `INSERT INTO messages (kind, dedupe_key, to_name, to_email, subject, text_body,
			message_id_header, scheduled_at, created_at) VALUES ('confirmation', $1, $2, $3, 'Booked', 'Hello', $1, $4, $4)`,
			"key/"+string(rune('a'+i)), to[0], to[1], now)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT to_search FROM messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"zoë ünal zoë.unal@example.org", "ann@example.org", "ben b ben@example.org"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("to_search after migrating: %q, want %q", got, want)
	}
}
