package admin

import (
	"errors"
	"net/http"
	"strings"

	"plenary/internal/account"
	"plenary/internal/web"
)

// One-time codes (TOTP) for the signed-in user: /admin/account/codes
// shows whether they are on; setting them up is a POST (a new secret is a
// change), which shows the secret once, to type or paste into an
// authenticator app, with a form for the first code that turns them on.

// codesPage is the one-time codes page.
type codesPage struct {
	web.Base
	On       bool
	Required bool
	// Secret and URL are shown once, just after setting up starts.
	Secret, URL string
	// Confirming shows the form for the first code.
	Confirming bool
	Errors     map[string]string
	Summary    []fieldError
}

// codes serves GET /admin/account/codes.
func (s *Server) codes(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionOf(r)
	s.web.Render(w, r, http.StatusOK, "admin_codes", codesPage{Base: s.web.Base(r), On: sess.User.TOTP,
		Required: s.accounts.RequiresTOTP(sess.User.Role)})
}

// codesStart serves POST /admin/account/codes/start: a new secret,
// shown once.
func (s *Server) codesStart(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionOf(r)
	e, err := s.accounts.StartTOTP(r.Context(), sess.User.Actor(), sess.User.ID, s.web.Now())
	if errors.Is(err, account.ErrTOTPOn) {
		http.Redirect(w, r, "/admin/account/codes", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.web.Render(w, r, http.StatusOK, "admin_codes", codesPage{Base: s.web.Base(r), Required: s.accounts.RequiresTOTP(sess.User.Role),
		Secret: e.Secret, URL: e.URL, Confirming: true})
}

// codesConfirm serves POST /admin/account/codes: the first code from the
// app turns codes on.
func (s *Server) codesConfirm(w http.ResponseWriter, r *http.Request) {
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	sess, _ := sessionOf(r)
	p := codesPage{Base: s.web.Base(r), Required: s.accounts.RequiresTOTP(sess.User.Role), Confirming: true}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	if code == "" {
		fail(&p.Errors, &p.Summary, "code", "Type the six-digit code your authenticator app shows.")
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_codes", p)
		return
	}
	err := s.accounts.ConfirmTOTP(r.Context(), sess.User.Actor(), sess.User.ID, code, s.web.Now())
	switch {
	case err == nil, errors.Is(err, account.ErrTOTPOn):
		http.Redirect(w, r, "/admin/account/codes", http.StatusSeeOther)
	case errors.Is(err, account.ErrBadCode):
		fail(&p.Errors, &p.Summary, "code", "That code is not right. Type the code your app shows now for this site.")
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_codes", p)
	case errors.Is(err, account.ErrNoTOTP):
		http.Redirect(w, r, "/admin/account/codes", http.StatusSeeOther)
	default:
		s.web.Error(w, r, err)
	}
}
