package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/secret"
)

// store holds all of booking's SQL: the bookings, booking_answers,
// booking_tokens and invoice_counter tables, and the few reads of events
// that booking needs under the event's lock. The Service decides; the
// store reads and writes. It never touches another package's tables
// except events (read only), and it asks messaging nothing: the Service
// does, through messaging's API.
type store struct {
	q       database.Querier
	dialect database.Dialect
}

// newStore returns a store on db. A Service made without a database (to
// work out send times) gets a store that must not be used.
func newStore(db *database.DB) store {
	if db == nil {
		return store{}
	}
	return store{q: db, dialect: db.Dialect}
}

// withTx returns a store whose statements run in tx.
func (s store) withTx(tx *sql.Tx) store { return store{q: tx, dialect: s.dialect} }

// statusIn is the SQL condition "IN ('confirmed', …)" for statuses: the
// one place where a Status becomes SQL text. The values come from the
// constants, never from input; anything else is a programming error.
func statusIn(statuses ...Status) string {
	quoted := make([]string, len(statuses))
	for i, s := range statuses {
		if s == "" || strings.Trim(string(s), "abcdefghijklmnopqrstuvwxyz_") != "" {
			panic(fmt.Sprintf("booking: status %q in SQL", s))
		}
		quoted[i] = "'" + string(s) + "'"
	}
	return "IN (" + strings.Join(quoted, ", ") + ")"
}

// marks returns n placeholders "$from, $from+1, …".
func marks(from, n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(out, ", ")
}

// bookingColumns is the select list scanBooking reads.
const bookingColumns = `b.id, b.event_id, b.status, b.name, b.email, b.organisation, b.role, b.registration_number,
	b.access_needs, b.access_needs_erased, b.system_checked, b.needs_review, b.review_reason, b.notes,
	b.fee_tier, b.amount_minor, b.currency, b.payment, b.po_number, b.invoice_number, b.offer_expires_at,
	b.created_at, b.updated_at, b.confirmed_at, b.cancelled_at,
	b.fee_waived, b.paid_amount_minor, b.paid_currency, b.paid_on, b.paid_reference, b.moved_from, b.moved_to`

func scanBooking(row interface{ Scan(...any) error }) (Booking, error) {
	var b Booking
	var notes string
	var invoice sql.NullInt64
	var offer, confirmed, cancelled sql.NullTime
	var waived bool
	var movedFrom, movedTo sql.NullInt64
	err := row.Scan(&b.ID, &b.EventID, &b.Status, &b.Name, &b.Email, &b.Organisation, &b.Role, &b.RegistrationNumber,
		&b.AccessNeeds, &b.AccessNeedsErased, &b.SystemChecked, &b.NeedsReview, &b.ReviewReason, &notes,
		&b.FeeTier, &b.Amount, &b.Currency, &b.Payment, &b.PONumber, &invoice, &offer,
		&b.CreatedAt, &b.UpdatedAt, &confirmed, &cancelled,
		&waived, &b.PaidAmount, &b.PaidCurrency, &b.PaidOn, &b.PaidReference, &movedFrom, &movedTo)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, err
	}
	if notes != "" {
		b.Notes = strings.Split(notes, "\n")
	}
	b.InvoiceNumber = invoice.Int64
	b.MovedFrom, b.MovedTo = movedFrom.Int64, movedTo.Int64
	if waived && b.Payment == NoPayment {
		b.Payment = Waived
	}
	b.OfferExpiresAt, b.ConfirmedAt, b.CancelledAt = utc(offer), utc(confirmed), utc(cancelled)
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b, nil
}

func utc(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// nullTime stores the zero time as NULL.
func nullTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()} }

func nullInt(n int64) sql.NullInt64 { return sql.NullInt64{Int64: n, Valid: n != 0} }

// lockedEvent is what is re-read under the event's lock.
type lockedEvent struct {
	status        catalog.EventStatus
	capacity      int
	startsAt      time.Time
	version       int
	courseVersion int // its course's; read, not locked
}

