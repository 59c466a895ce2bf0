package messaging

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"plenary/internal/database"
)

// Outbox stores messages and queues the jobs that send them.
type Outbox struct {
	db   *database.DB
	jobs JobInserter
	opts OutboxOptions

	stmtMu sync.Mutex
	stmts  [stmtCount]*sql.Stmt
}

// OutboxOptions are the installation's sending details.
type OutboxOptions struct {
	From    string // default From header, e.g. "Plenary <noreply@training.example>"
	ReplyTo string // default Reply-To header; may be empty
	// Host is the right-hand side of Message-IDs; default: the From
	// address's domain.
	Host string
	Now  func() time.Time // the clock; default time.Now
	// Renderer renders the messages queued with their data (Message.Data);
	// Enqueue refuses such a message when it is nil.
	Renderer Renderer
}

// NewOutbox returns an Outbox on db that inserts send jobs with jobs (a
// River client, which may be insert-only).
func NewOutbox(db *database.DB, jobs JobInserter, opts OutboxOptions) *Outbox {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Host == "" {
		opts.Host = "localhost"
		if a, err := mail.ParseAddress(opts.From); err == nil {
			if _, domain, ok := strings.Cut(a.Address, "@"); ok && domain != "" {
				opts.Host = domain
			}
		}
	}
	return &Outbox{db: db, jobs: jobs, opts: opts}
}

// dbTime is how instants are stored: UTC, to the microsecond PostgreSQL
// keeps, so they compare the same on both engines.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func (o *Outbox) now() time.Time { return dbTime(o.opts.Now()) }

