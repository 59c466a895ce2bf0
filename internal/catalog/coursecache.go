package catalog

import (
	"container/list"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The course cache keeps whole courses (as load reads them) by ID, and
// every use of an entry is checked against the database first by one
// prepared query of the course's version: a match returns a copy of the
// cached course, a mismatch or a miss reads the course afresh and caches
// it. So a read through the cache returns what a fresh read would at the
// moment of the check, whichever Store or process wrote last — as long as
// every write that changes what load returns raises courses.version in the
// same transaction. In Plenary only Store.Save writes the catalogue's
// tables (courses, course_topics, fee_tiers, eligibility_*, events,
// event_days, agenda_items), and every write it makes sets
// SaveResult.Changed, which raises the version (save.go).
//
// An entry is never a mixture that could pass the check: load reads the
// course's row (and with it the version) before its children, so children
// it reads are at least as new as that version; a write that commits in
// between raised the version past it, and versions never go back.
//
// Reads inside a transaction (WithTx) neither use nor fill the cache.
//
// One read skips the check: EventRecent returns a cached course that was
// checked (or read) within the last recentFor, without asking the
// database. It is for the booking form's POST, which a rush sends
// thousands of times a second: booking.Service reads the course's version
// again under the date's lock and books against the course as it then is,
// so a course a moment old can only be the reason for a refusal, never
// for a booking.

// courseCacheCap bounds the cache: courses, not bytes. A course with its
// dates is a few kilobytes; a catalogue is rarely larger than this.
const courseCacheCap = 512

// courseCache is an LRU of courses by ID, shared by a Store and its WithTx
// copies (which do not use it).
type courseCache struct {
	mu  sync.Mutex
	cap int
	ll  *list.List // of *cacheEntry, most recently used first
	m   map[int64]*list.Element
	// loading holds, per course being read afresh, a channel closed when
	// that read is done: a rush of requests that all miss (the first
	// bookings of a course, 2,000 at once) reads the course once, not
	// once each.
	loading map[int64]chan struct{}
	// byEvent finds the cached course of an event (EventRecent);
	// checking holds, per event whose course EventRecent is checking,
	// a channel closed when the check is done: a rush that finds no
	// recent check makes one, not one each.
	byEvent  map[int64]int64
	checking map[int64]chan struct{}
	reads    atomic.Int64     // courses read afresh for the cache (tests)
	now      func() time.Time // the clock of checked; tests set it
}

type cacheEntry struct {
	id      int64
	course  Course    // never handed out: callers get clones
	checked time.Time // when the database last said course is current
}

// recentFor is how old a check EventRecent trusts.
const recentFor = time.Second

func newCourseCache(n int) *courseCache {
	return &courseCache{cap: n, ll: list.New(), m: map[int64]*list.Element{}, loading: map[int64]chan struct{}{},
		byEvent: map[int64]int64{}, checking: map[int64]chan struct{}{}, now: time.Now}
}

// begin starts one caller's turn at the work flights holds by key (the
// course reads in loading, the checks in checking): it reports whether the
// caller is to do the work for id (then it calls end when finished);
// otherwise it returns a channel closed when the work under way is done.
func (c *courseCache) begin(flights map[int64]chan struct{}, id int64) (wait <-chan struct{}, lead bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := flights[id]; ok {
		return ch, false
	}
	flights[id] = make(chan struct{})
	return nil, true
}

// end ends the leading caller's work for id in flights.
func (c *courseCache) end(flights map[int64]chan struct{}, id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(flights[id])
	delete(flights, id)
}

// get returns a copy of the course with id if it is cached at version,
// which the database gave at the time at: the entry counts as checked then.
func (c *courseCache) get(id int64, version int, at time.Time) (Course, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[id]
	if !ok {
		return Course{}, false
	}
	e := el.Value.(*cacheEntry)
	if e.course.Version != version {
		return Course{}, false
	}
	if at.After(e.checked) {
		e.checked = at
	}
	c.ll.MoveToFront(el)
	return e.course.clone(), true
}

// recentEvent returns a copy of the cached course of the event with id,
// and the event, if the course was checked within maxAge. The copy is
// made on the heap and handed back by pointer: EventRecent serves every
// booking of a rush, and each request's goroutine waits for its batch
// with this path's frames behind it (a course by value in each of them
// pushed its stack past 16 KB, to be copied into a fresh 32 KB one).
func (c *courseCache) recentEvent(id int64, maxAge time.Duration) (*courseAndEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[c.byEvent[id]]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if c.now().Sub(e.checked) > maxAge {
		return nil, false
	}
	for i := range e.course.Events {
		if e.course.Events[i].ID == id {
			c.ll.MoveToFront(el)
			out := &courseAndEvent{}
			e.course.cloneInto(&out.course)
			out.event = out.course.Events[i] // a copy already, as Event's
			return out, true
		}
	}
	return nil, false
}

// courseAndEvent is recentEvent's answer.
type courseAndEvent struct {
	course Course
	event  Event
}

// index points byEvent at course's events (add) or takes them out.
func (c *courseCache) index(course Course, add bool) {
	for _, ev := range course.Events {
		if add {
			c.byEvent[ev.ID] = course.ID
		} else if c.byEvent[ev.ID] == course.ID {
			delete(c.byEvent, ev.ID)
		}
	}
}

// put caches a copy of course, unless a newer version is cached already.
func (c *courseCache) put(course Course, at time.Time) {
	stored := course.clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[course.ID]; ok {
		e := el.Value.(*cacheEntry)
		if e.course.Version < course.Version || e.course.Version == course.Version && at.After(e.checked) {
			c.index(e.course, false)
			e.course, e.checked = stored, at
			c.index(stored, true)
		}
		c.ll.MoveToFront(el)
		return
	}
	c.m[course.ID] = c.ll.PushFront(&cacheEntry{id: course.ID, course: stored, checked: at})
	c.index(stored, true)
	for c.ll.Len() > c.cap {
		c.remove(c.ll.Back())
	}
}

// remove takes el out of the cache; c.mu is held.
func (c *courseCache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.ll.Remove(el)
	delete(c.m, e.id)
	c.index(e.course, false)
}

// drop forgets the course with id.
func (c *courseCache) drop(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[id]; ok {
		c.remove(el)
	}
}

// len is how many courses are cached.
func (c *courseCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// clone returns a deep copy of c: no slice of the copy shares memory with
// c, so neither can change the other. Nil slices stay nil.
func (c Course) clone() Course {
	var out Course
	c.cloneInto(&out)
	return out
}

// cloneInto sets *dst to a deep copy of c.
func (c *Course) cloneInto(dst *Course) {
	*dst = *c
	dst.deepen()
}

// deepen gives c copies of its slices.
func (c *Course) deepen() {
	c.Topics = slices.Clone(c.Topics)
	c.Fees = slices.Clone(c.Fees)
	c.Questions = slices.Clone(c.Questions)
	if c.Rules != nil {
		rules := slices.Clone(c.Rules)
		for i := range rules {
			rules[i].Conditions = slices.Clone(rules[i].Conditions)
		}
		c.Rules = rules
	}
	if c.Events != nil {
		events := slices.Clone(c.Events)
		for i := range events {
			events[i].deepen()
		}
		c.Events = events
	}
}

// clone returns a deep copy of e.
func (e Event) clone() Event {
	e.deepen()
	return e
}

// deepen gives e copies of its slices.
func (e *Event) deepen() {
	if e.Days != nil {
		days := slices.Clone(e.Days)
		for i := range days {
			days[i].Agenda = slices.Clone(days[i].Agenda)
		}
		e.Days = days
	}
}

// The version checks, one prepared query each.
const (
	versionByID    = `SELECT version FROM courses WHERE id = $1`
	versionBySlug  = `SELECT id, version FROM courses WHERE slug = $1`
	versionByEvent = `SELECT c.id, c.version FROM events e JOIN courses c ON c.id = e.course_id WHERE e.id = $1`
)

// cached reports whether reads of s may use the cache: outside a
// transaction, on a Store made by NewStore.
func (s *Store) cached() bool {
	return s.tx == nil && s.cache != nil && s.db != nil
}

// row runs a one-row query, prepared as each's are.
func (s *Store) row(ctx context.Context, query string, args []any, dest ...any) error {
	if st := s.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...).Scan(dest...)
	}
	return s.q.QueryRowContext(ctx, query, args...).Scan(dest...)
}