// lockEvent takes the event's lock for the rest of the transaction: a row
// lock on PostgreSQL; on SQLite every transaction already holds the
// database's write lock from BEGIN (the DSN sets _txlock=immediate).
func (s store) lockEvent(ctx context.Context, eventID int64) (lockedEvent, error) {
	q := `SELECT status, capacity, starts_at, version, (SELECT version FROM courses WHERE id = events.course_id)
		FROM events WHERE id = $1`
	if s.dialect == database.Postgres {
		q += ` FOR UPDATE`
	}
	var ev lockedEvent
	err := s.q.QueryRowContext(ctx, q, eventID).Scan(&ev.status, &ev.capacity, &ev.startsAt, &ev.version, &ev.courseVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return ev, ErrEventUnavailable
	}
	ev.startsAt = ev.startsAt.UTC()
	return ev, err
}

// dueEvents lists the events that may have timed messages due: not
// cancelled, ending after from and starting by to, soonest first.
func (s store) dueEvents(ctx context.Context, from, to time.Time, limit int) ([]int64, error) {
	return s.ids(ctx, `SELECT id FROM events
		WHERE status IN ($1, $2, $3) AND ends_at > $4 AND starts_at <= $5
		ORDER BY starts_at, id LIMIT $6`,
		string(catalog.Scheduled), string(catalog.Changed), string(catalog.Completed), from, to, limit)
}

func (s store) heldPlaces(ctx context.Context, eventID int64) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE event_id = $1 AND status `+statusIn(heldStatuses...),
		eventID).Scan(&n)
	return n, err
}

// heldAndWaiting counts the event's places held and people waiting: two
// counts over the (event_id, status, id) index, each reading only the
// bookings in its statuses, so a date's cancelled bookings (or, on a date
// with no limit, which never counts, its thousands of confirmed ones) are
// never read.
func (s store) heldAndWaiting(ctx context.Context, eventID int64) (held, waiting int, err error) {
	err = s.q.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM bookings WHERE event_id = $1 AND status `+statusIn(heldStatuses...)+`),
		(SELECT COUNT(*) FROM bookings WHERE event_id = $1 AND status = $2)`, eventID, string(Waitlisted)).Scan(&held, &waiting)
	return held, waiting, err
}

func (s store) nextInvoiceNumber(ctx context.Context) (int64, error) {
	var n int64
	err := s.q.QueryRowContext(ctx, `UPDATE invoice_counter SET last = last + 1 WHERE id = 1 RETURNING last`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("invoice number: %w", err)
	}
	return n, nil
}

func (s store) insertToken(ctx context.Context, bookingID int64, hash string, now time.Time) error {
	return s.insertTokens(ctx, []tokenRow{{hash: hash, bookingID: bookingID, at: now}})
}

// insertTokens inserts manage-link tokens, many to a statement.
func (s store) insertTokens(ctx context.Context, tokens []tokenRow) error {
	args := make([]any, 0, 3*len(tokens))
	for _, t := range tokens {
		args = append(args, t.hash, t.bookingID, t.at)
	}
	return database.InsertRows(ctx, s.q, s.dialect, `INSERT INTO booking_tokens (token_hash, booking_id, created_at) VALUES `, "", 3, args, nil)
}

