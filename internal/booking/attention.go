package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
	"plenary/internal/workdays"
)

// DefaultOfferWindow is how soon an offer must lapse to count as about to
// lapse in Attention when the caller gives no window.
const DefaultOfferWindow = 24 * time.Hour

// Attention is what needs the course team now: bookings waiting for
// review, offers about to lapse, dates whose joining instructions have
// not all gone, messages failing, invoices unpaid near the course, dates
// nearly full or with people waiting, and late changes made lately. Times
// are in each event's zone (UTC for a message about no booking).
type Attention struct {
	Now      time.Time // UTC
	Window   time.Duration
	Reviews  []WaitingReview // oldest first
	Offers   []LapsingOffer  // soonest first
	Joining  []JoiningOwed   // soonest date first
	Failing  []FailingMessage
	Invoices []UnpaidInvoice // soonest date first
	Filling  []FillingDate   // soonest first
	Late     []LateChange    // newest first
}

// Section names one list of Attention, as the page's anchors do.
type Section string

// The sections of Attention, in the order the page shows them.
const (
	SectionReviews  Section = "reviews"
	SectionOffers   Section = "offers"
	SectionJoining  Section = "joining"
	SectionFailing  Section = "failing"
	SectionInvoices Section = "invoices"
	SectionFilling  Section = "filling"
	SectionLate     Section = "late"
)

// Sections lists every section in the page's order.
var Sections = []Section{SectionReviews, SectionOffers, SectionJoining, SectionFailing, SectionInvoices, SectionFilling, SectionLate}

// Rules of the newer sections.
const (
	// InvoiceNearWorkingDays: an invoice still unpaid when its date starts
	// within this many working days is listed.
	InvoiceNearWorkingDays = 10
	// NearlyFullPlaces and NearlyFullShare: a date is nearly full when at
	// most this many places are left, or at most this share of its
	// capacity (a tenth), whichever is more.
	NearlyFullPlaces = 2
	NearlyFullShare  = 10 // percent
	// LateChangeDays is how long a confirmed late change stays listed.
	LateChangeDays = 14
)

// Empty reports whether nothing needs attention.
func (a Attention) Empty() bool {
	for _, s := range Sections {
		if a.Count(s) > 0 {
			return false
		}
	}
	return true
}

// Count is how many lines section s has.
func (a Attention) Count(s Section) int {
	switch s {
	case SectionReviews:
		return len(a.Reviews)
	case SectionOffers:
		return len(a.Offers)
	case SectionJoining:
		return len(a.Joining)
	case SectionFailing:
		return len(a.Failing)
	case SectionInvoices:
		return len(a.Invoices)
	case SectionFilling:
		return len(a.Filling)
	case SectionLate:
		return len(a.Late)
	}
	return 0
}

// For keeps what a viewer may see: each line stays when may(section,
// course) says yes for its course's ID (0 for a message about no
// booking, which only a viewer of every course should see). The
// permissions behind may are the caller's (the staff area asks the
// account's permission table).
func (a Attention) For(may func(s Section, courseID int64) bool) Attention {
	return Attention{Now: a.Now, Window: a.Window,
		Reviews:  kept(a.Reviews, SectionReviews, may, func(x WaitingReview) int64 { return x.Course.ID }),
		Offers:   kept(a.Offers, SectionOffers, may, func(x LapsingOffer) int64 { return x.Course.ID }),
		Joining:  kept(a.Joining, SectionJoining, may, func(x JoiningOwed) int64 { return x.Course.ID }),
		Failing:  kept(a.Failing, SectionFailing, may, func(x FailingMessage) int64 { return x.CourseID }),
		Invoices: kept(a.Invoices, SectionInvoices, may, func(x UnpaidInvoice) int64 { return x.Course.ID }),
		Filling:  kept(a.Filling, SectionFilling, may, func(x FillingDate) int64 { return x.Course.ID }),
		Late:     kept(a.Late, SectionLate, may, func(x LateChange) int64 { return x.Course.ID }),
	}
}

