// Package booking owns people's places on events: taking a booking
// (checking the form, the course's eligibility rules and the event's
// capacity in one transaction that locks the event), the fair waiting list
// (first come, first served; offers that lapse pass to the next person),
// self-service through a secret manage link, invoice numbers for paid
// courses, and the e-mails each change sends (mail/: one layout and
// partials; Mail renders them for the outbox, outside the event's lock).
// Nothing here ever puts more people on an event than it has places.
package booking
