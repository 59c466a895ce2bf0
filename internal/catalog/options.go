package catalog

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"plenary/internal/database"
)

// CourseOption is a course as a select lists it: its ID and title.
type CourseOption struct {
	ID    int64
	Title string
}

// DateOption is a date as a select lists it: its ID, course and label
// (Event.DateLabel of its days), without venue, meeting or agenda.
type DateOption struct {
	ID       int64
	CourseID int64
	Label    string
	StartsAt time.Time // UTC
	EndsAt   time.Time // UTC
	Status   EventStatus
	days     []Day // dates only
}

// Event is the date as an Event holding only what DateOptions reads: its
// ID, course, instants, status and its days' dates (no times, venue,
// meeting or agenda), enough for DateLabel.
func (d DateOption) Event() Event {
	return Event{ID: d.ID, CourseID: d.CourseID, StartsAt: d.StartsAt, EndsAt: d.EndsAt, Status: d.Status, Days: d.days}
}

// CourseOptions returns every course's ID and title, drafts included,
// by title: a light read for filters that need no more (the bookings
// desk), whatever the number of dates the courses have had.
func (s *Store) CourseOptions(ctx context.Context) ([]CourseOption, error) {
	out, err := s.courseOptions(ctx, ``, nil)
	if err != nil {
		return nil, fmt.Errorf("catalog: course options: %w", err)
	}
	return out, nil
}

// CurrentCourseOptions returns the ID and title, by title, of the courses
// (drafts included) with a date not over at t (whatever its status), and
// of course also when it is not 0: a light read whose cost follows the
// present, not the catalogue's history (the bookings desk's course
// select; CourseOptions lists every course).
func (s *Store) CurrentCourseOptions(ctx context.Context, t time.Time, also int64) ([]CourseOption, error) {
	out, err := s.courseOptions(ctx,
		`WHERE id IN (SELECT course_id FROM events WHERE ends_at > $1 UNION ALL SELECT CAST($2 AS BIGINT))`,
		[]any{t.UTC(), also})
	if err != nil {
		return nil, fmt.Errorf("catalog: current course options: %w", err)
	}
	return out, nil
}

// courseOptions reads the ID and title of the courses where selects (a
// WHERE clause over courses, or nothing for all), by title.
func (s *Store) courseOptions(ctx context.Context, where string, args []any) ([]CourseOption, error) {
	var out []CourseOption
	err := s.each(ctx, `SELECT id, title FROM courses `+where+` ORDER BY title, id`, args, func(rows *sql.Rows) error {
		var c CourseOption
		err := rows.Scan(&c.ID, &c.Title)
		out = append(out, c)
		return err
	})
	return out, err
}

// CourseRef is a course as a link names it: its ID, slug and title.
type CourseRef struct {
	ID    int64
	Slug  string
	Title string
}

