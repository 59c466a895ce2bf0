package admin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"plenary/internal/account"
	"plenary/internal/web"
)

// Sessions in the browser: the cookie web.SessionCookie holds the
// session's token (the server keeps only its hash, in package account).
// It is HttpOnly, SameSite=Lax, limited to /admin, and Secure when the
// base URL is https. It has no Max-Age: the server ends the session
// (idle timeout, absolute limit, sign-out), and the browser forgets the
// cookie when it closes.

type sessionKey struct{}

// sessionOf returns the session withSession found for r, if any.
func sessionOf(r *http.Request) (account.Session, bool) {
	s, ok := r.Context().Value(sessionKey{}).(account.Session)
	return s, ok
}

// withSession reads the session cookie and puts the session it names in
// the request's context. A cookie naming no live session (expired,
// signed out) is cleared. The handler runs either way: guard decides
// what an anonymous request may see.
func (s *Server) withSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(web.SessionCookie)
		if err != nil || c.Value == "" {
			next(w, r)
			return
		}
		sess, err := s.accounts.SessionByToken(r.Context(), c.Value, s.web.Now())
		switch {
		case errors.Is(err, account.ErrNoSession):
			s.clearCookie(w)
		case err != nil:
			s.web.Error(w, r, err)
			return
		default:
			r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
		}
		next(w, r)
	}
}

// setCookie gives the browser the token of a new session.
func (s *Server) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: token, Path: "/admin",
		HttpOnly: true, Secure: s.web.Secure(), SameSite: http.SameSiteLaxMode})
}

// clearCookie tells the browser to forget the session cookie.
func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: web.SessionCookie, Value: "", Path: "/admin", MaxAge: -1,
		HttpOnly: true, Secure: s.web.Secure(), SameSite: http.SameSiteLaxMode})
}

// cookieToken is the session token the browser sent, or "".
func cookieToken(r *http.Request) string {
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// adminPath returns target if it is a local path in the staff area, and
// /admin otherwise: where sign-in may send someone on to, never another
// site.
func adminPath(target string) string {
	u, err := url.Parse(web.LocalPath(target))
	if err != nil {
		return "/admin"
	}
	// http.Redirect cleans the path: check the path it will send.
	u.Path = path.Clean(u.Path)
	u.RawPath = ""
	if u.Path == "/admin" || strings.HasPrefix(u.Path, "/admin/") {
		return u.RequestURI()
	}
	return "/admin"
}

// toLogin sends an anonymous request to the sign-in page; a GET comes
// back to where it was going after signing in.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/admin/login"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if next := adminPath(r.URL.RequestURI()); next != "/admin" {
			target += "?next=" + url.QueryEscape(next)
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
