package site

import (
	"net/http"

	"plenary/internal/web"
)

// cookieInfo is one row of the table on /cookies.
type cookieInfo struct {
	Name     string
	Purpose  string
	Lifetime string
	Kind     string // "Strictly necessary" or "Analytics"
}

// cookiesPage lists every cookie and lets the choice be changed.
type cookiesPage struct {
	web.Base
	Cookies      []cookieInfo
	HasAnalytics bool // an analytics provider is configured
}

// cookiesShow serves GET /cookies.
func (s *Server) cookiesShow(w http.ResponseWriter, r *http.Request) {
	p := cookiesPage{
		Base:         s.web.Base(r),
		HasAnalytics: s.web.HasAnalytics(),
		Cookies: []cookieInfo{{
			Name:     web.ConsentCookie,
			Purpose:  "Remembers whether you accepted or rejected optional cookies, so we do not ask on every page.",
			Lifetime: "6 months",
			Kind:     "Strictly necessary",
		}},
	}
	for _, name := range s.web.AnalyticsCookies() {
		p.Cookies = append(p.Cookies, cookieInfo{
			Name:     name,
			Purpose:  "Set by " + s.web.ThirdParty() + "'s analytics script, only if you accept analytics cookies, to count visits. Deleted when you reject them.",
			Lifetime: "As " + s.web.ThirdParty() + " sets it",
			Kind:     "Analytics",
		})
	}
	s.web.Render(w, r, http.StatusOK, "cookies", p)
}

// consentUpdate serves POST /cookies/consent: it stores the choice
// (choice=accept|reject) and sends the person back to the local page named
// by "return". It works without JavaScript.
func (s *Server) consentUpdate(w http.ResponseWriter, r *http.Request) {
	choice := r.PostFormValue("choice")
	if choice != web.ConsentAccept && choice != web.ConsentReject {
		s.web.Render(w, r, http.StatusBadRequest, "error", web.ErrorPage{
			Base:    s.web.Base(r),
			Status:  http.StatusBadRequest,
			Heading: "Please choose accept or reject",
			Message: "We could not tell which choice you made. Please go back and press one of the two buttons.",
		})
		return
	}
	http.Redirect(w, r, s.web.SetConsent(w, choice, r.PostFormValue("return")), http.StatusSeeOther)
}
