package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"plenary/internal/audit"
	"plenary/internal/database"
)

// Store reads and writes the catalogue.
type Store struct {
	db    *database.DB
	q     database.Querier
	tx    *sql.Tx // set by WithTx; what save hooks are given
	hooks Hooks
	stmts *stmtCache // shared with every WithTx copy
	// cache holds whole courses, each use checked against the course's
	// version (coursecache.go); shared with WithTx copies, which do not
	// use it.
	cache *courseCache
}

// Hooks are what the rest of the application does when the catalogue
// changes. They are given to NewStore and fixed from then on (as
// listmonk's core.Hooks are), so every save, from whichever door, runs
// the same ones. A nil hook does nothing.
type Hooks struct {
	// EventSaved is told of every event a save writes (see EventSave),
	// in the save's transaction, after the event is written. In the
	// application it is booking's: it tells the people booked and fills
	// freed places.
	EventSaved SaveHook
}

// NewStore returns a Store on db whose saves run hooks.
func NewStore(db *database.DB, hooks Hooks) *Store {
	return &Store{db: db, q: db, hooks: hooks, stmts: &stmtCache{m: map[string]*sql.Stmt{}},
		cache: newCourseCache(courseCacheCap)}
}

// WithTx returns a Store whose statements run in tx, with the same hooks.
func (s *Store) WithTx(tx *sql.Tx) *Store {
	return &Store{db: s.db, q: tx, tx: tx, hooks: s.hooks, stmts: s.stmts, cache: s.cache}
}

// SaveOptions travel with one save and on to its hooks, so that two saves
// at once — an import and an editor — never share them.
type SaveOptions struct {
	// Actor is who is saving; required. Every change the save makes is
	// recorded in the audit log as theirs: audit.CommandLine(login) for
	// plenary import, audit.Job("demo") for the demo catalogue,
	// audit.StaffMember in the admin area.
	Actor audit.Actor
	// Now is when the save happens: the timestamps it writes. Zero
	// means time.Now().
	Now time.Time
	// ConfirmLate lets a save go ahead with participant-visible changes
	// inside the minimum-notice window (plenary import -confirm-late).
	ConfirmLate bool
	// DryRun runs the whole save, hooks included, in a transaction that
	// is rolled back: Save returns what the save would do and changes
	// nothing, the audit log included (plenary import -n). Hooks that
	// would refuse the save say so in EventReport.Refused and carry on,
	// so that the report is whole.
	DryRun bool
	// BasedOn maps a course's slug to the version of the course the
	// change started from (Course.Version as read; 0 for a course the
	// editor creates). If the stored course has moved on since — someone
	// else saved it — the save is refused with a *StaleError and changes
	// nothing. A course not listed is saved whatever its version: plenary
	// import leaves BasedOn empty, as it overwrites courses by slug by
	// design.
	BasedOn map[string]int
	// Reason says why, in the saver's words, for the people told: the
	// admin area asks for it when a date is cancelled, and the booking
	// hook puts it in the cancellation notice and its audit entries.
	Reason string
}

// EventSave is what a save hook is told about one event of the saved
// course: every event the course lists (added, changed, updated or
// unchanged), after it is written. Events the database holds but the
// course no longer lists are kept as they are and not passed on.
type EventSave struct {
	Course Course
	// Old is the event as it was before the save; zero when Added.
	Old Event
	// New is the event as written, with its new version.
	New   Event
	Added bool
	// Change lists the participant-visible changes (as
	// SaveResult.EventsChanged does); Change.Changes is empty when there
	// are none and the version did not move.
	Change EventChange
	// Options are the save's, the actor included.
	Options SaveOptions
	// Report is where hooks say what they did, or in a dry run would do.
	// It ends up in SaveResult.Reports. Never nil.
	Report *EventReport
}

// EventReport says what a save's hooks did about one event: whom they
// told and whom they moved up. It is filled by the hooks (booking's, in
// the application), which name booking statuses; the catalogue only
// carries it.
type EventReport struct {
	Ref string
	// Told counts the people sent a notice of the change (or of the
	// cancellation), by the status of their booking before the save.
	Told map[string]int
	// JoiningSent counts confirmed people sent new joining instructions
	// at once because of the change.
	JoiningSent int
	// MovedUp counts the people moved up from the waiting list into
	// places the save freed (a higher capacity), by their new status.
	MovedUp map[string]int
	// Late says the change falls inside the minimum-notice window: the
	// people told may cancel free of charge.
	Late bool
	// Refused is the error a real save would have returned for this
	// event, such as a late change that was not confirmed. Only a dry
	// run sets it; a real save returns the error and rolls back.
	Refused error
	// Notice is one of the notices the hooks sent (or in a dry run would
	// send), as its reader gets it; only a dry run sets it.
	Notice *Notice
}

