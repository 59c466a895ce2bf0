package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"plenary/internal/audit"
)

// What a save records in the audit log (package audit), in the save's
// transaction, and how a save based on an old version is refused.

// ErrStale matches a *StaleError.
var ErrStale = errors.New("catalog: the course was changed by someone else")

// StaleError refuses a save based on a version of a course that is no
// longer the stored one: someone else saved the course after the person
// saving started their change. It says what the stored version is and
// when and by whom it was last changed, so an editor can show it. It
// matches ErrStale.
type StaleError struct {
	Slug string
	// BasedOn is the version the refused change started from (0: the
	// change meant to create the course).
	BasedOn int
	// Version is the stored version; 0 when there is no such course.
	Version int
	// ChangedAt and ChangedBy say who made the latest change and when
	// (UTC). ChangedBy is zero when the audit log does not say (a course
	// stored before the log was kept).
	ChangedAt time.Time
	ChangedBy audit.Actor
}

func (e *StaleError) Error() string { return "catalog: " + e.Message() }

// Message says what happened, for the person saving, without the
// package's prefix.
func (e *StaleError) Message() string {
	if e.Version == 0 {
		return fmt.Sprintf("course %s does not exist (the change was based on version %d of it)", e.Slug, e.BasedOn)
	}
	by := ""
	if e.ChangedBy.Kind != "" {
		by = " by " + e.ChangedBy.String()
	}
	based := fmt.Sprintf("was based on version %d", e.BasedOn)
	if e.BasedOn == 0 {
		based = "meant to create it"
	}
	return fmt.Sprintf("course %s was changed%s at %s (now version %d); this change %s: nothing was saved. Load the course again and redo the change",
		e.Slug, by, e.ChangedAt.UTC().Format("2006-01-02 15:04 UTC"), e.Version, based)
}

// Is makes errors.Is(err, ErrStale) true.
func (e *StaleError) Is(target error) bool { return target == ErrStale }

// checkVersion refuses the save of a course whose stored version is not
// the one the change was based on. The course's row is locked (lock).
func (s *Store) checkVersion(ctx context.Context, slug string, old Course, exists bool, based int) error {
	switch {
	case !exists && based == 0:
		return nil // creating it, and nobody else has
	case !exists:
		return &StaleError{Slug: slug, BasedOn: based}
	case old.Version == based:
		return nil
	}
	stale := &StaleError{Slug: slug, BasedOn: based, Version: old.Version, ChangedAt: old.UpdatedAt.UTC()}
	last, err := audit.List(ctx, s.q, audit.Filter{Object: "course", ObjectID: old.ID, Limit: 1})
	if err != nil {
		return err
	}
	if len(last) > 0 {
		stale.ChangedAt, stale.ChangedBy = last[0].At, last[0].Actor
	}
	return stale
}

// courseState is a course's own fields as the audit log keeps them: not
// its events, which have entries of their own.
type courseState struct {
	Slug               string          `json:"slug"`
	Version            int             `json:"version"`
	Title              string          `json:"title"`
	Summary            string          `json:"summary"`
	Status             Status          `json:"status"`
	About              string          `json:"about"`
	Audience           string          `json:"audience"`
	Aims               string          `json:"aims"`
	Prerequisites      string          `json:"prerequisites"`
	Delivery           string          `json:"delivery"`
	CancellationTerms  string          `json:"cancellation_terms"`
	JoiningLeadDays    int             `json:"joining_lead_days"`
	ReminderDaysBefore int             `json:"reminder_days_before"`
	CompletionPercent  int             `json:"completion_min_percent,omitempty"`
	FeedbackURL        string          `json:"feedback_url,omitempty"`
	Waitlist           bool            `json:"waitlist"`
	OfferHoldHours     int             `json:"offer_hold_hours"`
	BookingClosesHours int             `json:"booking_closes_hours"`
	Topics             []string        `json:"topics"`
	Fees               []feeState      `json:"fees"`
	Questions          []questionState `json:"questions"`
	Rules              []ruleState     `json:"rules"`
}

type feeState struct {
	Name     string `json:"name"`
	Amount   int64  `json:"amount_minor"`
	Currency string `json:"currency"`
}

type questionState struct {
	Key      string       `json:"key"`
	Label    string       `json:"label"`
	Kind     QuestionKind `json:"kind"`
	Required bool         `json:"required"`
	Help     string       `json:"help,omitempty"`
}

type ruleState struct {
	If      []string `json:"if"` // each condition as the course file writes it
	Then    Outcome  `json:"then"`
	Message string   `json:"message,omitempty"`
}

func stateOf(c Course) courseState {
	st := courseState{
		Slug: c.Slug, Version: c.Version, Title: c.Title, Summary: c.Summary, Status: c.Status, About: c.About,
		Audience: c.Audience, Aims: c.Aims, Prerequisites: c.Prerequisites, Delivery: c.Delivery,
		CancellationTerms: c.CancellationTerms, JoiningLeadDays: c.JoiningLeadDays,
		ReminderDaysBefore: c.ReminderDaysBefore, CompletionPercent: c.CompletionPercent, FeedbackURL: c.FeedbackURL, Waitlist: c.Waitlist, OfferHoldHours: c.OfferHoldHours,
		BookingClosesHours: c.BookingClosesHours, Topics: c.Topics,
	}
	for _, f := range c.Fees {
		st.Fees = append(st.Fees, feeState(f))
	}
	for _, q := range c.Questions {
		st.Questions = append(st.Questions, questionState(q))
	}
	for _, r := range c.Rules {
		rs := ruleState{Then: r.Outcome, Message: r.Message}
		for _, cond := range r.Conditions {
			rs.If = append(rs.If, cond.String())
		}
		st.Rules = append(st.Rules, rs)
	}
	return st
}

