package site

import (
	"errors"
	"net/http"
	"strings"

	"plenary/internal/catalog"
	"plenary/internal/lists"
	"plenary/internal/web"
)

// subscribeForm is the "hear about new dates" form of a course page: the
// exact wording (lists.CourseWording) with its version, which the
// evidence records.
type subscribeForm struct {
	Action  string
	Wording lists.Wording
	Email   textField
	Name    textField
	// Choices are what one may subscribe to: this course's new dates (the
	// default), a topic of the course, or all new courses.
	Choices []subscribeChoice
	Error   string // on the choice
}

type subscribeChoice struct {
	Value, Label string
	// Hint says in plain words what the choice is, beside it.
	Hint    string
	Checked bool
}

func newSubscribeForm(c catalog.Course) *subscribeForm {
	f := &subscribeForm{
		Action:  "/courses/" + c.Slug + "/subscribe",
		Wording: lists.CourseWording,
		Email: textField{Name: "email", Label: "E-mail address", Type: "email", Autocomplete: "email",
			Hint: "We send one e-mail first, to check that the address is yours."},
		Name: textField{Name: "name", Label: "Name", Type: "text", Autocomplete: "name", Optional: true},
		Choices: []subscribeChoice{{Value: "course", Label: "New dates of this course", Checked: true},
			{Value: "places", Label: "A place freeing up on any upcoming date of this course",
				Hint: "Not the waiting list: a date's waiting list keeps your turn and may give you a place. " +
					"This is only an e-mail, sent at the same moment to everyone who asked; whoever books first gets the place."}},
	}
	for _, t := range c.Topics {
		f.Choices = append(f.Choices, subscribeChoice{Value: "topic:" + t, Label: "New courses on " + t})
	}
	f.Choices = append(f.Choices, subscribeChoice{Value: "all", Label: "All new courses"})
	return f
}

// listPage is every page of the lists: the subscribe form with its
// problems, what happened, and the one-button pages of a confirmation
// or unsubscribe link.
type listPage struct {
	web.Base
	Heading   string
	Message   []string
	Errors    []fieldError
	Subscribe *subscribeForm
	// Button is a form of one button (POST to Action).
	Action, Button string
	BackURL        string
	BackLabel      string
}

func (s *Server) listsOn() bool { return s.lists != nil && s.lists.Enabled() }

// subscribe takes the course page's form. Whatever the address's state,
// success reads the same.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	if !s.listsOn() {
		s.web.NotFound(w, r)
		return
	}
	c, err := s.catalog.CourseBySlug(r.Context(), r.PathValue("slug"))
	if err == nil && c.Status != catalog.Published {
		err = catalog.ErrNotFound
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	f := newSubscribeForm(c)
	f.Email.Value, f.Name.Value = r.PostFormValue("email"), r.PostFormValue("name")
	req := lists.Request{Email: f.Email.Value, Name: f.Name.Value, Source: lists.FromCoursePage, Wording: r.PostFormValue("wording")}
	choice := r.PostFormValue("what")
	known := false
	for i := range f.Choices {
		f.Choices[i].Checked = f.Choices[i].Value == choice
		known = known || f.Choices[i].Checked
	}
	switch {
	case !known:
	case choice == "course":
		req.Scope, req.CourseID, req.CourseTitle = lists.ScopeCourse, c.ID, c.Title
	case choice == "places":
		req.Scope, req.CourseID, req.CourseTitle = lists.ScopePlaces, c.ID, c.Title
	case choice == "all":
		req.Scope = lists.ScopeAll
	default:
		req.Scope, req.Topic = lists.ScopeTopic, strings.TrimPrefix(choice, "topic:")
	}
	base := s.web.Base(r)
	err = s.lists.Subscribe(r.Context(), req)
	var ferr lists.FormError
	switch {
	case err == nil:
		s.web.Render(w, r, http.StatusOK, "list", listPage{Base: base, Heading: "Check your inbox",
			Message: []string{
				"If " + strings.TrimSpace(req.Email) + " can receive e-mail, a message is on its way with a link to confirm. Nothing is sent to you until you do; the link works for 7 days.",
				"Already subscribed? Then nothing changes, and asking again does no harm.",
			},
			BackURL: "/courses/" + c.Slug, BackLabel: "Back to " + c.Title})
	case errors.As(err, &ferr):
		p := listPage{Base: base, Heading: "Hear about new dates of " + c.Title, Subscribe: f,
			BackURL: "/courses/" + c.Slug, BackLabel: "Back to " + c.Title}
		f.Email.Error, f.Name.Error, f.Error = ferr["email"], ferr["name"], ferr["scope"]
		for _, k := range []struct{ key, anchor string }{{"email", "email"}, {"name", "name"}, {"scope", "what-course"}, {"wording", "email"}} {
			if m := ferr[k.key]; m != "" {
				p.Errors = append(p.Errors, fieldError{Anchor: k.anchor, Message: m})
			}
		}
		if ferr["wording"] != "" {
			p.Message = []string{ferr["wording"]}
		}
		prob, _ := web.ProblemOf(err)
		s.web.Render(w, r, prob.Status, "list", p)
	default:
		s.web.Error(w, r, err)
	}
}