// Notice is one e-mail as its reader gets it.
type Notice struct {
	To, Subject, Text string
}

// Empty reports whether the hooks did nothing about the event.
func (r EventReport) Empty() bool {
	return len(r.Told) == 0 && r.JoiningSent == 0 && len(r.MovedUp) == 0 && !r.Late && r.Refused == nil
}

// SaveHook is told of each event of a save (see EventSave) while the save
// is still open: tx is the save's transaction. What the hook writes in tx
// commits with the save; an error rolls the whole save back and is
// returned by Save. In a dry run everything is rolled back anyway.
type SaveHook func(ctx context.Context, tx *sql.Tx, ev EventSave) error

// Filter narrows the catalogue listing. Empty fields match everything.
type Filter struct {
	Topic  string // matched case-insensitively
	Format Format // courses with at least one upcoming event of this format
	// Drafts includes unpublished courses (for staff and the CLI).
	Drafts bool
}

// Listing is a course as the catalogue shows it: the course (with topics,
// fees and all its events) and, separately, its upcoming events in start
// order.
type Listing struct {
	Course   Course
	Upcoming []Event
}

// CourseBySlug returns the course with everything it holds, drafts
// included; callers showing it to the public check Status.
func (s *Store) CourseBySlug(ctx context.Context, slug string) (Course, error) {
	if len(slug) > 80 || !slugRE.MatchString(slug) {
		// No course has such a slug; and PostgreSQL refuses a NUL or bad
		// UTF-8 that a visitor may put in a URL, where SQLite finds nothing.
		return Course{}, ErrNotFound
	}
	if s.cached() {
		c, err := s.cachedBySlug(ctx, slug)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Course{}, fmt.Errorf("catalog: course %q: %w", slug, err)
		}
		return c, err
	}
	cs, err := s.load(ctx, `c.slug = $1`, slug)
	if err != nil {
		return Course{}, fmt.Errorf("catalog: course %q: %w", slug, err)
	}
	if len(cs) == 0 {
		return Course{}, ErrNotFound
	}
	return cs[0], nil
}

// CourseByID returns the course with ID id with everything it holds,
// drafts included (the staff area's editor addresses courses by ID).
func (s *Store) CourseByID(ctx context.Context, id int64) (Course, error) {
	if s.cached() {
		c, err := s.cachedByID(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Course{}, fmt.Errorf("catalog: course %d: %w", id, err)
		}
		return c, err
	}
	cs, err := s.load(ctx, `c.id = $1`, id)
	if err != nil {
		return Course{}, fmt.Errorf("catalog: course %d: %w", id, err)
	}
	if len(cs) == 0 {
		return Course{}, ErrNotFound
	}
	return cs[0], nil
}

// EventRecent is Event for a caller that checks the course's version
// again itself before it relies on the course (booking does, under the
// date's lock): it returns the cached course without asking the database
// when the database said within the last second that it was current, so
// a rush of bookings onto one date costs the database nothing before its
// turn. Otherwise, and inside a transaction, it is Event. The course and
// date are the caller's own copy, on the heap: a rush keeps thousands of
// them while each waits for its turn, and a pointer keeps the waiting
// goroutine's stack small.
func (s *Store) EventRecent(ctx context.Context, id int64) (*Course, *Event, error) {
	if s.cached() {
		if ce, ok := s.cache.recentEvent(id, recentFor); ok {
			return &ce.course, &ce.event, nil
		}
	}
	return s.eventChecked(ctx, id)
}

// eventChecked is EventRecent's way when the cache has no recent check:
// one check at a time per date; the rest of a rush wait for it and take
// what it cached. A store without a cache (in a transaction) reads.
func (s *Store) eventChecked(ctx context.Context, id int64) (*Course, *Event, error) {
	if s.cached() {
		wait, lead := s.cache.begin(s.cache.checking, id)
		if !lead {
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, nil, ctx.Err()
			}
			if ce, ok := s.cache.recentEvent(id, recentFor); ok {
				return &ce.course, &ce.event, nil
			}
			// The check found nothing to cache (an unknown date) or failed.
		} else {
			defer s.cache.end(s.cache.checking, id)
		}
	}
	ce := &courseAndEvent{}
	var err error
	if ce.course, ce.event, err = s.Event(ctx, id); err != nil {
		return nil, nil, err
	}
	return &ce.course, &ce.event, nil
}

