package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"plenary/internal/person"
	"plenary/internal/web"
)

// personPage finds what Plenary holds about an address, offers it as a
// JSON download, and erases it after a confirmation that shows the counts
// first.
type personPage struct {
	web.Base
	Email   string
	Error   string         // beside the address field
	Counts  []person.Count // what is held (Found) or what was erased (Erased)
	Found   bool
	Total   int
	Erased  bool
	Export  string // the JSON download's URL
	Confirm string // beside the confirmation box
}

// personShow is the search form and, with ?email=, what is held.
func (s *Server) personShow(w http.ResponseWriter, r *http.Request) {
	if s.people == nil {
		s.web.NotFound(w, r)
		return
	}
	p := personPage{Base: s.web.Base(r), Email: r.URL.Query().Get("email")}
	if _, given := r.URL.Query()["email"]; !given {
		s.web.Render(w, r, http.StatusOK, "admin_person", p)
		return
	}
	s.renderHeld(w, r, p, http.StatusOK)
}

// renderHeld shows what is held about p.Email, or the field's error.
func (s *Server) renderHeld(w http.ResponseWriter, r *http.Request, p personPage, status int) {
	email, err := person.Normalize(p.Email)
	if err != nil {
		p.Error = "Enter an e-mail address, like name@example.org."
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_person", p)
		return
	}
	counts, err := s.people.Preview(r.Context(), email)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	p.Email, p.Counts, p.Found = email, counts, true
	for _, c := range counts {
		p.Total += c.Count
	}
	p.Export = "/admin/people/export?" + url.Values{"email": {email}}.Encode()
	s.web.Render(w, r, status, "admin_person", p)
}

// personExport downloads everything held about ?email= as JSON; the
// export is audited.
func (s *Server) personExport(w http.ResponseWriter, r *http.Request) {
	if s.people == nil {
		s.web.NotFound(w, r)
		return
	}
	email, err := person.Normalize(r.URL.Query().Get("email"))
	if err != nil {
		s.renderHeld(w, r, personPage{Base: s.web.Base(r), Email: r.URL.Query().Get("email")}, http.StatusOK)
		return
	}
	exp, err := s.people.Export(r.Context(), email, actorOf(r).User.Actor())
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	body, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="person-`+exp.ExportedAt.Format("2006-01-02")+`.json"`)
	w.Write(append(body, '\n'))
}

// personErase erases everything held about the form's email once the
// confirmation box is ticked; without it the counts are shown again with
// the box's error.
func (s *Server) personErase(w http.ResponseWriter, r *http.Request) {
	if s.people == nil {
		s.web.NotFound(w, r)
		return
	}
	p := personPage{Base: s.web.Base(r), Email: r.PostFormValue("email")}
	if r.PostFormValue("confirm") != "yes" {
		p.Confirm = "Tick the box to confirm that this person's data is to be erased."
		s.renderHeld(w, r, p, http.StatusUnprocessableEntity)
		return
	}
	email, err := person.Normalize(p.Email)
	if err != nil {
		s.renderHeld(w, r, p, http.StatusUnprocessableEntity)
		return
	}
	counts, err := s.people.Erase(r.Context(), email, actorOf(r).User.Actor())
	if err != nil {
		back := web.Link{URL: "/admin/people?" + url.Values{"email": {email}}.Encode(), Label: "Back to this person's data"}
		if errors.Is(err, person.ErrBadEmail) {
			back = web.Link{URL: "/admin/people", Label: "Back"}
		}
		s.web.Error(w, r, err, back)
		return
	}
	p.Email, p.Counts, p.Erased = email, counts, true
	for _, c := range counts {
		p.Total += c.Count
	}
	s.web.Render(w, r, http.StatusOK, "admin_person", p)
}
