package catalog

import (
	"time"

	"plenary/internal/database"
)

// Store reads and writes the catalogue.
type Store struct {
	db *database.DB
	q  database.Querier
}

// NewStore returns a Store on db.
func NewStore(db *database.DB) *Store { return &Store{db: db, q: db} }

// Filter narrows the catalogue listing. Empty fields match everything.
type Filter struct {
	Topic  string // matched case-insensitively
	Format Format // courses with at least one upcoming event of this format
	// Drafts includes unpublished courses (for staff and the CLI).
	Drafts bool
}

// Listing is a course as the catalogue shows it: the course (with topics
// and fees, without events) and its upcoming events in start order.
type Listing struct {
	Course   Course
	Upcoming []Event
}

// SaveResult says what Save did, for the person running an import.
type SaveResult struct {
	Created bool // the course is new
	Changed bool // any field of the course itself, its fees, topics or questions changed
	// Events by ref.
	EventsAdded     []string
	EventsChanged   []EventChange // participant-visible changes; the version went up
	EventsUnchanged []string
	// EventsKept are events in the database that the saved course did not
	// list. They are left as they are: an import never removes a date
	// that people may have booked.
	EventsKept []string
}

// EventChange is a participant-visible change to one event.
type EventChange struct {
	Ref     string
	EventID int64
	Version int // the new version
	Changes []Change
}

// Change is one participant-visible difference, old → new, in words.
type Change struct {
	Field string // e.g. "Date", "Times", "Format", "Venue", "Joining link"
	Old   string
	New   string
}

var _ = time.Now
