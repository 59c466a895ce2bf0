package admin

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/database"
	"plenary/internal/messaging"
	"plenary/internal/web"
)

// Password reset by e-mail: /admin/reset asks for the account's address
// and always answers the same, whether or not an account has it; the
// e-mail (mail/password_reset.*) goes through the outbox with a link to
// /admin/reset/{token}, whose GET only shows a form (a mail scanner that
// follows the link changes nothing) and whose POST sets the password,
// once, within the hour, ending every session of the account.

// resetMailGap is how long after a reset e-mail to one address another
// is not sent (the answer is the same): the form cannot flood an inbox.
const resetMailGap = 5 * time.Minute

// maxResetsRemembered bounds the memory of sent reset e-mails.
const maxResetsRemembered = 10000

// resetMailKind is the kind of the reset e-mail in the outbox.
const resetMailKind = "staff_password_reset"

type resetSent struct{ at time.Time }

// resetPage is the form asking for a reset link.
type resetPage struct {
	web.Base
	Email   string
	Errors  map[string]string
	Summary []fieldError
	Sent    bool
}

// resetSetPage is the form choosing a new password.
type resetSetPage struct {
	web.Base
	Action  string
	Errors  map[string]string
	Summary []fieldError
}

// resetMail is the data of the reset e-mail.
type resetMail struct {
	SiteName, Name, Email, Link string
}

func fail(errs *map[string]string, summary *[]fieldError, field, msg string) {
	if *errs == nil {
		*errs = map[string]string{}
	}
	(*errs)[field] = msg
	*summary = append(*summary, fieldError{Anchor: field, Message: msg})
}

// resetForm serves GET /admin/reset.
func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	s.web.Render(w, r, http.StatusOK, "admin_reset", resetPage{Base: s.web.Base(r)})
}

// resetAsk serves POST /admin/reset: the answer is the same whether or
// not the address has an account.
func (s *Server) resetAsk(w http.ResponseWriter, r *http.Request) {
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := resetPage{Base: s.web.Base(r), Email: strings.TrimSpace(r.PostForm.Get("email"))}
	if p.Email == "" || len(p.Email) > 254 || !strings.Contains(p.Email, "@") {
		fail(&p.Errors, &p.Summary, "email", "Enter the e-mail address of your staff account, like name@example.org.")
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_reset", p)
		return
	}
	if err := s.sendReset(r, p.Email); err != nil {
		s.web.Error(w, r, err)
		return
	}
	p.Sent = true
	s.web.Render(w, r, http.StatusOK, "admin_reset", p)
}

// sendReset makes a reset token for the enabled account with the address,
// if there is one and no reset e-mail went to it in the last
// resetMailGap, and queues the e-mail with its link.
func (s *Server) sendReset(r *http.Request, email string) error {
	ctx, now := r.Context(), s.web.Now()
	key := strings.ToLower(email)
	if !s.mayMailReset(key, now) {
		return nil
	}
	u, err := s.accounts.UserByEmail(ctx, email)
	if errors.Is(err, account.ErrNotFound) || err == nil && u.Disabled {
		return nil
	}
	if err != nil {
		return err
	}
	token, u, err := s.accounts.RequestReset(ctx, u.Actor(), email, now)
	if errors.Is(err, account.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if s.outbox == nil || s.db == nil {
		return errors.New("admin: password reset: no outbox to send the e-mail")
	}
	c, err := s.mail.Render("password_reset", resetMail{SiteName: s.web.SiteName(), Name: u.DisplayName(), Email: u.Email,
		Link: s.web.AbsoluteBase(r) + "/admin/reset/" + token})
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		_, _, err := s.outbox.Enqueue(ctx, tx, messaging.Message{
			Kind: resetMailKind, DedupeKey: fmt.Sprintf("%s/%d/%d", resetMailKind, u.ID, now.UnixNano()),
			SubjectRef: fmt.Sprintf("user/%d", u.ID), ToName: u.Name, ToEmail: u.Email,
			Subject: c.Subject, Text: c.Text, HTML: c.HTML,
		})
		return err
	})
}

// mayMailReset reports whether a reset e-mail may go to the address now,
// and if so notes that one does.
func (s *Server) mayMailReset(key string, now time.Time) bool {
	s.resetsMu.Lock()
	defer s.resetsMu.Unlock()
	if last, ok := s.resets[key]; ok && now.Sub(last.at) < resetMailGap {
		return false
	}
	if len(s.resets) >= maxResetsRemembered {
		for k, v := range s.resets {
			if now.Sub(v.at) >= resetMailGap {
				delete(s.resets, k)
			}
		}
		if len(s.resets) >= maxResetsRemembered {
			return false
		}
	}
	s.resets[key] = resetSent{at: now}
	return true
}

// resetSetForm serves GET /admin/reset/{token}: only the form. The token
// is checked, and used, when the form is sent.
func (s *Server) resetSetForm(w http.ResponseWriter, r *http.Request) {
	s.web.Render(w, r, http.StatusOK, "admin_reset_set", resetSetPage{Base: s.web.Base(r), Action: r.URL.Path})
}

// resetSet serves POST /admin/reset/{token}: the new password, twice.
func (s *Server) resetSet(w http.ResponseWriter, r *http.Request) {
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := resetSetPage{Base: s.web.Base(r), Action: r.URL.Path}
	pw, again := r.PostForm.Get("password"), r.PostForm.Get("password_again")
	switch {
	case pw == "":
		fail(&p.Errors, &p.Summary, "password", "Enter a new password.")
	case pw != again:
		fail(&p.Errors, &p.Summary, "password_again", "The two passwords are not the same. Type the new password twice.")
	}
	if p.Errors == nil {
		_, err := s.accounts.ResetPassword(r.Context(), r.PathValue("token"), pw, s.web.Now())
		switch {
		case err == nil:
			s.clearCookie(w)
			http.Redirect(w, r, "/admin/login?done=password", http.StatusSeeOther)
			return
		case errors.Is(err, account.ErrWeakPassword):
			fail(&p.Errors, &p.Summary, "password", fmt.Sprintf("Choose a password of %d to %d characters: a few words make a good one.",
				account.MinPasswordLength, account.MaxPasswordLength))
		default:
			s.web.Error(w, r, err, web.Link{URL: "/admin/reset", Label: "Ask for a new link"})
			return
		}
	}
	s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_reset_set", p)
}
