package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"plenary/internal/database"
)

// SaveResult says what Save did to one course, for the person saving.
type SaveResult struct {
	Created bool // the course is new
	Changed bool // anything at all changed
	// Version is the course's version after the save (one more than
	// before when Changed).
	Version int
	// Events by ref.
	EventsAdded     []string
	EventsChanged   []EventChange // participant-visible changes; the version went up
	EventsUpdated   []string      // changed in ways participants do not see (capacity)
	EventsUnchanged []string
	// EventsKept are events in the database that the saved course did not
	// list. They are left as they are: an import never removes a date
	// that people may have booked.
	EventsKept []string
	// Reports say what the save's hooks did (or in a dry run would do)
	// about each event the course lists, in the course's order.
	Reports []EventReport
}

// EventChange is a participant-visible change to one event.
type EventChange struct {
	Ref     string
	EventID int64
	Version int // the new version
	Changes []Change
}

// Field names a participant-visible field of an event, as Diff compares
// it. The values are stable identifiers: audit records and webhooks may
// keep them.
type Field string

// The fields Diff compares.
const (
	FieldDays            Field = "days"      // the dates of the days, in order
	FieldDayTimes        Field = "day_times" // one day's start and end (Change.Day)
	FieldTimeZone        Field = "time_zone"
	FieldFormat          Field = "format"
	FieldVenueName       Field = "venue_name"
	FieldVenueAddress    Field = "venue_address"
	FieldVenueDirections Field = "venue_directions"
	FieldMeetingProvider Field = "meeting_provider"
	FieldMeetingURL      Field = "meeting_url"      // private
	FieldMeetingID       Field = "meeting_id"       // private
	FieldMeetingPasscode Field = "meeting_passcode" // private
	FieldStatus          Field = "status"           // only to or from cancelled
	FieldAgenda          Field = "agenda"           // one day's agenda (Change.Day)
)

// Change is one participant-visible difference between two versions of an
// event: the field, and its stored value before and after.
type Change struct {
	Field Field `json:"field"`
	// Day is the day a per-day field belongs to (1 = the first day of the
	// new version); 0 for fields of the whole event.
	Day int `json:"day,omitempty"`
	// Old and New are the stored values: dates as YYYY-MM-DD separated
	// by ", ", times as HH:MM–HH:MM, a zone's IANA name, a format or
	// status as stored, an agenda as one "HH:MM[–HH:MM] kind title" line
	// per item. Empty when unset.
	Old string `json:"old"`
	New string `json:"new"`
	// Private marks the online meeting's joining details (link, meeting
	// ID, passcode): they must reach only confirmed people, and only in
	// their joining instructions. Never show Old or New of a private
	// change to anyone (the audit log records that it changed, not the
	// values).
	Private bool `json:"private,omitempty"`
}

