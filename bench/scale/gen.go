package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"plenary/internal/database"
)

// shape is what the generator builds for a database of Bookings
// bookings: the history grows with the size, the present (the upcoming
// dates, the target course and its subscribers) does not, so that the
// measured work is the same at every size and only the database grows.
type shape struct {
	Bookings    int // background bookings
	Dates       int // background dates (Bookings / perDate)
	Upcoming    int // of which upcoming (the rest are history)
	Courses     int // background courses (Dates / 100, at least upcomingCourses)
	Messages    int // 2 per booking: confirmation and joining instructions
	Subscribers int // background list subscriptions (Bookings / 10)
	Audit       int // one audit row per booking
}

const perDate = 10 // bookings per background date

// upcomingCourses is how many background courses the upcoming dates
// belong to, at every size (the history is spread over all of them).
const upcomingCourses = 10

func shapeFor(bookings, upcoming int) shape {
	s := shape{Bookings: bookings}
	s.Dates = max(bookings/perDate, 1)
	s.Upcoming = min(upcoming, s.Dates/2)
	s.Courses = max(s.Dates/100, upcomingCourses)
	s.Messages = 2 * bookings
	s.Subscribers = max(bookings/10, 1)
	s.Audit = bookings
	return s
}

// gen writes the background rows with set-based SQL, one INSERT … SELECT
// over a counter per table, in the real schema after the real
// migrations (on PostgreSQL with their secondary indexes made again
// after the load: deferIndexes). The same statements run on both engines: only the
// spelling of a timestamp from seconds and of the counter differ.
type gen struct {
	db  *database.DB
	q   *sql.Conn // one connection, with a page cache big enough for the indexes
	now int64     // seconds since 1970, the generation's "now"
	s   shape
	log func(format string, args ...any)
}

// ts spells a timestamp (seconds since 1970, an SQL expression) as the
// engine stores a TIMESTAMPTZ written through the driver.
func (g *gen) ts(sec string) string {
	if g.db.Dialect == database.SQLite {
		return `(strftime('%Y-%m-%d %H:%M:%S', ` + sec + `, 'unixepoch') || '+00:00')`
	}
	return `to_timestamp(` + sec + `)`
}

// day spells the calendar day (UTC) of a timestamp in seconds as YYYY-MM-DD.
func (g *gen) day(sec string) string {
	if g.db.Dialect == database.SQLite {
		return `strftime('%Y-%m-%d', ` + sec + `, 'unixepoch')`
	}
	return `to_char(to_timestamp(` + sec + `) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
}

// series is a counter n(i) from 0 to count-1: a recursive one on SQLite,
// generate_series (several times cheaper than a recursive one) on
// PostgreSQL.
func (g *gen) series(count int) string {
	if g.db.Dialect == database.Postgres {
		return fmt.Sprintf(`WITH n(i) AS (SELECT generate_series(0, %d)) `, count-1)
	}
	return fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, count-1)
}

// start is the start (seconds) of background date j (an SQL expression):
// the history spread over five years up to two days ago, the upcoming
// dates every two days from 120 days ahead — beyond the joining
// instructions' horizon and the invoice rule, so that the "needs
// attention" page lists the same lines at every size.
func (g *gen) start(j string) string {
	h := g.s.Dates - g.s.Upcoming
	step := int64(5*365*86400) / int64(max(h, 1))
	return fmt.Sprintf(`(CASE WHEN (%[1]s) < %[2]d THEN %[3]d - 172800 - (%[2]d - 1 - (%[1]s)) * %[4]d ELSE %[3]d + 10368000 + ((%[1]s) - %[2]d) * 172800 END)`,
		j, h, g.now, step)
}

func (g *gen) exec(ctx context.Context, what string, rows int, q string, args ...any) error {
	t := time.Now()
	if _, err := g.q.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("generate %s: %w", what, err)
	}
	g.log("    %-22s %10d rows in %v", what, rows, time.Since(t).Round(time.Millisecond))
	return nil
}

// span returns the lowest and highest id of the rows a query selects, and
// checks that they are count consecutive ids.
func (g *gen) span(ctx context.Context, q string, count int) (int64, error) {
	var lo, hi int64
	if err := g.q.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
		return 0, err
	}
	if hi-lo+1 != int64(count) {
		return 0, fmt.Errorf("ids %d…%d are not %d consecutive ones", lo, hi, count)
	}
	return lo, nil
}

// open takes one connection for the generation; close gives it back.
func (g *gen) open(ctx context.Context) (func(), error) {
	conn, err := g.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	g.q = conn
	if g.db.Dialect == database.SQLite {
		// Inserting millions of rows into b-trees with random keys thrashes
		// the default page cache; 512 MB keeps the indexes in memory.
		if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -524288`); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return func() {
		if g.db.Dialect == database.SQLite {
			conn.ExecContext(ctx, `PRAGMA cache_size = -2000`)
		}
		conn.Close()
	}, nil
}

