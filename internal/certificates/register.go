package certificates

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database"
)

// Mark is what the register says of one person on one day or session.
type Mark string

// The marks.
const (
	Present   Mark = "present"
	Late      Mark = "late"
	LeftEarly Mark = "left_early"
	Absent    Mark = "absent"
	Excused   Mark = "excused"
)

// Marks lists every mark, in the order the register offers them.
var Marks = []Mark{Present, Late, LeftEarly, Absent, Excused}

// Label is the mark as staff read it.
func (m Mark) Label() string {
	switch m {
	case Present:
		return "Present"
	case Late:
		return "Late"
	case LeftEarly:
		return "Left early"
	case Absent:
		return "Absent"
	case Excused:
		return "Excused"
	}
	return string(m)
}

// Valid reports whether m is one of Marks.
func (m Mark) Valid() bool { return slices.Contains(Marks, m) }

// Attended reports whether the person was there: present, late and
// left early count as attending (for a course that asks every day
// present, too); absent and excused do not.
func (m Mark) Attended() bool { return m == Present || m == Late || m == LeftEarly }

// InputError is a register save refused for what was sent, field by
// field (a booking's ID as text, or "day", "session", "report"): the
// page shows each message beside its field and keeps what was typed.
type InputError map[string]string

func (e InputError) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e[k]
	}
	return "register: " + strings.Join(parts, "; ")
}

// Options configure the Register.
type Options struct {
	DB       *database.DB
	Bookings *booking.Service // reads dates, their courses and bookings
	Accounts *account.Service // who may be assigned to teach a date
	Now      func() time.Time // nil = time.Now
}

// Register is the door to the register, trainers' dates and completion.
type Register struct {
	db       *database.DB
	bookings *booking.Service
	accounts *account.Service
	now      func() time.Time
	// beforeClose, in tests, runs in Close between reading the register
	// and writing the bookings (a booking cancelled meanwhile).
	beforeClose func()
	// saveHook, in tests, runs in Save before its transaction ("begin")
	// and once it has read the marks under the date's lock ("read").
	saveHook func(stage string)
}

