package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
	"plenary/internal/secret"
	"plenary/internal/workdays"
)

// Outbox stores a message and its send job in the caller's transaction.
// *messaging.Outbox satisfies it.
type Outbox interface {
	Enqueue(ctx context.Context, tx *sql.Tx, m messaging.Message) (id int64, created bool, err error)
}

// Options configure a Service.
type Options struct {
	DB      *database.DB
	Catalog *catalog.Store
	Outbox  Outbox
	BaseURL string // for manage links in e-mails
	// UIDDomain names calendar UIDs; it must never change for an install
	// (empty = the base URL's host). See catalog.CalendarOptions.
	UIDDomain string
	// Organizer is the address calendar invitations name as organiser
	// (the From address of the site's mail).
	Organizer string
	Now       func() time.Time // nil = time.Now

	// Workdays counts working days for joining instructions and the
	// minimum-notice window; nil = England and Wales with Plenary's
	// built-in holidays.
	Workdays *workdays.Calendar
	// JoiningTime is the local time of day, in each event's zone, at
	// which joining instructions and reminders go; unset = 09:00.
	JoiningTime catalog.Clock
	// MinNoticeWorkingDays is the minimum-notice window: a change to an
	// event fewer than this many working days before it must be
	// confirmed, and participants are told they may cancel free of
	// charge. 0 means no window, as PLENARY_MIN_NOTICE_WORKING_DAYS=0
	// does (the setting's default, 10, is the configuration's).
	MinNoticeWorkingDays int
	// StaffEmail are the course team's addresses, each e-mailed when a
	// booking starts to wait for review; none = nobody is e-mailed.
	StaffEmail []string
	// Staff finds the staff users to e-mail: those who may approve a
	// booking when it starts to wait for review, and those who get the
	// daily digest. *account.Service satisfies it; nil = nobody but
	// StaffEmail.
	Staff StaffDirectory
	// DigestAt is the UK time of day at which the daily digest of what
	// needs attention goes (PLENARY_ATTENTION_DIGEST_AT); unset = never.
	DigestAt catalog.Clock
	// Thanks, when set, gives the thank-you after a date what the
	// register knows (thanks.go): certificates.Issuer. Nil: everyone who
	// came gets the plain thank-you.
	Thanks Thanks
}

// StaffDirectory finds staff users by permission: *account.Service.
type StaffDirectory interface {
	StaffWith(ctx context.Context, q database.Querier, p account.Permission, courseID int64) ([]account.User, error)
}

// Service takes and changes bookings.
type Service struct {
	db        *database.DB
	catalog   *catalog.Store
	outbox    Outbox
	baseURL   string
	uidDomain string
	organizer string
	now       func() time.Time
	workdays  *workdays.Calendar
	joiningAt catalog.Clock
	minNotice int // working days; 0 = no window
	staff     []string
	staffDir  StaffDirectory
	digestAt  catalog.Clock
	thanks    Thanks
	events    eventLocks
	lockWait  time.Duration // a batch's wait for its date's row on PostgreSQL; 0 = batchLockWait
	batches   dateQueues
	// batchRedos counts batches run again with savepoints (groupcommit.go).
	batchRedos atomic.Int64
	store      store
}

// NewService returns a Service.
func NewService(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Workdays == nil {
		// The default region with the built-in holidays cannot fail.
		opts.Workdays, _ = workdays.New(workdays.EnglandWales, nil)
	}
	if !opts.JoiningTime.Valid {
		opts.JoiningTime = catalog.Clock{Minutes: 9 * 60, Valid: true}
	}
	opts.MinNoticeWorkingDays = max(opts.MinNoticeWorkingDays, 0)
	return &Service{db: opts.DB, catalog: opts.Catalog, outbox: opts.Outbox,
		baseURL: strings.TrimRight(opts.BaseURL, "/"), uidDomain: opts.UIDDomain, organizer: opts.Organizer, now: opts.Now,
		workdays: opts.Workdays, joiningAt: opts.JoiningTime, minNotice: opts.MinNoticeWorkingDays,
		staff: opts.StaffEmail, staffDir: opts.Staff, digestAt: opts.DigestAt, thanks: opts.Thanks, store: newStore(opts.DB)}
}

