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
		{"GET /events/{id}/book", s.bookingNew},
		{"POST /events/{id}/book", s.limit(s.bookingCreate)},
		{"GET /bookings/{token}", s.bookingShow},
		{"GET /bookings/{token}/cancel", s.bookingCancelConfirm},
		{"POST /bookings/{token}/cancel", s.limit(s.bookingCancel)},
		{"POST /bookings/{token}/accept", s.limit(s.bookingAccept)},
		{"POST /bookings/{token}/decline", s.limit(s.bookingDecline)},
		{"POST /bookings/{token}/details", s.limit(s.bookingDetailsUpdate)},
		{"GET /admin/mail", s.adminOnly(s.adminMailList)},
		{"GET /admin/mail/{id}", s.adminOnly(s.adminMailShow)},
		{"GET /admin/mail/{id}/html", s.adminOnly(s.adminMailHTML)},
		{"GET /admin/mail/{id}/attachments/{n}", s.adminOnly(s.adminMailAttachment)},
		{"GET /system-check", s.systemCheck},
		{"GET /privacy", s.privacyShow},
		{"GET /robots.txt", s.robotsTxt},
		{"GET /favicon.ico", s.faviconShow},
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
