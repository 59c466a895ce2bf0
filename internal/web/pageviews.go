package web

import (
	"net/http"
	"strings"
)

// Page views are counted on the server, in the page's own request, for
// visitors who accepted analytics cookies (Options.CountView): nothing is
// sent by the browser, no cookie of its own is set, and a visitor who did
// not accept is not counted at all. Counted wraps the page cache, not the
// other way round, so a page served from the cache is counted too.

// mayCount reports whether r is a request whose view may be counted: a
// counter is configured, the visitor accepted analytics cookies, the
// request carries no staff session (staff looking at the site are not
// visitors), and the page is not the staff area's or a manage link's.
func (s *Server) mayCount(r *http.Request) bool {
	return s.countView != nil && ConsentOf(r) == ConsentAccept && !signedIn(r) &&
		!s.paths.private.match(r.URL.Path) &&
		r.URL.Path != "/admin" && !strings.HasPrefix(r.URL.Path, "/admin/")
}

// Counted serves next and counts a view of the request's path (its
// query left out) when the page answered 200 to a GET by a visitor who
// may be counted (see mayCount). HEAD requests, errors and redirects are
// not views.
func (s *Server) Counted(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !s.mayCount(r) {
			next(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w}
		next(sw, r)
		if sw.status == http.StatusOK {
			s.countView(r.URL.Path, r.Referer())
		}
	}
}

// CountView counts a view of path for r, if r may be counted: for a step
// that is not a page of its own, such as a booking made
// ("/events/{id}/booked").
func (s *Server) CountView(r *http.Request, path string) {
	if s.mayCount(r) {
		s.countView(path, r.Referer())
	}
}
