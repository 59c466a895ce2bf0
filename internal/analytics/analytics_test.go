package analytics_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"plenary/internal/analytics"
	"plenary/internal/database/dbtest"
	"plenary/internal/workdays"
)

// clock is a fixed clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func day(s string) workdays.Date {
	d, err := workdays.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestCountAndReport adds views across two UK days (23:30 UTC in summer
// is already the next day in the UK), flushes twice so the second flush
// adds to stored rows, and reads them back by path and by referrer, on
// both engines.
func TestCountAndReport(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	clk := &clock{time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC)} // 23:30 BST, 1 June
	c, err := analytics.New(db, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	c.Add("/courses/dit-refresher", "https://www.Google.com:443/search?q=dit")
	c.Add("/courses/dit-refresher", "")
	c.Add("/", "not a url \x7f")
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Hour) // 00:30 BST, 2 June
	c.Add("/courses/dit-refresher", "https://www.google.com/")
	c.Add("/events/7/book", "http://localhost:8080/courses/dit-refresher")
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c.Add("/courses/dit-refresher", "https://www.google.com/")
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil { // nothing pending: no write
		t.Fatal(err)
	}

	r := analytics.NewReport(db)
	both := analytics.Period{From: day("2026-06-01"), To: day("2026-06-02")}
	got, err := r.ByPath(ctx, both)
	if err != nil {
		t.Fatal(err)
	}
	want := []analytics.PathViews{{"/courses/dit-refresher", 4}, {"/", 1}, {"/events/7/book", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by path: got %v, want %v", got, want)
	}
	got, err = r.ByPath(ctx, analytics.Period{From: day("2026-06-02"), To: day("2026-06-02")})
	if err != nil {
		t.Fatal(err)
	}
	want = []analytics.PathViews{{"/courses/dit-refresher", 2}, {"/events/7/book", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("2 June by path: got %v, want %v", got, want)
	}
	hosts, err := r.Referrers(ctx, both, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantHosts := []analytics.HostViews{{"www.google.com", 3}, {"", 2}, {"localhost", 1}}
	if !reflect.DeepEqual(hosts, wantHosts) {
		t.Errorf("referrers: got %v, want %v", hosts, wantHosts)
	}

	// Only day, path, host and count are stored: one row per key.
	var rows int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM page_views`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 5 {
		t.Errorf("%d rows, want 5 (one per day, path and referrer)", rows)
	}
}

// TestPendingIsBounded fills the map to MaxPending: a view with a new
// referrer falls back to no referrer when that key is held, and is
// dropped (and counted as dropped) when it is not.
func TestPendingIsBounded(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	clk := &clock{time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)}
	c, err := analytics.New(db, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	c.Add("/", "")
	for i := 1; i < analytics.MaxPending; i++ {
		c.Add("/", "https://h"+strconv.Itoa(i)+".example/")
	}
	c.Add("/", "https://new.example/")      // folds into ("/", "")
	c.Add("/privacy", "https://x.example/") // no key to fold into: dropped
	if c.Dropped() != 1 {
		t.Fatalf("dropped %d, want 1", c.Dropped())
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := analytics.NewReport(db).ByPath(ctx, analytics.Period{From: day("2026-01-05"), To: day("2026-01-05")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []analytics.PathViews{{"/", analytics.MaxPending + 1}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestEraseBefore deletes the days before the one given, and only them.
func TestEraseBefore(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c, err := analytics.New(db, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c.Add("/", "")
		clk.t = clk.t.AddDate(0, 0, 1)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	r := analytics.NewReport(db)
	n, err := r.EraseBefore(ctx, day("2026-03-02"))
	if err != nil || n != 1 {
		t.Fatalf("erased %d (%v), want 1", n, err)
	}
	got, err := r.ByPath(ctx, analytics.Period{From: day("2026-01-01"), To: day("2026-12-31")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []analytics.PathViews{{"/", 2}}; !reflect.DeepEqual(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
}