// CourseRefs returns, by title, the courses (drafts included) whose slug
// is among slugs or whose ID is among ids: a light read whatever the
// number of courses and dates there are.
func (s *Store) CourseRefs(ctx context.Context, slugs []string, ids []int64) ([]CourseRef, error) {
	seen := map[int64]bool{}
	var out []CourseRef
	read := func(column string) func(marks string, args []any) error {
		return func(marks string, args []any) error {
			return s.each(ctx, `SELECT id, slug, title FROM courses WHERE `+column+` IN (`+marks+`)`, args, func(rows *sql.Rows) error {
				var c CourseRef
				if err := rows.Scan(&c.ID, &c.Slug, &c.Title); err != nil {
					return err
				}
				if !seen[c.ID] {
					seen[c.ID] = true
					out = append(out, c)
				}
				return nil
			})
		}
	}
	if err := database.InBatches(slugs, read("slug")); err != nil {
		return nil, fmt.Errorf("catalog: courses by slug: %w", err)
	}
	if err := database.InBatches(ids, read("id")); err != nil {
		return nil, fmt.Errorf("catalog: courses by id: %w", err)
	}
	slices.SortFunc(out, func(a, b CourseRef) int { return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// DateOptionFilter says which dates DateOptions lists.
type DateOptionFilter struct {
	// IDs, when set, lists those dates, whatever else is set.
	IDs []int64
	// Course, when not 0, lists that course's dates, every one it had.
	Course int64
	// Since, with no Course, lists the dates of every course starting at
	// or after it (recent and upcoming ones).
	Since time.Time
	// EndsAfter, with no Course, lists instead the dates of every course
	// not over by then: running or upcoming at that instant.
	EndsAfter time.Time
}

// DateOptions returns the dates f selects, newest first, each with its
// label: one query over events and their days, never the agenda.
func (s *Store) DateOptions(ctx context.Context, f DateOptionFilter) ([]DateOption, error) {
	if len(f.IDs) > 0 {
		var out []DateOption
		err := database.InBatches(f.IDs, func(marks string, args []any) error {
			part, err := s.dateOptions(ctx, `e.id IN (`+marks+`)`, "e.starts_at", args)
			out = append(out, part...)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("catalog: date options: %w", err)
		}
		slices.SortFunc(out, func(a, b DateOption) int { // newest first across the batches too
			return cmp.Or(b.StartsAt.Compare(a.StartsAt), cmp.Compare(b.ID, a.ID))
		})
		return out, nil
	}
	where, args, order := `e.starts_at >= $1`, []any{f.Since.UTC()}, "e.starts_at"
	switch {
	case f.Course != 0:
		where, args = `e.course_id = $1`, []any{f.Course}
	case !f.EndsAfter.IsZero():
		where, args = `e.ends_at > $1`, []any{f.EndsAfter.UTC()}
		if s.db.Dialect == database.SQLite {
			// Without statistics SQLite would rather walk every date in
			// events_starts_at's order than sort the few events_ends_at
			// finds: the unary + keeps the order off the index.
			order = "+e.starts_at"
		}
	}
	out, err := s.dateOptions(ctx, where, order, args)
	if err != nil {
		return nil, fmt.Errorf("catalog: date options: %w", err)
	}
	return out, nil
}

// DateOption returns the date with ID id as a select lists it;
// ErrNotFound when there is none.
func (s *Store) DateOption(ctx context.Context, id int64) (DateOption, error) {
	out, err := s.dateOptions(ctx, `e.id = $1`, "e.starts_at", []any{id})
	if err != nil {
		return DateOption{}, fmt.Errorf("catalog: date option: %w", err)
	}
	if len(out) == 0 {
		return DateOption{}, ErrNotFound
	}
	return out[0], nil
}

// dateOptions reads the events matching where (over "events e") with
// their days' dates, newest first.
func (s *Store) dateOptions(ctx context.Context, where, order string, args []any) ([]DateOption, error) {
	var out []DateOption
	var cur Event
	flush := func() {
		if cur.ID != 0 {
			out = append(out, DateOption{ID: cur.ID, CourseID: cur.CourseID, Label: cur.DateLabel(), StartsAt: cur.StartsAt.UTC(),
				EndsAt: cur.EndsAt.UTC(), Status: cur.Status, days: cur.Days})
		}
	}
	err := s.each(ctx, `
		SELECT e.id, e.course_id, e.starts_at, e.ends_at, e.status, d.day
		FROM events e JOIN event_days d ON d.event_id = e.id
		WHERE `+where+` ORDER BY `+order+` DESC, e.id DESC, d.position`, args, func(rows *sql.Rows) error {
		var id, course int64
		var at, end time.Time
		var status, day string
		if err := rows.Scan(&id, &course, &at, &end, &status, &day); err != nil {
			return err
		}
		if id != cur.ID {
			flush()
			cur = Event{ID: id, CourseID: course, StartsAt: at, EndsAt: end, Status: EventStatus(status)}
		}
		d, err := ParseDate(day)
		if err != nil {
			return fmt.Errorf("date %d: day %q: %w", id, day, err)
		}
		cur.Days = append(cur.Days, Day{Date: d})
		return nil
	})
	if err != nil {
		return nil, err
	}
	flush()
	return out, nil
}