// confirmShow is the page a confirmation link opens: it confirms nothing
// (mail scanners follow links), and offers the one button that does.
func (s *Server) confirmShow(w http.ResponseWriter, r *http.Request) {
	if !s.listsOn() {
		s.web.NotFound(w, r)
		return
	}
	p, err := s.lists.CheckConfirmation(r.Context(), r.PathValue("token"))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.web.Render(w, r, http.StatusOK, "list", listPage{Base: s.web.Base(r), Heading: "Confirm your subscription",
		// ConfirmWording is what an imported subscription's evidence
		// records as shown here: the page says it word for word.
		Message: []string{"E-mails to " + p.Email + " about " + p.What + ".", lists.ConfirmWording.Text},
		Action:  r.URL.Path, Button: "Yes, send me these e-mails"})
}

// confirm is the button's POST.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	if !s.listsOn() {
		s.web.NotFound(w, r)
		return
	}
	p, err := s.lists.Confirm(r.Context(), r.PathValue("token"))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.web.Render(w, r, http.StatusOK, "list", listPage{Base: s.web.Base(r), Heading: "You are subscribed",
		Message: []string{"We will e-mail " + p.Email + " about " + p.What + ". Every e-mail has a link to stop them in one click."},
		BackURL: "/", BackLabel: "All courses"})
}

// unsubscribeShow is the page an e-mail's visible unsubscribe link opens:
// one button, as a GET must change nothing.
func (s *Server) unsubscribeShow(w http.ResponseWriter, r *http.Request) {
	if !s.listsOn() {
		s.web.NotFound(w, r)
		return
	}
	s.web.Render(w, r, http.StatusOK, "list", listPage{Base: s.web.Base(r), Heading: "Stop these e-mails",
		Message: []string{"Press the button and we will stop at once. You can subscribe again from any course page."},
		Action:  r.URL.Path, Button: "Unsubscribe"})
}

// unsubscribe withdraws at once, with no cookie and no login: the signed
// token in the path is the only authority. A mail client's RFC 8058
// one-click POST (body "List-Unsubscribe=One-Click", which is not read)
// and the page's button both come here; doing it twice is the same as
// once. The route is exempt from the cross-origin check (see routes.go).
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.listsOn() {
		s.web.NotFound(w, r)
		return
	}
	how := lists.HowOneClick
	if r.URL.Query().Get("from") == "page" {
		how = lists.HowLink
	}
	if err := s.lists.Unsubscribe(r.Context(), r.PathValue("token"), how); err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.web.Render(w, r, http.StatusOK, "list", listPage{Base: s.web.Base(r), Heading: "You are unsubscribed",
		Message: []string{"We will send no more of these e-mails. E-mails about a place you booked still come."},
		BackURL: "/", BackLabel: "All courses"})
}
