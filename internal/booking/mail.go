package booking

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/secret"
)

// mailFiles are the booking e-mails: mail/layout.{txt,html} is the shell
// every e-mail shares, mail/partials the details table and the links,
// mail/<kind>.{txt,html} each e-mail's subject and blocks (see
// messaging.Templates).
//
//go:embed mail
var mailFiles embed.FS

// mailKind names a booking e-mail; it is also the template's name and the
// first part of the message's dedupe key.
type mailKind string

const (
	mailConfirmed      mailKind = "booking_confirmed"
	mailPendingReview  mailKind = "booking_pending_review"
	mailWaitlisted     mailKind = "booking_waitlisted"
	mailOffered        mailKind = "booking_offered"
	mailMovedUp        mailKind = "booking_moved_up"
	mailOfferLapsed    mailKind = "booking_offer_lapsed"
	mailCancelled      mailKind = "booking_cancelled"
	mailReviewDeclined mailKind = "booking_review_declined"
	mailAlreadyBooked  mailKind = "booking_already_booked"
	mailMoved          mailKind = "booking_moved"           // a coordinator moved the booking to another date (move.go)
	mailOfferWithdrawn mailKind = "booking_offer_withdrawn" // a coordinator passed the offer to someone else (desk.go)
)

// Notices about the event rather than the booking; their templates are
// mail/<kind>.txt and .html like the rest, their dedupe keys are
// documented on each (see docs/notices.md).
const (
	mailJoining        mailKind = "joining"
	mailEventChanged   mailKind = "event_changed"
	mailEventCancelled mailKind = "event_cancelled"
	mailReminder       mailKind = "reminder"
	mailThanks         mailKind = "thanks"
	mailThanksMissed   mailKind = "thanks_missed" // the register says the person did not complete the date (thanks.go)
)

// mailKinds lists every booking e-mail; each has a template pair.
var mailKinds = []mailKind{mailConfirmed, mailPendingReview, mailWaitlisted, mailOffered, mailMovedUp,
	mailOfferLapsed, mailCancelled, mailReviewDeclined, mailAlreadyBooked, mailMoved,
	mailJoining, mailEventChanged, mailEventCancelled, mailReminder, mailThanks, mailThanksMissed, mailReviewWaiting, mailDigest,
	mailStaffMessage, mailOfferWithdrawn}

// mailAbout is what every e-mail about booking b says of the person,
// the course and the date: name, status, course title and page, the
// date, its format and length, and each day's times in the date's zone.
func (s *Service) mailAbout(c catalog.Course, e catalog.Event, b Booking) mailData {
	loc := e.Location()
	d := mailData{Name: b.Name, Status: b.Status.Label(), CourseTitle: c.Title,
		CourseURL: s.baseURL + "/courses/" + url.PathEscape(c.Slug), Dates: e.DateLabel(), Format: e.Format.Label(),
		Duration: e.DurationLabel()}
	for _, day := range e.Days {
		start, _ := day.Span(loc)
		d.Times = append(d.Times, start.Format("Mon 2 Jan")+": "+day.TimeRange(loc))
	}
	return d
}

// MailKinds lists the kinds of every booking e-mail, as messages carry
// them (messaging.Message.Kind): for the mail log's labels.
func MailKinds() []string {
	out := make([]string, len(mailKinds))
	for i, k := range mailKinds {
		out[i] = string(k)
	}
	return out
}

// Mail renders the booking e-mails from their templates, parsed once. It
// is the outbox's messaging.Renderer for them: booking queues each e-mail
// with its data (a mailMessage, as JSON) inside the transaction that
// holds the date's lock, and the e-mail is rendered when it is sent or
// read, outside that lock.
type Mail struct {
	templates *messaging.Templates
}

