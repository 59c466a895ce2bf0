// Package admin is the staff area, under /admin: its routes (routes.go),
// handlers and page templates, on the shared kit in package web.
//
// Today it holds only the dev mailbox (mail.go): every e-mail the site
// has queued, kept, sent or failed, read-only, answered only to requests
// made on this machine and only when turned on (PLENARY_DEV_MAILBOX, or
// serve -demo without SMTP); to everyone else its pages are the plain 404.
//
// What comes next lives here: staff sign-in with server-side sessions
// (the session cookie is web.SessionCookie, which the page cache already
// steps aside for), roles as sets of permissions declared route by route
// in routes.go, the course editor and the booking desk. Its handlers call
// the same domain methods as the site and the API, and say who acted
// (audit.StaffMember); errors are answered through the kit's one table
// (web.Error), never with the error's own text.
//
// admin imports the kit and the domain packages; nothing imports admin
// but cmd/plenary.
package admin
