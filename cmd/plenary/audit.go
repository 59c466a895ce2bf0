package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"plenary/internal/audit"
)

func auditCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	object := fs.String("object", "", "only entries about `OBJECT`: a kind (course, event, booking) or one of them (booking:42)")
	actor := fs.String("actor", "", "only entries by `ACTOR`: a kind (staff, participant, operator, system) or one of them (operator:alice, staff:3, system:demo)")
	action := fs.String("action", "", "only entries of `ACTION`: exact (course.update) or a prefix ending in a dot (booking.)")
	since := fs.String("since", "", "only entries from `DATE` on (YYYY-MM-DD in PLENARY_TIMEZONE, or an RFC 3339 time)")
	limit := fs.Int("limit", 100, "at most `N` entries")
	format := fs.String("format", "text", "output `format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage: plenary audit [-object KIND[:ID]] [-actor KIND[:WHO]] [-action ACTION] [-since DATE] [-limit N] [-format text|json]

Lists who changed what, newest first: every change to courses, dates and
bookings is recorded with who made it (a staff member, a participant, the
operator at the command line, a background job), when, and the state before
and after. Times are in PLENARY_TIMEZONE. The text format sums up what
changed; -format json gives each entry whole.`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *limit < 1 || *limit > 10000 {
		fs.Usage()
		return errUsage
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("-format must be text or json, not %q", *format)
	}
	f := audit.Filter{Action: *action, Limit: *limit}
	var err error
	if f.Object, f.ObjectID, err = parseObject(*object); err != nil {
		return err
	}
	if err := parseActor(*actor, &f); err != nil {
		return err
	}
	a, err := openApp(ctx, e, noJobs)
	if err != nil {
		return err
	}
	defer a.close()
	loc := a.cfg.TimeZone
	if *since != "" {
		if f.Since, err = parseSince(*since, loc); err != nil {
			return err
		}
	}
	entries, err := audit.List(ctx, a.db, f)
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeJSON(e.stdout, auditJSON(entries, loc))
	}
	if len(entries) == 0 {
		fmt.Fprintln(e.stdout, "(no entries)")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWHEN\tWHO\tACTION\tOBJECT\tWHAT")
	for _, en := range entries {
		what := summary(en)
		if en.Reason != "" {
			what = strings.TrimPrefix(what+"; reason: "+en.Reason, "; ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s %d\t%s\n", en.ID, timeIn(en.At, loc), printable(en.Actor.String()),
			printable(en.Action), printable(en.Object), en.ObjectID, printable(what))
	}
	return tw.Flush()
}

// parseObject reads -object: "booking" or "booking:42".
func parseObject(s string) (string, int64, error) {
	kind, id, found := strings.Cut(s, ":")
	if !found {
		return kind, 0, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if kind == "" || err != nil || n <= 0 {
		return "", 0, fmt.Errorf("-object %q: want a kind, or a kind and a number such as booking:42", s)
	}
	return kind, n, nil
}

// parseActor reads -actor: a kind, then after a colon a number (the user
// of a staff member, the booking of a participant) or a name (the
// operator's login, the job's name).
func parseActor(s string, f *audit.Filter) error {
	if s == "" {
		return nil
	}
	kind, who, found := strings.Cut(s, ":")
	f.ActorKind = audit.ActorKind(kind)
	if !slices.Contains([]audit.ActorKind{audit.Staff, audit.Participant, audit.Operator, audit.System}, f.ActorKind) {
		return fmt.Errorf("-actor %q: the kinds are staff, participant, operator and system", s)
	}
	switch {
	case !found:
	case who == "":
		return fmt.Errorf("-actor %q: say who after the colon, or leave the colon out", s)
	case f.ActorKind == audit.Staff || f.ActorKind == audit.Participant:
		if id, err := strconv.ParseInt(who, 10, 64); err == nil && id > 0 {
			f.ActorID = id
		} else if f.ActorKind == audit.Staff {
			f.ActorName = who
		} else {
			return fmt.Errorf("-actor %q: a participant is named by their booking's number (participant:42)", s)
		}
	default:
		f.ActorName = who
	}
	return nil
}

// parseSince reads -since: a day in loc, from its midnight, or an
// instant.
func parseSince(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("-since %q: want a date (2026-12-01) or a time (2026-12-01T09:00:00Z)", s)
}

// auditEntry is an entry as -format json writes it.
type auditEntry struct {
	ID       int64           `json:"id"`
	At       string          `json:"at"` // RFC 3339 in PLENARY_TIMEZONE
	Actor    auditActor      `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	ObjectID int64           `json:"object_id"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
	Reason   string          `json:"reason,omitempty"`
}

type auditActor struct {
	Kind audit.ActorKind `json:"kind"`
	ID   int64           `json:"id,omitempty"`
	Name string          `json:"name,omitempty"`
}

func auditJSON(entries []audit.Entry, loc *time.Location) []auditEntry {
	out := make([]auditEntry, len(entries))
	for i, en := range entries {
		out[i] = auditEntry{ID: en.ID, At: en.At.In(loc).Format(time.RFC3339), Action: en.Action,
			Actor:  auditActor{Kind: en.Actor.Kind, ID: en.Actor.ID, Name: en.Actor.Name},
			Object: en.Object, ObjectID: en.ObjectID, Before: rawOrNull(en.Before), After: rawOrNull(en.After),
			Reason: en.Reason}
	}
	return out
}

func rawOrNull(raw json.RawMessage) json.RawMessage {
	if !json.Valid(raw) {
		return json.RawMessage("null")
	}
	return raw
}

// summary sums up an entry on one line: the short values that changed
// ("capacity: 20 → 30"; for a creation, what names the object), and the
// names in a "changed" list (a course's
// fields) or a "changes" list (an event's participant-visible changes).
// Long texts and the values of private changes are left out.
func summary(en audit.Entry) string {
	var before, after map[string]json.RawMessage
	_ = json.Unmarshal(en.Before, &before) // null or not an object: nothing to compare
	_ = json.Unmarshal(en.After, &after)
	var parts []string
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := after[k]
		switch k {
		case "changed":
			var names []string
			if json.Unmarshal(v, &names) == nil && len(names) > 0 {
				parts = append(parts, "changed: "+strings.Join(names, ", "))
			}
			continue
		case "changes":
			var changes []struct {
				Field string `json:"field"`
				Day   int    `json:"day"`
			}
			if json.Unmarshal(v, &changes) == nil && len(changes) > 0 {
				names := make([]string, len(changes))
				for i, ch := range changes {
					names[i] = ch.Field
					if ch.Day > 0 {
						names[i] += fmt.Sprintf(" (day %d)", ch.Day)
					}
				}
				parts = append(parts, "changes: "+strings.Join(names, ", "))
			}
			continue
		}
		if bytes.Equal(before[k], v) {
			continue
		}
		n, ok := short(v)
		if !ok {
			continue
		}
		switch o, ok := short(before[k]); {
		case before == nil && slices.Contains(createdKeys, k):
			parts = append(parts, k+": "+n)
		case before != nil && ok:
			parts = append(parts, k+": "+o+" → "+n)
		}
	}
	return strings.Join(parts, "; ")
}

// createdKeys are what the summary of a creation shows: what names the
// new object and where it stands.
var createdKeys = []string{"course", "ref", "slug", "status", "title"}

// short writes a JSON scalar for a summary, or reports that it is not one
// short enough to show.
func short(raw json.RawMessage) (string, bool) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return "", false
	}
	switch v := v.(type) {
	case string:
		if len(v) > 60 || strings.Contains(v, "\n") {
			return "", false
		}
		return strconv.Quote(v), true
	case float64, bool, nil:
		return string(raw), true
	}
	return "", false
}