// NewMail parses the booking e-mails and renders each with empty data,
// so a broken template stops Plenary at start.
func NewMail() (*Mail, error) {
	dir, err := fs.Sub(mailFiles, "mail")
	if err != nil {
		return nil, fmt.Errorf("booking: mail: %w", err)
	}
	pages := map[string]func() any{}
	for _, k := range mailKinds {
		pages[string(k)] = func() any { return mailData{} }
	}
	t, err := messaging.ParseTemplates(dir, pages)
	if err != nil {
		return nil, fmt.Errorf("booking: %w", err)
	}
	return &Mail{templates: t}, nil
}

// mailMessage is what a queued booking e-mail stores (Message.Data): the
// templates' data and, for an e-mail with a calendar file, what the file
// is made from. Everything is fixed when the e-mail is queued — the
// calendar file's DTSTAMP included — so the e-mail reads the same
// whenever it is rendered.
type mailMessage struct {
	Data     mailData
	Calendar *mailCalendar `json:",omitempty"`
	// Withdrawn is a second calendar file that cancels an entry sent
	// before: the old date of a moved booking.
	Withdrawn *mailCalendar `json:",omitempty"`
}

// mailCalendar is the calendar file of an e-mail: an invitation to the
// booking's person (the attendee) from the site's sender (the organiser).
type mailCalendar struct {
	Course  calendarCourse
	Event   catalog.Event // the meeting's way in only when the file carries it
	Options catalog.CalendarOptions
}

// calendarCourse is what a calendar file shows of its course. (E-mails
// queued before it was its own type stored a whole catalog.Course, whose
// other fields were empty: they read back the same.)
type calendarCourse struct {
	ID    int64
	Slug  string
	Title string
}

// course is the catalog.Course that catalog.Calendar draws from.
func (c calendarCourse) course() catalog.Course {
	return catalog.Course{ID: c.ID, Slug: c.Slug, Title: c.Title}
}

// RenderMessage renders the booking e-mail of kind from data (a
// mailMessage); it implements messaging.Renderer.
func (m *Mail) RenderMessage(kind string, data []byte) (messaging.Content, error) {
	var mm mailMessage
	if err := json.Unmarshal(data, &mm); err != nil {
		return messaging.Content{}, fmt.Errorf("booking: mail %s: %w", kind, err)
	}
	c, err := m.templates.Render(kind, mm.Data)
	if err != nil {
		return c, fmt.Errorf("booking: %w", err)
	}
	if cal := mm.Calendar; cal != nil {
		c.Attachments = append(c.Attachments, messaging.Attachment{
			Filename:    cal.Course.Slug + ".ics",
			ContentType: "text/calendar; charset=utf-8; method=" + cal.Options.Method,
			Data:        catalog.Calendar(cal.Course.course(), cal.Event, cal.Options),
		})
	}
	if cal := mm.Withdrawn; cal != nil {
		c.Attachments = append(c.Attachments, messaging.Attachment{
			Filename:    cal.Course.Slug + "-cancelled.ics",
			ContentType: "text/calendar; charset=utf-8; method=" + cal.Options.Method,
			Data:        catalog.Calendar(cal.Course.course(), cal.Event, cal.Options),
		})
	}
	return c, nil
}

// mailMessageData encodes what a queued e-mail stores.
func mailMessageData(d mailData, cal *mailCalendar) ([]byte, error) {
	return mailMessageJSON(mailMessage{Data: d, Calendar: cal})
}

func mailMessageJSON(mm mailMessage) ([]byte, error) {
	data, err := json.Marshal(mm)
	if err != nil {
		return nil, fmt.Errorf("mail data: %w", err)
	}
	return data, nil
}

