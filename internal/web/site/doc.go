// Package site is Plenary's public site: the catalogue, course pages,
// calendar files, the booking form, the manage link's pages, the system
// check, cookies, privacy, robots.txt and the favicon. routes.go lists
// every route; there is one file of handlers per resource, and the page
// templates and partials the site alone uses sit in templates/. The
// layout, the error pages, middleware, the page cache, the rate limit and
// static files come from the shared kit in package web.
//
// Pages are rendered from typed page data that embeds web.Base. Nothing
// that is private to booked participants (an online meeting's link, ID or
// passcode) is ever put into public page data: handlers copy what a page
// shows into small view structs (views.go) instead of handing templates
// the domain types.
//
// Booking (bookings.go) and self-service through a manage link
// (manage.go) sit on booking.Service. A manage link's token is the whole
// key to a booking: its routes are SecretPath, so their pages are
// no-store and send no referrer and the log shows their route pattern
// rather than their path, and their POSTs are rate-limited per client, as
// booking is. Errors are answered through the kit's one table (web.Error,
// web.ProblemOf): a handler says which error happened, not which status
// and words go with it.
//
// site imports the kit and the domain packages; nothing imports site but
// cmd/plenary (and bench).
package site
