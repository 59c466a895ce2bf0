package certificates

import "context"

// Completion is one booking that completed a date, as the register and
// the course's completion rule say. It is what a certificate is issued
// for.
type Completion struct {
	BookingID int64
	EventID   int64
	// Name and Email are the person's as they asked for them on the
	// booking.
	Name, Email string
	// CPDMinutes is the teaching time of the date that counts for CPD
	// (breaks, lunch and registration excluded).
	CPDMinutes int
}

// Completions says who completed a date. The register implements it;
// certificates are issued from it.
type Completions interface {
	Completed(ctx context.Context, eventID int64) ([]Completion, error)
	// Taken reports whether the date's register is complete: every
	// booking on it marked on every day (what Close asks for). Until it
	// is, a person not in Completed may simply not be marked yet.
	Taken(ctx context.Context, eventID int64) (bool, error)
}
