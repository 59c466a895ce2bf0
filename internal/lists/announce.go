package lists

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// Times of list mail.
const (
	// DefaultGrace is how long a date stays on the site before it is
	// announced, unless Options.Grace says otherwise.
	DefaultGrace = 15 * time.Minute
	// MailGap is the least time between two list e-mails to one address:
	// what is due sooner waits and goes in the next one.
	MailGap = 24 * time.Hour
	// FreeingGap is the least time between two freeings of one date: a
	// date whose places come and go within a day is told once.
	FreeingGap = 24 * time.Hour
	// announceBatch is how many addresses one transaction serves.
	announceBatch = 200
)

// PlaceCount is how a date stands for the public.
type PlaceCount struct {
	Left    int // places left; -1 when there is no limit
	Waiting int // people on the date's waiting list
}

// Places tells Announce how many places each date has left and who waits
// for them. It is booking's knowledge; wire.go adapts booking's Service
// (lists never imports booking, nor booking lists).
type Places interface {
	PlaceCounts(ctx context.Context, events []catalog.Event) (map[int64]PlaceCount, error)
}

// PlacesFunc adapts a function to Places.
type PlacesFunc func(ctx context.Context, events []catalog.Event) (map[int64]PlaceCount, error)

// PlaceCounts implements Places.
func (f PlacesFunc) PlaceCounts(ctx context.Context, events []catalog.Event) (map[int64]PlaceCount, error) {
	return f(ctx, events)
}

// AnnounceReport says what one Announce run did.
type AnnounceReport struct {
	Seen    int // dates seen on the site for the first time
	Gone    int // dates no longer on the site (their grace starts again if they come back)
	Freed   int // freeings: closed dates open again
	Emails  int // list e-mails queued
	Waiting int // addresses with something due that had a list e-mail in the last MailGap
}

// shown is a date on the public site.
type shown struct {
	course *catalog.Course
	event  catalog.Event
}

// due is something an address may be told: a new date (round 0) or a
// date's freeing (its round).
type due struct {
	kind  string // sentDate or sentFreed
	at    time.Time
	round int
	shown shown
}

const (
	sentDate  = "date"
	sentFreed = "freed"
)

type addressee struct {
	key, email, name string
	subs             []Subscription // the confirmed subscriptions that brought something, by id
	items            []due
	seen             map[string]bool
}

