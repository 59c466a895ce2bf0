package catalog

import (
	"errors"
	"time"
)

// Sentinel errors returned by the store.
var (
	ErrNotFound = errors.New("catalog: not found")
)

// Status says whether a course is shown on the public site.
type Status string

// Course statuses.
const (
	Draft     Status = "draft"
	Published Status = "published"
)

// Format is how an event is delivered.
type Format string

// Event formats.
const (
	Online   Format = "online"
	InPerson Format = "in_person"
	Hybrid   Format = "hybrid"
)

// Formats lists every format, in the order they are offered.
var Formats = []Format{Online, InPerson, Hybrid}

// Label is the format as people read it.
func (f Format) Label() string {
	switch f {
	case Online:
		return "Online"
	case InPerson:
		return "In person"
	case Hybrid:
		return "Hybrid (in person or online)"
	}
	return string(f)
}

// EventStatus is where an event stands.
type EventStatus string

// Event statuses.
const (
	Scheduled EventStatus = "scheduled"
	Changed   EventStatus = "changed"
	Cancelled EventStatus = "cancelled"
	Completed EventStatus = "completed"
)

// AgendaKind classifies an agenda item.
type AgendaKind string

// Agenda item kinds.
const (
	Registration AgendaKind = "registration"
	Teaching     AgendaKind = "teaching"
	Break        AgendaKind = "break"
	Lunch        AgendaKind = "lunch"
	Plenary      AgendaKind = "plenary"
	Other        AgendaKind = "other"
)

// AgendaKinds lists every agenda kind.
var AgendaKinds = []AgendaKind{Registration, Teaching, Break, Lunch, Plenary, Other}

// QuestionKind is the kind of answer an eligibility question takes.
type QuestionKind string

// Question kinds.
const (
	TextAnswer QuestionKind = "text"
	DateAnswer QuestionKind = "date"
	YesNo      QuestionKind = "yes_no"
)

// Course is what is taught. Long texts are Markdown.
type Course struct {
	ID      int64
	Slug    string
	Title   string
	Summary string // one or two plain sentences for the catalogue
	Status  Status

	About         string // Markdown: what the course covers
	Audience      string // Markdown: who it is for
	Aims          string // Markdown: what participants will be able to do
	Prerequisites string // Markdown: what they must have done first
	Delivery      string // Markdown: how it runs (teaching style, materials)
	// CancellationTerms is Markdown shown on the booking's manage page
	// when the person cancels or asks to move.
	CancellationTerms string

	// JoiningLeadDays is how many working days before the first day the
	// joining instructions are sent.
	JoiningLeadDays int
	// ReminderDaysBefore is how many calendar days before the first day
	// a reminder is sent, at the install's joining time; 0 sends none
	// (0–60).
	ReminderDaysBefore int

	// CompletionPercent is what counts as completing a date (the course
	// file's completion:): 0 means every day present ("all-days"; late
	// and left early count as present, excused does not); 1–100 means
	// at least that per cent of the date's teaching minutes attended.
	CompletionPercent int

	// FeedbackURL is the course's feedback form (the course file's
	// feedback_url), linked from the thank-you e-mail after a date; ""
	// is none. An http:// or https:// address.
	FeedbackURL string

	// Booking settings. A course file that leaves them out gets a waiting
	// list, confirm-at-once offers and bookings open until the start; a
	// Course built in Go starts with Waitlist false.

	// Waitlist says whether people can join a waiting list when an event
	// is full.
	Waitlist bool
	// OfferHoldHours is how long a place that comes free is held for the
	// first person waiting: 0 confirms them at once; more offers them the
	// place for that many hours (0–168).
	OfferHoldHours int
	// BookingClosesHours is how many hours before the start of the first
	// day bookings close: 0 means at the start (0–720).
	BookingClosesHours int

	Topics    []string
	Fees      []FeeTier // empty for a free course
	Questions []Question
	// Rules decide eligibility from the answers to Questions; see
	// Evaluate.
	Rules  []Rule
	Events []Event // in start order when loaded from the store

	// Version is 1 when the course is created and one more after every
	// save that changes it or any of its events. An editor passes the
	// version it started from (SaveOptions.BasedOn) so that its save
	// never overwrites a change it did not see. Course files do not carry
	// it.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Free reports whether the course costs nothing.
func (c Course) Free() bool {
	for _, f := range c.Fees {
		if f.Amount > 0 {
			return false
		}
	}
	return true
}

// FeeTier is one price for a course, in minor units of its currency.
type FeeTier struct {
	Name     string
	Amount   int64 // minor units: pence for GBP
	Currency string
}

// Question is an eligibility question asked when booking. Key is stable and
// names the form field (answer_<key>) and the answer in rules.
type Question struct {
	Key      string
	Label    string
	Kind     QuestionKind
	Required bool
	Help     string
}

// Event is one scheduled delivery of a course.
type Event struct {
	ID       int64
	CourseID int64
	// Ref identifies the event within its course file, so that a
	// re-import updates it even when its dates move.
	Ref      string
	TimeZone string // IANA name, e.g. Europe/London
	// Region names whose bank holidays count when working days are
	// counted back from the event (workdays.Region, e.g. "scotland");
	// empty means the install's default region.
	Region   string
	Format   Format
	Status   EventStatus
	Version  int
	Capacity int // places; 0 means no limit
	Venue    Venue
	Meeting  Meeting // private until joining instructions are released
	Days     []Day

	StartsAt  time.Time // UTC, derived from Days
	EndsAt    time.Time // UTC, derived from Days
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Offers reports whether a person can attend the event in format f: a
// hybrid event offers both online and in-person places.
func (e Event) Offers(f Format) bool {
	return e.Format == f || (e.Format == Hybrid && (f == Online || f == InPerson))
}

// Venue is where an in-person event happens.
type Venue struct {
	Name    string
	Address string // several lines allowed
	// Directions say how to get there and in (entrance, parking,
	// nearest station); several lines, sent with the joining
	// instructions.
	Directions string
}

// Meeting holds the online meeting details. They are never shown on public
// pages.
type Meeting struct {
	Provider string // e.g. Zoom
	JoinURL  string
	ID       string
	Passcode string
}

// Day is one day of an event, in the event's zone.
type Day struct {
	Date   Date
	Start  Clock
	End    Clock
	Agenda []AgendaItem
}

// AgendaItem is one part of a day. End may be zero for items that have
// only a start (registration opens at 09:30).
type AgendaItem struct {
	Kind  AgendaKind
	Start Clock
	End   Clock
	Title string
}

// HasEnd reports whether the item has an end time.
func (a AgendaItem) HasEnd() bool { return a.End.Valid }
