package booking

import (
	"context"
	"database/sql"
	"sync"
)

// On SQLite every statement run with a query string is parsed anew
// (sqlite3_prepare_v2): in a booking that was a quarter of the CPU. A
// store bound to a transaction on SQLite therefore runs its statements
// through statements prepared once on the pool (database/sql prepares
// them again on each connection the first time, and keeps them). On
// PostgreSQL pgx already keeps a cache of prepared statements per
// connection, so the store runs its queries as they are.

// maxPrepared bounds the cache: queries built for a number of IDs
// (database.InBatches) differ by length, and past the bound run unprepared.
const maxPrepared = 64

// stmtCache holds statements prepared on the pool, by query text. A
// statement not yet prepared runs unprepared once while it is prepared
// in the background: preparing on the pool needs a free connection, and
// a batch holding the write lock must never wait behind a rush of reads
// for one.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt // nil while being prepared
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m) >= maxPrepared {
		return nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = nil
	go func() {
		st, err := c.db.PrepareContext(context.Background(), query)
		c.mu.Lock()
		defer c.mu.Unlock()
		if err != nil {
			delete(c.m, query) // the unprepared statement reports the error
			return
		}
		c.m[query] = st
	}()
	return nil
}

// preparedTx runs statements in tx through the cache's prepared
// statements; it is a database.Querier.
type preparedTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (p preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.cache.get(query); st != nil {
		return p.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

func (p preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.cache.get(query); st != nil {
		return p.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.cache.get(query); st != nil {
		return p.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}
