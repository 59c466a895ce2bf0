package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The consent cookie remembers whether someone accepted optional
// (analytics) cookies. It is strictly necessary: without it the banner
// would come back on every page. Nothing else is set until someone
// accepts, and today nothing else is set even then.
const (
	consentCookie   = "plenary_consent"
	consentAccept   = "accept"
	consentReject   = "reject"
	consentLifetime = 180 * 24 * time.Hour // six months, then we ask again

	// After a choice the person goes back to their page with
	// ?consent=saved, which shows a confirmation: no other cookie is
	// needed and it works without JavaScript.
	consentSavedParam = "consent"
	consentSavedValue = "saved"
)

// consentOf reads the choice from the request: "", "accept" or "reject".
func consentOf(r *http.Request) string {
	c, err := r.Cookie(consentCookie)
	if err != nil {
		return ""
	}
	switch c.Value {
	case consentAccept, consentReject:
		return c.Value
	}
	return ""
}

// cookieInfo is one row of the table on /cookies.
type cookieInfo struct {
	Name     string
	Purpose  string
	Lifetime string
	Kind     string // "Strictly necessary" or "Analytics"
}

// cookiesPage lists every cookie and lets the choice be changed.
type cookiesPage struct {
	base
	Cookies      []cookieInfo
	HasAnalytics bool // an analytics provider is configured
}

// cookiesShow serves GET /cookies.
func (s *Server) cookiesShow(w http.ResponseWriter, r *http.Request) {
	p := cookiesPage{
		base:         s.base(r),
		HasAnalytics: s.analytics != "",
		Cookies: []cookieInfo{{
			Name:     consentCookie,
			Purpose:  "Remembers whether you accepted or rejected optional cookies, so we do not ask on every page.",
			Lifetime: "6 months",
			Kind:     "Strictly necessary",
		}},
	}
	s.render(w, r, http.StatusOK, "cookies", p)
}

// consentUpdate serves POST /cookies/consent: it stores the choice
// (choice=accept|reject) and sends the person back to the local page named
// by "return". It works without JavaScript.
func (s *Server) consentUpdate(w http.ResponseWriter, r *http.Request) {
	choice := r.PostFormValue("choice")
	if choice != consentAccept && choice != consentReject {
		s.render(w, r, http.StatusBadRequest, "error", errorPage{
			base:    s.base(r),
			Status:  http.StatusBadRequest,
			Heading: "Please choose accept or reject",
			Message: "We could not tell which choice you made. Please go back and press one of the two buttons.",
		})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     consentCookie,
		Value:    choice,
		Path:     "/",
		MaxAge:   int(consentLifetime / time.Second),
		Expires:  s.now().Add(consentLifetime),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, withConsentSaved(localPath(r.PostFormValue("return"))), http.StatusSeeOther)
}

// withConsentSaved adds ?consent=saved to a local path (from localPath),
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

// localPath returns target if it is a path on this site, and "/"
// otherwise, so the consent form cannot be used to send people elsewhere.
func localPath(target string) string {
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
