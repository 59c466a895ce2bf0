package database_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

func TestInBatches(t *testing.T) {
	values := make([]int64, 2*database.BatchSize+1)
	for i := range values {
		values[i] = int64(i)
	}
	var sizes []int
	var seen []int64
	err := database.InBatches(values, func(marks string, args []any) error {
		sizes = append(sizes, len(args))
		if got := strings.Count(marks, "$"); got != len(args) {
			t.Errorf("%d placeholders for %d values", got, len(args))
		}
		if !strings.HasPrefix(marks, "$1, $2") && len(args) > 1 {
			t.Errorf("placeholders start %q, want $1, $2", marks[:min(len(marks), 8)])
		}
		for _, a := range args {
			seen = append(seen, a.(int64))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || sizes[0] != database.BatchSize || sizes[2] != 1 {
		t.Fatalf("batch sizes %v, want [%d %d 1]", sizes, database.BatchSize, database.BatchSize)
	}
	for i, v := range seen {
		if v != int64(i) {
			t.Fatalf("value %d is %d: order lost", i, v)
		}
	}
	calls := 0
	if err := database.InBatches([]string(nil), func(string, []any) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatalf("no values: %d calls, %v", calls, err)
	}
}

// TestInsertRows inserts 87 rows (statements of 64, 16, 4, 1, 1 and 1
// rows) on the engine under test and reads back every row, in order, both
// through RETURNING and from the table; a conflicting row is left out of
// RETURNING; values that do not make whole rows are refused.
func TestInsertRows(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE pairs (n INTEGER PRIMARY KEY, word TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const total = 87
	args := make([]any, 0, 2*total)
	for i := range total {
		args = append(args, i, fmt.Sprintf("w%d", i))
	}
	var returned []int
	collect := func(r *sql.Rows) error {
		var n int
		err := r.Scan(&n)
		returned = append(returned, n)
		return err
	}
	err := database.InsertRows(ctx, db, db.Dialect, `INSERT INTO pairs (n, word) VALUES `, ` RETURNING n`, 2, args, collect)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(returned)
	if len(returned) != total || returned[0] != 0 || returned[total-1] != total-1 {
		t.Fatalf("RETURNING gave %d rows (%v…), want %d", len(returned), returned[:min(3, len(returned))], total)
	}
	rows, err := db.QueryContext(ctx, `SELECT n, word FROM pairs ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var n int
		var w string
		if err := rows.Scan(&n, &w); err != nil {
			t.Fatal(err)
		}
		if n != i || w != fmt.Sprintf("w%d", i) {
			t.Fatalf("row %d is (%d, %s)", i, n, w)
		}
	}
	if i != total {
		t.Fatalf("%d rows stored, want %d", i, total)
	}
	// Two rows, one of which is already there: RETURNING names only the new one.
	returned = returned[:0]
	err = database.InsertRows(ctx, db, db.Dialect, `INSERT INTO pairs (n, word) VALUES `, ` ON CONFLICT (n) DO NOTHING RETURNING n`, 2,
		[]any{5, "again", 100, "new"}, collect)
	if err != nil || fmt.Sprint(returned) != "[100]" {
		t.Fatalf("insert with a conflict: returned %v, %v; want [100]", returned, err)
	}
	// A key twice in one statement: the first row stands, the second is
	// left out (messaging.JobBatch relies on it).
	returned = returned[:0]
	err = database.InsertRows(ctx, db, db.Dialect, `INSERT INTO pairs (n, word) VALUES `, ` ON CONFLICT (n) DO NOTHING RETURNING n`, 2,
		[]any{300, "first", 300, "second"}, collect)
	var word string
	if err == nil {
		err = db.QueryRowContext(ctx, `SELECT word FROM pairs WHERE n = 300`).Scan(&word)
	}
	if err != nil || fmt.Sprint(returned) != "[300]" || word != "first" {
		t.Fatalf("a key twice in one statement: returned %v, stored %q, %v; want [300] and the first row", returned, word, err)
	}
	// Numbered placeholders ("" dialect) serve either engine.
	if err := database.InsertRows(ctx, db, "", `INSERT INTO pairs (n, word) VALUES `, "", 2, []any{200, "x", 201, "y"}, nil); err != nil {
		t.Fatalf("numbered placeholders: %v", err)
	}
	var words string
	if err := db.QueryRowContext(ctx, `SELECT word FROM pairs WHERE n = 201`).Scan(&words); err != nil || words != "y" {
		t.Fatalf("row 201: %q, %v", words, err)
	}
	if err := database.InsertRows(ctx, db, db.Dialect, `INSERT INTO pairs (n, word) VALUES `, "", 2, []any{1, "a", 2}, nil); err == nil {
		t.Fatal("three values as rows of two: accepted")
	}
}