// Result is the outcome of a booking request.
type Result struct {
	Booking Booking
	// Token is the manage-link secret, returned once: it is stored only
	// as a hash. Empty when Existing is set (a fresh link is e-mailed).
	Token string
	// Existing is set when the person already had an active booking on
	// the event: nothing new was booked.
	Existing bool
	// ReviewReasons are the messages of the course's review rules that
	// sent the booking to a coordinator, written for the person booking
	// (docs/course-files.md promises they see them); empty when no review
	// is needed or the rules gave no message. Booking.ReviewReasons gives
	// the same from a stored booking.
	ReviewReasons []string
}

// RefusedError says the eligibility rules refused the booking. Reasons
// are written for the person booking.
type RefusedError struct{ Reasons []string }

func (e *RefusedError) Error() string {
	return "booking: not eligible: " + strings.Join(e.Reasons, "; ")
}

// Book takes a booking for actor: the person booking
// (audit.ParticipantOf(0), which becomes the new booking's ID in the audit
// entry) or a staff member. Bad input returns a FormError, a refusal by
// the course's rules a *RefusedError; an event that cannot be booked
// returns one of the Err values. Capacity is checked and the booking
// inserted in one transaction that locks the event, so no load overbooks
// it; the confirmation e-mail is queued and the audit entry written in the
// same transaction. A repeat attempt by someone already booked changes
// nothing but mails them a fresh manage link, and is not audited.
func (s *Service) Book(ctx context.Context, req Request, actor audit.Actor) (Result, error) {
	course, event, err := s.catalog.Event(ctx, req.EventID)
	if errors.Is(err, catalog.ErrNotFound) {
		return Result{}, ErrEventUnavailable
	}
	if err != nil {
		return Result{}, fmt.Errorf("booking: %w", err)
	}
	res, err := s.bookEvent(ctx, &course, &event, req, actor, Overrides{}, "")
	if err != nil {
		return Result{}, err
	}
	return *res, nil
}

// BookEvent is Book for a caller that has just read the event and its
// course (the booking page has): it saves reading them again. What can
// change — the event's status, capacity and start — is read again under
// the event's lock, with the versions of the event and its course: if
// either moved on, the booking is judged and written against them as they
// now are. So course may come from catalog.Store.EventRecent; a refusal
// before the lock (a closed date, a rule) is then at most that old.
//
// BookEvent only reads course and event. They and the result go by
// pointer: a rush of bookings holds thousands of requests at once, each
// waiting for its batch with the deepest stack it reached, and the
// booking form's POST fits an 8 KB stack only so
// (site.TestBookingPostFitsASmallStack).
func (s *Service) BookEvent(ctx context.Context, course *catalog.Course, event *catalog.Event, req Request, actor audit.Actor) (*Result, error) {
	return s.bookEvent(ctx, course, event, req, actor, Overrides{}, "")
}

