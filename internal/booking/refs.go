package booking

import (
	"strconv"
	"strings"
)

// How booking names its things to messaging. Messaging stores a subject
// reference and a dedupe key with each message and knows nothing of what
// they mean; these two functions are the only places their format is
// written (migration 0009 spelled SubjectRef once, to convert old rows).

// SubjectRef is the subject reference of the messages about a booking,
// "booking/42": how booking asks messaging about a booking's mail, and how
// `plenary messages -booking` filters.
func SubjectRef(bookingID int64) string { return "booking/" + strconv.FormatInt(bookingID, 10) }

// BookingOfSubject returns the booking a message's subject reference
// names; ok is false for a message about something else, or nothing.
func BookingOfSubject(ref string) (id int64, ok bool) {
	s, found := strings.CutPrefix(ref, "booking/")
	if !found {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// subjectRefs is SubjectRef of each booking.
func subjectRefs(list []Booking) []string {
	out := make([]string, len(list))
	for i, b := range list {
		out[i] = SubjectRef(b.ID)
	}
	return out
}

// mailKey is the dedupe key of one of booking's messages:
// "<prefix>/<booking>" and then the parts that make it once-only (the
// event's version, a staff address, a token's hash), as in
// "joining/42/3". A key once used is never queued again, so a key's shape
// must never change for a message that may already have gone.
func mailKey(prefix string, bookingID int64, parts ...string) string {
	return strings.Join(append([]string{prefix, strconv.FormatInt(bookingID, 10)}, parts...), "/")
}
