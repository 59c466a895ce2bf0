package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"plenary/internal/database"
)

// SaveResult says what Save did, for the person running an import.
type SaveResult struct {
	Created bool // the course is new
	Changed bool // anything at all changed
	// Events by ref.
	EventsAdded     []string
	EventsChanged   []EventChange // participant-visible changes; the version went up
	EventsUpdated   []string      // changed in ways participants do not see (capacity)
	EventsUnchanged []string
	// EventsKept are events in the database that the saved course did not
	// list. They are left as they are: an import never removes a date
	// that people may have booked.
	EventsKept []string
}

// EventChange is a participant-visible change to one event.
type EventChange struct {
	Ref     string
	EventID int64
	Version int // the new version
	Changes []Change
}

// Change is one participant-visible difference, old → new, in words.
type Change struct {
	Field string // "Dates", "Times", "Format", "Venue", "Joining details", "Agenda", "Status"
	Old   string
	New   string
}

// Save validates c and writes it in one transaction, matching the course
// by slug and its events by ref: a new slug creates a course, a known one
// updates it. Events the course no longer lists are kept. An event whose
// participant-visible details change gets a higher version. On success c
// carries the IDs, versions and timestamps as stored.
func (s *Store) Save(ctx context.Context, c *Course, now time.Time) (SaveResult, error) {
	res, err := s.SaveAll(ctx, []*Course{c}, now)
	if err != nil {
		return SaveResult{}, err
	}
	return res[0], nil
}