// mailData is what the booking e-mail templates see. It is stored with
// every queued e-mail (as JSON, in the booking's transaction), so fields
// an e-mail leaves empty are left out of it (omitzero): most of them are
// for other kinds of e-mail, and read back as the same zero.
type mailData struct {
	Name           string   `json:",omitzero"`
	Status         string   `json:",omitzero"`
	CourseTitle    string   `json:",omitzero"`
	CourseURL      string   `json:",omitzero"`
	ManageURL      string   `json:",omitzero"`
	SystemCheckURL string   `json:",omitzero"`
	Dates          string   `json:",omitzero"`
	Times          []string `json:",omitzero"`
	Format         string   `json:",omitzero"`
	Venue          string   `json:",omitzero"`
	Duration       string   `json:",omitzero"`
	WaitPosition   int      `json:",omitzero"`
	OfferExpires   string   `json:",omitzero"`
	Notes          []string `json:",omitzero"`
	Fee            string   `json:",omitzero"`
	FeeTier        string   `json:",omitzero"`
	InvoiceNumber  string   `json:",omitzero"`
	PONumber       string   `json:",omitzero"`
	JoiningLead    int      `json:",omitzero"`
	Online         bool     `json:",omitzero"`

	// Joining instructions (joining, and reminder for the agenda).
	InPerson     bool      `json:",omitzero"` // the event has a room: in person or hybrid
	Provider     string    `json:",omitzero"`
	JoinURL      string    `json:",omitzero"`
	MeetingID    string    `json:",omitzero"`
	Passcode     string    `json:",omitzero"`
	VenueName    string    `json:",omitzero"`
	VenueAddress []string  `json:",omitzero"` // lines
	Directions   []string  `json:",omitzero"` // lines
	Agenda       []mailDay `json:",omitzero"`
	// Replaces says these joining instructions replace ones sent before
	// a change.
	Replaces bool `json:",omitzero"`

	// Change and cancellation notices. Changes are the public ones only:
	// joining details never appear in a notice.
	Changes []mailChange `json:",omitzero"`
	// JoiningChanged says the meeting's joining details changed (told to
	// confirmed people only); JoiningNow that new joining instructions
	// follow in their own e-mail now; JoiningAt, otherwise, when they go.
	JoiningChanged bool   `json:",omitzero"`
	JoiningNow     bool   `json:",omitzero"`
	JoiningAt      string `json:",omitzero"`
	// Late says the change came inside the minimum-notice window: the
	// participant may cancel free of charge.
	Late bool `json:",omitzero"`
	// HadPlace says the booking held a place (not only a spot on the
	// waiting list).
	HadPlace bool `json:",omitzero"`
	// Refund says what happens to the fee of a cancelled event; empty
	// when nothing was invoiced or paid.
	Refund string `json:",omitzero"`
	// CancelReason is why the date was cancelled, as the coordinator
	// gave it (event_cancelled); empty when they gave none.
	CancelReason string `json:",omitzero"`

	// ReminderDays is how many days before the event the reminder goes.
	ReminderDays int `json:",omitzero"`
	// FeedbackURL is the feedback form's address for the thank-you; empty
	// until feedback forms exist.
	FeedbackURL string `json:",omitzero"`

	// Review is a pending review: its reasons, and for the course team's
	// notice the answers and the commands that settle it (review.go).
	Review reviewMail `json:",omitzero"`

	// Digest is the daily digest of what needs attention (digest.go).
	Digest digestMail `json:",omitzero"`

	// Staff is a message written by the course team (message.go).
	Staff staffMessage `json:",omitzero"`

	// Staff actions (desk.go, move.go). StaffMessage is a coordinator's
	// message to the person with a review decision; ByStaff says the
	// course team cancelled the booking, Waived that they waived the
	// course's terms (nothing is owed), else Terms are the terms that
	// apply. MovedFrom is the old date of a moved booking.
	StaffMessage string `json:",omitzero"`
	ByStaff      bool   `json:",omitzero"`
	Waived       bool   `json:",omitzero"`
	Terms        string `json:",omitzero"`
	MovedFrom    string `json:",omitzero"`
	// Move says what the e-mail of a move carries (move.go).
	Move moveMail `json:",omitzero"`
}

