package booking

import (
	"context"
	"database/sql"
)

// On SQLite every statement run with a query string is parsed anew
// (sqlite3_prepare_v2): in a booking that was a quarter of the CPU. A
// batch of bookings (groupcommit.go) therefore runs its statements
// through statements prepared once per batch, on the transaction's own
// connection: a date's rush parses each statement once, not once a
// person. (Statements prepared on the pool would need a free connection
// while the batch holds the write lock, or a goroutine of their own that
// outlives the caller.) On PostgreSQL pgx already keeps a cache of
// prepared statements per connection, so the store runs its queries as
// they are.

// maxPrepared bounds one transaction's statements: queries built for a
// number of IDs differ by length, and past the bound run unprepared.
const maxPrepared = 64

// txStmts runs statements in tx, each prepared the first time it runs;
// it is a database.Querier. Only for SQLite: a failed prepare there
// leaves the transaction as it was, and the unprepared statement reports
// the error.
type txStmts struct {
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func (p *txStmts) stmt(ctx context.Context, query string) *sql.Stmt {
	if st, ok := p.m[query]; ok {
		return st
	}
	if len(p.m) >= maxPrepared {
		return nil
	}
	st, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if p.m == nil {
		p.m = map[string]*sql.Stmt{}
	}
	p.m[query] = st
	return st
}

func (p *txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.tx.ExecContext(ctx, query, args...)
}

func (p *txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.tx.QueryContext(ctx, query, args...)
}

func (p *txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, query, args...)
}