// SaveAll saves several courses as Save does, all in one transaction:
// either every course is saved or none is.
func (s *Store) SaveAll(ctx context.Context, courses []*Course, now time.Time) ([]SaveResult, error) {
	var errs ValidationError
	for _, c := range courses {
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
	now = now.UTC()
	var results []SaveResult
	err := database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		results = make([]SaveResult, len(courses))
		for i, c := range courses {
			if err := s.WithTx(tx).save(ctx, c, now, &results[i]); err != nil {
				return fmt.Errorf("catalog: save %q: %w", c.Slug, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func (s *Store) save(ctx context.Context, c *Course, now time.Time, res *SaveResult) error {
	old, err := s.CourseBySlug(ctx, c.Slug)
	switch {
	case errors.Is(err, ErrNotFound):
		res.Created, res.Changed = true, true
		c.CreatedAt = now
		err = s.q.QueryRowContext(ctx, `
			INSERT INTO courses (slug, title, summary, status, about, audience, aims, prerequisites, delivery,
			                     cancellation_terms, joining_lead_days, waitlist, offer_hold_hours,
			                     booking_closes_hours, reminder_days_before, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id`,
			c.Slug, c.Title, c.Summary, string(c.Status), c.About, c.Audience, c.Aims, c.Prerequisites, c.Delivery,
			c.CancellationTerms, c.JoiningLeadDays, c.Waitlist, c.OfferHoldHours, c.BookingClosesHours,
			c.ReminderDaysBefore, now).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("insert course: %w", err)
		}
	case err != nil:
		return err
	default:
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		if !sameCourseFields(old, *c) {
			res.Changed = true
			_, err = s.q.ExecContext(ctx, `
				UPDATE courses SET title = $2, summary = $3, status = $4, about = $5, audience = $6, aims = $7,
				       prerequisites = $8, delivery = $9, cancellation_terms = $10, joining_lead_days = $11,
				       waitlist = $12, offer_hold_hours = $13, booking_closes_hours = $14, reminder_days_before = $15
				WHERE id = $1`,
				c.ID, c.Title, c.Summary, string(c.Status), c.About, c.Audience, c.Aims, c.Prerequisites, c.Delivery,
				c.CancellationTerms, c.JoiningLeadDays, c.Waitlist, c.OfferHoldHours, c.BookingClosesHours,
				c.ReminderDaysBefore)
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
		changed := len(res.EventsChanged)
		if err := s.saveEvent(ctx, e, prev, ok, now, res); err != nil {
			return fmt.Errorf("event %q: %w", e.Ref, err)
		}
		if len(res.EventsChanged) > changed {
			if err := s.runHooks(ctx, *c, prev, *e, res.EventsChanged[changed]); err != nil {
				return fmt.Errorf("event %q: %w", e.Ref, err)
			}
		}
	}
	for _, e := range old.Events {
		if _, kept := oldByRef[e.Ref]; kept {
			res.EventsKept = append(res.EventsKept, e.Ref)
			c.Events = append(c.Events, e)
		}
	}
	c.UpdatedAt = old.UpdatedAt
	if res.Changed {
		// Any change, to the course or one of its dates, moves updated_at:
		// caches of the course page key on it.
		c.UpdatedAt = now
		if _, err := s.q.ExecContext(ctx, `UPDATE courses SET updated_at = $2 WHERE id = $1`, c.ID, now); err != nil {
			return fmt.Errorf("touch course: %w", err)
		}
	}
	return nil
}

// runHooks tells the change hooks of one event change.
func (s *Store) runHooks(ctx context.Context, c Course, old, new Event, ch EventChange) error {
	if len(s.hooks) == 0 {
		return nil
	}
	if s.tx == nil {
		return errors.New("change hooks need the save's transaction")
	}
	for _, h := range s.hooks {
		if err := h(ctx, s.tx, c, old, new, ch); err != nil {
			return err
		}
	}
	return nil
}

func sameCourseFields(a, b Course) bool {
	return a.Title == b.Title && a.Summary == b.Summary && a.Status == b.Status && a.About == b.About &&
		a.Audience == b.Audience && a.Aims == b.Aims && a.Prerequisites == b.Prerequisites &&
		a.Delivery == b.Delivery && a.CancellationTerms == b.CancellationTerms && a.JoiningLeadDays == b.JoiningLeadDays &&
		a.Waitlist == b.Waitlist && a.OfferHoldHours == b.OfferHoldHours && a.BookingClosesHours == b.BookingClosesHours &&
		a.ReminderDaysBefore == b.ReminderDaysBefore
}

// saveChildren rewrites topics, fees, questions and rules when they differ.
func (s *Store) saveChildren(ctx context.Context, c *Course, old Course, res *SaveResult) error {
	if !equalSlices(old.Topics, c.Topics) {
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
	if !equalSlices(old.Fees, c.Fees) {
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
	if !equalSlices(old.Questions, c.Questions) {
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

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
	// file that still says "scheduled" does not undo that.
	if e.Status == Scheduled && (prev.Status == Changed || len(changes) > 0) {
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

// Diff lists the participant-visible differences between two versions of
// an event, in words, old → new. Capacity is not among them.
func Diff(old, new Event) []Change {
	var out []Change
	add := func(field, o, n string) {
		if o != n {
			out = append(out, Change{Field: field, Old: o, New: n})
		}
	}
	add("Dates", old.DateLabel(), new.DateLabel())
	add("Times", timesLabel(old), timesLabel(new))
	add("Format", old.Format.Label(), new.Format.Label())
	add("Venue", venueLabel(old.Venue), venueLabel(new.Venue))
	add("Joining details", meetingLabel(old.Meeting), meetingLabel(new.Meeting))
	if old.Status != new.Status && (old.Status == Cancelled || new.Status == Cancelled) {
		add("Status", statusLabel(old.Status), statusLabel(new.Status))
	}
	if agendaLabel(old) != agendaLabel(new) {
		add("Agenda", "as sent before", "updated")
	}
	return out
}

func timesLabel(e Event) string {
	loc := e.Location()
	parts := make([]string, len(e.Days))
	for i, d := range e.Days {
		parts[i] = d.TimeRange(loc)
	}
	return strings.Join(parts, "; ")
}

func venueLabel(v Venue) string {
	s := strings.TrimSpace(v.Name + "\n" + v.Address)
	if v.Directions != "" {
		s += "\nDirections: " + v.Directions
	}
	return s
}

func meetingLabel(m Meeting) string {
	return strings.TrimSpace(strings.Join([]string{m.Provider, m.JoinURL, m.ID, m.Passcode}, " "))
}

func statusLabel(s EventStatus) string {
	if s == Cancelled {
		return "Cancelled"
	}
	return "Going ahead"
}

func agendaLabel(e Event) string {
	var b strings.Builder
	for _, d := range e.Days {
		for _, a := range d.Agenda {
			fmt.Fprintf(&b, "%s %s %s %s|", a.Start, a.End, a.Kind, a.Title)
		}
	}
	return b.String()
}