// Announce is the periodic scan behind every list e-mail. It notes the
// dates on the public site (a published course's dates, neither cancelled
// nor begun) and forgets those no longer there; it notes which dates are
// closed to the public (no place left, or people on the waiting list) and
// when a closed date opens again (a freeing, at most one a day per date).
// Then each confirmed subscriber gets one e-mail with everything due to
// them:
//
//   - a new date, once it has stayed on the site for the grace period,
//     for a subscription (to the course, one of its topics, or all) that
//     was confirmed before the date first appeared: a person who
//     subscribed while the date was already on the page is not told it
//     is new;
//   - a date with places again, for a "places" subscription to its course
//     confirmed before the freeing, while the date is still open.
//
// Nothing goes twice to one address for the same date (or freeing), and
// at most one list e-mail goes to an address in MailGap: later items
// wait for the next. Each item's row in list_sent and the address's row
// in list_mail_last are written in the transaction that queues the
// e-mail, so any number of instances may run Announce at once.
func (s *Service) Announce(ctx context.Context) (AnnounceReport, error) {
	var rep AnnounceReport
	if !s.Enabled() || s.opts.Catalog == nil {
		return rep, nil
	}
	if _, err := s.key(ctx); err != nil { // made before any transaction
		return rep, err
	}
	now := s.now()
	visible, err := s.visibleDates(ctx, now)
	if err != nil {
		return rep, fmt.Errorf("lists: announce: %w", err)
	}
	since, err := s.syncSightings(ctx, visible, now, &rep)
	if err != nil {
		return rep, err
	}
	var items []due
	for id, at := range since {
		if !at.After(now.Add(-s.opts.Grace)) {
			items = append(items, due{kind: sentDate, at: at, shown: visible[id]})
		}
	}
	counts, freed, err := s.watchPlaces(ctx, visible, now, &rep)
	if err != nil {
		return rep, err
	}
	items = append(items, freed...)
	if len(items) == 0 {
		return rep, nil
	}
	sort.Slice(items, func(i, j int) bool { return items[i].shown.event.StartsAt.Before(items[j].shown.event.StartsAt) })
	if counts, err = s.countPlaces(ctx, items, counts); err != nil {
		return rep, err
	}
	people, held, err := s.addressees(ctx, items, now, &rep)
	if err != nil {
		return rep, err
	}
	for start := 0; start < len(people); start += announceBatch {
		part := people[start:min(start+announceBatch, len(people))]
		err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
			turns, err := s.takeTurns(ctx, tx, part, now)
			if err != nil {
				return err
			}
			for i, a := range part {
				sent := false
				if turns[i] != nil {
					if sent, err = s.sendNews(ctx, tx, a, turns[i], counts, now); err != nil {
						return err
					}
				}
				if sent {
					rep.Emails++
					continue
				}
				rep.Waiting++
				for _, it := range a.items {
					held[it.shown.event.ID] = true
				}
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("lists: announce: %w", err)
		}
	}
	// A new date nobody is still waiting for is settled: everyone who
	// counts has it (later subscribers never count), so later runs skip it.
	var settle []int64
	for _, it := range items {
		if it.kind == sentDate && !held[it.shown.event.ID] {
			settle = append(settle, it.shown.event.ID)
		}
	}
	err = database.InBatches(settle, func(marks string, args []any) error {
		_, err := s.opts.DB.ExecContext(ctx, `UPDATE list_date_sightings SET settled = TRUE WHERE event_id IN (`+marks+`)`, args...)
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("lists: announce: settle: %w", err)
	}
	// So is a freeing: those who asked later do not count.
	for _, it := range items {
		if it.kind == sentFreed && !held[it.shown.event.ID] {
			if _, err := s.opts.DB.ExecContext(ctx, `UPDATE list_place_watch SET settled_round = $2
				WHERE event_id = $1 AND round = $2`, it.shown.event.ID, it.round); err != nil {
				return rep, fmt.Errorf("lists: announce: settle: %w", err)
			}
		}
	}
	return rep, nil
}

// visibleDates returns the dates on the public site that have not begun
// (a published course's dates, not cancelled, starting after now) with
// their courses. It reads only the courses that have such a date (by
// events_starts_at), each once, rather than the whole catalogue with
// every date it ever had.
func (s *Service) visibleDates(ctx context.Context, now time.Time) (map[int64]shown, error) {
	// No DISTINCT or ORDER BY here: either makes SQLite walk every date
	// ever held in course order (the index on course_id, ref) instead of
	// the few not yet begun (events_starts_at).
	var ids []int64
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT e.course_id FROM events e JOIN courses c ON c.id = e.course_id
		WHERE e.starts_at > $1 AND e.status <> $2 AND c.status = $3`,
		now, string(catalog.Cancelled), string(catalog.Published))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	visible := map[int64]shown{}
	for _, id := range ids {
		c, err := s.opts.Catalog.CourseByID(ctx, id)
		if errors.Is(err, catalog.ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, err
		}
		if c.Status != catalog.Published {
			continue
		}
		for _, e := range c.Events {
			if e.StartsAt.After(now) && e.EndsAt.After(now) && e.Status != catalog.Cancelled {
				visible[e.ID] = shown{course: &c, event: e}
			}
		}
	}
	return visible, nil
}

// syncSightings records the dates newly on the site and forgets those no
// longer there; it returns when each date not yet settled was first
// seen.
func (s *Service) syncSightings(ctx context.Context, visible map[int64]shown, now time.Time, rep *AnnounceReport) (map[int64]time.Time, error) {
	type sighting struct {
		at      time.Time
		settled bool
	}
	known := map[int64]sighting{}
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT event_id, visible_since, settled FROM list_date_sightings`)
	if err != nil {
		return nil, fmt.Errorf("lists: sightings: %w", err)
	}
	for rows.Next() {
		var (
			id int64
			sg sighting
		)
		if err := rows.Scan(&id, &sg.at, &sg.settled); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lists: sightings: %w", err)
		}
		known[id] = sg
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lists: sightings: %w", err)
	}
	var add, gone []int64
	for id := range visible {
		if _, ok := known[id]; !ok {
			add = append(add, id)
		}
	}
	for id := range known {
		if _, ok := visible[id]; !ok {
			gone = append(gone, id)
		}
	}
	if len(add)+len(gone) > 0 {
		err := database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
			for _, id := range add {
				if _, err := tx.ExecContext(ctx, `INSERT INTO list_date_sightings (event_id, visible_since, settled)
					VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`, id, now, false); err != nil {
					return err
				}
			}
			for _, id := range gone {
				if _, err := tx.ExecContext(ctx, `DELETE FROM list_date_sightings WHERE event_id = $1`, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("lists: sightings: %w", err)
		}
		rep.Seen, rep.Gone = len(add), len(gone)
		for _, id := range add {
			known[id] = sighting{at: now}
		}
	}
	out := map[int64]time.Time{}
	for id, sg := range known {
		if _, ok := visible[id]; ok && !sg.settled {
			out[id] = sg.at.UTC()
		}
	}
	return out, nil
}