// kept is the lines of one section that may lets through, by their
// course's ID.
func kept[T any](list []T, s Section, may func(Section, int64) bool, course func(T) int64) []T {
	var out []T
	for _, x := range list {
		if may(s, course(x)) {
			out = append(out, x)
		}
	}
	return out
}

// JoiningOwed is a date inside its joining-instruction window whose
// instructions have not all gone: some confirmed people have none sent
// for its current version (queued, retrying or failed counts as not
// gone).
type JoiningOwed struct {
	Course    catalog.Course
	Event     catalog.Event
	SendAt    time.Time // when they were due, in the event's zone
	Confirmed int       // confirmed people on the date
	NotGone   int       // of whom this many have no joining instructions sent
	Failed    int       // of those, how many failed for good
}

// UnpaidInvoice is a confirmed booking on an unpaid invoice whose date
// starts within InvoiceNearWorkingDays working days.
type UnpaidInvoice struct {
	Booking Booking
	Course  catalog.Course
	Event   catalog.Event
	// WorkingDays is how many working days are left before the first
	// day (0: it starts on the next working day or sooner).
	WorkingDays int
}

// DaysLeft writes the working days left before the date in words.
func (i UnpaidInvoice) DaysLeft() string {
	switch i.WorkingDays {
	case 0:
		return "starts on the next working day or sooner"
	case 1:
		return "1 working day to go"
	}
	return fmt.Sprintf("%d working days to go", i.WorkingDays)
}

// FillingDate is an upcoming date nearly full (see NearlyFullPlaces) or
// with people on its waiting list.
type FillingDate struct {
	Course     catalog.Course
	Event      catalog.Event
	Capacity   int // 0 = unlimited
	Taken      int
	Waiting    int
	NearlyFull bool // includes full
}

// Left is the places left (0 when full or unlimited).
func (f FillingDate) Left() int { return max(f.Capacity-f.Taken, 0) }

// LateChange is a change inside the minimum-notice window that someone
// confirmed (plenary import -confirm-late) in the last LateChangeDays
// days, with how many of the people told have cancelled since.
type LateChange struct {
	Course    catalog.Course
	Event     catalog.Event
	At        time.Time // when it was saved, in the event's zone
	By        string    // who confirmed it
	Told      int       // bookings told of the change
	Cancelled int       // of whom this many cancelled since
}

// WaitingReview is a booking waiting for a coordinator's review.
type WaitingReview struct {
	Booking Booking
	Course  catalog.Course
	Event   catalog.Event
	// Since is when the review started (the booking was taken, or moved
	// up from the waiting list), in the event's zone.
	Since time.Time
	// Due is the day the participant was promised a reply by: the
	// ReviewWorkingDays-th working day after Since's day.
	Due catalog.Date
	// WorkingDays is how many working days it has waited: those after
	// Since's day, up to and including today.
	WorkingDays int
	// Overdue is set once today is after Due.
	Overdue bool
}

// LapsingOffer is an offer of a place that lapses within the window (or
// has lapsed and waits for the expiry job).
type LapsingOffer struct {
	Booking Booking
	Course  catalog.Course
	Event   catalog.Event
	Expires time.Time // in the event's zone
}

// FailingMessage is an e-mail that failed for good, or is failing and
// will be tried again.
type FailingMessage struct {
	ID        int64
	Kind      string
	BookingID int64 // 0 for mail about no booking (such as staff notices)
	EventID   int64 // the booking's event; 0 without one
	CourseID  int64 // the event's course; 0 without one
	ToEmail   string
	Subject   string
	Status    messaging.Status // failed, or queued while retrying
	Attempts  int
	LastError string
	CreatedAt time.Time // in the event's zone, or UTC
}

