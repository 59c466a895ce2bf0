// Package certificates owns what happens after a date is taught: the
// register (who was present, per day and per session, by hand or from a
// meeting provider's participant report), completion as the course
// defines it, CPD hours computed from the agenda's teaching items, and
// the CPD certificates themselves — PDFs with a verification code and a
// QR code linking to /verify/{code}, reissued when a name is corrected
// and revoked with a reason.
//
// It reads bookings (booking) and courses and dates (catalog); booking
// and catalog never import it.
package certificates