// bookEvent is BookEvent with a coordinator's overrides (AddByHand), whose
// reasons go into the audit entry as reason.
func (s *Service) bookEvent(ctx context.Context, course *catalog.Course, event *catalog.Event, req Request, actor audit.Actor,
	o Overrides, reason string) (*Result, error) {
	req.EventID = event.ID
	if course.Status != catalog.Published || event.CourseID != course.ID {
		return nil, ErrEventUnavailable
	}
	// A date that cannot be booked says so before the form is checked:
	// correcting the form would not help.
	now := s.now().UTC()
	open := bookable
	if o.byHand {
		open = bookableByHand
	}
	if err := open(course, event, now); err != nil {
		return nil, err
	}
	asked := req // as given: checkRequest keeps only the answers course asks for
	if ferr := o.checkRequest(&req, course, event); ferr != nil {
		return nil, ferr
	}
	today := catalog.DateOf(now.In(event.Location()))
	decision := o.evaluate(course, &req, event, today)
	if decision.Outcome == catalog.Refuse {
		// A refusal because a question was left blank belongs beside that
		// question: answering it may be all that is needed.
		if blank := catalog.BlankRefusals(course.Rules, req.Answers, event.Days[0].Date, today); len(blank) > 0 {
			ferr := FormError{}
			for key, msg := range blank {
				ferr[AnswerField(key)] = msg
			}
			return nil, ferr
		}
		return nil, &RefusedError{Reasons: decision.Reasons}
	}

	var res Result
	// The request is taken in its date's next batch (groupcommit.go):
	// fn runs in a transaction that already holds the date's lock, with
	// what the batch knows of the date in ds, and adds its rows to ds
	// for the batch to write together (batchwrites.go).
	err := s.bookBatched(ctx, event.ID, req.Email, func(ctx context.Context, tx *sql.Tx, ds *dateState) error {
		// This may run twice (a batch that runs again with savepoints):
		// each run starts from what the request brought, not from what an
		// earlier run judged it against.
		course, req, decision := course, req, decision
		res = Result{}
		st := ds.store
		ev := ds.ev
		// Re-check what may have changed since the event was read, in
		// this run's own copy of the date.
		current := *event
		event := &current
		event.Status, event.Capacity, event.StartsAt = ev.status, ev.capacity, ev.startsAt
		if ev.version != event.Version || ev.courseVersion != course.Version {
			// A save changed the date or its course between the page's
			// read (or the cache's, catalog.Store.EventRecent) and this
			// lock, and told only the people booked then: book against
			// the course and date as they now are, so this person's
			// e-mail and calendar say what is true and the rules judge
			// the real date. Read once per batch.
			cur := ds.shared.current
			if cur == nil {
				c, e, err := s.catalog.WithTx(tx).Event(ctx, event.ID)
				if err != nil {
					return err
				}
				cur = &currentEvent{course: c, event: e}
				ds.shared.current = cur
			}
			course, event = &cur.course, &cur.event // the batch's, read only
			req = asked                             // the current course may ask what the one read did not
			if ferr := o.checkRequest(&req, course, event); ferr != nil {
				return ferr
			}
			decision = o.evaluate(course, &req, event, catalog.DateOf(now.In(event.Location())))
			if decision.Outcome == catalog.Refuse {
				return &RefusedError{Reasons: decision.Reasons}
			}
		}
		if err := open(course, event, now); err != nil {
			return err
		}
		existing, err := Booking{}, error(ErrNotFound)
		if key := emailKey(req.Email); ds.mayHaveBooking(key) {
			var ok bool
			if existing, ok = ds.pendingActive(key); ok {
				err = nil
			} else {
				existing, err = st.activeByEmail(ctx, event.ID, req.Email)
			}
		}
		if err == nil && o.byHand {
			return FormError{"email": fmt.Sprintf("This person already has a booking on this date (booking %d, %s).",
				existing.ID, strings.ToLower(existing.Status.Label()))}
		}
		if err == nil {
			res.Existing, res.Booking = true, existing
			token, hash := secret.New()
			ds.addToken(existing.ID, hash, now)
			return s.notify(ctx, tx, mailAlreadyBooked, *course, *event, existing, token)
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}

		b := Booking{
			EventID: event.ID, Name: req.Name, Email: req.Email, Organisation: req.Organisation, Role: req.Role,
			RegistrationNumber: req.RegistrationNumber, AccessNeeds: req.AccessNeeds, SystemChecked: req.SystemChecked,
			NeedsReview: decision.Outcome == catalog.Review, ReviewReason: strings.Join(decision.Reasons, "\n"),
			Notes: decision.Notes, Answers: req.Answers, FeeTier: req.FeeTier, PONumber: req.PONumber,
			Payment: NoPayment, CreatedAt: now, UpdatedAt: now,
		}
		if f, ok := feeTier(course, req.FeeTier); ok {
			b.Amount, b.Currency = f.Amount, f.Currency
		}
		kind := mailConfirmed
		switch {
		// Places are counted (ds.held) only on a date with a limit. A
		// booking by hand past it is never put on the waiting list.
		case event.Capacity == 0 || ds.held < event.Capacity || o.IgnoreCapacity:
			if err := s.admitIn(ctx, ds.nextInvoice, &b, now); err != nil {
				return err
			}
			if b.Status == PendingReview {
				kind = mailPendingReview
			}
		case course.Waitlist:
			b.Status, kind = Waitlisted, mailWaitlisted
		default:
			return ErrEventFull
		}
		if b.ID, err = ds.newBookingID(ctx, ds.left); err != nil {
			return err
		}
		// The counts move with the booking: the batch's next request (and
		// a waiting-list position, which is the queue's length) sees it.
		// Within the date's lock ids grow, so the new booking is last.
		if b.Status == Waitlisted {
			ds.waiting++
			b.WaitPosition = ds.waiting
		} else if b.Status.HoldsPlace() {
			ds.held++
		}
		who := actor
		if who.Kind == audit.Participant && who.ID == 0 {
			who.ID = b.ID
		}
		if err := ds.addBooking(b, audit.Entry{At: now, Actor: who, Action: actionCreate, Object: "booking", ObjectID: b.ID,
			Reason: reason}); err != nil {
			return err
		}
		token, hash := secret.New()
		ds.addToken(b.ID, hash, now)
		res.Booking, res.Token, res.ReviewReasons = b, token, b.ReviewReasons()
		if o.NoEmail {
			return nil
		}
		return s.notify(ctx, tx, kind, *course, *event, b, token)
	})
	if err != nil {
		return nil, fmt.Errorf("booking: book event %d: %w", req.EventID, err)
	}
	return &res, nil
}

