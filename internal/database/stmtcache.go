package database

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync"
	"sync/atomic"

	"modernc.org/sqlite"
)

// A per-connection prepared-statement cache for SQLite.
//
// database/sql keeps no statements per connection: every ExecContext and
// QueryContext that is not a *sql.Stmt makes modernc.org/sqlite parse the
// SQL again (sqlite3_prepare_v2), and so do River's queries over the same
// pool. stmtConnector wraps modernc's connector; each connection it opens
// keeps up to stmtCacheSize prepared statements by query text, least
// recently used evicted (and closed).
//
// What modernc does, and what this relies on (v1.62): a driver.Stmt from
// PrepareContext holding exactly one statement keeps its sqlite3_stmt and
// resets it after each Exec, and when the Rows of a Query is closed, so it
// can be run again; a string of more than one statement is parsed again
// statement by statement on every run, so such strings are not cached.
// A statement prepared with sqlite3_prepare_v2 is prepared again by SQLite
// itself when the schema changes (SQLITE_SCHEMA never reaches us).
//
// A cached statement is used by one call at a time: while the Rows of a
// query on it are open, the same text on the same connection (a query
// nested in a loop over rows) takes the driver's own, uncached path.
// Transactions are the wrapped connection's own: BEGIN, COMMIT and
// ROLLBACK never pass through the cache, savepoints are ordinary Exec
// calls. Errors are the driver's, unwrapped, so errors.As finds
// *sqlite.Error.

// stmtCacheSize bounds the statements kept per connection. Plenary's and
// River's distinct statements number a few hundred at most, spread over
// the paths a connection serves.
const stmtCacheSize = 128

// stmtCacheMaxQuery is the longest query text cached: longer ones are
// built on the fly (a multi-row insert) and rarely repeat.
const stmtCacheMaxQuery = 16 << 10

// stmtConnector opens SQLite connections that cache their statements.
type stmtConnector struct {
	base driver.Connector
	size int

	// prepares counts statements prepared for the cache; uncached counts
	// calls that went the driver's own way (not cacheable, or the cached
	// statement was busy). For tests and benches.
	prepares, uncached atomic.Int64
	// closes counts cached statements closed (evicted, or with their
	// connection).
	closes atomic.Int64
}

func newStmtConnector(dsn string, size int) (*stmtConnector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &stmtConnector{base: base, size: size}, nil
}

// Connect implements driver.Connector.
func (c *stmtConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("database: the sqlite driver's connection lacks the context interfaces")
	}
	return &stmtConn{inner: inner, connector: c, entries: map[string]*list.Element{}}, nil
}

// Driver implements driver.Connector.
func (c *stmtConnector) Driver() driver.Driver { return c.base.Driver() }

// sqliteConn is what modernc's connection implements and the cache
// forwards.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachedStmt is a statement in a connection's cache.
type cachedStmt struct {
	query string
	stmt  driver.Stmt
	// inUse: a call, or open Rows, is using the statement. orphan: it has
	// left the cache (evicted, or the connection closed) while in use, and
	// is closed when released.
	inUse, orphan bool
}

// stmtConn is one SQLite connection with its statement cache. database/sql
// uses a driver.Conn from one goroutine at a time (Rows.Close included,
// under the connection's lock); mu guards the cache anyway, cheaply.
type stmtConn struct {
	inner     sqliteConn
	connector *stmtConnector

	mu      sync.Mutex
	lru     list.List // of *cachedStmt, most recently used first
	entries map[string]*list.Element
	closed  bool
}

// Unwrap returns modernc's connection (sqlite.Limit looks for it).
func (c *stmtConn) Unwrap() driver.Conn { return c.inner }

func (c *stmtConn) Prepare(query string) (driver.Stmt, error) { return c.inner.Prepare(query) }

// PrepareContext is the caller's own statement (db.Prepare): not cached.
func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}

func (c *stmtConn) Begin() (driver.Tx, error) { return c.inner.Begin() } //nolint:staticcheck // forwarded for completeness