// Event returns one event and the course it belongs to.
func (s *Store) Event(ctx context.Context, id int64) (Course, Event, error) {
	if s.cached() {
		c, e, err := s.cachedEvent(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Course{}, Event{}, fmt.Errorf("catalog: event %d: %w", id, err)
		}
		return c, e, err
	}
	cs, err := s.load(ctx, `c.id = (SELECT course_id FROM events WHERE id = $1)`, id)
	if err != nil {
		return Course{}, Event{}, fmt.Errorf("catalog: event %d: %w", id, err)
	}
	if len(cs) == 0 {
		return Course{}, Event{}, ErrNotFound
	}
	for _, e := range cs[0].Events {
		if e.ID == id {
			return cs[0], e, nil
		}
	}
	return Course{}, Event{}, ErrNotFound
}

// Listings returns the catalogue: published courses (all courses with
// f.Drafts), those with upcoming dates first in order of their next date,
// then the rest by title.
func (s *Store) Listings(ctx context.Context, f Filter, now time.Time) ([]Listing, error) {
	where, args := `c.status = $1`, []any{string(Published)}
	if f.Drafts {
		where, args = `c.status <> $1`, []any{""}
	}
	cs, err := s.load(ctx, where, args...)
	if err != nil {
		return nil, fmt.Errorf("catalog: listings: %w", err)
	}
	var out []Listing
	for _, c := range cs {
		// The topic is matched here rather than in SQL: SQLite's lower()
		// folds only ASCII ("Ärzte"), and PostgreSQL refuses a NUL or bad
		// UTF-8 that a visitor may type, where SQLite finds nothing.
		if f.Topic != "" && !slices.ContainsFunc(c.Topics, func(t string) bool { return strings.EqualFold(t, f.Topic) }) {
			continue
		}
		l := Listing{Course: c}
		for _, e := range c.Events {
			if e.EndsAt.After(now) && e.Status != Cancelled {
				l.Upcoming = append(l.Upcoming, e)
			}
		}
		if f.Format != "" && !hasFormat(l.Upcoming, f.Format) {
			continue
		}
		out = append(out, l)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case len(a.Upcoming) > 0 && len(b.Upcoming) > 0:
			return a.Upcoming[0].StartsAt.Before(b.Upcoming[0].StartsAt)
		case len(a.Upcoming) > 0 || len(b.Upcoming) > 0:
			return len(a.Upcoming) > 0
		default:
			return strings.ToLower(a.Course.Title) < strings.ToLower(b.Course.Title)
		}
	})
	return out, nil
}

func hasFormat(events []Event, f Format) bool {
	for _, e := range events {
		if e.Offers(f) {
			return true
		}
	}
	return false
}