// bookable says whether the event takes bookings at now.
func bookable(c *catalog.Course, e *catalog.Event, now time.Time) error {
	switch {
	case c.Status != catalog.Published:
		return ErrEventUnavailable
	case e.Status == catalog.Cancelled:
		return ErrEventCancelled
	case e.Status == catalog.Completed:
		return ErrClosed
	case !now.Before(ClosesAt(*c, *e)):
		return ErrClosed
	}
	return nil
}

// ClosesAt is when bookings for the event close.
func ClosesAt(c catalog.Course, e catalog.Event) time.Time {
	return e.StartsAt.Add(-time.Duration(c.BookingClosesHours) * time.Hour)
}

// admit gives b a place: confirmed, or pending review when the rules asked
// for a coordinator's look. A paid place is invoiced at once.
func (s *Service) admit(ctx context.Context, tx *sql.Tx, b *Booking, now time.Time) error {
	return s.admitIn(ctx, s.store.withTx(tx).nextInvoiceNumber, b, now)
}

// admitIn is admit with the invoice numbers given by next (a batch's
// own).
func (s *Service) admitIn(ctx context.Context, next func(context.Context) (int64, error), b *Booking, now time.Time) error {
	if b.NeedsReview {
		b.Status = PendingReview
		return nil
	}
	b.Status, b.ConfirmedAt = Confirmed, now
	if b.Amount > 0 && b.InvoiceNumber == 0 {
		n, err := next(ctx)
		if err != nil {
			return err
		}
		b.InvoiceNumber, b.Payment = n, Invoice
	}
	return nil
}

// Calendar is the working-day calendar the service counts with: the
// staff area flags dates that fall on a region's bank holiday with it.
func (s *Service) Calendar() *workdays.Calendar { return s.workdays }
