package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// What the course team does with subscribers (the staff area's
// /admin/lists): find them by course, topic, scope, status and address,
// read their evidence, withdraw a subscription (as staff, or acting on an
// e-mail to the List-Unsubscribe mailto: address) or suppress it, and
// count subscribers per course. Every change is audited with the actor in
// its transaction.

// Errors of the staff's calls.
var (
	// ErrNotFound is a subscription that does not exist (or not for the
	// viewer's courses).
	ErrNotFound = errors.New("lists: no such subscription")
	// ErrTooMany is an export whose filter finds more than its limit.
	ErrTooMany = errors.New("lists: too many subscriptions match")
)

// StaffPageSize is how many subscriptions a page of the staff's list
// shows.
const StaffPageSize = 50

// StaffFilter narrows the staff's list. Zero fields match everything.
type StaffFilter struct {
	// Courses limits the list to subscriptions to these courses' new
	// dates (a coordinator limited to some courses); nil is no limit. A
	// limited viewer sees no topic or all-courses subscription.
	Courses  []int64
	Limited  bool
	CourseID int64
	Topic    string
	Scope    Scope
	Status   Status
	Text     string // part of the address, any case
	Page     int    // from 1
}

// StaffRow is one subscription in the staff's list with its latest step
// of evidence.
type StaffRow struct {
	Subscription
	Latest Evidence
}

// StaffPage is a page of the staff's list.
type StaffPage struct {
	Rows  []StaffRow
	Total int
	Page  int
	// Counts are the subscriptions the filter finds, whatever their
	// status, by status.
	Counts map[Status]int
}

// Pages is how many pages the list has (at least 1).
func (p StaffPage) Pages() int { return max(1, (p.Total+StaffPageSize-1)/StaffPageSize) }

// Statuses lists the states in the order pages show them.
var Statuses = []Status{Requested, Confirmed, Withdrawn, Suppressed}

// Label is the status in words.
func (s Status) Label() string {
	switch s {
	case Requested:
		return "Waiting for confirmation"
	case Confirmed:
		return "Confirmed"
	case Withdrawn:
		return "Withdrawn"
	case Suppressed:
		return "Suppressed"
	}
	return string(s)
}

// where builds the filter's WHERE clause and its arguments; withStatus
// false leaves the status out (for the counts by status).
func (f StaffFilter) where(withStatus bool) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Limited {
		if len(f.Courses) == 0 {
			conds = append(conds, "1 = 0")
		} else {
			ph := make([]string, len(f.Courses))
			for i, c := range f.Courses {
				ph[i] = arg(c)
			}
			conds = append(conds, "s.scope IN ("+arg(string(ScopeCourse))+", "+arg(string(ScopePlaces))+") AND s.course_id IN ("+strings.Join(ph, ", ")+")")
		}
	}
	if f.CourseID > 0 {
		conds = append(conds, "s.course_id = "+arg(f.CourseID))
	}
	// Bytes that are not UTF-8 are dropped (PostgreSQL would refuse the
	// query).
	f.Topic, f.Text = strings.ToValidUTF8(f.Topic, ""), strings.ToValidUTF8(f.Text, "")
	if f.Topic != "" {
		conds = append(conds, "s.target_key = "+arg("topic/"+strings.ToLower(f.Topic)))
	}
	if f.Scope != "" {
		conds = append(conds, "s.scope = "+arg(string(f.Scope)))
	}
	if withStatus && f.Status != "" {
		conds = append(conds, "s.status = "+arg(string(f.Status)))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(t))
		conds = append(conds, "s.email_key LIKE "+arg("%"+esc+"%")+` ESCAPE '\'`)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

const staffColumns = `s.id, s.email, s.name, s.scope, s.course_id, s.topic, s.status, s.requested_at, s.confirmed_at, s.withdrawn_at`

// Find returns a page of the subscriptions f finds, newest first, with
// the counts by status.
func (s *Service) Find(ctx context.Context, f StaffFilter) (StaffPage, error) {
	f.Page = max(f.Page, 1)
	p := StaffPage{Page: f.Page, Counts: map[Status]int{}}
	where, args := f.where(false)
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT s.status, COUNT(*) FROM list_subscriptions s`+where+` GROUP BY s.status`, args...)
	if err != nil {
		return p, fmt.Errorf("lists: find: %w", err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return p, fmt.Errorf("lists: find: %w", err)
		}
		p.Counts[Status(st)] = n
		if f.Status == "" || Status(st) == f.Status {
			p.Total += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("lists: find: %w", err)
	}
	where, args = f.where(true)
	args = append(args, StaffPageSize, (f.Page-1)*StaffPageSize)
	p.Rows, err = s.staffRows(ctx, `SELECT `+staffColumns+` FROM list_subscriptions s`+where+
		fmt.Sprintf(` ORDER BY s.id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	return p, err
}

