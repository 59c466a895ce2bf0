package database

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// BatchSize is the most values InBatches binds in one statement. SQLite
// allows 32,766 placeholders and PostgreSQL 65,535; a smaller batch keeps
// statements short.
const BatchSize = 500

// InBatches calls fn for each run of up to BatchSize values, with the
// placeholders "$1, $2, …" for an IN list and the values as arguments, so
// that one portable statement serves any number of values. No values, no
// calls.
func InBatches[T any](values []T, fn func(marks string, args []any) error) error {
	for len(values) > 0 {
		part := values[:min(len(values), BatchSize)]
		values = values[len(part):]
		marks := make([]string, len(part))
		args := make([]any, len(part))
		for i, v := range part {
			marks[i], args[i] = "$"+strconv.Itoa(i+1), v
		}
		if err := fn(strings.Join(marks, ", "), args); err != nil {
			return err
		}
	}
	return nil
}

// insertShapes are the row counts InsertRows puts in one statement,
// largest first: any number of rows goes in a few statements of a few
// fixed shapes, so the statement caches (SQLite's per connection here,
// pgx's on PostgreSQL) keep each shape prepared instead of one statement
// per row count.
var insertShapes = [...]int{64, 16, 4, 1}

// InsertRows inserts rows of width values each (args holds them one row
// after another) with head + "($1, …), (…)" + tail per statement, where
// head is "INSERT INTO t (a, b) VALUES " and tail is empty or, say,
// " ON CONFLICT … RETURNING …". With scan set, each statement is a
// query and scan is called for each row it returns. Rows go in their
// order, statement by statement.
//
// On SQLite (d) the placeholders are plain "?": the driver looks up each
// numbered placeholder's name in a list as long as the statement's
// placeholders, which for a statement of a thousand values costs more
// than the insert itself. Any other d, "" included, numbers them, which
// both engines read.
func InsertRows(ctx context.Context, q Querier, d Dialect, head, tail string, width int, args []any, scan func(*sql.Rows) error) error {
	if width <= 0 || len(args)%width != 0 {
		return fmt.Errorf("database: %d values do not make rows of %d", len(args), width)
	}
	for len(args) > 0 {
		rows := len(args) / width
		n := insertShapes[len(insertShapes)-1]
		for _, s := range insertShapes {
			if s <= rows {
				n = s
				break
			}
		}
		part := args[:n*width]
		args = args[n*width:]
		query := head + valueRows(n, width, d == SQLite) + tail
		if scan == nil {
			if _, err := q.ExecContext(ctx, query, part...); err != nil {
				return err
			}
			continue
		}
		if err := queryRows(ctx, q, query, part, scan); err != nil {
			return err
		}
	}
	return nil
}

func queryRows(ctx context.Context, q Querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// valueRows is "($1, $2), ($3, $4)" for n rows of width placeholders
// (with plain, "(?, ?), (?, ?)"), made once per shape.
func valueRows(n, width int, plain bool) string {
	key := [3]int{n, width, 0}
	if plain {
		key[2] = 1
	}
	if s, ok := shapes.Load(key); ok {
		return s.(string)
	}
	var b strings.Builder
	p := 1
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range width {
			if c > 0 {
				b.WriteString(", ")
			}
			if plain {
				b.WriteByte('?')
				continue
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	shapes.Store(key, b.String())
	return b.String()
}

var shapes sync.Map // [3]int{rows, width, plain} → valueRows