// Save is the one way to change the catalogue, whoever asks (plenary
// import, the demo, the admin editor, the API): it normalises and
// validates the courses and writes them in one transaction, so either
// every course is saved or none is. Each course is matched by slug and
// its events by ref: a new slug creates a course, a known one updates it.
// Events a course no longer lists are kept. An event whose
// participant-visible details change gets a higher version; a course
// that changes in any way (an event included) gets a higher
// Course.Version.
//
// In the same transaction Save refuses a course changed since the version
// the change was based on (opts.BasedOn; a *StaleError), runs the hooks
// given to NewStore for each event with opts, and records every change in
// the audit log as opts.Actor's: course.create or course.update for each
// course, event.create or event.update for each event. On success the
// courses carry the IDs, versions and timestamps as stored.
//
// With opts.DryRun everything, hooks and audit included, runs and is then
// rolled back: the results say what the save would do.
func (s *Store) Save(ctx context.Context, courses []*Course, opts SaveOptions) ([]SaveResult, error) {
	if !opts.Actor.Valid() {
		return nil, ErrNoActor
	}
	var errs ValidationError
	for _, c := range courses {
		c.Normalize()
		if err := c.Validate(); err != nil {
			var v ValidationError
			if !errors.As(err, &v) {
				return nil, err
			}
			errs = append(errs, v...)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	opts.Now = opts.Now.UTC()
	var results []SaveResult
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		results = make([]SaveResult, len(courses))
		st := s.WithTx(tx)
		if err := st.lock(ctx, courses); err != nil {
			return fmt.Errorf("catalog: save: %w", err)
		}
		for i, c := range courses {
			if err := st.save(ctx, c, opts, &results[i]); err != nil {
				return fmt.Errorf("catalog: save %q: %w", c.Slug, err)
			}
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	if s.cache != nil {
		// This process's next read of a saved course reads it afresh,
		// rather than EventRecent trusting the cached one for up to
		// a second.
		for _, c := range courses {
			s.cache.drop(c.ID)
		}
	}
	return results, nil
}

// ErrNoActor refuses a save that does not say who is saving.
var ErrNoActor = errors.New("catalog: a save needs an actor (who is saving)")

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("catalog: dry run")

// lock takes the row locks of the stored courses being saved and of all
// their events, in id order, before anything is read or written. The
// course locks make the version check and the version's rise one step,
// so two editors saving at once never both pass it. Hooks go on to change
// bookings (and the invoice counter) of several events in one
// transaction; a booking takes its event's lock first, so taking all of
// them first here, in one order, means the two can never wait on each
// other in a circle. On SQLite the transaction already holds the
// database's write lock.
func (s *Store) lock(ctx context.Context, courses []*Course) error {
	if s.db.Dialect != database.Postgres || len(courses) == 0 {
		return nil
	}
	marks := make([]string, len(courses))
	args := make([]any, len(courses))
	for i, c := range courses {
		marks[i] = fmt.Sprintf("$%d", i+1)
		args[i] = c.Slug
	}
	// A course that does not exist yet has no row to lock: two editors
	// creating the same slug would both pass the version check, and the
	// second insert would fail on the unique slug instead of being told it
	// is stale. A lock on each slug's name (in one order, so two saves of
	// several courses cannot deadlock) makes them take turns, as SQLite's
	// one writer does.
	names := make([]string, len(courses))
	for i, c := range courses {
		names[i] = c.Slug
	}
	slices.Sort(names)
	for _, name := range names {
		if _, err := s.q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "plenary-course:"+name); err != nil {
			return fmt.Errorf("lock course %q: %w", name, err)
		}
	}
	slugs := `SELECT id FROM courses WHERE slug IN (` + strings.Join(marks, ", ") + `)`
	// Courses first, then events: every save takes them in this order.
	if err := s.each(ctx, slugs+` ORDER BY id FOR UPDATE`, args, func(*sql.Rows) error { return nil }); err != nil {
		return fmt.Errorf("lock courses: %w", err)
	}
	err := s.each(ctx, `SELECT id FROM events WHERE course_id IN (`+slugs+`) ORDER BY id FOR UPDATE`, args,
		func(*sql.Rows) error { return nil })
	if err != nil {
		return fmt.Errorf("lock events: %w", err)
	}
	return nil
}

func (s *Store) save(ctx context.Context, c *Course, opts SaveOptions, res *SaveResult) error {
	now := opts.Now
	old, err := s.CourseBySlug(ctx, c.Slug)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if based, ok := opts.BasedOn[c.Slug]; ok {
		if err := s.checkVersion(ctx, c.Slug, old, exists, based); err != nil {
			return err
		}
	}
	if !exists {
		res.Created, res.Changed = true, true
		c.CreatedAt = now
		err = s.q.QueryRowContext(ctx, `
			INSERT INTO courses (slug, title, summary, status, about, audience, aims, prerequisites, delivery,
			                     cancellation_terms, joining_lead_days, waitlist, offer_hold_hours,
			                     booking_closes_hours, reminder_days_before, completion_min_percent, feedback_url, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $17, $18, $16, $16) RETURNING id`,
			c.Slug, c.Title, c.Summary, string(c.Status), c.About, c.Audience, c.Aims, c.Prerequisites, c.Delivery,
			c.CancellationTerms, c.JoiningLeadDays, c.Waitlist, c.OfferHoldHours, c.BookingClosesHours,
			c.ReminderDaysBefore, now, c.CompletionPercent, c.FeedbackURL).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("insert course: %w", err)
		}
	} else {
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		if !sameCourseFields(old, *c) {
			res.Changed = true
			_, err = s.q.ExecContext(ctx, `
				UPDATE courses SET title = $2, summary = $3, status = $4, about = $5, audience = $6, aims = $7,
				       prerequisites = $8, delivery = $9, cancellation_terms = $10, joining_lead_days = $11,
				       waitlist = $12, offer_hold_hours = $13, booking_closes_hours = $14, reminder_days_before = $15,
				       completion_min_percent = $16, feedback_url = $17
				WHERE id = $1`,
				c.ID, c.Title, c.Summary, string(c.Status), c.About, c.Audience, c.Aims, c.Prerequisites, c.Delivery,
				c.CancellationTerms, c.JoiningLeadDays, c.Waitlist, c.OfferHoldHours, c.BookingClosesHours,
				c.ReminderDaysBefore, c.CompletionPercent, c.FeedbackURL)
			if err != nil {
				return fmt.Errorf("update course: %w", err)
			}
		}
	}
	if err := s.saveChildren(ctx, c, old, res); err != nil {
		return err
	}

	oldByRef := map[string]Event{}
	for _, e := range old.Events {
		oldByRef[e.Ref] = e
	}
	for i := range c.Events {
		e := &c.Events[i]
		e.CourseID = c.ID
		prev, ok := oldByRef[e.Ref]
		delete(oldByRef, e.Ref)
		changed, updated := len(res.EventsChanged), len(res.EventsUpdated)
		if err := s.saveEvent(ctx, e, prev, ok, now, res); err != nil {
			return fmt.Errorf("event %q: %w", e.Ref, err)
		}
		ev := EventSave{Course: *c, Old: prev, New: *e, Added: !ok, Options: opts,
			Change: EventChange{Ref: e.Ref, EventID: e.ID, Version: e.Version}, Report: &EventReport{Ref: e.Ref}}
		if len(res.EventsChanged) > changed {
			ev.Change = res.EventsChanged[changed]
		}
		if ev.Added || len(res.EventsChanged) > changed || len(res.EventsUpdated) > updated {
			if err := s.recordEvent(ctx, opts, c.Slug, ev); err != nil {
				return fmt.Errorf("event %q: %w", e.Ref, err)
			}
		}
		if err := s.runHooks(ctx, ev); err != nil {
			return fmt.Errorf("event %q: %w", e.Ref, err)
		}
		res.Reports = append(res.Reports, *ev.Report)
	}
	for _, e := range old.Events {
		if _, kept := oldByRef[e.Ref]; kept {
			res.EventsKept = append(res.EventsKept, e.Ref)
			c.Events = append(c.Events, e)
		}
	}
	c.UpdatedAt, c.Version = old.UpdatedAt, old.Version
	if res.Changed {
		// Any change, to the course or one of its dates, moves updated_at
		// (caches of the course page key on it) and the version.
		c.UpdatedAt, c.Version = now, old.Version+1
		if _, err := s.q.ExecContext(ctx, `UPDATE courses SET updated_at = $2, version = $3 WHERE id = $1`,
			c.ID, now, c.Version); err != nil {
			return fmt.Errorf("touch course: %w", err)
		}
		if err := s.recordCourse(ctx, opts, old, *c, res); err != nil {
			return err
		}
	}
	res.Version = c.Version
	return nil
}

// runHooks tells the save hooks of one event. The course they see is the
// one being saved, as written so far.
func (s *Store) runHooks(ctx context.Context, ev EventSave) error {
	if s.hooks.EventSaved == nil {
		return nil
	}
	if s.tx == nil {
		return errors.New("save hooks need the save's transaction")
	}
	return s.hooks.EventSaved(ctx, s.tx, ev)
}

func sameCourseFields(a, b Course) bool {
	return a.Title == b.Title && a.Summary == b.Summary && a.Status == b.Status && a.About == b.About &&
		a.Audience == b.Audience && a.Aims == b.Aims && a.Prerequisites == b.Prerequisites &&
		a.Delivery == b.Delivery && a.CancellationTerms == b.CancellationTerms && a.JoiningLeadDays == b.JoiningLeadDays &&
		a.Waitlist == b.Waitlist && a.OfferHoldHours == b.OfferHoldHours && a.BookingClosesHours == b.BookingClosesHours &&
		a.ReminderDaysBefore == b.ReminderDaysBefore && a.CompletionPercent == b.CompletionPercent &&
		a.FeedbackURL == b.FeedbackURL
}

// saveChildren rewrites topics, fees, questions and rules when they differ.
func (s *Store) saveChildren(ctx context.Context, c *Course, old Course, res *SaveResult) error {
	if !slices.Equal(old.Topics, c.Topics) {
		res.Changed = true
		if _, err := s.q.ExecContext(ctx, `DELETE FROM course_topics WHERE course_id = $1`, c.ID); err != nil {
			return fmt.Errorf("topics: %w", err)
		}
		for i, t := range c.Topics {
			if _, err := s.q.ExecContext(ctx, `INSERT INTO course_topics (course_id, position, topic) VALUES ($1, $2, $3)`,
				c.ID, i, t); err != nil {
				return fmt.Errorf("topics: %w", err)
			}
		}
	}
	if !slices.Equal(old.Fees, c.Fees) {
		res.Changed = true
		if _, err := s.q.ExecContext(ctx, `DELETE FROM fee_tiers WHERE course_id = $1`, c.ID); err != nil {
			return fmt.Errorf("fees: %w", err)
		}
		for i, f := range c.Fees {
			if _, err := s.q.ExecContext(ctx, `INSERT INTO fee_tiers (course_id, position, name, amount_minor, currency) VALUES ($1, $2, $3, $4, $5)`,
				c.ID, i, f.Name, f.Amount, f.Currency); err != nil {
				return fmt.Errorf("fees: %w", err)
			}
		}
	}
	if !slices.Equal(old.Questions, c.Questions) {
		res.Changed = true
		if _, err := s.q.ExecContext(ctx, `DELETE FROM eligibility_questions WHERE course_id = $1`, c.ID); err != nil {
			return fmt.Errorf("questions: %w", err)
		}
		for i, q := range c.Questions {
			if _, err := s.q.ExecContext(ctx, `INSERT INTO eligibility_questions (course_id, position, key, label, kind, required, help) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				c.ID, i, q.Key, q.Label, string(q.Kind), q.Required, q.Help); err != nil {
				return fmt.Errorf("questions: %w", err)
			}
		}
	}
	if !equalRules(old.Rules, c.Rules) {
		res.Changed = true
		if err := s.writeRules(ctx, c); err != nil {
			return fmt.Errorf("rules: %w", err)
		}
	}
	return nil
}

// writeRules replaces the course's eligibility rules.
func (s *Store) writeRules(ctx context.Context, c *Course) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM eligibility_conditions WHERE course_id = $1`, c.ID); err != nil {
		return err
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM eligibility_rules WHERE course_id = $1`, c.ID); err != nil {
		return err
	}
	for i, r := range c.Rules {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO eligibility_rules (course_id, position, outcome, message) VALUES ($1, $2, $3, $4)`,
			c.ID, i, string(r.Outcome), r.Message); err != nil {
			return err
		}
		for j, cond := range r.Conditions {
			if _, err := s.q.ExecContext(ctx, `
				INSERT INTO eligibility_conditions (course_id, rule_position, position, question, op, date_base, date_offset, date_unit)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				c.ID, i, j, cond.Question, string(cond.Op), string(cond.Date.Base), cond.Date.Offset, string(cond.Date.Unit)); err != nil {
				return err
			}
		}
	}
	return nil
}

// saveEvent inserts e, or updates it when it differs from prev.
func (s *Store) saveEvent(ctx context.Context, e *Event, prev Event, exists bool, now time.Time, res *SaveResult) error {
	if !exists {
		res.Changed = true
		res.EventsAdded = append(res.EventsAdded, e.Ref)
		e.Version, e.CreatedAt, e.UpdatedAt = 1, now, now
		err := s.q.QueryRowContext(ctx, `
			INSERT INTO events (course_id, ref, time_zone, region, format, status, version, capacity,
			                    venue_name, venue_address, venue_directions, meeting_provider, meeting_url, meeting_id,
			                    meeting_passcode, starts_at, ends_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id`,
			e.CourseID, e.Ref, e.TimeZone, e.Region, string(e.Format), string(e.Status), e.Version, e.Capacity,
			e.Venue.Name, e.Venue.Address, e.Venue.Directions, e.Meeting.Provider, e.Meeting.JoinURL, e.Meeting.ID,
			e.Meeting.Passcode, e.StartsAt, e.EndsAt, now).Scan(&e.ID)
		if err != nil {
			return err
		}
		return s.writeDays(ctx, e)
	}
	e.ID, e.CreatedAt = prev.ID, prev.CreatedAt
	changes := Diff(prev, *e)
	// "changed" marks a date that moved since it was first published; a
	// file that still says "scheduled" does not undo that. New joining
	// details alone are not shown as a change: the version still rises.
	public := slices.ContainsFunc(changes, func(c Change) bool { return !c.Private })
	if e.Status == Scheduled && (prev.Status == Changed || public) {
		e.Status = Changed
	}
	sameDays := reflect.DeepEqual(prev.Days, e.Days)
	if len(changes) == 0 && sameDays && prev.Capacity == e.Capacity && prev.Status == e.Status && prev.Region == e.Region {
		e.Version, e.UpdatedAt = prev.Version, prev.UpdatedAt
		res.EventsUnchanged = append(res.EventsUnchanged, e.Ref)
		return nil
	}
	res.Changed = true
	e.Version, e.UpdatedAt = prev.Version, now
	if len(changes) > 0 {
		e.Version++
		res.EventsChanged = append(res.EventsChanged, EventChange{Ref: e.Ref, EventID: e.ID, Version: e.Version, Changes: changes})
	} else {
		res.EventsUpdated = append(res.EventsUpdated, e.Ref)
	}
	_, err := s.q.ExecContext(ctx, `
		UPDATE events SET time_zone = $2, region = $3, format = $4, status = $5, version = $6, capacity = $7,
		       venue_name = $8, venue_address = $9, venue_directions = $10, meeting_provider = $11, meeting_url = $12,
		       meeting_id = $13, meeting_passcode = $14, starts_at = $15, ends_at = $16, updated_at = $17
		WHERE id = $1`,
		e.ID, e.TimeZone, e.Region, string(e.Format), string(e.Status), e.Version, e.Capacity,
		e.Venue.Name, e.Venue.Address, e.Venue.Directions, e.Meeting.Provider, e.Meeting.JoinURL, e.Meeting.ID,
		e.Meeting.Passcode, e.StartsAt, e.EndsAt, now)
	if err != nil {
		return err
	}
	if sameDays {
		return nil
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM event_days WHERE event_id = $1`, e.ID); err != nil {
		return err
	}
	return s.writeDays(ctx, e)
}

func (s *Store) writeDays(ctx context.Context, e *Event) error {
	for i, d := range e.Days {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO event_days (event_id, position, day, starts, ends) VALUES ($1, $2, $3, $4, $5)`,
			e.ID, i, d.Date.String(), d.Start.String(), d.End.String()); err != nil {
			return err
		}
		for j, a := range d.Agenda {
			if _, err := s.q.ExecContext(ctx, `INSERT INTO agenda_items (event_id, day_position, position, kind, starts, ends, title) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				e.ID, i, j, string(a.Kind), a.Start.String(), a.End.String(), a.Title); err != nil {
				return err
			}
		}
	}
	return nil
}