// courseVersioned returns the course with id, from the cache when it holds
// version, otherwise read afresh (and cached).
// One read at a time per course: a caller that misses while another
// reads the course waits for that read, then looks again (it may have
// cached the version wanted; if not, the caller reads it itself).
//
// at is when the version was read; an entry it finds counts as checked
// then, and one it reads as checked when its read began — never later
// than the database said so (EventRecent trusts a check for a second).
func (s *Store) courseVersioned(ctx context.Context, id int64, version int, at time.Time) (Course, error) {
	for {
		if c, ok := s.cache.get(id, version, at); ok {
			return c, nil
		}
		wait, lead := s.cache.begin(s.cache.loading, id)
		if lead {
			break
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return Course{}, ctx.Err()
		}
	}
	defer s.cache.end(s.cache.loading, id)
	if c, ok := s.cache.get(id, version, at); ok { // cached between the miss and the lead
		return c, nil
	}
	s.cache.reads.Add(1)
	began := s.cache.now()
	cs, err := s.load(ctx, `c.id = $1`, id)
	if err != nil {
		return Course{}, err
	}
	if len(cs) == 0 {
		s.cache.drop(id)
		return Course{}, ErrNotFound
	}
	s.cache.put(cs[0], began)
	return cs[0], nil
}

// cachedByID is CourseByID through the cache.
func (s *Store) cachedByID(ctx context.Context, id int64) (Course, error) {
	var version int
	at := s.cache.now()
	if err := s.row(ctx, versionByID, []any{id}, &version); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			s.cache.drop(id)
			return Course{}, ErrNotFound
		}
		return Course{}, err
	}
	return s.courseVersioned(ctx, id, version, at)
}