// Topics returns the distinct topics of published courses, sorted.
func (s *Store) Topics(ctx context.Context) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `
		SELECT DISTINCT t.topic FROM course_topics t
		JOIN courses c ON c.id = t.course_id
		WHERE c.status = $1
		ORDER BY t.topic`, string(Published))
	if err != nil {
		return nil, fmt.Errorf("catalog: topics: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("catalog: topics: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CountCourses returns how many courses exist, drafts included.
func (s *Store) CountCourses(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM courses`).Scan(&n); err != nil {
		return 0, fmt.Errorf("catalog: count courses: %w", err)
	}
	return n, nil
}

// CourseSlugs returns every course's slug by its ID, drafts included:
// for naming courses that other packages know only by ID (a staff
// user's course limits).
func (s *Store) CourseSlugs(ctx context.Context) (map[int64]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT id, slug FROM courses`)
	if err != nil {
		return nil, fmt.Errorf("catalog: course slugs: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var slug string
		if err := rows.Scan(&id, &slug); err != nil {
			return nil, fmt.Errorf("catalog: course slugs: %w", err)
		}
		out[id] = slug
	}
	return out, rows.Err()
}

// load reads the courses matching where (over "courses c") with all they
// hold, in a fixed number of queries whatever their number. Children are
// selected with the same condition, so where and args are reused as they
// are.
func (s *Store) load(ctx context.Context, where string, args ...any) ([]Course, error) {
	sub := `SELECT c.id FROM courses c WHERE ` + where
	var courses []Course
	byID := map[int64]*Course{}
	err := s.each(ctx, `
		SELECT c.id, c.slug, c.title, c.summary, c.status, c.about, c.audience, c.aims,
		       c.prerequisites, c.delivery, c.cancellation_terms, c.joining_lead_days,
		       c.reminder_days_before, c.waitlist, c.offer_hold_hours, c.booking_closes_hours, c.version,
		       c.completion_min_percent, c.feedback_url, c.created_at, c.updated_at
		FROM courses c WHERE `+where+` ORDER BY c.id`, args, func(rows *sql.Rows) error {
		var c Course
		err := rows.Scan(&c.ID, &c.Slug, &c.Title, &c.Summary, &c.Status, &c.About, &c.Audience, &c.Aims,
			&c.Prerequisites, &c.Delivery, &c.CancellationTerms, &c.JoiningLeadDays,
			&c.ReminderDaysBefore, &c.Waitlist, &c.OfferHoldHours, &c.BookingClosesHours, &c.Version,
			&c.CompletionPercent, &c.FeedbackURL, &c.CreatedAt, &c.UpdatedAt)
		courses = append(courses, c)
		return err
	})
	if err != nil || len(courses) == 0 {
		return nil, err
	}
	for i := range courses {
		byID[courses[i].ID] = &courses[i]
	}
	// One course (a course page, the editor, a booking): its children are
	// read by its ID, which the indexes on course_id answer directly,
	// rather than through a sub-query that looks the course up again.
	in := `course_id IN (` + sub + `)`
	eventsWhere := in
	if len(courses) == 1 {
		in, args = `course_id = $1`, []any{courses[0].ID}
		eventsWhere = in
	}
	err = s.each(ctx, `SELECT course_id, topic FROM course_topics WHERE `+in+` ORDER BY course_id, position`,
		args, func(rows *sql.Rows) error {
			var id int64
			var t string
			err := rows.Scan(&id, &t)
			byID[id].Topics = append(byID[id].Topics, t)
			return err
		})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, `SELECT course_id, name, amount_minor, currency FROM fee_tiers WHERE `+in+` ORDER BY course_id, position`,
		args, func(rows *sql.Rows) error {
			var id int64
			var f FeeTier
			err := rows.Scan(&id, &f.Name, &f.Amount, &f.Currency)
			byID[id].Fees = append(byID[id].Fees, f)
			return err
		})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, `SELECT course_id, key, label, kind, required, help FROM eligibility_questions WHERE `+in+` ORDER BY course_id, position`,
		args, func(rows *sql.Rows) error {
			var id int64
			var q Question
			err := rows.Scan(&id, &q.Key, &q.Label, &q.Kind, &q.Required, &q.Help)
			byID[id].Questions = append(byID[id].Questions, q)
			return err
		})
	if err != nil {
		return nil, err
	}
	if err := s.rules(ctx, in, args, byID); err != nil {
		return nil, err
	}
	for i := range courses {
		// A course stored before a refuse rule made its question required
		// still reads as required (Normalize sets it on every save).
		needed := courses[i].MissingRefusals()
		for j, q := range courses[i].Questions {
			if _, ok := needed[q.Key]; ok {
				courses[i].Questions[j].Required = true
			}
		}
	}
	events, err := s.events(ctx, eventsWhere, args)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		byID[e.CourseID].Events = append(byID[e.CourseID].Events, e)
	}
	return courses, nil
}

// rules reads the eligibility rules of the courses selected by in (a
// condition on course_id) into byID.
func (s *Store) rules(ctx context.Context, in string, args []any, byID map[int64]*Course) error {
	err := s.each(ctx, `SELECT course_id, outcome, message FROM eligibility_rules WHERE `+in+` ORDER BY course_id, position`,
		args, func(rows *sql.Rows) error {
			var id int64
			var r Rule
			err := rows.Scan(&id, &r.Outcome, &r.Message)
			byID[id].Rules = append(byID[id].Rules, r)
			return err
		})
	if err != nil {
		return err
	}
	return s.each(ctx, `
		SELECT course_id, rule_position, question, op, date_base, date_offset, date_unit
		FROM eligibility_conditions WHERE `+in+` ORDER BY course_id, rule_position, position`,
		args, func(rows *sql.Rows) error {
			var id int64
			var pos int
			var c Condition
			if err := rows.Scan(&id, &pos, &c.Question, &c.Op, &c.Date.Base, &c.Date.Offset, &c.Date.Unit); err != nil {
				return err
			}
			rules := byID[id].Rules
			if pos < 0 || pos >= len(rules) {
				return fmt.Errorf("condition of course %d names rule %d, which it does not have", id, pos)
			}
			rules[pos].Conditions = append(rules[pos].Conditions, c)
			return nil
		})
}

