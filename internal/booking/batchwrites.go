package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// A batch of bookings (groupcommit.go) writes nothing while its requests
// run: each request adds its rows (its booking with its answers, its
// manage-link token, its audit entry, its e-mail) to the batch's
// dateState, and flush writes them all at the end in a few statements of
// many rows each, rather than five or six statements per person. A
// request that fails simply leaves its rows out (the batch keeps a
// request's changes to its dateState only when the request succeeds, and
// forgets the e-mails it added to the batch's shared messaging.JobBatch),
// so no savepoint is needed to undo it.
//
// Writing later means deciding some things earlier, under the date's
// lock: a booking's ID (the waiting list's order, and what its token,
// audit entry and e-mail name) and its invoice number are given out by
// the batch, and a person booking twice in one batch is found among the
// batch's own bookings as well as in the database.

// tokenRow is a manage-link token to insert.
type tokenRow struct {
	hash      string
	bookingID int64
	at        time.Time
}

// pendingWrites are the rows a batch has yet to write.
type pendingWrites struct {
	bookings []Booking // with their IDs, in ID order
	tokens   []tokenRow
	audits   []audit.Entry

	idRead bool    // SQLite: lastID holds the largest booking ID so far
	lastID int64   // SQLite
	ids    []int64 // PostgreSQL: IDs taken from the sequence, not yet given out

	invoiceRead   bool  // invoiceStored holds the invoice counter (locked)
	invoiceStored int64 // the counter as stored
	invoiceLast   int64 // the last invoice number given out
	invoiceDirty  bool  // invoiceLast is ahead of the stored counter
}

// newBookingID gives the next booking the next ID. Under the date's lock
// (and, on SQLite, the database's write lock) IDs only grow, so a
// waiting list in ID order is in the order people were taken. want is
// how many more this batch may ask for: PostgreSQL takes that many from
// the bookings' sequence in one query (unused ones are a gap, as after
// any rolled-back insert).
func (ds *dateState) newBookingID(ctx context.Context, want int) (int64, error) {
	if ds.store.dialect == database.Postgres {
		if len(ds.ids) == 0 {
			ids, err := ds.store.ids(ctx, `SELECT nextval(pg_get_serial_sequence('bookings', 'id'))
				FROM generate_series(1, $1)`, max(want, 1))
			if err != nil {
				return 0, fmt.Errorf("booking ids: %w", err)
			}
			slices.Sort(ids)
			ds.ids = ids
		}
		id := ds.ids[0]
		ds.ids = ds.ids[1:]
		return id, nil
	}
	if !ds.idRead {
		if err := ds.store.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM bookings`).Scan(&ds.lastID); err != nil {
			return 0, fmt.Errorf("booking ids: %w", err)
		}
		ds.idRead = true
	}
	ds.lastID++
	return ds.lastID, nil
}

// nextInvoice gives out the next invoice number: the counter is read (and
// on PostgreSQL locked until the batch commits) once, and written back by
// flush.
func (ds *dateState) nextInvoice(ctx context.Context) (int64, error) {
	if !ds.invoiceRead {
		q := `SELECT last FROM invoice_counter WHERE id = 1`
		if ds.store.dialect == database.Postgres {
			q += ` FOR UPDATE`
		}
		if err := ds.store.q.QueryRowContext(ctx, q).Scan(&ds.invoiceStored); err != nil {
			return 0, fmt.Errorf("invoice number: %w", err)
		}
		ds.invoiceRead, ds.invoiceLast = true, ds.invoiceStored
	}
	ds.invoiceLast++
	ds.invoiceDirty = true
	return ds.invoiceLast, nil
}

// addBooking keeps b (its ID given) to insert, with its audit entry.
func (ds *dateState) addBooking(b Booking, entry audit.Entry) error {
	after, err := json.Marshal(stateOf(b))
	if err != nil {
		return fmt.Errorf("audit: %s after: %w", entry.Action, err)
	}
	entry.After = after
	if !entry.Actor.Valid() {
		return audit.ErrInvalid
	}
	ds.bookings = append(ds.bookings, b)
	ds.audits = append(ds.audits, entry)
	return nil
}

// addToken keeps a manage-link token to insert.
func (ds *dateState) addToken(bookingID int64, hash string, at time.Time) {
	ds.tokens = append(ds.tokens, tokenRow{hash: hash, bookingID: bookingID, at: at})
}

// pendingActive is the batch's own active booking of the person with
// e-mail key on the date, if it took one.
func (ds *dateState) pendingActive(key string) (Booking, bool) {
	for _, b := range ds.bookings {
		if emailKey(b.Email) == key && b.Status.Active() {
			return b, true
		}
	}
	return Booking{}, false
}

// flush writes the pending rows and e-mails in the batch's transaction
// and forgets them.
func (ds *dateState) flush(ctx context.Context) error {
	st := ds.store
	if err := st.insertBookings(ctx, ds.bookings); err != nil {
		return err
	}
	if err := st.insertTokens(ctx, ds.tokens); err != nil {
		return fmt.Errorf("insert %d tokens: %w", len(ds.tokens), err)
	}
	if err := audit.RecordMany(ctx, st.q, st.dialect, ds.audits); err != nil {
		return fmt.Errorf("audit: record %d bookings: %w", len(ds.audits), err)
	}
	if ds.invoiceDirty {
		// From the value read, so that a counter moved meanwhile (which
		// the lock rules out) fails loudly rather than numbering twice.
		res, err := st.q.ExecContext(ctx, `UPDATE invoice_counter SET last = $1 WHERE id = 1 AND last = $2`,
			ds.invoiceLast, ds.invoiceStored)
		if err != nil {
			return fmt.Errorf("invoice number: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("invoice number: the counter moved from %d while the batch held it (%d rows, %v)", ds.invoiceStored, n, err)
		}
		ds.invoiceStored, ds.invoiceDirty = ds.invoiceLast, false
	}
	ds.bookings, ds.tokens, ds.audits = ds.bookings[:0], ds.tokens[:0], ds.audits[:0]
	if ds.sends != nil {
		return ds.sends.Flush(ctx, ds.tx)
	}
	return nil
}