// Attention returns what needs the course team: every booking waiting for
// review (oldest first, with the working days waited against the
// ReviewWorkingDays promised), every offer lapsing within window (0 =
// DefaultOfferWindow), every message that failed or is failing, the dates
// inside their joining-instruction window with instructions not all gone,
// the invoices unpaid near their date, the dates nearly full or with a
// waiting list, and the late changes of the last LateChangeDays days. It
// reads each section in a bounded number of queries (each course is read
// once, whatever the number of its dates listed).
func (s *Service) Attention(ctx context.Context, window time.Duration) (Attention, error) {
	if window <= 0 {
		window = DefaultOfferWindow
	}
	now := s.now().UTC()
	a := Attention{Now: now, Window: window}
	type courseEvent struct {
		c catalog.Course
		e catalog.Event
	}
	events := map[int64]courseEvent{}
	event := func(id int64) (catalog.Course, catalog.Event, error) {
		if ce, ok := events[id]; ok {
			return ce.c, ce.e, nil
		}
		c, e, err := s.catalog.Event(ctx, id)
		if err != nil {
			return c, e, fmt.Errorf("event %d: %w", id, err)
		}
		for _, other := range c.Events { // the course came with all its dates
			events[other.ID] = courseEvent{c, other}
		}
		events[id] = courseEvent{c, e}
		return c, e, nil
	}
	wrap := func(err error) error { return fmt.Errorf("booking: attention: %w", err) }

	pending, err := s.store.inStatus(ctx, PendingReview)
	if err != nil {
		return a, wrap(err)
	}
	since, err := reviewStarts(ctx, s.db, pending)
	if err != nil {
		return a, wrap(err)
	}
	for _, b := range pending {
		if err := s.store.fillDetails(ctx, &b); err != nil {
			return a, wrap(err)
		}
		c, e, err := event(b.EventID)
		if err != nil {
			return a, wrap(err)
		}
		start, ok := since[b.ID]
		if !ok {
			start = b.CreatedAt
		}
		loc := e.Location()
		r := WaitingReview{Booking: b, Course: c, Event: e, Since: start.In(loc), Due: s.ReviewDue(e, start)}
		startDay, today := catalog.DateOf(start.In(loc)), catalog.DateOf(now.In(loc))
		region := workdays.Region(e.Region)
		r.WorkingDays = max(s.workdays.WorkingDaysBetween(region, workdays.Date(startDay).AddDays(1), workdays.Date(today).AddDays(1)), 0)
		r.Overdue = r.Due.Before(today)
		a.Reviews = append(a.Reviews, r)
	}
	slices.SortStableFunc(a.Reviews, func(x, y WaitingReview) int { return x.Since.Compare(y.Since) })

	offers, err := s.store.offersLapsingBy(ctx, now.Add(window))
	if err != nil {
		return a, wrap(err)
	}
	for _, b := range offers {
		c, e, err := event(b.EventID)
		if err != nil {
			return a, wrap(err)
		}
		a.Offers = append(a.Offers, LapsingOffer{Booking: b, Course: c, Event: e, Expires: b.OfferExpiresAt.In(e.Location())})
	}
	slices.SortStableFunc(a.Offers, func(x, y LapsingOffer) int { return x.Expires.Compare(y.Expires) })

	if a.Failing, err = s.failingMessages(ctx, event); err != nil {
		return a, wrap(err)
	}
	upcoming, err := s.store.upcomingPlaces(ctx, now)
	if err != nil {
		return a, wrap(err)
	}
	if a.Joining, err = s.joiningOwed(ctx, upcoming, now, event); err != nil {
		return a, wrap(err)
	}
	if a.Invoices, err = s.unpaidInvoices(ctx, now, event); err != nil {
		return a, wrap(err)
	}
	for _, p := range upcoming {
		f := FillingDate{Capacity: p.capacity, Taken: p.taken, Waiting: p.waiting}
		f.NearlyFull = nearlyFull(p.capacity, p.taken)
		if !f.NearlyFull && f.Waiting == 0 {
			continue
		}
		if f.Course, f.Event, err = event(p.id); err != nil {
			return a, wrap(err)
		}
		a.Filling = append(a.Filling, f)
	}
	if a.Late, err = s.lateChanges(ctx, now, event); err != nil {
		return a, wrap(err)
	}
	return a, nil
}