// courseUpdate is the after of a course.update entry: the course's own
// fields, and the names of those that changed ("events" when one of its
// events did: those have entries of their own).
type courseUpdate struct {
	courseState
	Changed []string `json:"changed"`
}

// recordCourse writes the course's entry: course.create, or course.update
// with what changed. Save calls it for every course whose version rose.
func (s *Store) recordCourse(ctx context.Context, opts SaveOptions, old, c Course, res *SaveResult) error {
	after := stateOf(c)
	if res.Created {
		return audit.Record(ctx, s.q, opts.Now, opts.Actor, "course.create", "course", c.ID, nil, after, "")
	}
	before := stateOf(old)
	changed, err := changedFields(before, after)
	if err != nil {
		return err
	}
	if len(res.EventsAdded)+len(res.EventsChanged)+len(res.EventsUpdated) > 0 {
		changed = append(changed, "events")
	}
	return audit.Record(ctx, s.q, opts.Now, opts.Actor, "course.update", "course", c.ID,
		before, courseUpdate{after, changed}, "")
}

// changedFields names the fields of the two states that differ, other
// than the version, in alphabetical order.
func changedFields(before, after courseState) ([]string, error) {
	var b, a map[string]json.RawMessage
	for _, x := range []struct {
		v   courseState
		out *map[string]json.RawMessage
	}{{before, &b}, {after, &a}} {
		data, err := json.Marshal(x.v)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, x.out); err != nil {
			return nil, err
		}
	}
	changed := []string{}
	for k, v := range a {
		if k != "version" && !bytes.Equal(v, b[k]) {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return changed, nil
}

// eventState is an event as the audit log keeps it: what identifies it,
// what may change without participants seeing it (capacity, region,
// status), and, after an update, the participant-visible changes.
type eventState struct {
	Course   string      `json:"course"` // the course's slug
	Ref      string      `json:"ref"`
	Version  int         `json:"version"`
	Status   EventStatus `json:"status"`
	Capacity int         `json:"capacity"`
	Region   string      `json:"region,omitempty"`
	StartsAt time.Time   `json:"starts_at"`
	Changes  []Change    `json:"changes,omitempty"`
}

func eventStateOf(slug string, e Event) eventState {
	return eventState{Course: slug, Ref: e.Ref, Version: e.Version, Status: e.Status, Capacity: e.Capacity,
		Region: e.Region, StartsAt: e.StartsAt.UTC()}
}

// recordEvent writes an event's entry: event.create for an added event,
// event.update for a changed or updated one. The changes' private values
// (the meeting's joining details) are left out: the log is kept for good
// and must not hold them.
func (s *Store) recordEvent(ctx context.Context, opts SaveOptions, slug string, ev EventSave) error {
	after := eventStateOf(slug, ev.New)
	if ev.Added {
		return audit.Record(ctx, s.q, opts.Now, opts.Actor, "event.create", "event", ev.New.ID, nil, after, "")
	}
	for _, ch := range ev.Change.Changes {
		if ch.Private {
			ch.Old, ch.New = "", ""
		}
		after.Changes = append(after.Changes, ch)
	}
	return audit.Record(ctx, s.q, opts.Now, opts.Actor, "event.update", "event", ev.New.ID,
		eventStateOf(slug, ev.Old), after, "")
}

// Edit is one saved change to a course, as the audit log keeps it: who
// made it and when, the version it made, and the names of the course's
// fields it changed (the keys of the log's course state: "title",
// "fees", "rules", …, and "events" when a date changed).
type Edit struct {
	At      time.Time
	Actor   audit.Actor
	Version int
	Changed []string
}

// EditsSince returns the saves of the course with ID courseID that made
// a version after version, oldest first: what an editor opened at
// version has not seen. A course created since (version 0) lists its
// creation with every field. The audit log is read as Save wrote it.
func (s *Store) EditsSince(ctx context.Context, courseID int64, version int) ([]Edit, error) {
	entries, err := audit.List(ctx, s.q, audit.Filter{Object: "course", ObjectID: courseID, Action: "course.", Limit: 200})
	if err != nil {
		return nil, fmt.Errorf("catalog: edits of course %d: %w", courseID, err)
	}
	var out []Edit
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		var after courseUpdate
		if err := json.Unmarshal(e.After, &after); err != nil {
			return nil, fmt.Errorf("catalog: edits of course %d: entry %d: %w", courseID, e.ID, err)
		}
		if after.Version <= version {
			continue
		}
		changed := after.Changed
		if e.Action == "course.create" {
			changed, err = changedFields(courseState{}, after.courseState)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, Edit{At: e.At, Actor: e.Actor, Version: after.Version, Changed: changed})
	}
	return out, nil
}