func (c *stmtConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

func (c *stmtConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

func (c *stmtConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

func (c *stmtConn) IsValid() bool { return c.inner.IsValid() }

// Close closes the cached statements, then the connection. A statement
// still in use (database/sql closes a connection only when it is idle, so
// this is a safeguard) is closed when released.
func (c *stmtConn) Close() error {
	c.mu.Lock()
	c.closed = true
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		cs := e.Value.(*cachedStmt)
		if cs.inUse {
			cs.orphan = true
			continue
		}
		if err := c.closeStmt(cs); err != nil {
			errs = append(errs, err)
		}
	}
	c.lru.Init()
	clear(c.entries)
	c.mu.Unlock()
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

// ExecContext runs query on a cached statement.
func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		c.connector.uncached.Add(1)
		return c.inner.ExecContext(ctx, query, args)
	}
	defer c.release(cs)
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext runs query on a cached statement, which stays in use until
// the Rows are closed.
func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		c.connector.uncached.Add(1)
		return c.inner.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.release(cs)
		return nil, err
	}
	sr, ok := rows.(sqliteRows)
	if !ok { // not modernc's Rows as this file knows them: hand them over unwrapped
		return &plainRows{Rows: rows, conn: c, cs: cs}, nil
	}
	return &cachedRows{sqliteRows: sr, conn: c, cs: cs}, nil
}

// acquire returns query's cached statement, marked in use, preparing and
// caching it if need be; nil (and no error) when query is not cacheable or
// its statement is in use.
func (c *stmtConn) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	c.mu.Lock()
	if e, ok := c.entries[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.inUse {
			c.mu.Unlock()
			return nil, nil
		}
		cs.inUse = true
		c.lru.MoveToFront(e)
		c.mu.Unlock()
		return cs, nil
	}
	c.mu.Unlock()

	// A trailing ";\n" would leave modernc a "tail" and make it parse the
	// statement again on every run: prepare the text without it.
	stmt, err := c.inner.PrepareContext(ctx, strings.TrimRight(query, " \t\r\n"))
	if err != nil {
		return nil, err
	}
	c.connector.prepares.Add(1)
	_, okExec := stmt.(driver.StmtExecContext)
	_, okQuery := stmt.(driver.StmtQueryContext)
	if !okExec || !okQuery {
		stmt.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: stmt, inUse: true}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		cs.orphan = true
		return cs, nil
	}
	c.entries[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.connector.size {
		last := c.lru.Back()
		old := last.Value.(*cachedStmt)
		c.lru.Remove(last)
		delete(c.entries, old.query)
		if old.inUse {
			old.orphan = true
		} else {
			c.closeStmt(old)
		}
	}
	return cs, nil
}

// release marks cs free again, or closes it if it left the cache meanwhile.
func (c *stmtConn) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.inUse = false
	orphan := cs.orphan
	c.mu.Unlock()
	if orphan {
		c.closeStmt(cs)
	}
}

func (c *stmtConn) closeStmt(cs *cachedStmt) error {
	c.connector.closes.Add(1)
	return cs.stmt.Close()
}

// cacheable reports whether query may be kept prepared: one statement
// (no ';' outside comments, string literals and quoted names, but a
// trailing one), not blank, of a reasonable length.
func cacheable(query string) bool {
	if len(query) > stmtCacheMaxQuery {
		return false
	}
	end := -1 // after the last ';' seen
	text := false
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; ch {
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				j := strings.IndexByte(query[i:], '\n')
				if j < 0 {
					i = len(query)
				} else {
					i += j
				}
				continue
			}
		case '/':
			if i+1 < len(query) && query[i+1] == '*' {
				j := strings.Index(query[i+2:], "*/")
				if j < 0 {
					return false
				}
				i += 2 + j + 1
				continue
			}
		case '\'', '"', '`', '[':
			closing := ch
			if ch == '[' {
				closing = ']'
			}
			j := strings.IndexByte(query[i+1:], closing)
			if j < 0 {
				return false
			}
			i += 1 + j // a doubled quote is two literals in a row: same result
		case ';':
			end = i
			continue
		case ' ', '\t', '\r', '\n':
			continue
		}
		if end >= 0 {
			return false // something after a ';': more than one statement
		}
		text = true
	}
	return text
}

// sqliteRows is what modernc's Rows implement and cachedRows forwards, so
// that (*sql.Rows).ColumnTypes keeps its answers.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows are the Rows of a cached statement: closing them resets the
// statement (modernc) and frees it for the next call.
type cachedRows struct {
	sqliteRows
	conn *stmtConn
	cs   *cachedStmt
	done bool
}

func (r *cachedRows) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	err := r.sqliteRows.Close()
	r.conn.release(r.cs)
	return err
}

// plainRows is cachedRows for Rows without the column-type interfaces.
type plainRows struct {
	driver.Rows
	conn *stmtConn
	cs   *cachedStmt
	done bool
}

func (r *plainRows) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	err := r.Rows.Close()
	r.conn.release(r.cs)
	return err
}
