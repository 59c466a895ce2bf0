// Package web owns Plenary's HTTP side: the Server with its routes
// (routes.go), middleware (recovery, logging and metrics, security
// headers, cross-origin protection, body limits), one file of handlers per
// resource, and the HTML templates and static files, embedded in the
// binary and read from disk in development.
//
// Pages are rendered from typed page data that embeds base. Nothing that
// is private to booked participants (an online meeting's link, ID or
// passcode) is ever put into public page data: handlers copy what a page
// shows into small view structs instead of handing templates the domain
// types.
//
// Booking (bookings.go) and self-service through a manage link
// (manage.go) sit on booking.Service. A manage link's token is the whole
// key to a booking: its pages are no-store and send no referrer, the log
// shows their route pattern rather than their path, and their POSTs are
// rate-limited per client (ratelimit.go), as booking is. The dev mailbox
// (adminmail.go) answers only requests made on this machine.
package web