// moveMail is what the e-mail of a move says it carries, so its words
// match its attachments and the invoice.
type moveMail struct {
	// Invite: a calendar invitation to the new date is attached (the
	// new booking is confirmed).
	Invite bool
	// Withdraw: a calendar file removing the old date is attached (the
	// old booking had been confirmed, so the person had one).
	Withdraw bool
	// InvoiceCarried: the invoice was issued for the old booking and
	// moves with the person; otherwise any invoice number is new.
	InvoiceCarried bool
}

// mailDay is one day of the agenda in joining instructions.
type mailDay struct {
	Heading string   // "Friday 10 June 2022, 10:00–17:00 UK time (BST)"
	Items   []string // "10:00–11:30 Establishing the focus"
}

// mailSpec says how to queue one e-mail.
type mailSpec struct {
	kind   mailKind
	dedupe string
	// calendar is the iTIP method of the calendar file attached: "" for
	// none, "REQUEST" or "CANCEL".
	calendar string
	// joining puts the meeting details in the calendar file.
	joining bool
	// fill adds what the kind needs to the common data.
	fill func(d *mailData)
	// withdraw, when set, is a second calendar file cancelling an entry
	// sent before (a moved booking's old date).
	withdraw *mailCalendar
	// sample, when set, receives a copy of the message as queued (a dry
	// run's sample notice).
	sample *messaging.Message
}

// notify queues the e-mail of kind for booking b in tx. Every e-mail
// carries a manage link: token is used when the caller has one, else a
// fresh one is made (only hashes are stored, so an old one cannot be
// reused). A booking that becomes confirmed after its event's joining
// instructions went out gets them at once, in the same transaction.
func (s *Service) notify(ctx context.Context, tx *sql.Tx, kind mailKind, c catalog.Course, e catalog.Event, b Booking, token string) error {
	return s.notifyWith(ctx, tx, kind, c, e, b, token, nil)
}

// notifyWith is notify with more for the e-mail to say (fill runs after
// the kind's own).
func (s *Service) notifyWith(ctx context.Context, tx *sql.Tx, kind mailKind, c catalog.Course, e catalog.Event, b Booking, token string,
	more func(d *mailData)) error {
	if s.outbox == nil {
		return nil
	}
	spec := mailSpec{kind: kind, dedupe: mailKey(string(kind), b.ID)}
	switch kind {
	case mailConfirmed, mailMovedUp:
		spec.calendar = "REQUEST"
	case mailCancelled:
		if !b.ConfirmedAt.IsZero() {
			spec.calendar = "CANCEL"
		}
	case mailPendingReview:
		spec.fill = func(d *mailData) { d.Review.Reasons = b.ReviewReasons() }
	case mailOffered:
		// A person may be offered a place more than once (an offer a
		// coordinator withdrew, then a new one): each offer, known by its
		// expiry, is its own e-mail.
		spec.dedupe = mailKey(string(kind), b.ID, strconv.FormatInt(b.OfferExpiresAt.Unix(), 10))
	}
	if more != nil {
		own := spec.fill
		spec.fill = func(d *mailData) {
			if own != nil {
				own(d)
			}
			more(d)
		}
	}
	if err := s.queue(ctx, tx, spec, c, e, b, token); err != nil {
		return err
	}
	if kind == mailPendingReview {
		return s.tellStaffReview(ctx, tx, c, e, b)
	}
	if (kind == mailConfirmed || kind == mailMovedUp) && b.Status == Confirmed {
		return s.joiningIfDue(ctx, tx, c, e, b, false)
	}
	return nil
}