// CourseVersionBySlug returns the ID and version of the course slug, by
// one prepared query, or ErrNotFound: for callers that keep what they made
// from a course per version (the course page's body) and read the course
// itself only when the version is not the one they kept.
func (s *Store) CourseVersionBySlug(ctx context.Context, slug string) (id int64, version int, err error) {
	if len(slug) > 80 || !slugRE.MatchString(slug) {
		return 0, 0, ErrNotFound // as CourseBySlug
	}
	if err := s.row(ctx, versionBySlug, []any{slug}, &id, &version); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, 0, ErrNotFound
		}
		return 0, 0, fmt.Errorf("catalog: course %q: %w", slug, err)
	}
	return id, version, nil
}

// cachedBySlug is CourseBySlug through the cache.
func (s *Store) cachedBySlug(ctx context.Context, slug string) (Course, error) {
	var id int64
	var version int
	at := s.cache.now()
	if err := s.row(ctx, versionBySlug, []any{slug}, &id, &version); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Course{}, ErrNotFound
		}
		return Course{}, err
	}
	return s.courseVersioned(ctx, id, version, at)
}

// cachedEvent is Event through the cache.
func (s *Store) cachedEvent(ctx context.Context, eventID int64) (Course, Event, error) {
	var id int64
	var version int
	at := s.cache.now()
	if err := s.row(ctx, versionByEvent, []any{eventID}, &id, &version); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Course{}, Event{}, ErrNotFound
		}
		return Course{}, Event{}, err
	}
	c, err := s.courseVersioned(ctx, id, version, at)
	if err != nil {
		return Course{}, Event{}, err
	}
	for _, e := range c.Events {
		if e.ID == eventID {
			return c, e, nil
		}
	}
	return Course{}, Event{}, ErrNotFound
}