// nearlyFull says whether a date with capacity places (0 = unlimited) and
// taken of them held is nearly full or full: at most NearlyFullPlaces
// places left, or at most NearlyFullShare percent of its capacity,
// whichever is more. A date nobody has booked is never nearly full,
// however small.
func nearlyFull(capacity, taken int) bool {
	if capacity <= 0 || taken <= 0 {
		return false
	}
	return capacity-taken <= max(NearlyFullPlaces, capacity*NearlyFullShare/100)
}

// joiningOwed lists the upcoming dates whose joining instructions are due
// (their JoiningSendAt has passed) and have not gone to every confirmed
// person: one read of the confirmed bookings of those dates and one of
// their joining e-mails.
func (s *Service) joiningOwed(ctx context.Context, upcoming []eventPlaces, now time.Time,
	event func(int64) (catalog.Course, catalog.Event, error)) ([]JoiningOwed, error) {
	var due []JoiningOwed
	var ids []int64
	for _, p := range upcoming {
		// Joining instructions are due at most sendHorizon ahead; dates
		// with nobody confirmed owe nothing.
		if p.confirmedNow == 0 || p.startsAt.After(now.Add(sendHorizon)) {
			continue
		}
		c, e, err := event(p.id)
		if err != nil {
			return nil, err
		}
		at := s.JoiningSendAt(c, e)
		if at.IsZero() || now.Before(at) {
			continue
		}
		due = append(due, JoiningOwed{Course: c, Event: e, SendAt: at.In(e.Location())})
		ids = append(ids, e.ID)
	}
	if len(due) == 0 {
		return nil, nil
	}
	confirmed, err := s.store.confirmedOn(ctx, ids)
	if err != nil {
		return nil, err
	}
	version := map[int64]int{}
	for _, j := range due {
		version[j.Event.ID] = j.Event.Version
	}
	keys := make([]string, len(confirmed))
	for i, b := range confirmed {
		keys[i] = joiningKey(b.ID, version[b.EventID])
	}
	sent, err := messaging.Deliveries(ctx, s.db, keys)
	if err != nil {
		return nil, err
	}
	index := map[int64]*JoiningOwed{}
	for i := range due {
		index[due[i].Event.ID] = &due[i]
	}
	for i, b := range confirmed {
		j := index[b.EventID]
		j.Confirmed++
		switch d, ok := sent[keys[i]]; {
		case ok && (d.Status == messaging.Sent || d.Status == messaging.Kept):
		case ok && d.Status == messaging.Failed:
			j.NotGone++
			j.Failed++
		default:
			j.NotGone++
		}
	}
	return slices.DeleteFunc(due, func(j JoiningOwed) bool { return j.NotGone == 0 }), nil
}

// unpaidInvoices lists the confirmed bookings on unpaid invoices whose
// date starts within InvoiceNearWorkingDays working days, soonest date
// first.
func (s *Service) unpaidInvoices(ctx context.Context, now time.Time,
	event func(int64) (catalog.Course, catalog.Event, error)) ([]UnpaidInvoice, error) {
	// Ten working days are never more than a month of calendar days,
	// whatever the holidays; the working days are counted below.
	list, err := unpaidNear(ctx, s.store, now, now.AddDate(0, 0, 31))
	if err != nil {
		return nil, err
	}
	var out []UnpaidInvoice
	for _, b := range list {
		c, e, err := event(b.EventID)
		if err != nil {
			return nil, err
		}
		if len(e.Days) == 0 {
			continue
		}
		today := workdays.Date(catalog.DateOf(now.In(e.Location())))
		n := s.workdays.WorkingDaysBetween(workdays.Region(e.Region), today.AddDays(1), workdays.Date(e.Days[0].Date))
		if n > InvoiceNearWorkingDays {
			continue
		}
		out = append(out, UnpaidInvoice{Booking: b, Course: c, Event: e, WorkingDays: max(n, 0)})
	}
	slices.SortStableFunc(out, func(x, y UnpaidInvoice) int { return x.Event.StartsAt.Compare(y.Event.StartsAt) })
	return out, nil
}