// queue queues one e-mail for booking b in tx. It gathers the e-mail's
// data — cheap, and all of it known here — but renders nothing: the
// templates and the calendar file are rendered by Mail when the message
// is sent or read, outside the date's lock that tx holds.
func (s *Service) queue(ctx context.Context, tx *sql.Tx, spec mailSpec, c catalog.Course, e catalog.Event, b Booking, token string) error {
	if s.outbox == nil {
		return nil
	}
	now := s.now().UTC()
	ds := dateStateOf(ctx) // in a batch of bookings: its rows are written together at its end
	if token == "" {
		var hash string
		token, hash = secret.New()
		if ds != nil {
			ds.addToken(b.ID, hash, now)
		} else if err := s.store.withTx(tx).insertToken(ctx, b.ID, hash, now); err != nil {
			return err
		}
	}
	if spec.kind == mailAlreadyBooked {
		// A repeat attempt may come more than once; each mails its own link.
		spec.dedupe += "/" + secret.Hash(token)[:16]
	}
	d := s.mailAbout(c, e, b)
	d.ManageURL = s.ManageURL(token)
	d.SystemCheckURL = fmt.Sprintf("%s/system-check?event=%d", s.baseURL, e.ID)
	d.WaitPosition, d.Notes, d.FeeTier, d.InvoiceNumber = b.WaitPosition, b.Notes, b.FeeTier, b.InvoiceLabel()
	d.PONumber, d.JoiningLead = b.PONumber, c.JoiningLeadDays
	d.Online, d.InPerson = e.Format != catalog.InPerson, e.Format != catalog.Online
	if e.Venue.Name != "" {
		d.Venue = e.Venue.Name
		if addr := lines(e.Venue.Address); len(addr) > 0 {
			d.Venue += ", " + strings.Join(addr, ", ")
		}
	}
	if b.Amount > 0 {
		d.Fee = catalog.FormatMoney(b.Amount, b.Currency)
	}
	if !b.OfferExpiresAt.IsZero() {
		t := b.OfferExpiresAt.In(e.Location())
		d.OfferExpires = t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t)
	}
	if spec.fill != nil {
		spec.fill(&d)
	}
	var cal *mailCalendar
	if spec.calendar != "" {
		cal = s.calendar(c, e, spec.calendar, spec.joining, b, now)
	}
	data, err := mailMessageJSON(mailMessage{Data: d, Calendar: cal, Withdrawn: spec.withdraw})
	if err != nil {
		return err
	}
	// Every booking e-mail goes as soon as it is queued (SendDue decides
	// when timed ones are queued), so ScheduledAt is left to the outbox's
	// clock.
	m := messaging.Message{
		Kind: string(spec.kind), DedupeKey: spec.dedupe, SubjectRef: SubjectRef(b.ID),
		ToName: b.Name, ToEmail: b.Email, Data: data,
	}
	if spec.sample != nil {
		*spec.sample = m
	}
	return s.enqueue(ctx, tx, m)
}

// enqueue queues m in tx; in a batch of bookings, with the batch's other
// rows at its end when the outbox can keep it.
func (s *Service) enqueue(ctx context.Context, tx *sql.Tx, m messaging.Message) error {
	ds := dateStateOf(ctx)
	if ds != nil && ds.sends != nil {
		return ds.sends.Add(m)
	}
	if ds != nil {
		ds.wrote = true // an outbox that cannot keep it writes it now
	}
	_, _, err := s.outbox.Enqueue(ctx, tx, m)
	return err
}

// calendar is what the calendar file of an e-mail to booking b is made
// from: an invitation to b (the attendee) from the site's sender (the
// organiser), made at now. The meeting's link, ID and passcode are kept
// only when the file carries them (joining instructions).
func (s *Service) calendar(c catalog.Course, e catalog.Event, method string, joining bool, b Booking, now time.Time) *mailCalendar {
	if !joining {
		// The file names the provider; the way in stays out of storage.
		e.Meeting = catalog.Meeting{Provider: e.Meeting.Provider}
	}
	return &mailCalendar{
		Course: calendarCourse{ID: c.ID, Slug: c.Slug, Title: c.Title},
		Event:  e,
		Options: catalog.CalendarOptions{BaseURL: s.baseURL, UIDDomain: s.uidDomain, Now: now, Method: method,
			Organizer: s.organizer, Attendee: mail.Address{Name: b.Name, Address: b.Email}, Joining: joining},
	}
}

// ManageURL is the manage link for a token.
func (s *Service) ManageURL(token string) string { return s.baseURL + "/bookings/" + token }