func (g *gen) run(ctx context.Context) error {
	s := g.s
	now := g.now
	if err := g.exec(ctx, "courses", s.Courses, g.series(s.Courses)+`INSERT INTO courses (slug, title, summary, status, about, created_at, updated_at)
		SELECT 'gen-' || i, 'Generated course ' || i, 'A course of the generated history.', 'published',
			'What the course is about, in a paragraph of ordinary length for a course page.', `+g.ts(fmt.Sprint(now-6*365*86400))+`, `+g.ts(fmt.Sprint(now-6*365*86400))+` FROM n`); err != nil {
		return err
	}
	cbase, err := g.span(ctx, `SELECT MIN(id), MAX(id) FROM courses WHERE slug LIKE 'gen-%'`, s.Courses)
	if err != nil {
		return err
	}
	if err := g.exec(ctx, "course_topics", s.Courses, g.series(s.Courses)+fmt.Sprintf(`INSERT INTO course_topics (course_id, position, topic)
		SELECT %d + i, 0, 'Topic ' || (i %% 20) FROM n`, cbase)); err != nil {
		return err
	}
	if err := g.exec(ctx, "fee_tiers", s.Courses, g.series(s.Courses)+fmt.Sprintf(`INSERT INTO fee_tiers (course_id, position, name, amount_minor, currency)
		SELECT %d + i, 0, 'Standard', 12000, 'GBP' FROM n`, cbase)); err != nil {
		return err
	}
	h := s.Dates - s.Upcoming
	st := g.start("i")
	if err := g.exec(ctx, "events", s.Dates, g.series(s.Dates)+fmt.Sprintf(`INSERT INTO events (course_id, ref, format, status, capacity,
			meeting_provider, meeting_url, starts_at, ends_at, created_at, updated_at)
		SELECT %d + (CASE WHEN i < %d THEN i %% %d ELSE i %% %d END), 'g' || i, 'online', CASE WHEN i < %d THEN 'completed' ELSE 'scheduled' END, 30,
			'Zoom', 'https://meet.example/' || i, %s, %s, %s, %s FROM n`,
		cbase, h, s.Courses, upcomingCourses, h, g.ts(st), g.ts(st+" + 28800"), g.ts(st+" - 5184000"), g.ts(st+" - 5184000"))); err != nil {
		return err
	}
	ebase, err := g.span(ctx, `SELECT MIN(id), MAX(id) FROM events WHERE course_id IN (SELECT id FROM courses WHERE slug LIKE 'gen-%')`, s.Dates)
	if err != nil {
		return err
	}
	if err := g.exec(ctx, "event_days", s.Dates, g.series(s.Dates)+fmt.Sprintf(`INSERT INTO event_days (event_id, position, day, starts, ends)
		SELECT %d + i, 0, %s, '09:00', '17:00' FROM n`, ebase, g.day(st))); err != nil {
		return err
	}
	// Upcoming dates have been on the site for weeks: their announcement
	// is long settled.
	if err := g.exec(ctx, "list_date_sightings", s.Upcoming, fmt.Sprintf(`INSERT INTO list_date_sightings (event_id, visible_since, settled)
		SELECT id, created_at, TRUE FROM events WHERE id >= %d AND id < %d`, ebase+int64(h), ebase+int64(s.Dates))); err != nil {
		return err
	}

	j := fmt.Sprintf("(i / %d)", perDate)
	bst := g.start(j)
	past := fmt.Sprintf("(%s < %d)", j, h)
	created := bst + " - 2592000"
	if err := g.exec(ctx, "bookings", s.Bookings, g.series(s.Bookings)+fmt.Sprintf(`INSERT INTO bookings (event_id, status, name, email, email_key,
			organisation, role, system_checked, fee_tier, amount_minor, currency, payment, po_number, invoice_number,
			created_at, updated_at, confirmed_at, cancelled_at)
		SELECT %[1]d + %[2]s,
			CASE WHEN %[3]s THEN (CASE i %% 20 WHEN 17 THEN 'cancelled' WHEN 18 THEN 'no_show' ELSE 'attended' END)
				ELSE (CASE i %% 10 WHEN 9 THEN 'cancelled' ELSE 'confirmed' END) END,
			'Person ' || i, 'person' || i || '@example.org', 'person' || i || '@example.org',
			'Trust ' || (i %% 500), 'Nurse', TRUE, 'Standard', 12000, 'GBP',
			CASE WHEN %[3]s OR i %% 3 <> 0 THEN 'paid' ELSE 'invoice' END, 'PO-' || i, 10000000 + i,
			%[4]s, %[4]s, %[4]s,
			CASE WHEN (%[3]s AND i %% 20 = 17) OR (NOT %[3]s AND i %% 10 = 9) THEN %[5]s ELSE NULL END
		FROM n`, ebase, j, past, g.ts(created), g.ts(created+" + 86400"))); err != nil {
		return err
	}
	bbase, err := g.span(ctx, `SELECT MIN(id), MAX(id) FROM bookings WHERE invoice_number >= 10000000`, s.Bookings)
	if err != nil {
		return err
	}
	if err := g.exec(ctx, "booking_answers", s.Bookings, g.series(s.Bookings)+fmt.Sprintf(`INSERT INTO booking_answers (booking_id, question, answer)
		SELECT %d + i, 'employer', 'Trust ' || (i %% 500) FROM n`, bbase)); err != nil {
		return err
	}
	if err := g.exec(ctx, "booking_tokens", s.Bookings, g.series(s.Bookings)+fmt.Sprintf(`INSERT INTO booking_tokens (token_hash, booking_id, created_at)
		SELECT 'gen' || i || '0123456789abcdef0123456789abcdef0123456789abcdef', %d + i, %s FROM n`, bbase, g.ts(created))); err != nil {
		return err
	}
	// Two e-mails per booking, both sent long ago; their bodies are as
	// short as the message-body retention leaves old ones.
	mj := fmt.Sprintf("(i / %d)", 2*perDate)
	mst := g.start(mj) + " - 2592000"
	body := strings.Repeat("Your place is confirmed. ", 8)
	if err := g.exec(ctx, "messages", s.Messages, g.series(s.Messages)+fmt.Sprintf(`INSERT INTO messages (kind, dedupe_key, from_header, to_name, to_email,
			subject, text_body, message_id_header, status, attempts, scheduled_at, sent_at, created_at, subject_ref, to_search, server_reply)
		SELECT CASE i %% 2 WHEN 0 THEN 'booking_confirmed' ELSE 'joining' END,
			CASE i %% 2 WHEN 0 THEN 'booking_confirmed/' || (%[1]d + i / 2) ELSE 'joining/' || (%[1]d + i / 2) || '/1' END,
			'Plenary <noreply@training.example>', 'Person ' || (i / 2), 'person' || (i / 2) || '@example.org',
			CASE i %% 2 WHEN 0 THEN 'Your place is confirmed' ELSE 'Joining instructions' END, '%[2]s',
			'<gen' || i || '@training.example>', 'sent', 1, %[3]s, %[3]s, %[3]s, 'booking/' || (%[1]d + i / 2),
			'person' || (i / 2) || '@example.org', '250 2.0.0 Ok: queued'
		FROM n`, bbase, body, g.ts(mst))); err != nil {
		return err
	}
	if err := g.exec(ctx, "audit_log", s.Audit, g.series(s.Audit)+fmt.Sprintf(`INSERT INTO audit_log (at, actor_kind, actor_name, action, object, object_id, after_json)
		SELECT %s, 'participant', 'Person ' || i, 'booking.create', 'booking', %d + i, '{"status":"confirmed"}' FROM n`, g.ts(created), bbase)); err != nil {
		return err
	}
	// Every date was saved once, and its audit entry names it.
	if err := g.exec(ctx, "audit_log (dates)", s.Dates, g.series(s.Dates)+fmt.Sprintf(`INSERT INTO audit_log (at, actor_kind, actor_name, action, object, object_id, after_json)
		SELECT %s, 'staff', 'Course Admin', 'event.create', 'event', %d + i, '{"status":"scheduled"}' FROM n`, g.ts(st+" - 5184000"), ebase)); err != nil {
		return err
	}
	confirmed := g.ts(fmt.Sprintf("%d - 86400 * (i %% 700)", now-86400))
	if err := g.exec(ctx, "list_subscriptions", s.Subscribers, g.series(s.Subscribers)+fmt.Sprintf(`INSERT INTO list_subscriptions (email, email_key, name, scope,
			course_id, topic, target_key, status, requested_at, confirmed_at, withdrawn_at)
		SELECT 'sub' || i || '@example.org', 'sub' || i || '@example.org', 'Subscriber ' || i,
			CASE WHEN i %% 3 = 2 THEN 'topic' ELSE 'course' END,
			CASE WHEN i %% 3 = 2 THEN NULL ELSE %[1]d + (i %% %[2]d) END,
			CASE WHEN i %% 3 = 2 THEN 'Topic ' || (i %% 20) ELSE '' END,
			CASE WHEN i %% 3 = 2 THEN 'topic/topic ' || (i %% 20) ELSE 'course/' || (%[1]d + (i %% %[2]d)) END,
			CASE WHEN i %% 10 = 9 THEN 'withdrawn' ELSE 'confirmed' END, %[3]s, %[3]s,
			CASE WHEN i %% 10 = 9 THEN %[3]s ELSE NULL END
		FROM n`, cbase, s.Courses, confirmed)); err != nil {
		return err
	}
	if err := g.exec(ctx, "list_sent", s.Subscribers, g.series(s.Subscribers)+fmt.Sprintf(`INSERT INTO list_sent (email_key, kind, event_id, round, sent_at)
		SELECT 'sub' || i || '@example.org', 'date', %d + (i %% %d), 0, %s FROM n`, ebase, max(h, 1), confirmed)); err != nil {
		return err
	}
	return g.exec(ctx, "list_mail_last", s.Subscribers, g.series(s.Subscribers)+fmt.Sprintf(`INSERT INTO list_mail_last (email_key, last_at, message_id)
		SELECT 'sub' || i || '@example.org', %s, 0 FROM n`, confirmed))
}