// unpaidNear reads the confirmed bookings still on an unpaid invoice
// whose event goes ahead and starts after now and by until, in the order
// taken. It reads the dates in that window first (events_starts_at) and
// their bookings by date (bookings_event_status): CROSS JOIN keeps
// SQLite's planner from walking every booking ever taken in id order
// instead (PostgreSQL plans it as the join it is).
func unpaidNear(ctx context.Context, st store, now, until time.Time) ([]Booking, error) {
	return st.bookings(ctx, `SELECT `+bookingColumns+` FROM events e CROSS JOIN bookings b
		WHERE b.event_id = e.id AND e.starts_at > $5 AND e.starts_at <= $6 AND e.status IN ($3, $4)
		AND b.status = $1 AND b.payment = $2
		ORDER BY b.id`, string(Confirmed), string(Invoice), string(catalog.Scheduled), string(catalog.Changed), now, until)
}

// lateChanges lists the late changes confirmed in the last LateChangeDays
// days (the event.late_change entries notices.go records), newest first,
// with how many of the people told have cancelled since.
func (s *Service) lateChanges(ctx context.Context, now time.Time,
	event func(int64) (catalog.Course, catalog.Event, error)) ([]LateChange, error) {
	entries, err := audit.List(ctx, s.db, audit.Filter{Object: "event", Action: actionLateChange,
		Since: now.AddDate(0, 0, -LateChangeDays), Limit: 500})
	if err != nil {
		return nil, err
	}
	told := make([]lateAudit, len(entries))
	var ids []int64
	for i, en := range entries {
		if err := json.Unmarshal(en.After, &told[i]); err != nil {
			return nil, fmt.Errorf("audit entry %d: %w", en.ID, err)
		}
		ids = append(ids, told[i].Bookings...)
	}
	list, err := s.store.byIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	cancelled := map[int64]time.Time{}
	for _, b := range list {
		if b.Status == Cancelled {
			cancelled[b.ID] = b.CancelledAt
		}
	}
	var out []LateChange
	for i, en := range entries {
		c, e, err := event(en.ObjectID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		l := LateChange{Course: c, Event: e, At: en.At.In(e.Location()), By: en.Actor.Name, Told: len(told[i].Bookings)}
		for _, id := range told[i].Bookings {
			if at, ok := cancelled[id]; ok && !at.Before(en.At) {
				l.Cancelled++
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// reviewStarts returns, for each of the bookings waiting for review, when
// its review started: when its pending-review e-mail was queued. (A
// booking enters review once: when taken, or when moved up from the
// waiting list.)
func reviewStarts(ctx context.Context, q database.Querier, pending []Booking) (map[int64]time.Time, error) {
	mails, err := messaging.OfKind(ctx, q, string(mailPendingReview), subjectRefs(pending))
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	for _, b := range pending {
		if m := mails[SubjectRef(b.ID)]; len(m) > 0 {
			out[b.ID] = m[0].CreatedAt // the oldest
		}
	}
	return out, nil
}

// failingMessages lists messages that failed for good or are being
// retried after a failure, oldest first, with the booking and event each
// is about.
func (s *Service) failingMessages(ctx context.Context, event func(int64) (catalog.Course, catalog.Event, error)) ([]FailingMessage, error) {
	failing, err := messaging.Failing(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, d := range failing {
		if id, ok := BookingOfSubject(d.SubjectRef); ok {
			ids = append(ids, id)
		}
	}
	events, err := s.store.eventsOf(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []FailingMessage
	for _, d := range failing {
		m := FailingMessage{ID: d.ID, Kind: d.Kind, ToEmail: d.ToEmail, Subject: d.Subject, Status: d.Status,
			Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt}
		m.BookingID, _ = BookingOfSubject(d.SubjectRef)
		m.EventID = events[m.BookingID]
		if m.EventID != 0 {
			c, e, err := event(m.EventID)
			if err != nil {
				return nil, err
			}
			m.CourseID = c.ID
			m.CreatedAt = m.CreatedAt.In(e.Location())
		}
		out = append(out, m)
	}
	return out, nil
}