// Enqueue stores m and inserts its send job in tx, to run at
// m.ScheduledAt (now when zero). A dedupe key that is already used returns
// the existing message's ID with created=false and inserts nothing, so
// callers can enqueue again after a retry or a restart without care.
func (o *Outbox) Enqueue(ctx context.Context, tx *sql.Tx, m Message) (id int64, created bool, err error) {
	row, jobOpts, err := o.messageRow(m)
	if err != nil {
		return 0, false, err
	}
	var key string
	err = o.insertRow(ctx, tx, row...).Scan(&id, &key)
	if errors.Is(err, sql.ErrNoRows) {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM messages WHERE dedupe_key = $1`, m.DedupeKey).Scan(&id); err != nil {
			return 0, false, fmt.Errorf("messaging: enqueue %s: existing message: %w", m.DedupeKey, err)
		}
		return id, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("messaging: enqueue %s: %w", m.DedupeKey, err)
	}
	if err := insertAttachments(ctx, tx, id, m.Attachments); err != nil {
		return 0, false, fmt.Errorf("messaging: enqueue %s: %w", m.DedupeKey, err)
	}
	if _, err := o.jobs.InsertTx(ctx, tx, SendArgs{MessageID: id}, jobOpts); err != nil {
		return 0, false, fmt.Errorf("messaging: enqueue %s: send job: %w", m.DedupeKey, err)
	}
	return id, true, nil
}

// messageRow checks m and makes its messages row (insertMessage's
// arguments, rowWidth of them) and its send job's options.
func (o *Outbox) messageRow(m Message) ([]any, *river.InsertOpts, error) {
	if err := m.validate(); err != nil {
		return nil, nil, fmt.Errorf("messaging: enqueue %s: %w", m.DedupeKey, err)
	}
	if o.jobs == nil {
		return nil, nil, errors.New("messaging: enqueue: the outbox has no job client")
	}
	if len(m.Data) > 0 && o.opts.Renderer == nil {
		return nil, nil, fmt.Errorf("messaging: enqueue %s: queued with its data, but the outbox has no renderer", m.DedupeKey)
	}
	now := o.now()
	scheduled := now
	if !m.ScheduledAt.IsZero() {
		scheduled = dbTime(m.ScheduledAt)
	}
	if m.From == "" {
		m.From = o.opts.From
	}
	if m.ReplyTo == "" {
		m.ReplyTo = o.opts.ReplyTo
	}
	msgID, err := o.newMessageID(m.Kind)
	if err != nil {
		return nil, nil, err
	}
	// River puts any job given a ScheduledAt in its "scheduled" state,
	// even one that is due, and only the elected leader's scheduler
	// (every 5 s, and not until a dead leader's lease has run out) makes
	// it available. A message due now goes straight to "available", for
	// the next fetch of any process that works jobs.
	var jobOpts *river.InsertOpts
	if scheduled.After(now) {
		jobOpts = &river.InsertOpts{ScheduledAt: scheduled}
	}
	return []any{m.Kind, m.DedupeKey, m.SubjectRef, m.From, m.ReplyTo, m.ToName, m.ToEmail,
		m.Subject, m.Text, m.HTML, msgID, m.Marketing, m.ListUnsubscribe,
		string(Queued), scheduled, now, string(m.Data), searchText(m.ToName, m.ToEmail), m.ListUnsubscribeMailto}, jobOpts, nil
}

// rowWidth is the number of columns insertMessage writes.
const rowWidth = 19

const (
	insertMessageHead = `
		INSERT INTO messages (kind, dedupe_key, subject_ref, from_header, reply_to, to_name, to_email,
			subject, text_body, html_body, message_id_header, marketing, list_unsubscribe,
			status, scheduled_at, created_at, render_data, to_search, list_unsubscribe_mailto)
		VALUES `
	insertMessageTail = `
		ON CONFLICT (dedupe_key) DO NOTHING
		RETURNING id, dedupe_key`
	insertMessage = insertMessageHead + `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)` +
		insertMessageTail
)

// insertRow runs insertMessage in tx. (On SQLite the connection's
// statement cache, internal/database, keeps it prepared.)
func (o *Outbox) insertRow(ctx context.Context, tx *sql.Tx, args ...any) *sql.Row {
	return tx.QueryRowContext(ctx, insertMessage, args...)
}

// JobBatch queues messages like Enqueue, but keeps them until Flush,
// which inserts them all, and then their send jobs, in a few statements:
// for a caller that queues many messages in one transaction (a batch of
// bookings, for which a statement per message and per job was the
// dearest part of a booking). Flush must run in the same transaction
// before it commits.
type JobBatch struct {
	o    *Outbox
	rows []any               // rowWidth values per message
	keys []string            // each message's dedupe key
	opts []*river.InsertOpts // each message's send job's options
}

// Batch starts a JobBatch.
func (o *Outbox) Batch() *JobBatch { return &JobBatch{o: o} }

// Add checks m and keeps it for Flush. A message with attachments cannot
// be kept (they need its row's ID): queue it with Enqueue.
func (b *JobBatch) Add(m Message) error {
	if len(m.Attachments) > 0 {
		return fmt.Errorf("messaging: enqueue %s: a batched message cannot carry attachments", m.DedupeKey)
	}
	row, opts, err := b.o.messageRow(m)
	if err != nil {
		return err
	}
	b.rows = append(b.rows, row...)
	b.keys = append(b.keys, m.DedupeKey)
	b.opts = append(b.opts, opts)
	return nil
}

// Len is the number of messages kept; Truncate(n) forgets those after
// the first n (a request in a batch that failed after queueing them).
func (b *JobBatch) Len() int { return len(b.keys) }

// Truncate forgets the messages after the first n.
func (b *JobBatch) Truncate(n int) {
	n = min(n, len(b.keys))
	b.rows, b.keys, b.opts = b.rows[:n*rowWidth], b.keys[:n], b.opts[:n]
}

// ManyInserter is a JobInserter that can insert many jobs in one
// statement: a River client. Flush uses River's fast form, which returns
// only a count: with the drivers Plenary uses a unique job already there
// is skipped (ON CONFLICT DO NOTHING), which cannot happen for the jobs
// of messages just inserted, whose IDs no job has named — so Flush takes
// a count short of its jobs as an error rather than leave a message
// without one.
type ManyInserter interface {
	InsertManyFastTx(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) (int, error)
}

// Flush inserts the kept messages in tx, in order, and a send job for
// each that was new (a dedupe key already used, in the database or
// earlier in the batch, inserts nothing, as with Enqueue), in one
// statement when the job inserter can; then it forgets them.
func (b *JobBatch) Flush(ctx context.Context, tx *sql.Tx) error {
	if len(b.keys) == 0 {
		return nil
	}
	defer b.Truncate(0)
	ids := make(map[string]int64, len(b.keys))
	err := database.InsertRows(ctx, tx, b.o.db.Dialect, insertMessageHead, insertMessageTail, rowWidth, b.rows, func(r *sql.Rows) error {
		var id int64
		var key string
		err := r.Scan(&id, &key)
		ids[key] = id
		return err
	})
	if err != nil {
		return fmt.Errorf("messaging: enqueue %d messages: %w", len(b.keys), err)
	}
	jobs := make([]river.InsertManyParams, 0, len(ids))
	for i, key := range b.keys {
		id, created := ids[key]
		if !created {
			continue
		}
		delete(ids, key) // a key twice in the batch: one message, one job
		jobs = append(jobs, river.InsertManyParams{Args: SendArgs{MessageID: id}, InsertOpts: b.opts[i]})
	}
	if len(jobs) == 0 {
		return nil
	}
	if many, ok := b.o.jobs.(ManyInserter); ok {
		n, err := many.InsertManyFastTx(ctx, tx, jobs)
		if err != nil {
			return fmt.Errorf("messaging: send jobs of %d messages: %w", len(jobs), err)
		}
		if n != len(jobs) {
			return fmt.Errorf("messaging: send jobs of %d messages: %d inserted", len(jobs), n)
		}
		return nil
	}
	for _, j := range jobs {
		if _, err := b.o.jobs.InsertTx(ctx, tx, j.Args, j.InsertOpts); err != nil {
			return fmt.Errorf("messaging: send job: %w", err)
		}
	}
	return nil
}

// newMessageID makes a Message-ID that is stored with the message, so every
// attempt to send it carries the same one: "<kind.random@host>".
func (o *Outbox) newMessageID(kind string) (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("messaging: message id: %w", err)
	}
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, kind)
	return "<" + clean + "." + hex.EncodeToString(b) + "@" + o.opts.Host + ">", nil
}

// ListFilter selects messages for List. Zero fields do not filter.
type ListFilter struct {
	SubjectRef string // what the messages are about, e.g. "booking/42"
	Kind       string
	Status     Status
	// Due keeps only queued messages whose time has come (ScheduledAt at
	// or before now): those waiting for, or retrying, their send job.
	Due bool
	// Statuses keeps messages in any of these states (with Status, both
	// must hold).
	Statuses []Status
	// Recipient keeps messages whose recipient's name or address
	// contains it, in any case (see searchText).
	Recipient string
	// Since and Until bound when the messages were queued (Until
	// exclusive); zero does not bound.
	Since, Until time.Time
	// BeforeID pages backwards: only messages with a smaller ID.
	BeforeID int64
	Limit    int // default 100, at most 1000
}

const messageColumns = `id, kind, dedupe_key, subject_ref, from_header, reply_to, to_name, to_email,
	subject, text_body, html_body, message_id_header, marketing, list_unsubscribe,
	status, attempts, last_error, scheduled_at, sent_at, created_at, render_data, server_reply, list_unsubscribe_mailto`

// messageColumnsM is messageColumns of the messages table named m.
var messageColumnsM = "m." + strings.Join(strings.Fields(strings.ReplaceAll(messageColumns, ",", " ")), ", m.")

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	err := scanMessageAnd(row, &m)
	return m, err
}

// scanMessageAnd scans messageColumns into m, then the row's further
// columns into more.
func scanMessageAnd(row interface{ Scan(...any) error }, m *Message, more ...any) error {
	var (
		sent   sql.NullTime
		status string
		data   string
	)
	err := row.Scan(append([]any{&m.ID, &m.Kind, &m.DedupeKey, &m.SubjectRef, &m.From, &m.ReplyTo, &m.ToName, &m.ToEmail,
		&m.Subject, &m.Text, &m.HTML, &m.MessageID, &m.Marketing, &m.ListUnsubscribe,
		&status, &m.Attempts, &m.LastError, &m.ScheduledAt, &sent, &m.CreatedAt, &data, &m.ServerReply, &m.ListUnsubscribeMailto}, more...)...)
	if data != "" {
		m.Data = []byte(data)
	}
	m.Status = Status(status)
	if sent.Valid {
		m.SentAt = sent.Time.UTC()
	}
	m.ScheduledAt, m.CreatedAt = m.ScheduledAt.UTC(), m.CreatedAt.UTC()
	return err
}

// List returns messages newest first. Attachments carry their names and
// types but not their data (except a not-yet-sent message queued with its
// data, which is rendered for reading); Message returns a message in full.
func (o *Outbox) List(ctx context.Context, f ListFilter) ([]Message, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.SubjectRef != "" {
		add("subject_ref = $%d", f.SubjectRef)
	}
	if f.Kind != "" {
		add("kind = $%d", f.Kind)
	}
	if f.Status != "" {
		add("status = $%d", string(f.Status))
	}
	if len(f.Statuses) > 0 {
		var marks []string
		for _, st := range f.Statuses {
			args = append(args, string(st))
			marks = append(marks, fmt.Sprintf("$%d", len(args)))
		}
		where = append(where, "status IN ("+strings.Join(marks, ", ")+")")
	}
	if f.Recipient != "" {
		add(`to_search LIKE $%d ESCAPE '\'`, "%"+likeEscape(searchText(f.Recipient))+"%")
	}
	if !f.Since.IsZero() {
		add("created_at >= $%d", dbTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("created_at < $%d", dbTime(f.Until))
	}
	if f.Due {
		add("status = $%d", string(Queued))
		add("scheduled_at <= $%d", o.now())
	}
	if f.BeforeID != 0 {
		add("id < $%d", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT ` + messageColumns + ` FROM messages`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := o.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("messaging: list: %w", err)
	}
	defer rows.Close()
	var out []Message
	byID := map[int64]int{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messaging: list: %w", err)
		}
		byID[m.ID] = len(out)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messaging: list: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	// Attachment names for the page, in one query over the same ID range.
	rows, err = o.db.QueryContext(ctx, `SELECT message_id, filename, content_type FROM message_attachments
		WHERE message_id >= $1 AND message_id <= $2 ORDER BY message_id, position`,
		out[len(out)-1].ID, out[0].ID)
	if err != nil {
		return nil, fmt.Errorf("messaging: list attachments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			a  Attachment
		)
		if err := rows.Scan(&id, &a.Filename, &a.ContentType); err != nil {
			return nil, fmt.Errorf("messaging: list attachments: %w", err)
		}
		if i, ok := byID[id]; ok {
			out[i].Attachments = append(out[i].Attachments, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messaging: list attachments: %w", err)
	}
	for i := range out {
		o.renderForReading(&out[i])
	}
	return out, nil
}

// Message returns one message with its attachments, or ErrNotFound. A
// message queued with its data and not yet sent is rendered for reading.
func (o *Outbox) Message(ctx context.Context, id int64) (Message, error) {
	m, err := o.load(ctx, id)
	if err != nil {
		return m, err
	}
	o.renderForReading(&m)
	return m, nil
}

// renderForReading renders a waiting message for the mail log. One that
// cannot be rendered (its kind renamed by an upgrade, say) is still
// listed, saying so, rather than hiding every other message: the send
// job fails it with the same error.
func (o *Outbox) renderForReading(m *Message) {
	if err := o.render(m); err != nil {
		m.Subject = "(cannot be shown: " + m.Kind + ")"
		m.Text = "This message cannot be rendered: " + err.Error()
		m.HTML = ""
		if m.LastError == "" {
			m.LastError = err.Error()
		}
	}
}

// load is Message as stored: not rendered. One statement reads the
// message with its attachments (one row per attachment), prepared once
// per connection: the send job runs it for every message.
func (o *Outbox) load(ctx context.Context, id int64) (Message, error) {
	rows, err := o.stmt(ctx, stmtLoad, `SELECT `+messageColumnsM+`, a.filename, a.content_type, a.data
		FROM messages m LEFT JOIN message_attachments a ON a.message_id = m.id
		WHERE m.id = $1 ORDER BY a.position`).QueryContext(ctx, id)
	if err != nil {
		return Message{}, fmt.Errorf("messaging: message %d: %w", id, err)
	}
	defer rows.Close()
	var (
		m     Message
		found bool
	)
	for rows.Next() {
		var (
			one         Message
			name, ctype sql.NullString
			data        []byte
		)
		err := scanMessageAnd(rows, &one, &name, &ctype, &data)
		if err != nil {
			return Message{}, fmt.Errorf("messaging: message %d: %w", id, err)
		}
		if !found {
			m, found = one, true
		}
		if name.Valid {
			m.Attachments = append(m.Attachments, Attachment{Filename: name.String, ContentType: ctype.String, Data: data})
		}
	}
	if err := rows.Err(); err != nil {
		return Message{}, fmt.Errorf("messaging: message %d: %w", id, err)
	}
	if !found {
		return Message{}, fmt.Errorf("%w: %d", ErrNotFound, id)
	}
	return m, nil
}

// The statements the send job runs for every message, prepared once per
// connection (database/sql keeps a *sql.Stmt's preparation on each
// connection it has used): SQLite otherwise parses each anew.
const (
	stmtLoad = iota
	stmtDelivered
	stmtCount
)

// stmt returns the prepared statement n, preparing it with query the
// first time. If it cannot be prepared (the database is briefly
// unreachable), it is prepared again next time.
func (o *Outbox) stmt(ctx context.Context, n int, query string) preparedStmt {
	o.stmtMu.Lock()
	defer o.stmtMu.Unlock()
	if o.stmts[n] == nil {
		st, err := o.db.PrepareContext(ctx, query)
		if err != nil {
			return unprepared{o.db.DB, query}
		}
		o.stmts[n] = st
	}
	return o.stmts[n]
}

type preparedStmt interface {
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

// unprepared runs a statement that could not be prepared as it is.
type unprepared struct {
	db    *sql.DB
	query string
}

func (u unprepared) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return u.db.QueryContext(ctx, u.query, args...)
}

func (u unprepared) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return u.db.ExecContext(ctx, u.query, args...)
}

// markDelivered records a successful send (status Sent) or a message held
// in the dev mailbox (status Kept), with what the server answered when
// it accepted the message ("" when the mailer cannot tell).
func (o *Outbox) markDelivered(ctx context.Context, id int64, status Status, reply string) error {
	if len(reply) > 1000 {
		reply = strings.ToValidUTF8(reply[:1000], "")
	}
	_, err := o.stmt(ctx, stmtDelivered, `UPDATE messages
		SET status = $1, attempts = attempts + 1, last_error = '', sent_at = $2, server_reply = $3 WHERE id = $4`).ExecContext(ctx,
		string(status), o.now(), reply, id)
	if err != nil {
		return fmt.Errorf("messaging: mark message %d %s: %w", id, status, err)
	}
	return nil
}

// markAttemptFailed records a failed attempt; final marks the message
// Failed, otherwise it stays queued for the retry.
func (o *Outbox) markAttemptFailed(ctx context.Context, id int64, sendErr error, final bool) error {
	status := Queued
	if final {
		status = Failed
	}
	msg := sendErr.Error()
	if len(msg) > 2000 {
		msg = strings.ToValidUTF8(msg[:2000], "")
	}
	_, err := o.db.ExecContext(ctx, `UPDATE messages
		SET status = $1, attempts = attempts + 1, last_error = $2 WHERE id = $3`,
		string(status), msg, id)
	if err != nil {
		return fmt.Errorf("messaging: mark message %d failed: %w", id, err)
	}
	return nil
}