// bookingIDByToken resolves a manage-link secret.
func (s store) bookingIDByToken(ctx context.Context, token string) (int64, error) {
	if !secret.Plausible(token) {
		return 0, ErrNotFound
	}
	var id int64
	err := s.q.QueryRowContext(ctx, `SELECT booking_id FROM booking_tokens WHERE token_hash = $1`, secret.Hash(token)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// bookingInsertColumns are the columns bookingRow gives values for.
const bookingInsertColumns = `event_id, status, name, email, email_key, organisation, role, registration_number,
	access_needs, system_checked, needs_review, review_reason, notes, fee_tier, amount_minor,
	currency, payment, po_number, invoice_number, offer_expires_at, created_at, updated_at,
	confirmed_at, moved_from, paid_amount_minor, paid_currency, paid_on, paid_reference, fee_waived`

// bookingRow is b's values for bookingInsertColumns.
func bookingRow(b *Booking) []any {
	return []any{b.EventID, string(b.Status), b.Name, b.Email, emailKey(b.Email), b.Organisation, b.Role, b.RegistrationNumber,
		b.AccessNeeds, b.SystemChecked, b.NeedsReview, b.ReviewReason, strings.Join(b.Notes, "\n"), b.FeeTier, b.Amount,
		b.Currency, string(storedPayment(b.Payment)), b.PONumber, nullInt(b.InvoiceNumber), nullTime(b.OfferExpiresAt), b.CreatedAt,
		b.CreatedAt, nullTime(b.ConfirmedAt), nullInt(b.MovedFrom), b.PaidAmount, b.PaidCurrency, b.PaidOn, b.PaidReference,
		b.Payment == Waived}
}

// insertBooking inserts b, giving it its ID, and its answers.
func (s store) insertBooking(ctx context.Context, b *Booking) error {
	row := bookingRow(b)
	err := s.q.QueryRowContext(ctx, `INSERT INTO bookings (`+bookingInsertColumns+`) VALUES (`+marks(1, len(row))+`) RETURNING id`,
		row...).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("insert booking: %w", err)
	}
	return s.insertAnswers(ctx, []Booking{*b})
}

// insertBookings inserts bookings whose IDs are given (a batch's), many
// to a statement, and their answers.
func (s store) insertBookings(ctx context.Context, bs []Booking) error {
	if len(bs) == 0 {
		return nil
	}
	args := make([]any, 0, len(bs)*30)
	for i := range bs {
		args = append(append(args, bs[i].ID), bookingRow(&bs[i])...)
	}
	if err := database.InsertRows(ctx, s.q, s.dialect, `INSERT INTO bookings (id, `+bookingInsertColumns+`) VALUES `, "", 30, args, nil); err != nil {
		return fmt.Errorf("insert %d bookings: %w", len(bs), err)
	}
	return s.insertAnswers(ctx, bs)
}

// insertAnswers inserts the bookings' answers, many to a statement.
func (s store) insertAnswers(ctx context.Context, bs []Booking) error {
	var args []any
	for _, b := range bs {
		for k, v := range b.Answers {
			args = append(args, b.ID, k, v)
		}
	}
	if err := database.InsertRows(ctx, s.q, s.dialect, `INSERT INTO booking_answers (booking_id, question, answer) VALUES `, "", 3, args, nil); err != nil {
		return fmt.Errorf("insert answers: %w", err)
	}
	return nil
}

// saveState writes the fields a status change touches.
func (s store) saveState(ctx context.Context, b *Booking, now time.Time) error {
	b.UpdatedAt = now
	_, err := s.q.ExecContext(ctx, `
		UPDATE bookings SET status = $2, payment = $3, invoice_number = $4, offer_expires_at = $5,
		       confirmed_at = $6, cancelled_at = $7, needs_review = $8, updated_at = $9, fee_waived = $10
		WHERE id = $1`,
		b.ID, string(b.Status), string(storedPayment(b.Payment)), nullInt(b.InvoiceNumber), nullTime(b.OfferExpiresAt),
		nullTime(b.ConfirmedAt), nullTime(b.CancelledAt), b.NeedsReview, now, b.Payment == Waived)
	if err != nil {
		return fmt.Errorf("update booking %d: %w", b.ID, err)
	}
	return nil
}

// storedPayment is p as the payment column holds it: a waived fee is
// 'none' there, with fee_waived set (migration 0013 could not widen the
// column's CHECK on SQLite without rebuilding the table).
func storedPayment(p Payment) Payment {
	if p == Waived {
		return NoPayment
	}
	return p
}

// saveDetails writes a corrected name and organisation.
func (s store) saveDetails(ctx context.Context, b *Booking, now time.Time) error {
	b.UpdatedAt = now
	_, err := s.q.ExecContext(ctx, `UPDATE bookings SET name = $2, organisation = $3, updated_at = $4 WHERE id = $1`,
		b.ID, b.Name, b.Organisation, now)
	if err != nil {
		return fmt.Errorf("update booking %d: %w", b.ID, err)
	}
	return nil
}

// eraseAccessNeeds erases the access needs of bookings on events that
// ended before cutoff and returns the IDs of the bookings erased.
func (s store) eraseAccessNeeds(ctx context.Context, cutoff, now time.Time) ([]int64, error) {
	return s.ids(ctx, `
		UPDATE bookings SET access_needs = '', access_needs_erased = $1, updated_at = $2
		WHERE access_needs <> '' AND event_id IN (SELECT id FROM events WHERE ends_at < $3)
		RETURNING id`, true, now, cutoff)
}

// byID reads a booking with its answers and queue position.
func (s store) byID(ctx context.Context, id int64) (Booking, error) {
	b, err := scanBooking(s.q.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.id = $1`, id))
	if err != nil {
		return b, err
	}
	return b, s.fillDetails(ctx, &b)
}

// activeByEmail reads the person's active booking on the event, with its
// answers and queue position.
func (s store) activeByEmail(ctx context.Context, eventID int64, email string) (Booking, error) {
	b, err := scanBooking(s.q.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings b
		WHERE b.event_id = $1 AND b.email_key = $2 AND b.status `+statusIn(activeStatuses...), eventID, emailKey(email)))
	if err != nil {
		return b, err
	}
	return b, s.fillDetails(ctx, &b)
}

