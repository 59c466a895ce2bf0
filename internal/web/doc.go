// Package web is Plenary's shared HTTP kit. The audiences live in its
// sub-packages, each with its own routes.go, handlers and templates:
// site (the public site), admin (the staff area) and api (the JSON API).
// cmd/plenary builds a kit with New, builds each audience on it, and
// serves kit.Handler(site, admin, api).
//
// The kit owns what every audience shares:
//
//   - rendering (server.go, templates.go): the one layout and the
//     partials every page may use, typed page data that embeds Base, and
//     each package's pages added with AddPages, parsed once at start and
//     each rendered once with zero data so a broken page stops the
//     server, not a visitor; read from disk on every request in dev mode;
//   - one table from errors to what people are told (errors.go): Error
//     answers with a page, ErrorJSON with JSON, ProblemOf gives the words
//     to a handler that re-shows its own page. A domain error
//     (booking.ErrEventFull, catalog.ErrNotFound, a form error …) is
//     mapped there once; a browser never sees err.Error();
//   - middleware (routes.go, middleware.go): recovery, request logging
//     and metrics by route pattern, security headers, cross-origin
//     protection, a request size limit; routes marked Private or
//     SecretPath keep their responses out of caches and their secrets
//     out of the log;
//   - the per-client rate limit for form posts (ratelimit.go), the
//     micro-cache for public pages (pagecache.go), which never serves or
//     stores a request that carries the staff session cookie
//     (SessionCookie), static files under content-hashed URLs
//     (static.go), the cookie consent helpers (consent.go), /healthz and
//     /metrics (metrics.go: a token, or this machine only), and request
//     helpers such as IDParam and FromThisMachine (request.go).
//
// Imports run one way: the sub-packages import the kit, the kit imports
// the domain packages (for the error table) and never a sub-package.
package web
