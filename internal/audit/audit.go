package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/database"
)

// ActorKind says what kind of party acted.
type ActorKind string

// The kinds of actor.
const (
	// Staff is a signed-in member of the course team; ID is their user ID.
	Staff ActorKind = "staff"
	// Participant is a booked person acting through their manage link or
	// the booking form; ID is the booking's ID.
	Participant ActorKind = "participant"
	// Operator is whoever ran a command (plenary import, bookings -approve);
	// Name is their login name on the machine, when known.
	Operator ActorKind = "operator"
	// System is a background job (offer expiry, erasure, timed mail); Name
	// is the job's.
	System ActorKind = "system"
)

// Actor is who made a change.
type Actor struct {
	Kind ActorKind
	ID   int64  // a staff user's or a booking's ID; 0 when none
	Name string // a display name: the staff member's, the operator's login, the job's
}

// StaffMember is a signed-in staff user.
func StaffMember(userID int64, name string) Actor {
	return Actor{Kind: Staff, ID: userID, Name: name}
}

// ParticipantOf is the person a booking belongs to.
func ParticipantOf(bookingID int64) Actor {
	return Actor{Kind: Participant, ID: bookingID}
}

// CommandLine is the operator running a command; login may be empty.
func CommandLine(login string) Actor {
	return Actor{Kind: Operator, Name: login}
}

// Job is a background job of the given name.
func Job(name string) Actor {
	return Actor{Kind: System, Name: name}
}

// Valid reports whether a is one of the kinds above.
func (a Actor) Valid() bool {
	switch a.Kind {
	case Staff:
		return a.ID > 0
	case Participant:
		return true // the booking may be the one being made
	case Operator, System:
		return true
	}
	return false
}

// String writes the actor for people: "staff Ann Smith (user 3)",
// "participant (booking 42)", "operator alice", "system expire-offers".
func (a Actor) String() string {
	var b strings.Builder
	b.WriteString(string(a.Kind))
	if a.Name != "" {
		b.WriteString(" " + a.Name)
	}
	switch {
	case a.Kind == Staff && a.ID > 0:
		fmt.Fprintf(&b, " (user %d)", a.ID)
	case a.Kind == Participant && a.ID > 0:
		fmt.Fprintf(&b, " (booking %d)", a.ID)
	}
	return b.String()
}

// Entry is one recorded change.
type Entry struct {
	ID    int64
	At    time.Time // UTC
	Actor Actor
	// Action is what was done, as object.verb: "course.save",
	// "booking.create", "booking.cancel", "booking.approve".
	Action string
	// Object and ObjectID name what was changed: "course" 3, "event" 12,
	// "booking" 42.
	Object   string
	ObjectID int64
	// Before and After are the object's relevant state around the change,
	// as JSON objects (null when there was none: a creation has no
	// Before). Record marshals whatever it is given.
	Before, After json.RawMessage
	// Reason is why, where the person acting gave one (a typed override
	// reason, a cancellation reason).
	Reason string
}

// ErrInvalid is returned by Record for an entry that names no valid
// actor, action or object.
var ErrInvalid = errors.New("audit: entry needs an actor, an action and an object")

// Record appends an entry through q: pass the transaction that makes the
// change, so both commit or neither does. before and after are marshalled
// to JSON (nil is JSON null).
func Record(ctx context.Context, q database.Querier, at time.Time, actor Actor, action, object string, objectID int64,
	before, after any, reason string) error {
	b, err := marshal(before)
	if err != nil {
		return fmt.Errorf("audit: %s before: %w", action, err)
	}
	a, err := marshal(after)
	if err != nil {
		return fmt.Errorf("audit: %s after: %w", action, err)
	}
	err = RecordMany(ctx, q, "", []Entry{{At: at, Actor: actor, Action: action, Object: object, ObjectID: objectID,
		Before: json.RawMessage(b), After: json.RawMessage(a), Reason: reason}})
	if err != nil && !errors.Is(err, ErrInvalid) {
		return fmt.Errorf("audit: record %s of %s %d: %w", action, object, objectID, err)
	}
	return err
}

// RecordMany appends entries (their ID is ignored) through q, on the
// engine d ("" for either: database.InsertRows), in a few statements of
// many rows each, in order: a batch of bookings records everyone's at
// once. Nothing is written if an entry is invalid.
func RecordMany(ctx context.Context, q database.Querier, d database.Dialect, entries []Entry) error {
	args := make([]any, 0, len(entries)*entryColumns)
	for _, e := range entries {
		if !e.Actor.Valid() || e.Action == "" || e.Object == "" {
			return ErrInvalid
		}
		b, _ := marshal(e.Before) // RawMessage: no error
		a, _ := marshal(e.After)
		args = append(args, e.At.UTC(), string(e.Actor.Kind), e.Actor.ID, e.Actor.Name, e.Action, e.Object, e.ObjectID, b, a, e.Reason)
	}
	return database.InsertRows(ctx, q, d, `INSERT INTO audit_log (at, actor_kind, actor_id, actor_name, action, object, object_id,
		before_json, after_json, reason) VALUES `, "", entryColumns, args, nil)
}

// entryColumns is the number of audit_log columns RecordMany writes.
const entryColumns = 10

func marshal(v any) (string, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if len(raw) == 0 {
			return "null", nil
		}
		return string(raw), nil
	}
	out, err := json.Marshal(v)
	return string(out), err
}

// Filter narrows List. Zero fields match everything.
type Filter struct {
	Object    string // "booking"
	ObjectID  int64  // with Object
	ActorKind ActorKind
	ActorID   int64
	ActorName string
	Action    string // exact, or a prefix ending in "." ("booking.")
	Since     time.Time
	Until     time.Time // exclusive
	// Limit caps the entries returned, newest first; 0 means 100.
	Limit int
	// Before pages back: only entries with an ID below it.
	Before int64
}

// List returns the entries matching f, newest first.
func List(ctx context.Context, q database.Querier, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Object != "" {
		arg("object = ?", f.Object)
	}
	if f.ObjectID != 0 {
		arg("object_id = ?", f.ObjectID)
	}
	if f.ActorKind != "" {
		arg("actor_kind = ?", string(f.ActorKind))
	}
	if f.ActorID != 0 {
		arg("actor_id = ?", f.ActorID)
	}
	if f.ActorName != "" {
		arg("actor_name = ?", f.ActorName)
	}
	switch {
	case strings.HasSuffix(f.Action, "."):
		// A prefix compared exactly: LIKE ignores case on SQLite and not on
		// PostgreSQL.
		arg("substr(action, 1, "+strconv.Itoa(utf8.RuneCountInString(f.Action))+") = ?", f.Action)
	case f.Action != "":
		arg("action = ?", f.Action)
	}
	if !f.Since.IsZero() {
		arg("at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		arg("at < ?", f.Until.UTC())
	}
	if f.Before > 0 {
		arg("id < ?", f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT id, at, actor_kind, actor_id, actor_name, action, object, object_id, before_json, after_json, reason
		FROM audit_log`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY id DESC LIMIT " + strconv.Itoa(limit)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var kind, before, after string
		if err := rows.Scan(&e.ID, &e.At, &kind, &e.Actor.ID, &e.Actor.Name, &e.Action, &e.Object, &e.ObjectID,
			&before, &after, &e.Reason); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		e.At, e.Actor.Kind = e.At.UTC(), ActorKind(kind)
		e.Before, e.After = json.RawMessage(before), json.RawMessage(after)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return out, nil
}
