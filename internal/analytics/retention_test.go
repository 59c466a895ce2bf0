package analytics_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"plenary/internal/analytics"
	"plenary/internal/database/dbtest"
)

// TestEraseOlderThan keeps the counts of the last N UK days, today
// included, and erases every earlier day's, on both engines: with a fixed
// clock at 00:30 BST on 12 June (still 11 June in UTC) and 10 days kept,
// 3 June is the first day kept and 2 June goes.
func TestEraseOlderThan(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	for _, d := range []string{"2026-05-01", "2026-06-01", "2026-06-02", "2026-06-03", "2026-06-12"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO page_views (day, path, referrer_host, views) VALUES ($1, '/', '', 3)`, d); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 6, 11, 23, 30, 0, 0, time.UTC)
	if got := analytics.RetentionCutoff(now, 10).String(); got != "2026-06-03" {
		t.Errorf("cutoff %s, want 2026-06-03", got)
	}
	r := analytics.NewReport(db)
	if n, err := r.EraseOlderThan(ctx, now, 0); err != nil || n != 0 {
		t.Fatalf("0 days must keep everything: %d, %v", n, err)
	}
	n, err := r.EraseOlderThan(ctx, now, 10)
	if err != nil || n != 3 {
		t.Fatalf("erased %d (%v), want 3", n, err)
	}
	var left []string
	rows, err := db.QueryContext(ctx, `SELECT day FROM page_views ORDER BY day`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		left = append(left, d)
	}
	if want := []string{"2026-06-03", "2026-06-12"}; !reflect.DeepEqual(left, want) {
		t.Errorf("left %v, want %v", left, want)
	}
	if n, err := r.EraseOlderThan(ctx, now, 10); err != nil || n != 0 {
		t.Errorf("second run erased %d (%v)", n, err)
	}
}
