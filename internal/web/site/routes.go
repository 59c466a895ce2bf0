package site

import "plenary/internal/web"

// Routes lists every page of the public site. Booking, manage-page,
// subscribe and confirm POSTs share the kit's per-client rate limit; the catalogue and course
// pages go through the page cache; a manage link's paths are secret.
// The public pages are Counted (outside the cache, so a cached page
// counts too): a view is recorded only for visitors who accepted
// analytics cookies. A manage link's pages are never counted.
func (s *Server) Routes() []web.Route {
	return []web.Route{
		{Pattern: "GET /{$}", Handler: s.web.Counted(s.web.Cached(s.courseList))},
		{Pattern: "GET /courses/{slug}", Handler: s.web.Counted(s.web.CachedWithSlots(s.courseShow, s.fillPlaces))},
		// The dates to subscribe to, without e-mail: no cookie, cached.
		{Pattern: "GET /courses/{slug}/dates.ics", Handler: s.web.Cached(s.courseCalendar)},
		{Pattern: "GET /courses/{slug}/dates.atom", Handler: s.web.Cached(s.courseFeed)},
		{Pattern: "GET /dates.atom", Handler: s.web.Cached(s.allFeed)},
		{Pattern: "GET /events/{file}", Handler: s.eventCalendar}, // {id}.ics
		{Pattern: "GET /events/{id}/book", Handler: s.web.Counted(s.bookingNew)},
		{Pattern: "POST /events/{id}/book", Handler: s.web.Limit(s.bookingCreate)},
		{Pattern: "GET /bookings/{token}", Handler: s.bookingShow, SecretPath: true},
		{Pattern: "GET /bookings/{token}/cancel", Handler: s.bookingCancelConfirm, SecretPath: true},
		{Pattern: "POST /bookings/{token}/cancel", Handler: s.web.Limit(s.bookingCancel), SecretPath: true},
		{Pattern: "POST /bookings/{token}/accept", Handler: s.web.Limit(s.bookingAccept), SecretPath: true},
		{Pattern: "POST /bookings/{token}/decline", Handler: s.web.Limit(s.bookingDecline), SecretPath: true},
		{Pattern: "POST /bookings/{token}/details", Handler: s.web.Limit(s.bookingDetailsUpdate), SecretPath: true},
		{Pattern: "POST /courses/{slug}/subscribe", Handler: s.web.Limit(s.subscribe)},
		{Pattern: "GET /lists/confirm/{token}", Handler: s.confirmShow, SecretPath: true},
		{Pattern: "POST /lists/confirm/{token}", Handler: s.web.Limit(s.confirm), SecretPath: true},
		{Pattern: "GET /lists/unsubscribe/{token}", Handler: s.unsubscribeShow, SecretPath: true},
		// The one-click unsubscribe (RFC 8058): no cookie, no rate limit
		// (a mail provider posts for many people from one address), and
		// exempt from the cross-origin check (see web.Route.MailClientPost).
		{Pattern: "POST /lists/unsubscribe/{token}", Handler: s.unsubscribe, SecretPath: true, MailClientPost: true},
		{Pattern: "GET /bookings/{token}/certificate", Handler: s.web.Limit(s.bookingCertificate), SecretPath: true},
		{Pattern: "GET /verify", Handler: s.web.Limit(s.verifyForm)},
		{Pattern: "GET /verify/{code}", Handler: s.web.Limit(s.verifyShow)},
		{Pattern: "GET /system-check", Handler: s.web.Counted(s.systemCheck)},
		{Pattern: "GET /privacy", Handler: s.web.Counted(s.privacyShow)},
		{Pattern: "GET /robots.txt", Handler: s.robotsTxt},
		{Pattern: "GET /favicon.ico", Handler: s.faviconShow},
		{Pattern: "GET /cookies", Handler: s.web.Counted(s.cookiesShow)},
		{Pattern: "POST /cookies/consent", Handler: s.consentUpdate},
	}
}
