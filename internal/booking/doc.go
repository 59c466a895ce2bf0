// Package booking owns people's places on events: taking a booking
// (checking the form, the course's eligibility rules and the event's
// capacity in one transaction that locks the event), the fair waiting list
// (first come, first served; offers that lapse pass to the next person),
// self-service through a secret manage link, invoice numbers for paid
// courses, and the e-mails each change sends (mail/: one layout and
// partials; Mail renders them for the outbox, outside the event's lock).
// Nothing here ever puts more people on an event than it has places.
//
// Bookings into one date are taken in batches (groupcommit.go): one
// transaction under the date's lock admits everyone queued, in arrival
// order, and writes their rows together at its end (batchwrites.go); one
// person's error never fails another's booking.
//
// The Service is the only door: the site, the CLI and later the staff area
// and the API call its methods, never SQL of their own. Its files follow
// the kinds of call: service.go (Book), manage.go (what a participant does
// through the manage link), desk.go (what the course team decides),
// waitlist.go (filling places, lapsing offers), retention.go (erasing
// access needs), places.go (read models), notices.go and joining.go (the
// catalogue's save hook and timed mail), attention.go (what needs the
// team). All SQL sits in store.go, but for what a batch of bookings gives
// out under its lock (booking IDs, invoice numbers: batchwrites.go);
// status lists in SQL are built from the Status constants.
//
// Every call that changes a booking says who acted (an audit.Actor) and
// writes an audit entry in the change's own transaction.
//
// booking owns the bookings, booking_answers, booking_tokens and
// invoice_counter tables and reads events under their lock. It asks
// messaging about mail through messaging's API (Deliveries, OfKind,
// FailingSubjects, Failing), naming a booking by SubjectRef and its
// messages by dedupe keys that only refs.go spells out.
package booking
