// Package admin is the staff area, under /admin: its routes (routes.go),
// handlers and page templates, on the shared kit in package web.
//
// It owns the staff side of signing in: the session cookie
// (web.SessionCookie, HttpOnly, SameSite=Lax, Path=/admin, Secure behind
// https; the page cache steps aside for it) and the middleware that reads
// it through account.Service.SessionByToken (session.go); the sign-in and
// sign-out pages and the first page, /admin (login.go); password reset by
// e-mail, whose e-mail (mail/) it renders and queues through the
// messaging outbox (reset.go); and the dev mailbox (mail.go), read-only,
// off unless turned on (PLENARY_DEV_MAILBOX, or serve -demo without SMTP);
// and the "needs attention" page, /admin/attention (attention.go), which
// shows booking.Service.Attention read-only to staff with bookings:read;
// and the course editor, /admin/courses (courses.go), which saves through
// catalog.Store.Save, the one save path, based on the version it opened.
//
// Every route is declared in routes.go with what it needs: public (the
// sign-in and reset pages), any session, or one account.Permission
// (pm: site-wide for now; pages of one course come with the desk). guard sends
// anonymous requests to /admin/login?next=… and answers a session without
// the permission with the 403 page; every page is private (no-store, no
// referrer). TestRouteAccess requests every route as every role.
//
// Handlers call the account service (and, as the back office grows, the
// same domain methods as the site and the API), say who acted (the
// session's user.Actor()), and answer errors through the kit's one table
// (web.Error), never with the error's own text.
//
// admin imports the kit and the domain packages (account, booking,
// catalog, messaging);
// nothing imports admin but cmd/plenary.
package admin