// bulkTables are the tables the generator fills with B rows or B/10.
var bulkTables = []string{"events", "event_days", "bookings", "booking_answers", "booking_tokens", "messages",
	"audit_log", "list_subscriptions", "list_sent", "list_mail_last"}

// deferIndexes, on PostgreSQL, drops the secondary indexes of the bulk
// tables (those the migrations made with CREATE INDEX, not the ones
// behind a primary key or a UNIQUE constraint, which stay) and turns off
// the foreign-key triggers for the generation's connection where the
// role may (session_replication_role; the rows are consistent by
// construction). On SQLite it does nothing: there, making the indexes
// again after the load took as long as it saved (1,000,000 bookings:
// 2 min 9 s to make them, about a minute saved in the load). The func it returns makes the same indexes again, from
// the definitions the database held, so the schema after is the
// migrations' own: building an index once over sorted rows is much
// cheaper than inserting a million random keys into it.
func (g *gen) deferIndexes(ctx context.Context) (func(context.Context) error, error) {
	if g.db.Dialect != database.Postgres {
		return func(context.Context) error { return nil }, nil
	}
	type index struct{ name, def string }
	var defs []index
	marks := make([]string, len(bulkTables))
	args := make([]any, len(bulkTables))
	for i, t := range bulkTables {
		marks[i], args[i] = fmt.Sprintf("$%d", i+1), t
	}
	q := `SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema()
		AND i.tablename IN (` + strings.Join(marks, ", ") + `)
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`
	rows, err := g.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("defer indexes: %w", err)
	}
	for rows.Next() {
		var x index
		if err := rows.Scan(&x.name, &x.def); err != nil {
			rows.Close()
			return nil, err
		}
		defs = append(defs, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, x := range defs {
		if _, err := g.q.ExecContext(ctx, `DROP INDEX `+quoteName(x.name)); err != nil {
			return nil, fmt.Errorf("defer index %s: %w", x.name, err)
		}
	}
	_, err = g.q.ExecContext(ctx, `SET session_replication_role = replica`)
	replica := err == nil
	g.q.ExecContext(ctx, `SET maintenance_work_mem = '256MB'`)
	g.log("    deferred %d indexes of %d tables (foreign-key triggers off: %v)", len(defs), len(bulkTables), replica)
	return func(ctx context.Context) error {
		t := time.Now()
		if replica {
			if _, err := g.q.ExecContext(ctx, `SET session_replication_role = DEFAULT`); err != nil {
				return err
			}
		}
		for _, x := range defs {
			if _, err := g.q.ExecContext(ctx, x.def); err != nil {
				return fmt.Errorf("index %s again: %w", x.name, err)
			}
		}
		g.log("    %-22s %10d made in %v", "indexes", len(defs), time.Since(t).Round(time.Millisecond))
		return nil
	}, nil
}

// quoteName quotes an SQL identifier.
func quoteName(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
