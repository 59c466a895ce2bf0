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
// cookie for six months, and returns where to send the person back to:
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