// FindAll returns every subscription f finds (the page ignored), oldest
// first; ErrTooMany when more than limit match.
func (s *Service) FindAll(ctx context.Context, f StaffFilter, limit int) ([]StaffRow, error) {
	where, args := f.where(true)
	args = append(args, limit+1)
	out, err := s.staffRows(ctx, `SELECT `+staffColumns+` FROM list_subscriptions s`+where+
		fmt.Sprintf(` ORDER BY s.id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, ErrTooMany
	}
	return out, nil
}

// staffRows runs query and reads its subscriptions with their latest
// evidence.
func (s *Service) staffRows(ctx context.Context, query string, args ...any) ([]StaffRow, error) {
	rows, err := s.opts.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("lists: find: %w", err)
	}
	var out []StaffRow
	byID := map[int64]int{}
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		byID[sub.ID] = len(out)
		out = append(out, StaffRow{Subscription: sub})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lists: find: %w", err)
	}
	// The latest evidence of each, in chunks of IDs.
	for start := 0; start < len(out); start += 500 {
		chunk := out[start:min(start+500, len(out))]
		ph := make([]string, len(chunk))
		ids := make([]any, len(chunk))
		for i, r := range chunk {
			ph[i], ids[i] = fmt.Sprintf("$%d", i+1), r.ID
		}
		ev, err := s.opts.DB.QueryContext(ctx, `SELECT id, subscription_id, email, what, wording_version, wording_sha256,
				source, step, how, at, source_note, consented_on
			FROM list_consent_evidence WHERE subscription_id IN (`+strings.Join(ph, ", ")+`) ORDER BY id`, ids...)
		if err != nil {
			return nil, fmt.Errorf("lists: find: %w", err)
		}
		for ev.Next() {
			var e Evidence
			var source string
			if err := ev.Scan(&e.ID, &e.SubscriptionID, &e.Email, &e.What, &e.WordingVersion, &e.WordingSHA256,
				&source, &e.Step, &e.How, &e.At, &e.SourceNote, &e.ConsentedOn); err != nil {
				ev.Close()
				return nil, fmt.Errorf("lists: find: %w", err)
			}
			e.Source, e.At = Source(source), e.At.UTC()
			out[byID[e.SubscriptionID]].Latest = e
		}
		ev.Close()
		if err := ev.Err(); err != nil {
			return nil, fmt.Errorf("lists: find: %w", err)
		}
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanSubscription(row scanner) (Subscription, error) {
	var (
		sub                 Subscription
		scope, status       string
		course              sql.NullInt64
		confirmed, withdrew sql.NullTime
	)
	if err := row.Scan(&sub.ID, &sub.Email, &sub.Name, &scope, &course, &sub.Topic, &status,
		&sub.RequestedAt, &confirmed, &withdrew); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return sub, ErrNotFound
		}
		return sub, fmt.Errorf("lists: subscription: %w", err)
	}
	sub.Scope, sub.Status, sub.CourseID = Scope(scope), Status(status), course.Int64
	sub.RequestedAt, sub.ConfirmedAt, sub.WithdrawnAt = sub.RequestedAt.UTC(), utcOrZero(confirmed), utcOrZero(withdrew)
	return sub, nil
}

// Subscription returns the subscription with ID id, or ErrNotFound.
func (s *Service) Subscription(ctx context.Context, id int64) (Subscription, error) {
	return scanSubscription(s.opts.DB.QueryRowContext(ctx, `SELECT `+staffColumns+` FROM list_subscriptions s WHERE s.id = $1`, id))
}

// Withdraw withdraws subscription id for a staff member, recording how:
// HowStaff (they decided, or were asked in person) or HowMailto (an
// e-mail to the List-Unsubscribe mailto: address, which people read and
// act on here). A subscription not waiting or confirmed is left as it is
// and answers nil.
func (s *Service) Withdraw(ctx context.Context, actor audit.Actor, id int64, how string) error {
	if how != HowStaff && how != HowMailto {
		return fmt.Errorf("lists: withdraw: how %q: want %q or %q", how, HowStaff, HowMailto)
	}
	return s.staffChange(ctx, actor, id, "list.withdraw", Withdrawn, stepWithdrawn, how, []Status{Requested, Confirmed})
}

// Suppress stops all mail to subscription id, whatever its state (a
// bounce, a complaint, a person's request made another way): it is never
// mailed, never subscribed again by an import, and a new request from
// the person changes nothing (Subscribe). An already suppressed
// subscription answers nil.
func (s *Service) Suppress(ctx context.Context, actor audit.Actor, id int64) error {
	return s.staffChange(ctx, actor, id, "list.suppress", Suppressed, stepSuppressed, HowStaff,
		[]Status{Requested, Confirmed, Withdrawn})
}

func (s *Service) staffChange(ctx context.Context, actor audit.Actor, id int64, action string, to Status, step, how string, from []Status) error {
	return database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM list_subscriptions WHERE id = $1`, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lists: %s: %w", action, err)
		}
		ok := false
		for _, f := range from {
			ok = ok || Status(status) == f
		}
		if !ok {
			return nil
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE list_subscriptions SET status = $1,
				withdrawn_at = CASE WHEN withdrawn_at IS NULL THEN $2 ELSE withdrawn_at END,
				token_hash = NULL, token_expires_at = NULL WHERE id = $3`, string(to), now, id); err != nil {
			return fmt.Errorf("lists: %s: %w", action, err)
		}
		if err := repeatRequest(ctx, tx, id, step, how, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, action, "subscription", id,
			map[string]string{"status": status}, map[string]string{"status": string(to), "how": how}, "")
	})
}

// CourseCounts are a course's subscribers to its new dates.
type CourseCounts struct {
	Confirmed int // get announcements
	Waiting   int // asked, not yet confirmed
}

// CountsByCourse returns the subscribers to each course's new dates, by
// course ID; a course with none is absent.
func (s *Service) CountsByCourse(ctx context.Context) (map[int64]CourseCounts, error) {
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT course_id, status, COUNT(*) FROM list_subscriptions
		WHERE scope = $1 AND status IN ($2, $3) GROUP BY course_id, status`,
		string(ScopeCourse), string(Confirmed), string(Requested))
	if err != nil {
		return nil, fmt.Errorf("lists: counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]CourseCounts{}
	for rows.Next() {
		var (
			course int64
			status string
			n      int
		)
		if err := rows.Scan(&course, &status, &n); err != nil {
			return nil, fmt.Errorf("lists: counts: %w", err)
		}
		c := out[course]
		if Status(status) == Confirmed {
			c.Confirmed = n
		} else {
			c.Waiting = n
		}
		out[course] = c
	}
	return out, rows.Err()
}
