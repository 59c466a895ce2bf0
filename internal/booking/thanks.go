package booking

import (
	"context"
	"database/sql"
	"time"

	"plenary/internal/audit"
	"plenary/internal/catalog"
)

// Thanks gives the thank-you after a date what the register knows: those
// who completed the date get it with their CPD certificate attached,
// those who did not get a different message (mail/thanks_missed). It is
// declared here, where it is used, and implemented by
// certificates.Issuer (wired in cmd/plenary/wire.go): booking never
// imports certificates. Nil: everyone gets the plain thank-you.
//
// Booking keeps the schedule, the dedupe key (thanks/<booking>, whichever
// message goes), the date's lock and the audit record
// (event.send_thanks); the certificates decide who completed and render
// the certificate's e-mail.
type Thanks interface {
	// CompletedOf returns who completed the date, by booking ID. register
	// is false when there is no register at all: everyone then gets the
	// plain thank-you. taken is true once the register is complete
	// (everyone marked on every day): only then does not being in done
	// mean "did not complete" (thanks_missed).
	CompletedOf(ctx context.Context, eventID int64) (done map[int64]bool, register, taken bool, err error)
	// QueueThanks queues, in tx, the thank-you to a booking that
	// completed the date: the certificate (issued now if it was not)
	// attached, and the feedback link when there is one. queued is false
	// when there is no valid certificate to send (revoked): booking then
	// sends its plain thank-you.
	QueueThanks(ctx context.Context, tx *sql.Tx, c catalog.Course, e catalog.Event, t ThankYou, actor audit.Actor) (queued bool, err error)
}

// ThankYou is one thank-you to queue for a booking that completed a date.
type ThankYou struct {
	BookingID   int64
	Name, Email string
	DedupeKey   string // thanks/<booking>: one thank-you per booking, whichever kind
	SubjectRef  string // booking/<id>
	FeedbackURL string // "" when the course has no feedback form
	CourseURL   string
}

// thanksWaitForRegister is how long after a date's end its thank-yous
// wait for the register to be complete: the register is taken on the
// day. A register still incomplete after it gives no verdict: those who
// completed get their certificate, everyone else the plain thank-you
// (never "did not complete" on a register only partly taken).
const thanksWaitForRegister = 24 * time.Hour
