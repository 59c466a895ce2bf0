package web

import (
	"net/http"
	"net/url"
)

// A Route is one pattern of an audience's routes.go and its handler.
type Route struct {
	// Pattern is a ServeMux pattern: "GET /courses/{slug}".
	Pattern string
	Handler http.HandlerFunc
	// Private pages show what only their owner may see (the dev
	// mailbox): every response under the pattern's literal path is
	// no-store, sends no referrer and asks not to be indexed.
	Private bool
	// SecretPath is for paths that are themselves a secret (a manage
	// link's token): Private, and the log shows the route pattern
	// instead of the path.
	SecretPath bool
	// MailClientPost exempts this one POST from the cross-origin check:
	// the RFC 8058 one-click unsubscribe, which a mail provider's server
	// (no Origin header: allowed anyway) or a webmail page in a browser
	// (Sec-Fetch-Site: cross-site: refused without this) makes. Only for
	// a route whose path carries its own secret and that needs no cookie.
	MailClientPost bool
	// MaxBody raises the request size limit (MaxBodyBytes) for this
	// route: a file upload. 0 keeps the limit.
	MaxBody int64
}

// A Section is one audience's part of Plenary (the public site, the staff
// area, the API): its routes, declared in its routes.go.
type Section interface {
	Routes() []Route
}

// Handler returns every route of the kit (static files, /healthz,
// /metrics, the 404 page for everything else) and of sections, wrapped in
// recovery, logging and metrics, security headers, cross-origin
// protection for state changes and a request size limit. Two routes with
// the same pattern are a programming error: Handler panics, at start.
func (s *Server) Handler(sections ...Section) http.Handler {
	mux := http.NewServeMux()
	routes := []Route{
		{Pattern: "GET /static/{hash}/{name...}", Handler: s.staticFile},
		{Pattern: "GET /healthz", Handler: s.healthz},
		{Pattern: "GET /metrics", Handler: s.metricsShow},
		{Pattern: "/", Handler: s.NotFound},
	}
	for _, sec := range sections {
		routes = append(routes, sec.Routes()...)
	}
	cop := http.NewCrossOriginProtection()
	large := map[string]int64{}
	for _, rt := range routes {
		if rt.MaxBody > MaxBodyBytes {
			large[rt.Pattern] = rt.MaxBody
		}
		if rt.MailClientPost {
			cop.AddInsecureBypassPattern(rt.Pattern)
		}
		if rt.Private || rt.SecretPath {
			s.paths.private.add(rt.Pattern)
		}
		if rt.SecretPath {
			s.paths.secret.add(rt.Pattern)
		}
		mux.Handle(rt.Pattern, rt.Handler)
	}

	cop.SetDenyHandler(http.HandlerFunc(s.forbidden))
	if origin := s.origin(); origin != "" {
		// Behind a proxy that rewrites Host, a browser without
		// Sec-Fetch-Site is still recognised as coming from the site.
		if err := cop.AddTrustedOrigin(origin); err != nil {
			s.log.Warn("cross-origin protection: base URL not trusted", "origin", origin, "error", err)
		}
	}
	return s.observe(s.securityHeaders(cop.Handler(limitBody(mux, large))))
}

// origin is the scheme and host of the base URL, or "".
func (s *Server) origin() string {
	u, err := url.Parse(s.baseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