// activeEmails returns which of the e-mail keys have an active booking
// on the event.
func (s store) activeEmails(ctx context.Context, eventID int64, keys []string) (map[string]bool, error) {
	out := make(map[string]bool, len(keys))
	args := make([]any, 0, len(keys)+1)
	args = append(args, eventID)
	for _, k := range keys {
		args = append(args, k)
	}
	// The partial unique index finds each key at once. Without
	// statistics SQLite's planner guesses, for more than a few keys, that
	// reading every active booking of the date is cheaper: on a date
	// with thousands it is not, so it is told.
	from := "bookings"
	if s.dialect == database.SQLite {
		from += " INDEXED BY bookings_one_active"
	}
	err := s.each(ctx, `SELECT email_key FROM `+from+` WHERE event_id = $1 AND email_key IN (`+marks(2, len(keys))+`)
		AND status `+statusIn(activeStatuses...), args, func(scan func(...any) error) error {
		var k string
		err := scan(&k)
		out[k] = true
		return err
	})
	return out, err
}

// fillDetails reads a booking's answers and queue position.
func (s store) fillDetails(ctx context.Context, b *Booking) error {
	answers, err := s.answers(ctx, `SELECT booking_id, question, answer FROM booking_answers WHERE booking_id = $1`, b.ID)
	if err != nil {
		return err
	}
	b.Answers = answers[b.ID]
	if b.Answers == nil {
		b.Answers = map[string]string{}
	}
	if b.Status == Waitlisted {
		b.WaitPosition, err = s.waitPosition(ctx, *b)
	}
	return err
}

// waitPosition is b's place in its event's queue: the queue is in id
// order, which is the order bookings were taken under the event lock.
func (s store) waitPosition(ctx context.Context, b Booking) (int, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE event_id = $1 AND status = $2 AND id <= $3`,
		b.EventID, string(Waitlisted), b.ID).Scan(&n)
	return n, err
}

// firstWaiting is the next person in the event's queue, or ErrNotFound.
func (s store) firstWaiting(ctx context.Context, eventID int64) (Booking, error) {
	return scanBooking(s.q.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings b
		WHERE b.event_id = $1 AND b.status = $2 ORDER BY b.id LIMIT 1`, eventID, string(Waitlisted)))
}

// openOffer is the event's most recent offer still open at now (see
// Service.OfferToWithdraw), or ErrNotFound.
func (s store) openOffer(ctx context.Context, eventID int64, now time.Time) (Booking, error) {
	return scanBooking(s.q.QueryRowContext(ctx, `SELECT `+bookingColumns+` FROM bookings b
		WHERE b.event_id = $1 AND b.status = $2 AND b.offer_expires_at > $3
		ORDER BY b.offer_expires_at DESC, b.id DESC LIMIT 1`, eventID, string(Offered), now))
}

// onEvent reads the event's bookings in the statuses given (all when
// none), in the order taken, with waiting-list positions (right when the
// statuses include Waitlisted: the whole queue is read). Answers are not
// read.
func (s store) onEvent(ctx context.Context, eventID int64, statuses ...Status) ([]Booking, error) {
	q := `SELECT ` + bookingColumns + ` FROM bookings b WHERE b.event_id = $1`
	if len(statuses) > 0 {
		q += ` AND b.status ` + statusIn(statuses...)
	}
	list, err := s.bookings(ctx, q+` ORDER BY b.id`, eventID)
	if err != nil {
		return nil, err
	}
	waiting := 0
	for i := range list {
		if list[i].Status == Waitlisted {
			waiting++
			list[i].WaitPosition = waiting
		}
	}
	return list, nil
}