// events reads the events matching where (over "events") with their days
// and agenda, in start order.
func (s *Store) events(ctx context.Context, where string, args []any) ([]Event, error) {
	var events []Event
	err := s.each(ctx, `
		SELECT id, course_id, ref, time_zone, region, format, status, version, capacity,
		       venue_name, venue_address, venue_directions, meeting_provider, meeting_url, meeting_id, meeting_passcode,
		       starts_at, ends_at, created_at, updated_at
		FROM events WHERE `+where+` ORDER BY starts_at, id`, args, func(rows *sql.Rows) error {
		var e Event
		err := rows.Scan(&e.ID, &e.CourseID, &e.Ref, &e.TimeZone, &e.Region, &e.Format, &e.Status, &e.Version, &e.Capacity,
			&e.Venue.Name, &e.Venue.Address, &e.Venue.Directions, &e.Meeting.Provider, &e.Meeting.JoinURL, &e.Meeting.ID, &e.Meeting.Passcode,
			&e.StartsAt, &e.EndsAt, &e.CreatedAt, &e.UpdatedAt)
		e.StartsAt, e.EndsAt = e.StartsAt.UTC(), e.EndsAt.UTC()
		events = append(events, e)
		return err
	})
	if err != nil || len(events) == 0 {
		return nil, err
	}
	byID := make(map[int64]*Event, len(events))
	for i := range events {
		byID[events[i].ID] = &events[i]
	}
	// The days and agenda items of the same events: for one course by a
	// join on its ID, otherwise through the events' condition again.
	days := `SELECT event_id, day, starts, ends FROM event_days WHERE event_id IN (SELECT id FROM events WHERE ` + where + `) ORDER BY event_id, position`
	agenda := `SELECT event_id, day_position, kind, starts, ends, title FROM agenda_items WHERE event_id IN (SELECT id FROM events WHERE ` + where + `) ORDER BY event_id, day_position, position`
	if where == `course_id = $1` {
		days = `SELECT d.event_id, d.day, d.starts, d.ends FROM event_days d JOIN events ev ON ev.id = d.event_id
			WHERE ev.course_id = $1 ORDER BY d.event_id, d.position`
		agenda = `SELECT a.event_id, a.day_position, a.kind, a.starts, a.ends, a.title FROM agenda_items a JOIN events ev ON ev.id = a.event_id
			WHERE ev.course_id = $1 ORDER BY a.event_id, a.day_position, a.position`
	}
	err = s.each(ctx, days,
		args, func(rows *sql.Rows) error {
			var id int64
			var day, starts, ends string
			if err := rows.Scan(&id, &day, &starts, &ends); err != nil {
				return err
			}
			d, err := dayFromDB(day, starts, ends)
			byID[id].Days = append(byID[id].Days, d)
			return err
		})
	if err != nil {
		return nil, err
	}
	err = s.each(ctx, agenda,
		args, func(rows *sql.Rows) error {
			var id int64
			var pos int
			var a AgendaItem
			var starts, ends string
			if err := rows.Scan(&id, &pos, &a.Kind, &starts, &ends, &a.Title); err != nil {
				return err
			}
			e := byID[id]
			if pos < 0 || pos >= len(e.Days) {
				return fmt.Errorf("agenda item of event %d names day %d, which it does not have", id, pos)
			}
			var err error
			if a.Start, err = ParseClock(starts); err != nil {
				return err
			}
			if ends != "" {
				if a.End, err = ParseClock(ends); err != nil {
					return err
				}
			}
			e.Days[pos].Agenda = append(e.Days[pos].Agenda, a)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return events, nil
}

func dayFromDB(day, starts, ends string) (Day, error) {
	var d Day
	var err error
	if d.Date, err = ParseDate(day); err != nil {
		return d, err
	}
	if d.Start, err = ParseClock(starts); err != nil {
		return d, err
	}
	d.End, err = ParseClock(ends)
	return d, err
}

// each runs a query and calls fn for every row. Outside a transaction the
// query runs as a statement prepared once per Store (and by database/sql
// once per connection): SQLite would otherwise parse the SQL again on
// every call, which was a fifth of a course page's CPU.
func (s *Store) each(ctx context.Context, query string, args []any, fn func(*sql.Rows) error) error {
	var rows *sql.Rows
	var err error
	if st := s.prepared(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = s.q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// stmtCache holds a Store's prepared statements by their SQL. The SQL of
// the Store's reads is built from constant pieces, so the set is small
// and bounded.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// prepared returns query prepared on the Store's database, or nil inside a
// transaction (or when preparing fails: the caller then runs the SQL as it
// is, and reports any error that has).
func (s *Store) prepared(ctx context.Context, query string) *sql.Stmt {
	if s.tx != nil || s.stmts == nil || s.db == nil {
		return nil
	}
	c := s.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	st, err := s.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	c.m[query] = st
	return st
}
