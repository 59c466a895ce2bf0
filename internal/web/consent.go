package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The consent cookie remembers whether someone accepted optional
// (analytics) cookies. It is strictly necessary: without it the banner
// would come back on every page. Nothing else is set until someone
// accepts: the first-party page-view count (pageviews.go) sets none at
// all, and only a configured third-party analytics script may set its own
// (Options.AnalyticsCookies), which a rejection deletes.
const (
	ConsentCookie   = "plenary_consent"
	ConsentAccept   = "accept"
	ConsentReject   = "reject"
	consentLifetime = 180 * 24 * time.Hour // six months, then we ask again

	// After a choice the person goes back to their page with
	// ?consent=saved, which shows a confirmation: no other cookie is
	// needed and it works without JavaScript.
	consentSavedParam = "consent"
	consentSavedValue = "saved"
)

// ConsentOf reads the choice from the request: "", "accept" or "reject".
func ConsentOf(r *http.Request) string {
	c, err := r.Cookie(ConsentCookie)
	if err != nil {
		return ""
	}
	switch c.Value {
	case ConsentAccept, ConsentReject:
		return c.Value
	}
	return ""
}

// SetConsent stores choice (ConsentAccept or ConsentReject) in the consent
// cookie for six months — a rejection also deletes the analytics
// script's cookies (Options.AnalyticsCookies), both as set for this host
// and for its domain — and returns where to send the person back to:
// the local page back (anything else means the home page), with
// ?consent=saved added so that page confirms the choice.
func (s *Server) SetConsent(w http.ResponseWriter, choice, back string) string {
	http.SetCookie(w, &http.Cookie{
		Name:     ConsentCookie,
		Value:    choice,
		Path:     "/",
		MaxAge:   int(consentLifetime / time.Second),
		Expires:  s.now().Add(consentLifetime),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	if choice == ConsentReject {
		for _, name := range s.cookies {
			http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1})
			if host := s.cookieDomain(); host != "" {
				http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", Domain: host, MaxAge: -1})
			}
		}
	}
	return withConsentSaved(LocalPath(back))
}

// withConsentSaved adds ?consent=saved to a local path (from LocalPath),
// keeping its other query parameters.
func withConsentSaved(path string) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/?" + consentSavedParam + "=" + consentSavedValue
	}
	if q := u.Query(); q.Has(consentSavedParam) {
		q.Del(consentSavedParam)
		u.RawQuery = q.Encode()
	}
	flag := consentSavedParam + "=" + consentSavedValue
	if u.RawQuery == "" {
		u.RawQuery = flag
	} else {
		u.RawQuery += "&" + flag
	}
	return u.RequestURI()
}

// LocalPath returns target if it is a path on this site, and "/"
// otherwise, so a form's return address cannot be used to send people
// elsewhere.
func LocalPath(target string) string {
	if target == "" || len(target) > 2000 || !strings.HasPrefix(target, "/") ||
		strings.HasPrefix(target, "//") || strings.HasPrefix(target, "/\\") ||
		strings.ContainsAny(target, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return u.RequestURI()
}

// cookieDomain is the host name of the base URL, for deleting cookies a
// script set for the whole domain; "" when there is none or it is an
// address (a cookie's Domain cannot be one).
func (s *Server) cookieDomain() string {
	u, err := url.Parse(s.baseURL)
	if err != nil || u.Hostname() == "" || strings.Contains(u.Hostname(), ":") || net.ParseIP(u.Hostname()) != nil ||
		!strings.Contains(u.Hostname(), ".") {
		return ""
	}
	return u.Hostname()
}
