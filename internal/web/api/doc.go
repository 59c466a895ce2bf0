// Package api is the home of Plenary's JSON API, under /api/v1: its
// routes (routes.go) and handlers, on the shared kit in package web.
//
// Today it answers GET /api/v1/health ({"status":"ok"}, or the kit's
// JSON error with code "unavailable" and status 503 when the database
// does not answer), and a JSON 404 for any other path under /api/, so
// clients never get an HTML page. It exists so the API that comes next
// (courses, dates and bookings for integrations, with API tokens and
// webhooks) has an obvious room.
//
// Its handlers call the same domain methods as the site and the staff
// area, never SQL of their own, and answer every error with the kit's
// ErrorJSON, which reads the same table as the HTML pages: a domain error
// is mapped once, in web/errors.go. Never the error's own text.
//
// api imports the kit and the domain packages; nothing imports api but
// cmd/plenary.
package api
