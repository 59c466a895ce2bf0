package web

import "net/http"

// Handler returns the site: every route, wrapped in recovery, logging and
// metrics, security headers, cross-origin protection for state changes
// and a request size limit.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"GET /{$}", s.courseList},
		{"GET /courses/{slug}", s.courseShow},
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
	return s.observe(s.securityHeaders(cop.Handler(limitBody(mux))))
}
