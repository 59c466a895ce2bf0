package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openCached opens a SQLite file through the statement cache with one
// connection, so that every call below lands on the same cache.
func openCached(t *testing.T, size int) (*sql.DB, *stmtConnector) {
	t.Helper()
	c, err := newStmtConnector(sqliteDSN(filepath.Join(t.TempDir(), "cache.db"), true), size)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	return db, c
}

func TestOpenUsesStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "open.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.stmts == nil {
		t.Fatal("Open's SQLite pool does not go through the statement cache")
	}
	before := db.stmts.prepares.Load()
	for range 20 {
		if _, err := db.HasSchema(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// At most one prepare per connection of the pool, not one per call.
	if n := db.stmts.prepares.Load() - before; n < 1 || n > 8 {
		t.Fatalf("20 identical queries prepared %d statements, want 1 to 8 (one per connection)", n)
	}
}

func TestStatementCacheReuses(t *testing.T) {
	db, c := openCached(t, 16)
	before := c.prepares.Load()
	for i := range 50 {
		if _, err := db.Exec(`INSERT INTO t (name) VALUES (?)`, fmt.Sprint("n", i)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM t WHERE id <= ?`, i+1).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != i+1 {
			t.Fatalf("count after %d inserts = %d", i+1, n)
		}
	}
	if n := c.prepares.Load() - before; n != 2 {
		t.Fatalf("50 inserts and 50 counts prepared %d statements, want 2", n)
	}
	// In a transaction too, savepoints included; and a trailing ";\n".
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		for _, q := range []string{"SAVEPOINT s", "RELEASE s"} {
			if _, err := tx.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.Exec("UPDATE t SET name = name || 'x' WHERE id = ?;\n", i+1); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if n := c.prepares.Load() - before; n != 5 {
		t.Fatalf("after the transaction: %d statements prepared, want 5", n)
	}
	var name string
	if err := db.QueryRow(`SELECT name FROM t WHERE id = 1`).Scan(&name); err != nil || name != "n0" {
		t.Fatalf("rolled-back update: name %q, %v; want n0", name, err)
	}
}

// TestStatementCacheNested runs the same query inside a loop over its own
// open rows, on the one connection: the inner call must not reuse the busy
// statement.
func TestStatementCacheNested(t *testing.T) {
	db, c := openCached(t, 16)
	for i := 1; i <= 5; i++ {
		if _, err := db.Exec(`INSERT INTO t (id, name) VALUES (?, ?)`, i, fmt.Sprint("n", i)); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	const q = `SELECT id, name FROM t WHERE id >= ? ORDER BY id`
	uncached := c.uncached.Load()
	rows, err := conn.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id int
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		// The same text while the outer rows are open.
		var inner []int
		r2, err := conn.QueryContext(ctx, q, id)
		if err != nil {
			t.Fatal(err)
		}
		for r2.Next() {
			var id2 int
			var n2 string
			if err := r2.Scan(&id2, &n2); err != nil {
				t.Fatal(err)
			}
			inner = append(inner, id2)
		}
		if err := r2.Close(); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(name, inner))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	want := "[n1[1 2 3 4 5] n2[2 3 4 5] n3[3 4 5] n4[4 5] n5[5]]"
	if fmt.Sprint(got) != want {
		t.Fatalf("nested queries: %v, want %s", got, want)
	}
	if n := c.uncached.Load() - uncached; n != 5 {
		t.Fatalf("%d nested queries went uncached, want 5", n)
	}
	// Free again: the next query reuses the cached statement.
	prepares := c.prepares.Load()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+q+`)`, 3).Scan(&n); err != nil || n != 3 {
		t.Fatalf("count: %d, %v", n, err)
	}
	r, err := conn.QueryContext(ctx, q, 4)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if d := c.prepares.Load() - prepares; d != 1 { // the COUNT only
		t.Fatalf("%d prepares after the nested loop, want 1", d)
	}
}

// TestStatementCacheErrors: a statement that fails keeps its type of
// error and leaves the cache usable, the same statement included.
func TestStatementCacheErrors(t *testing.T) {
	db, c := openCached(t, 16)
	const ins = `INSERT INTO t (name) VALUES (?)`
	if _, err := db.Exec(ins, "a"); err != nil {
		t.Fatal(err)
	}
	before := c.prepares.Load()
	_, err := db.Exec(ins, "a")
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE {
		t.Fatalf("duplicate insert: %v, want a *sqlite.Error SQLITE_CONSTRAINT_UNIQUE", err)
	}
	if _, err := db.Exec(ins, "b"); err != nil {
		t.Fatalf("insert after a failed one: %v", err)
	}
	// A query whose step fails (integer overflow in SUM), then succeeds.
	const sum = `SELECT SUM(v) FROM (SELECT ? AS v UNION ALL SELECT ?)`
	var s int64
	if err := db.QueryRow(sum, int64(1)<<62, int64(1)<<62).Scan(&s); err == nil {
		t.Fatal("SUM overflow did not fail")
	}
	if err := db.QueryRow(sum, 1, 2).Scan(&s); err != nil || s != 3 {
		t.Fatalf("SUM after a failed one: %d, %v", s, err)
	}
	if n := c.prepares.Load() - before; n != 1 { // the SUM; the insert was cached
		t.Fatalf("%d prepares, want 1", n)
	}
	// A statement that does not prepare is not cached, and is reported.
	if _, err := db.Exec(`SELECT nothing FROM nowhere`); err == nil || !errors.As(err, &se) {
		t.Fatalf("bad SQL: %v, want a *sqlite.Error", err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count: %d, %v", n, err)
	}
}

// TestStatementCacheSchemaChange: a cached statement sees a column added,
// and a table dropped and made again, after it was prepared.
func TestStatementCacheSchemaChange(t *testing.T) {
	db, c := openCached(t, 16)
	if _, err := db.Exec(`INSERT INTO t (name) VALUES ('a')`); err != nil {
		t.Fatal(err)
	}
	const all = `SELECT * FROM t`
	columns := func() []string {
		t.Helper()
		rows, err := db.Query(all)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			t.Fatal(err)
		}
		return cols
	}
	if got := fmt.Sprint(columns()); got != "[id name]" {
		t.Fatalf("columns %s", got)
	}
	before := c.prepares.Load()
	if _, err := db.Exec(`ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'x'`); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(columns()); got != "[id name extra]" {
		t.Fatalf("columns after ALTER: %s", got)
	}
	if _, err := db.Exec(`DROP TABLE t`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Query(all); err == nil {
		t.Fatal("query on a dropped table succeeded")
	}
	if _, err := db.Exec(`CREATE TABLE t (other INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(columns()); got != "[other]" {
		t.Fatalf("columns after a new table t: %s", got)
	}
	// Only the three schema statements were prepared; SELECT * was re-prepared by SQLite.
	if n := c.prepares.Load() - before; n != 3 {
		t.Fatalf("%d prepares, want 3", n)
	}
}

// TestStatementCacheEviction fills a small cache and checks that evicted
// statements are closed and that a statement in use when evicted is
// closed when its rows are.
func TestStatementCacheEviction(t *testing.T) {
	db, c := openCached(t, 3)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	var sc *stmtConn
	if err := conn.Raw(func(dc any) error { sc = dc.(*stmtConn); return nil }); err != nil {
		t.Fatal(err)
	}
	cached := func() []*cachedStmt {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		var out []*cachedStmt
		for e := sc.lru.Front(); e != nil; e = e.Next() {
			out = append(out, e.Value.(*cachedStmt))
		}
		return out
	}
	// The first statement stays in use (open rows) while four others come.
	closes := c.closes.Load()
	open, err := conn.QueryContext(ctx, `SELECT 0 UNION ALL SELECT 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close() // before conn.Close, should the test fail
	if len(cached()) != 2 {
		t.Fatalf("%d statements cached, want 2", len(cached()))
	}
	first := cached()[0]
	for i := 1; i <= 4; i++ {
		var n int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != i {
			t.Fatalf("SELECT %d: %d, %v", i, n, err)
		}
	}
	if got := len(cached()); got != 3 {
		t.Fatalf("%d statements cached, want 3", got)
	}
	if !first.orphan || !first.inUse {
		t.Fatal("the statement in use was not kept for its open rows")
	}
	// Evicted: the CREATE TABLE of openCached and SELECT 1, not the first.
	if d := c.closes.Load() - closes; d != 2 {
		t.Fatalf("%d statements closed on eviction, want 2", d)
	}
	var got []int
	for open.Next() {
		var n int
		open.Scan(&n)
		got = append(got, n)
	}
	if fmt.Sprint(got) != "[0 1]" {
		t.Fatalf("rows of the evicted statement: %v", got)
	}
	open.Close()
	if first.inUse {
		t.Fatal("evicted statement still in use after its rows closed")
	}
	if d := c.closes.Load() - closes; d != 3 {
		t.Fatalf("%d statements closed after the evicted one's rows, want 3", d)
	}
	before := c.prepares.Load()
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil { // evicted: prepared again
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT 4`).Scan(&n); err != nil { // still cached
		t.Fatal(err)
	}
	if d := c.prepares.Load() - before; d != 1 {
		t.Fatalf("%d prepares, want 1", d)
	}
	// Closing the connection closes what it caches: three statements.
	closes = c.closes.Load()
	conn.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if d := c.closes.Load() - closes; d != 3 {
		t.Fatalf("closing the connection closed %d statements, want 3", d)
	}
}

// TestStatementCacheConcurrent: many goroutines on a pool of several
// connections, mixing cached queries and writes (meant for -race).
func TestStatementCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "conc.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE c (id INTEGER PRIMARY KEY, g INTEGER)`); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for range 25 {
				err := InTx(ctx, db, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO c (g) VALUES (?)`, g)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				var n int
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM c WHERE g = ?`, g).Scan(&n); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM c`).Scan(&n); err != nil || n != 200 {
		t.Fatalf("rows: %d, %v; want 200", n, err)
	}
}

func TestStatementCacheable(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT 1":                                true,
		"SELECT 1;\n":                             true,
		"SELECT 1; SELECT 2":                      false,
		"-- a; comment\nSELECT 1":                 true,
		"SELECT /* a; b */ 1":                     true,
		"SELECT 'a;b', \"c;d\", [e;f] FROM t":     true,
		"SELECT 'it''s; fine'":                    true,
		"SELECT 1; -- trailing":                   true,
		"INSERT INTO t VALUES (1); DELETE FROM t": false,
		"  -- only a comment\n":                   false,
		"":                                        false,
		"SELECT 'unterminated":                    false,
		"SELECT 1 /* unterminated":                false,
	} {
		if got := cacheable(q); got != want {
			t.Errorf("cacheable(%q) = %v, want %v", q, got, want)
		}
	}
}
