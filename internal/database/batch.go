package database

import (
	"strconv"
	"strings"
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