// New returns the Register.
func New(opts Options) *Register {
	r := &Register{db: opts.DB, bookings: opts.Bookings, accounts: opts.Accounts, now: opts.Now}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Sheet is one day's register of a date, or one session's.
type Sheet struct {
	Course   catalog.Course
	Event    catalog.Event
	Day      catalog.Day
	Sessions []Session // the day's teaching sessions
	// Session is the session this sheet is for; Key "" is the whole day.
	Session    Session
	SessionKey string
	Rows       []Row
}

// Row is one person on a register: a booking that holds a place
// (confirmed, or attended or no-show once the register was closed) and
// its mark, if it has one.
type Row struct {
	Booking booking.Booking
	Mark    Mark // "" when not marked yet
	// DayMarked: the person is marked for the whole day, by the day or
	// in every teaching session of it (what Close asks for).
	DayMarked  bool
	Minutes    int // from a meeting report
	HasMinutes bool
	MarkedBy   int64
	MarkedAt   time.Time
}

// onRegister reports whether a booking belongs on the register: it
// holds a place, and closing the register (Close) moves it only between
// these.
func onRegister(s booking.Status) bool {
	return s == booking.Confirmed || s == booking.Attended || s == booking.NoShow
}

// Sheet returns the register of one day of the date (session "" for
// the whole day, or a session's key, HH:MM). An unknown date is
// booking.ErrNotFound; a day or session the date does not have is an
// InputError.
func (r *Register) Sheet(ctx context.Context, eventID int64, day catalog.Date, session string) (Sheet, error) {
	c, e, err := r.bookings.EventOf(ctx, eventID)
	if err != nil {
		return Sheet{}, err
	}
	sh := Sheet{Course: c, Event: e, SessionKey: session}
	found := false
	for _, d := range e.Days {
		if d.Date == day {
			sh.Day, found = d, true
		}
	}
	if !found {
		return sh, InputError{"day": fmt.Sprintf("%s is not a day of this date", day)}
	}
	sh.Sessions = Sessions(sh.Day)
	if session != "" {
		i := slices.IndexFunc(sh.Sessions, func(s Session) bool { return s.Key() == session })
		if i < 0 {
			return sh, InputError{"session": fmt.Sprintf("the day has no teaching session starting at %q", session)}
		}
		sh.Session = sh.Sessions[i]
	}
	list, err := r.bookings.List(ctx, eventID)
	if err != nil {
		return sh, err
	}
	marks, err := r.marks(ctx, r.db, eventID)
	if err != nil {
		return sh, err
	}
	for _, b := range list {
		if !onRegister(b.Status) {
			continue
		}
		row := Row{Booking: b, DayMarked: dayMarked(sh.Day, b.ID, marks)}
		if m, ok := marks[markKey{b.ID, day, session}]; ok {
			row.Mark, row.Minutes, row.HasMinutes, row.MarkedBy, row.MarkedAt = m.Mark, m.Minutes, m.HasMinutes, m.MarkedBy, m.MarkedAt
		}
		sh.Rows = append(sh.Rows, row)
	}
	sort.SliceStable(sh.Rows, func(i, j int) bool {
		return strings.ToLower(sh.Rows[i].Booking.Name) < strings.ToLower(sh.Rows[j].Booking.Name)
	})
	return sh, nil
}

// Entry is one mark to save: the booking, its mark and, from a meeting
// report, the minutes attended.
type Entry struct {
	BookingID  int64
	Mark       Mark
	Minutes    int
	HasMinutes bool
	// Was, when CheckWas, is the mark the form showed ("" for none): if
	// the stored mark differs, someone changed it meanwhile and the save
	// is refused (an InputError on the booking naming the mark now).
	Was      Mark
	CheckWas bool
}

// stored is a mark as the table holds it.
type stored struct {
	Mark       Mark
	Minutes    int
	HasMinutes bool
	MarkedBy   int64
	MarkedAt   time.Time
}

type markKey struct {
	booking int64
	day     catalog.Date
	session string
}

// markChange is a mark as the audit log records it: no name, so that
// erasing the person leaves nothing of them in it.
type markChange struct {
	Day     string `json:"day"`
	Session string `json:"session,omitempty"`
	Mark    Mark   `json:"mark"`
	Minutes *int   `json:"minutes,omitempty"`
}

// Save records the marks of one day (or session) of a date, in one
// transaction, with an audit entry (register.mark, about the booking)
// for each changed mark: who marked, when, the mark before and after.
// Saving the same marks again changes nothing and records nothing: it
// returns how many marks changed. Every entry must name a booking on the register
// and a valid mark, or nothing is saved (an InputError keyed by the
// booking's ID); so too when an entry's Was no longer matches the stored
// mark (two people taking the register at once). The marks are read under
// the date's lock (lockDate), so of two saves at once the second reads
// what the first wrote.
func (r *Register) Save(ctx context.Context, eventID int64, day catalog.Date, session string, entries []Entry, actor audit.Actor) (int, error) {
	sh, err := r.Sheet(ctx, eventID, day, session)
	if err != nil {
		return 0, err
	}
	rows := map[int64]Row{}
	for _, row := range sh.Rows {
		rows[row.Booking.ID] = row
	}
	bad := InputError{}
	seen := map[int64]bool{}
	for _, en := range entries {
		id := fmt.Sprint(en.BookingID)
		switch _, ok := rows[en.BookingID]; {
		case !ok:
			bad[id] = "is not on this register (only bookings with a place are)"
		case seen[en.BookingID]:
			bad[id] = "is marked twice"
		case !en.Mark.Valid():
			bad[id] = "choose present, late, left early, absent or excused"
		case en.HasMinutes && (en.Minutes < 0 || en.Minutes > 24*60):
			bad[id] = "minutes must be between 0 and 1440"
		}
		seen[en.BookingID] = true
	}
	if len(bad) > 0 {
		return 0, bad
	}
	now := r.now().UTC()
	changed := 0
	if r.saveHook != nil {
		r.saveHook("begin")
	}
	err = database.InTx(ctx, r.db, func(tx *sql.Tx) error {
		// The date's lock first: two people saving the same mark at once
		// must not both read it unchanged (on PostgreSQL, reads do not
		// wait for each other; a mark not yet made has no row to lock).
		// The second waits here and then finds the first one's mark.
		if err := lockDate(ctx, tx, r.db.Dialect, eventID); err != nil {
			return err
		}
		current, err := r.marks(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if r.saveHook != nil {
			r.saveHook("read")
		}
		stale := InputError{}
		for _, en := range entries {
			if old := current[markKey{en.BookingID, day, session}]; en.CheckWas && old.Mark != en.Was {
				now := "no mark"
				if old.Mark != "" {
					now = strings.ToLower(old.Mark.Label())
				}
				stale[fmt.Sprint(en.BookingID)] = "someone else changed this mark meanwhile: it is now " + now +
					". Your choice is kept below; save again to replace it."
			}
		}
		if len(stale) > 0 {
			return stale
		}
		for _, en := range entries {
			k := markKey{en.BookingID, day, session}
			old, had := current[k]
			if had && old.Mark == en.Mark && old.HasMinutes == en.HasMinutes && old.Minutes == en.Minutes {
				continue
			}
			var minutes any
			if en.HasMinutes {
				minutes = en.Minutes
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO register_marks (booking_id, event_id, day, session, mark, minutes, marked_by, marked_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (booking_id, day, session) DO UPDATE SET
				    mark = excluded.mark, minutes = excluded.minutes,
				    marked_by = excluded.marked_by, marked_at = excluded.marked_at`,
				en.BookingID, eventID, day.String(), session, string(en.Mark), minutes, actor.ID, now); err != nil {
				return fmt.Errorf("register: save mark: %w", err)
			}
			// One entry per booking, about the booking: it shows in the
			// booking's history, and erasing the person redacts it.
			var before any
			if had {
				before = change(day, session, old.Mark, old.Minutes, old.HasMinutes)
			}
			if err := audit.Record(ctx, tx, now, actor, "register.mark", "booking", en.BookingID,
				before, change(day, session, en.Mark, en.Minutes, en.HasMinutes), ""); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

func change(day catalog.Date, session string, m Mark, minutes int, has bool) markChange {
	c := markChange{Day: day.String(), Session: session, Mark: m}
	if has {
		c.Minutes = &minutes
	}
	return c
}

// MarkAllPresent is the register's start: everyone on the sheet not yet
// marked becomes present; marks already made are kept.
func (r *Register) MarkAllPresent(ctx context.Context, eventID int64, day catalog.Date, session string, actor audit.Actor) (int, error) {
	sh, err := r.Sheet(ctx, eventID, day, session)
	if err != nil {
		return 0, err
	}
	var entries []Entry
	for _, row := range sh.Rows {
		if row.Mark == "" {
			entries = append(entries, Entry{BookingID: row.Booking.ID, Mark: Present})
		}
	}
	return r.Save(ctx, eventID, day, session, entries, actor)
}

// marks reads every mark of a date.
func (r *Register) marks(ctx context.Context, q database.Querier, eventID int64) (map[markKey]stored, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT booking_id, day, session, mark, minutes, marked_by, marked_at
		FROM register_marks WHERE event_id = $1`, eventID)
	if err != nil {
		return nil, fmt.Errorf("register: marks: %w", err)
	}
	defer rows.Close()
	out := map[markKey]stored{}
	for rows.Next() {
		var (
			k       markKey
			day     string
			s       stored
			minutes sql.NullInt64
		)
		if err := rows.Scan(&k.booking, &day, &k.session, &s.Mark, &minutes, &s.MarkedBy, &s.MarkedAt); err != nil {
			return nil, fmt.Errorf("register: marks: %w", err)
		}
		if k.day, err = catalog.ParseDate(day); err != nil {
			return nil, fmt.Errorf("register: mark of booking %d: %w", k.booking, err)
		}
		s.Minutes, s.HasMinutes = int(minutes.Int64), minutes.Valid
		out[k] = s
	}
	return out, rows.Err()
}

// errNoAccounts is returned when trainers are set without the account
// service to check them against.
var errNoAccounts = errors.New("register: no account service to check trainers against")

// MarkedDays returns, for each day of the date eventID that has marks on
// its register, how many people are marked on it (by the day or in a
// session). The date editor refuses to remove such a day.
func (r *Register) MarkedDays(ctx context.Context, eventID int64) (map[catalog.Date]int, error) {
	rows, err := r.db.QueryContext(ctx, `
		SELECT day, count(DISTINCT booking_id) FROM register_marks WHERE event_id = $1 GROUP BY day`, eventID)
	if err != nil {
		return nil, fmt.Errorf("register: marked days: %w", err)
	}
	defer rows.Close()
	out := map[catalog.Date]int{}
	for rows.Next() {
		var (
			day string
			n   int
		)
		if err := rows.Scan(&day, &n); err != nil {
			return nil, fmt.Errorf("register: marked days: %w", err)
		}
		d, err := catalog.ParseDate(day)
		if err != nil {
			return nil, fmt.Errorf("register: marked day %q: %w", day, err)
		}
		out[d] = n
	}
	return out, rows.Err()
}
