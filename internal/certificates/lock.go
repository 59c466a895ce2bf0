package certificates

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"plenary/internal/booking"
	"plenary/internal/database"
)

// lockDate takes the date's lock for the rest of tx, the same lock
// booking's transactions on the date take (its lockEvent: the thank-you
// after the date, closing the register, bookings): the event's row FOR
// UPDATE on PostgreSQL. On SQLite every transaction holds the database's
// write lock from BEGIN (the DSN's _txlock=immediate), so nothing more is
// needed there. Take it first in the transaction, before any booking's
// row, as booking does, so two transactions never wait on each other in
// opposite orders.
func lockDate(ctx context.Context, tx *sql.Tx, dialect database.Dialect, eventID int64) error {
	if dialect != database.Postgres {
		return nil
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM events WHERE id = $1 FOR UPDATE`, eventID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return booking.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("lock date %d: %w", eventID, err)
	}
	return nil
}
