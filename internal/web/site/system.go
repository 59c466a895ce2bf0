package site

import (
	"errors"
	"net/http"
	"strings"

	"plenary/internal/catalog"
	"plenary/internal/web"
)

// systemCheckPage helps people check their camera, microphone and
// speakers before an online course. With ?event=ID it names the meeting
// provider of that date (the provider's name is public; the link, ID and
// passcode are not); otherwise it speaks of "your meeting provider".
type systemCheckPage struct {
	web.Base
	ProviderName string // "" when the date or its provider is unknown
	ProviderTest string // the provider's own test page, when we know one
	// Tests are the known providers' test pages, offered when the
	// provider is not known.
	Tests []providerTest
}

type providerTest struct{ Name, URL string }

// providerTests are the test meetings of the providers we know, by the
// provider's name in lower case.
var providerTests = []providerTest{
	{"Zoom", "https://zoom.us/test"},
	{"Webex", "https://www.webex.com/test-meeting.html"},
}

// providerTestURL returns the test page of the provider named name, or "".
func providerTestURL(name string) string {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, p := range providerTests {
		if l := strings.ToLower(p.Name); n == l || strings.HasPrefix(n, l+" ") {
			return p.URL
		}
	}
	return ""
}

// systemCheck serves GET /system-check (?event=ID).
func (s *Server) systemCheck(w http.ResponseWriter, r *http.Request) {
	p := systemCheckPage{Base: s.web.Base(r)}
	if id, ok := web.IDParam(r.URL.Query().Get("event")); ok {
		c, e, err := s.catalog.Event(r.Context(), id)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
		case err != nil:
			s.web.Error(w, r, err)
			return
		case c.Status == catalog.Published && (e.Format == catalog.Online || e.Format == catalog.Hybrid):
			p.ProviderName = strings.TrimSpace(e.Meeting.Provider)
			p.ProviderTest = providerTestURL(p.ProviderName)
		}
	}
	if p.ProviderName == "" {
		p.Tests = providerTests
	}
	s.web.Render(w, r, http.StatusOK, "system_check", p)
}
