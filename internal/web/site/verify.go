package site

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/web"
)

// verifyPage is /verify (the form to type a code) and /verify/{code} (a
// certificate's printed fields and state).
type verifyPage struct {
	web.Base
	Code   textField
	Errors []fieldError
	// Found is set on a certificate's page.
	Found       bool
	Certificate certificates.Certificate
	IssuedOn    string
	RevokedOn   string
	ReplacedURL string
}

// verifyForm is GET /verify: the form, and with ?code= the way to the
// code's page. A code that cannot be one is refused beside the field; a
// code that could be one goes to its page, which says 404 when no
// certificate has it, and nothing more.
func (s *Server) verifyForm(w http.ResponseWriter, r *http.Request) {
	if s.certificates == nil {
		s.web.NotFound(w, r)
		return
	}
	p := verifyPage{Base: s.web.Base(r), Code: textField{Name: "code", Label: "Verification code", Type: "text",
		Hint:         "Ten letters and digits, printed on the certificate beside the QR code, like ABCDE-23456.",
		Autocomplete: "off"}}
	typed, asked := r.URL.Query()["code"]
	if asked {
		p.Code.Value = strings.TrimSpace(typed[0])
		if code, ok := certificates.NormalizeCode(p.Code.Value); ok {
			http.Redirect(w, r, "/verify/"+url.PathEscape(certificates.DisplayCode(code)), http.StatusSeeOther)
			return
		}
		p.Code.Error = "Type the ten letters and digits of the code, like ABCDE-23456."
		p.Errors = []fieldError{{Anchor: "code", Message: p.Code.Error}}
		s.web.Render(w, r, http.StatusUnprocessableEntity, "verify", p)
		return
	}
	s.web.Render(w, r, http.StatusOK, "verify", p)
}

// verifyShow is GET /verify/{code}: every printed field and the state, so
// that an edited PDF cannot pass. A revocation shows when, not why (the
// reason may be private); a replaced certificate links to its reissue.
func (s *Server) verifyShow(w http.ResponseWriter, r *http.Request) {
	if s.certificates == nil {
		s.web.NotFound(w, r)
		return
	}
	c, err := s.certificates.ByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	uk := catalog.Event{TimeZone: catalog.DefaultTimeZone}.Location()
	day := func(t time.Time) string { return t.In(uk).Format("2 January 2006") }
	p := verifyPage{Base: s.web.Base(r), Found: true, Certificate: c, IssuedOn: day(c.IssuedAt)}
	p.Description = "The verification of a CPD certificate."
	if c.State == certificates.Revoked {
		p.RevokedOn = day(c.RevokedAt)
	}
	if c.ReplacedCode != "" {
		p.ReplacedURL = "/verify/" + certificates.DisplayCode(c.ReplacedCode)
	}
	w.Header().Set("X-Robots-Tag", "noindex")
	s.web.Render(w, r, http.StatusOK, "verify", p)
}