// watchPlaces notes which dates of courses with "places" subscribers are
// closed and which opened again, and returns the places of those dates
// and their open freedings.
func (s *Service) watchPlaces(ctx context.Context, visible map[int64]shown, now time.Time, rep *AnnounceReport) (map[int64]PlaceCount, []due, error) {
	if s.opts.Places == nil {
		return nil, nil, nil
	}
	// The visible dates' courses with a confirmed "places" subscription,
	// read by target (places/ID, the index list_subscriptions_target):
	// never every subscription on the lists, however many there are.
	var keys []string
	seen := map[int64]bool{}
	for _, sh := range visible {
		if !seen[sh.course.ID] {
			seen[sh.course.ID] = true
			keys = append(keys, fmt.Sprintf("places/%d", sh.course.ID))
		}
	}
	slices.Sort(keys)
	courses := map[int64]bool{}
	err := database.InBatches(keys, func(marks string, args []any) error {
		n := len(args)
		rows, err := s.opts.DB.QueryContext(ctx, `SELECT DISTINCT course_id FROM list_subscriptions
			WHERE target_key IN (`+marks+`) AND status = $`+strconv.Itoa(n+1)+` AND scope = $`+strconv.Itoa(n+2)+` AND course_id IS NOT NULL`,
			append(args, string(Confirmed), string(ScopePlaces))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			courses[id] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lists: places: %w", err)
	}
	var events []catalog.Event
	var ids []int64
	for id, sh := range visible {
		if courses[sh.course.ID] {
			events = append(events, sh.event)
			ids = append(ids, id)
		}
	}
	if len(events) == 0 {
		return nil, nil, nil
	}
	counts, err := s.opts.Places.PlaceCounts(ctx, events)
	if err != nil {
		return nil, nil, fmt.Errorf("lists: places: %w", err)
	}
	type watch struct {
		closed         bool
		round, settled int
		freed          sql.NullTime
	}
	watched := map[int64]watch{}
	err = database.InBatches(ids, func(marks string, args []any) error {
		rows, err := s.opts.DB.QueryContext(ctx, `SELECT event_id, closed, round, settled_round, freed_at FROM list_place_watch
			WHERE event_id IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id int64
				w  watch
			)
			if err := rows.Scan(&id, &w.closed, &w.round, &w.settled, &w.freed); err != nil {
				return err
			}
			watched[id] = w
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lists: places: %w", err)
	}
	var freed []due
	err = database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		for _, id := range ids {
			c := counts[id]
			closed := c.Left == 0 || c.Waiting > 0
			w, ok := watched[id]
			switch {
			case !ok:
				_, err := tx.ExecContext(ctx, `INSERT INTO list_place_watch (event_id, closed) VALUES ($1, $2)
					ON CONFLICT (event_id) DO NOTHING`, id, closed)
				if err != nil {
					return err
				}
			case w.closed && !closed && (!w.freed.Valid || !now.Before(w.freed.Time.Add(FreeingGap))):
				res, err := tx.ExecContext(ctx, `UPDATE list_place_watch SET closed = $2, round = round + 1, freed_at = $3
					WHERE event_id = $1 AND round = $4`, id, false, now, w.round)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 1 {
					rep.Freed++
					freed = append(freed, due{kind: sentFreed, at: now, round: w.round + 1, shown: visible[id]})
				}
			case !w.closed && closed:
				if _, err := tx.ExecContext(ctx, `UPDATE list_place_watch SET closed = $2 WHERE event_id = $1`, id, true); err != nil {
					return err
				}
			case !w.closed && !closed && w.round > w.settled && w.freed.Valid:
				// An earlier freeing, still open: those it has not yet
				// reached (the daily cap) may still be told.
				freed = append(freed, due{kind: sentFreed, at: w.freed.Time.UTC(), round: w.round, shown: visible[id]})
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lists: places: %w", err)
	}
	return counts, freed, nil
}

// addressees gathers, per address, what is due to it and not yet sent,
// leaving out addresses mailed within MailGap (counted as waiting; the
// dates they wait for are returned as held).
func (s *Service) addressees(ctx context.Context, items []due, now time.Time, rep *AnnounceReport) ([]*addressee, map[int64]bool, error) {
	var ids []int64
	seenID := map[int64]bool{}
	for _, it := range items {
		if !seenID[it.shown.event.ID] {
			seenID[it.shown.event.ID] = true
			ids = append(ids, it.shown.event.ID)
		}
	}
	sent := map[string]bool{}
	err := database.InBatches(ids, func(marks string, args []any) error {
		rows, err := s.opts.DB.QueryContext(ctx, `SELECT email_key, kind, event_id, round FROM list_sent
			WHERE event_id IN (`+marks+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				key, kind string
				id        int64
				round     int
			)
			if err := rows.Scan(&key, &kind, &id, &round); err != nil {
				return err
			}
			sent[sentKey(key, kind, id, round)] = true
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("lists: announce: %w", err)
	}
	capped := map[string]bool{}
	rows, err := s.opts.DB.QueryContext(ctx, `SELECT email_key FROM list_mail_last WHERE last_at > $1`, now.Add(-MailGap))
	if err != nil {
		return nil, nil, fmt.Errorf("lists: announce: %w", err)
	}
	for rows.Next() {
		var key string
		if err := rows.Scan(&key); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("lists: announce: %w", err)
		}
		capped[key] = true
	}
	rows.Close()

	subs, err := s.subscribersOf(ctx, items)
	if err != nil {
		return nil, nil, fmt.Errorf("lists: announce: %w", err)
	}
	byKey := map[string]*addressee{}
	var out []*addressee
	waiting, held := map[string]bool{}, map[int64]bool{}
	for _, row := range subs {
		sub, key := row.sub, row.key
		brought := false
		for _, it := range items {
			if sub.ConfirmedAt.After(it.at) || !sub.wants(it) || sent[sentKey(key, it.kind, it.shown.event.ID, it.round)] {
				continue
			}
			if capped[key] {
				waiting[key] = true
				held[it.shown.event.ID] = true
				continue
			}
			a := byKey[key]
			if a == nil {
				a = &addressee{key: key, email: sub.Email, seen: map[string]bool{}}
				byKey[key] = a
				out = append(out, a)
			}
			brought = true
			if k := sentKey("", it.kind, it.shown.event.ID, it.round); !a.seen[k] {
				a.seen[k] = true
				a.items = append(a.items, it)
			}
		}
		if brought {
			a := byKey[key]
			a.subs = append(a.subs, sub)
			if a.name == "" {
				a.name = sub.Name
			}
		}
	}
	rep.Waiting += len(waiting)
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, held, nil
}

// subscribed is a confirmed subscription with its address's key.
type subscribed struct {
	sub Subscription
	key string
}

// subscribersOf reads the confirmed subscriptions that could want one of
// the items, oldest first: those whose target is one of the items'
// courses (course/ID, and places/ID for a freeing), one of their topics
// (topic/name, folded as targetKey folds it) or "all". Subscribers to
// other courses and topics are not read, however many there are (the
// index list_subscriptions_target); Subscription.wants still decides.
func (s *Service) subscribersOf(ctx context.Context, items []due) ([]subscribed, error) {
	keys := []string{string(ScopeAll)}
	seen := map[string]bool{string(ScopeAll): true}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, it := range items {
		c := it.shown.course
		if it.kind == sentFreed {
			add(fmt.Sprintf("places/%d", c.ID))
			continue
		}
		add(fmt.Sprintf("course/%d", c.ID))
		for _, t := range c.Topics {
			add("topic/" + strings.ToLower(t))
		}
	}
	var out []subscribed
	err := database.InBatches(keys, func(marks string, args []any) error {
		n := len(args)
		rows, err := s.opts.DB.QueryContext(ctx, `SELECT id, email, email_key, name, scope, course_id, topic, confirmed_at
			FROM list_subscriptions WHERE target_key IN (`+marks+`) AND status = $`+strconv.Itoa(n+1)+` AND confirmed_at IS NOT NULL`,
			append(args, string(Confirmed))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				r      subscribed
				scope  string
				course sql.NullInt64
			)
			if err := rows.Scan(&r.sub.ID, &r.sub.Email, &r.key, &r.sub.Name, &scope, &course, &r.sub.Topic, &r.sub.ConfirmedAt); err != nil {
				return err
			}
			r.sub.Scope, r.sub.CourseID, r.sub.Status = Scope(scope), course.Int64, Confirmed
			out = append(out, r)
		}
		return rows.Err()
	})
	slices.SortFunc(out, func(a, b subscribed) int { return cmp.Compare(a.sub.ID, b.sub.ID) })
	return out, err
}

// countPlaces adds the places of the items' dates that counts lacks.
func (s *Service) countPlaces(ctx context.Context, items []due, counts map[int64]PlaceCount) (map[int64]PlaceCount, error) {
	if counts == nil {
		counts = map[int64]PlaceCount{}
	}
	if s.opts.Places == nil {
		return counts, nil
	}
	var missing []catalog.Event
	for _, it := range items {
		if _, ok := counts[it.shown.event.ID]; !ok {
			missing = append(missing, it.shown.event)
			counts[it.shown.event.ID] = PlaceCount{}
		}
	}
	if len(missing) == 0 {
		return counts, nil
	}
	got, err := s.opts.Places.PlaceCounts(ctx, missing)
	if err != nil {
		return nil, fmt.Errorf("lists: places: %w", err)
	}
	for _, e := range missing {
		counts[e.ID] = got[e.ID]
	}
	return counts, nil
}

func sentKey(email, kind string, event int64, round int) string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d", email, kind, event, round)
}

// wants says whether a confirmed subscription is about the item.
func (sub Subscription) wants(it due) bool {
	c := it.shown.course
	if it.kind == sentFreed {
		return sub.Scope == ScopePlaces && sub.CourseID == c.ID
	}
	switch sub.Scope {
	case ScopeCourse:
		return sub.CourseID == c.ID
	case ScopeTopic:
		for _, t := range c.Topics {
			if strings.EqualFold(t, sub.Topic) {
				return true
			}
		}
	case ScopeAll:
		return true
	}
	return false
}

// takeTurns writes, in tx, the list_sent rows of the part's addresses
// (an item another run already sent is dropped) and then each address's
// turn in list_mail_last (taken by another run within MailGap: its rows
// go again and it is sent nothing now), each in multi-row statements
// rather than M + 1 statements per address. It returns, per address, the
// items it is to be told of now, or nil.
func (s *Service) takeTurns(ctx context.Context, tx *sql.Tx, part []*addressee, now time.Time) ([][]due, error) {
	type sentRow struct {
		key, kind string
		event     int64
		round     int
	}
	var rows []sentRow
	for _, a := range part {
		for _, it := range a.items {
			rows = append(rows, sentRow{a.key, it.kind, it.shown.event.ID, it.round})
		}
	}
	inserted := map[sentRow]bool{}
	for start := 0; start < len(rows); start += turnRows {
		chunk := rows[start:min(start+turnRows, len(rows))]
		var values []string
		var args []any
		for _, r := range chunk {
			n := len(args)
			values = append(values, fmt.Sprintf("($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5))
			args = append(args, r.key, r.kind, r.event, r.round, now)
		}
		res, err := tx.QueryContext(ctx, `INSERT INTO list_sent (email_key, kind, event_id, round, sent_at)
			VALUES `+strings.Join(values, ", ")+` ON CONFLICT (email_key, kind, event_id, round) DO NOTHING
			RETURNING email_key, kind, event_id, round`, args...)
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var r sentRow
			if err := res.Scan(&r.key, &r.kind, &r.event, &r.round); err != nil {
				res.Close()
				return nil, err
			}
			inserted[r] = true
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, err
		}
	}
	out := make([][]due, len(part))
	var waiting []string
	for i, a := range part {
		for _, it := range a.items {
			if inserted[sentRow{a.key, it.kind, it.shown.event.ID, it.round}] {
				out[i] = append(out[i], it)
			}
		}
		if out[i] != nil {
			waiting = append(waiting, a.key)
		}
	}
	granted := map[string]bool{}
	for start := 0; start < len(waiting); start += turnRows {
		chunk := waiting[start:min(start+turnRows, len(waiting))]
		args := []any{now, now.Add(-MailGap)}
		var values []string
		for _, key := range chunk {
			args = append(args, key)
			values = append(values, fmt.Sprintf("($%d, $1)", len(args)))
		}
		res, err := tx.QueryContext(ctx, `INSERT INTO list_mail_last (email_key, last_at) VALUES `+strings.Join(values, ", ")+`
			ON CONFLICT (email_key) DO UPDATE SET last_at = excluded.last_at WHERE list_mail_last.last_at <= $2
			RETURNING email_key`, args...)
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var key string
			if err := res.Scan(&key); err != nil {
				res.Close()
				return nil, err
			}
			granted[key] = true
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, err
		}
	}
	for i, a := range part {
		if out[i] == nil || granted[a.key] {
			continue
		}
		for _, it := range out[i] {
			if _, err := tx.ExecContext(ctx, `DELETE FROM list_sent WHERE email_key = $1 AND kind = $2 AND event_id = $3 AND round = $4`,
				a.key, it.kind, it.shown.event.ID, it.round); err != nil {
				return nil, err
			}
		}
		out[i] = nil
	}
	return out, nil
}

// turnRows is the most rows takeTurns writes in one statement (five
// values each: well under both engines' limits on placeholders).
const turnRows = 100

// sendNews queues one address's e-mail in tx, telling it of items (its
// rows in list_sent and its turn in list_mail_last are written already,
// by takeTurns). It reports whether an e-mail was queued.
func (s *Service) sendNews(ctx context.Context, tx *sql.Tx, a *addressee, items []due, counts map[int64]PlaceCount, now time.Time) (bool, error) {
	d := newsData{Name: a.name, SiteURL: s.opts.BaseURL}
	courses := map[string]bool{}
	for _, it := range items {
		line := s.dateLine(it.shown, counts)
		courses[line.Course] = true
		if it.kind == sentFreed {
			d.Freed = append(d.Freed, line)
		} else {
			d.Dates = append(d.Dates, line)
		}
	}
	for _, sub := range a.subs {
		page, _, err := s.UnsubscribeLinks(ctx, sub.ID)
		if err != nil {
			return false, err
		}
		d.Stops = append(d.Stops, stopLine{What: sub.about(), URL: page})
	}
	d.Subject = newsSubject(d, courses)
	data, err := json.Marshal(d)
	if err != nil {
		return false, err
	}
	head := a.subs[0] // the oldest subscription that brought something
	ids := make([]int64, len(a.subs))
	for i, sub := range a.subs {
		ids[i] = sub.ID
	}
	// The header's one click stops every subscription that brought the
	// e-mail; the visible links above stop one each.
	m, err := s.ListMessageFor(ctx, ids, messaging.Message{
		Kind: kindNews, DedupeKey: fmt.Sprintf("%s/%d/%d", kindNews, head.ID, now.UnixMicro()),
		ToName: a.name, ToEmail: head.Email, Data: data,
	})
	if err != nil {
		return false, err
	}
	id, _, err := s.opts.Outbox.Enqueue(ctx, tx, m)
	if err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE list_mail_last SET message_id = $2 WHERE email_key = $1`, a.key, id)
	return err == nil, err
}

// about says in words what a subscription is to, for its unsubscribe
// link.
func (sub Subscription) about() string {
	switch sub.Scope {
	case ScopeCourse:
		return "new dates of this course"
	case ScopePlaces:
		return "places freeing up on this course"
	case ScopeTopic:
		return "new courses on " + sub.Topic
	}
	return "all new courses"
}

func newsSubject(d newsData, courses map[string]bool) string {
	var title string
	for c := range courses {
		title = c
	}
	switch {
	case len(d.Freed) > 0 && len(d.Dates) == 0 && len(courses) == 1:
		return "A place is free again: " + title
	case len(courses) == 1 && len(d.Freed) == 0:
		if len(d.Dates) == 1 {
			return "New date: " + title
		}
		return "New dates: " + title
	case len(courses) == 1:
		return "New dates and free places: " + title
	}
	return fmt.Sprintf("New dates and places on %d courses", len(courses))
}

// dateLine is one date as the e-mail shows it: in the date's own zone.
func (s *Service) dateLine(sh shown, counts map[int64]PlaceCount) dateLine {
	e, c := sh.event, sh.course
	loc := e.Location()
	l := dateLine{Course: c.Title, CourseURL: s.opts.BaseURL + "/courses/" + c.Slug,
		When: e.DateLabel(), Format: e.Format.Label(), BookURL: fmt.Sprintf("%s/events/%d/book", s.opts.BaseURL, e.ID)}
	same := true
	for _, d := range e.Days {
		if d.Start != e.Days[0].Start || d.End != e.Days[0].End {
			same = false
		}
	}
	switch {
	case len(e.Days) == 0:
	case same && len(e.Days) == 1:
		l.Times = e.Days[0].TimeRange(loc)
	case same:
		l.Times = e.Days[0].TimeRange(loc) + ", each day"
	default:
		parts := make([]string, len(e.Days))
		for i, d := range e.Days {
			parts[i] = d.Date.In(time.UTC).Format("Mon 2 Jan") + " " + d.TimeRange(loc)
		}
		l.Times = strings.Join(parts, "; ")
	}
	if len(e.Days) > 0 {
		start, _ := e.Days[0].Span(loc)
		l.Zone = catalog.ZoneLabel(start) + ", " + loc.String()
	}
	var fees []string
	for _, f := range c.Fees {
		if f.Amount > 0 {
			fees = append(fees, f.Name+" "+catalog.FormatMoney(f.Amount, f.Currency))
		}
	}
	l.Fee = "Free"
	if len(fees) > 0 {
		l.Fee = strings.Join(fees, ", ")
	}
	if p, ok := counts[e.ID]; ok {
		switch {
		case p.Left < 0:
			l.Places = "Places available"
		case p.Left == 0:
			l.Places = "Full: you can join the waiting list"
		case p.Left == 1:
			l.Places = "1 place left"
		default:
			l.Places = fmt.Sprintf("%d places left", p.Left)
		}
	}
	return l
}