// inStatus reads the bookings in status on all events, in the order taken.
func (s store) inStatus(ctx context.Context, status Status) ([]Booking, error) {
	return s.bookings(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.status = $1 ORDER BY b.id`, string(status))
}

// offersLapsingBy reads the offers that lapse at or before t, in the order
// taken.
func (s store) offersLapsingBy(ctx context.Context, t time.Time) ([]Booking, error) {
	return s.bookings(ctx, `SELECT `+bookingColumns+` FROM bookings b
		WHERE b.status = $1 AND b.offer_expires_at <= $2 ORDER BY b.id`, string(Offered), t)
}

// lapsedOfferIDs lists the offers whose time is up at now.
func (s store) lapsedOfferIDs(ctx context.Context, now time.Time) ([]int64, error) {
	return s.ids(ctx, `SELECT id FROM bookings WHERE status = $1 AND offer_expires_at <= $2 ORDER BY id`,
		string(Offered), now)
}

func (s store) bookings(ctx context.Context, query string, args ...any) ([]Booking, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Booking
	for rows.Next() {
		b, err := scanBooking(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s store) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// answersOnEvent reads the answers of every booking on the event, by
// booking.
func (s store) answersOnEvent(ctx context.Context, eventID int64) (map[int64]map[string]string, error) {
	return s.answers(ctx, `
		SELECT a.booking_id, a.question, a.answer FROM booking_answers a
		JOIN bookings b ON b.id = a.booking_id
		WHERE b.event_id = $1`, eventID)
}

func (s store) answers(ctx context.Context, query string, args ...any) (map[int64]map[string]string, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]map[string]string{}
	for rows.Next() {
		var id int64
		var k, v string
		if err := rows.Scan(&id, &k, &v); err != nil {
			return nil, err
		}
		if out[id] == nil {
			out[id] = map[string]string{}
		}
		out[id][k] = v
	}
	return out, rows.Err()
}

// places counts the places taken and the people waiting on each of the
// events; events without bookings are left out.
func (s store) places(ctx context.Context, eventIDs []int64) (map[int64]Places, error) {
	out := map[int64]Places{}
	err := database.InBatches(eventIDs, func(marks string, args []any) error {
		return s.each(ctx, placesQuery(marks), args, func(scan func(...any) error) error {
			var id int64
			var p Places
			if err := scan(&id, &p.Taken, &p.Waiting); err != nil {
				return err
			}
			out[id] = p
			return nil
		})
	})
	return out, err
}

// placesQuery counts the places held and waiting on the events whose IDs
// marks binds: a row per event with bookings.
func placesQuery(marks string) string {
	return `SELECT event_id,
		       SUM(CASE WHEN status ` + statusIn(heldStatuses...) + ` THEN 1 ELSE 0 END),
		       SUM(CASE WHEN status ` + statusIn(Waitlisted) + ` THEN 1 ELSE 0 END)
		FROM bookings WHERE event_id IN (` + marks + `) GROUP BY event_id`
}

// placesIfCurrent is places with, in the same statement as the first
// BatchSize events' counts, the version of course courseID: a row of its
// own, marked by an event ID of -1 (IDs are positive). current is false
// when the course is gone or at another version.
func (s store) placesIfCurrent(ctx context.Context, courseID int64, version int, eventIDs []int64) (map[int64]Places, bool, error) {
	out := map[int64]Places{}
	current := false
	first := eventIDs[:min(len(eventIDs), database.BatchSize)]
	q, args := `SELECT -1, version, 0 FROM courses WHERE id = $1`, []any{courseID}
	database.InBatches(first, func(marks string, ids []any) error { // one batch
		args = append(ids, courseID) // after the events' IDs
		q = `SELECT -1, version, 0 FROM courses WHERE id = $` + strconv.Itoa(len(args)) + ` UNION ALL ` + placesQuery(marks)
		return nil
	})
	err := s.each(ctx, q, args, func(scan func(...any) error) error {
		var id int64
		var p Places
		if err := scan(&id, &p.Taken, &p.Waiting); err != nil {
			return err
		}
		if id == -1 {
			current = p.Taken == version
		} else {
			out[id] = p
		}
		return nil
	})
	if err != nil || !current {
		return nil, false, err
	}
	if rest := eventIDs[len(first):]; len(rest) > 0 {
		more, err := s.places(ctx, rest)
		if err != nil {
			return nil, false, err
		}
		maps.Copy(out, more)
	}
	return out, true, nil
}

// eventZones returns the time zone of the event each booking is on;
// bookings that do not exist are left out.
func (s store) eventZones(ctx context.Context, bookingIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	err := database.InBatches(bookingIDs, func(marks string, args []any) error {
		return s.each(ctx, `SELECT b.id, e.time_zone FROM bookings b JOIN events e ON e.id = b.event_id
			WHERE b.id IN (`+marks+`)`, args, func(scan func(...any) error) error {
			var id int64
			var zone string
			err := scan(&id, &zone)
			out[id] = zone
			return err
		})
	})
	return out, err
}

// eventsOf returns the event each booking is on; bookings that do not
// exist are left out.
func (s store) eventsOf(ctx context.Context, bookingIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	err := database.InBatches(bookingIDs, func(marks string, args []any) error {
		return s.each(ctx, `SELECT id, event_id FROM bookings WHERE id IN (`+marks+`)`, args,
			func(scan func(...any) error) error {
				var id, event int64
				err := scan(&id, &event)
				out[id] = event
				return err
			})
	})
	return out, err
}

// each runs query and calls fn with each row's Scan.
func (s store) each(ctx context.Context, query string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// eventPlaces is an upcoming event with its places, for Attention.
type eventPlaces struct {
	id, courseID                 int64
	capacity                     int
	startsAt                     time.Time
	taken, waiting, confirmedNow int
}

// upcomingPlaces reads every event going ahead that starts after now,
// with the places taken, the people waiting and the confirmed bookings,
// soonest first: one query, whatever the number of dates.
func (s store) upcomingPlaces(ctx context.Context, now time.Time) ([]eventPlaces, error) {
	var out []eventPlaces
	err := s.each(ctx, `
		SELECT e.id, e.course_id, e.capacity, e.starts_at,
		       COALESCE(SUM(CASE WHEN b.status `+statusIn(heldStatuses...)+` THEN 1 ELSE 0 END), 0),
		       COALESCE(SUM(CASE WHEN b.status `+statusIn(Waitlisted)+` THEN 1 ELSE 0 END), 0),
		       COALESCE(SUM(CASE WHEN b.status `+statusIn(Confirmed)+` THEN 1 ELSE 0 END), 0)
		FROM events e LEFT JOIN bookings b ON b.event_id = e.id
		WHERE e.status IN ($1, $2) AND e.starts_at > $3
		GROUP BY e.id, e.course_id, e.capacity, e.starts_at
		ORDER BY e.starts_at, e.id`, []any{string(catalog.Scheduled), string(catalog.Changed), now},
		func(scan func(...any) error) error {
			var p eventPlaces
			if err := scan(&p.id, &p.courseID, &p.capacity, &p.startsAt, &p.taken, &p.waiting, &p.confirmedNow); err != nil {
				return err
			}
			p.startsAt = p.startsAt.UTC()
			out = append(out, p)
			return nil
		})
	return out, err
}

// confirmedOn reads the confirmed bookings on the events, in the order
// taken (answers not read).
func (s store) confirmedOn(ctx context.Context, eventIDs []int64) ([]Booking, error) {
	var out []Booking
	err := database.InBatches(eventIDs, func(marks string, args []any) error {
		list, err := s.bookings(ctx, `SELECT `+bookingColumns+` FROM bookings b
			WHERE b.event_id IN (`+marks+`) AND b.status `+statusIn(Confirmed)+` ORDER BY b.id`, args...)
		out = append(out, list...)
		return err
	})
	return out, err
}

// byIDs reads the bookings with the given IDs (answers not read).
func (s store) byIDs(ctx context.Context, ids []int64) ([]Booking, error) {
	var out []Booking
	err := database.InBatches(ids, func(marks string, args []any) error {
		list, err := s.bookings(ctx, `SELECT `+bookingColumns+` FROM bookings b WHERE b.id IN (`+marks+`) ORDER BY b.id`, args...)
		out = append(out, list...)
		return err
	})
	return out, err
}
