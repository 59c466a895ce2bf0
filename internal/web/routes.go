package web

import (
	"net/http"
	"net/url"
)

// Handler returns the site: every route, wrapped in recovery, logging and
// metrics, security headers, cross-origin protection for state changes
// and a request size limit.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"GET /{$}", s.pages.wrap(s.courseList)},
		{"GET /courses/{slug}", s.pages.wrap(s.courseShow)},
		{"GET /events/{file}", s.eventCalendar}, // {id}.ics
		{"GET /system-check", s.systemCheck},
		{"GET /cookies", s.cookiesShow},
		{"POST /cookies/consent", s.consentUpdate},
		{"GET /static/{hash}/{name...}", s.staticFile},
		{"GET /healthz", s.healthz},
		{"GET /metrics", s.metricsShow},
		{"/", s.notFound},
	} {
		mux.Handle(rt.pattern, rt.handler)
	}

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.forbidden))
	if origin := s.origin(); origin != "" {
		// Behind a proxy that rewrites Host, a browser without
		// Sec-Fetch-Site is still recognised as coming from the site.
		if err := cop.AddTrustedOrigin(origin); err != nil {
			s.log.Warn("cross-origin protection: base URL not trusted", "origin", origin, "error", err)
		}
	}
	return s.observe(s.securityHeaders(cop.Handler(limitBody(mux))))
}

// origin is the scheme and host of the base URL, or "".
func (s *Server) origin() string {
	u, err := url.Parse(s.baseURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
