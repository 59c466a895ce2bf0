package database_test

import (
	"context"
	"testing"
	"time"

	"plenary/internal/database/dbtest"
)

// TestMessageSubjectMigration checks migration 0009 on both engines: a
// message stored with a booking_id is about "booking/<id>" afterwards, one
// about no booking about nothing, and booking_id is gone.
func TestMessageSubjectMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.Open(t)
	if err := db.MigrateBefore(ctx, 9); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, booking := range []any{int64(42), nil} {
		_, err := db.ExecContext(ctx, `INSERT INTO messages (kind, dedupe_key, booking_id, to_email, subject, text_body,
			message_id_header, scheduled_at, created_at) VALUES ('confirmation', $1, $2, 'ann@example.org', 'Booked', 'Hello',
			$1, $3, $3)`, "key/"+string(rune('a'+i)), booking, now)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT dedupe_key, subject_ref FROM messages ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var key, ref string
		if err := rows.Scan(&key, &ref); err != nil {
			t.Fatal(err)
		}
		got = append(got, key+"="+ref)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != "key/a=booking/42" || got[1] != "key/b=" {
		t.Errorf("after 0009: %v, want key/a=booking/42 and key/b=", got)
	}
	if _, err := db.ExecContext(ctx, `SELECT booking_id FROM messages`); err == nil {
		t.Error("messages.booking_id is still there")
	}
}
