package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"plenary/internal/account"
	"plenary/internal/web"
)

// fieldError is one problem with a form, for the summary at its top; the
// same message stands beside the field.
type fieldError struct{ Anchor, Message string }

// loginPage is the sign-in form.
type loginPage struct {
	web.Base
	Email string
	Next  string
	// Errors holds the message beside each field ("email", "password",
	// "code"); Summary lists them at the top.
	Errors  map[string]string
	Summary []fieldError
	// Problem is a message about the whole attempt (too many attempts).
	Problem string
	// Notice confirms what just happened (signed out, password set).
	Notice string
	// AskCode puts the one-time code first: the password was right and
	// the account uses codes.
	AskCode bool
}

func (p *loginPage) fail(field, msg string) {
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	p.Errors[field] = msg
	p.Summary = append(p.Summary, fieldError{Anchor: field, Message: msg})
}

// notices are what /admin/login?done=… confirms.
var notices = map[string]string{
	"signed-out": "You have signed out.",
	"everywhere": "You have signed out on every device and browser.",
	"password":   "Your new password is set, and every earlier session has ended. Please sign in with it.",
	"expired":    "Your session has ended. Please sign in again.",
}

// loginForm serves GET /admin/login. Someone signed in already goes on.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	next := adminPath(r.URL.Query().Get("next"))
	if _, ok := sessionOf(r); ok {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.web.Render(w, r, http.StatusOK, "admin_login", loginPage{Base: s.web.Base(r), Next: next,
		Notice: notices[r.URL.Query().Get("done")]})
}

// login serves POST /admin/login: e-mail, password and, for an account
// that uses them, a one-time code. A new session always starts, and the
// one the browser carried ends (the cookie is rotated).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := loginPage{Base: s.web.Base(r), Email: strings.TrimSpace(r.PostForm.Get("email")),
		Next: adminPath(r.PostForm.Get("next"))}
	password, code := r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("code"))
	p.AskCode = code != ""
	if p.Email == "" {
		p.fail("email", "Enter your e-mail address.")
	}
	if password == "" {
		p.fail("password", "Enter your password.")
	}
	if p.Errors != nil {
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_login", p)
		return
	}
	_, token, err := s.accounts.SignIn(r.Context(), account.Credentials{Email: p.Email, Password: password, Code: code,
		ClientAddr: s.web.ClientAddr(r), Previous: cookieToken(r)}, s.web.Now())
	var throttled *account.ThrottledError
	switch {
	case err == nil:
		s.setCookie(w, token)
		http.Redirect(w, r, p.Next, http.StatusSeeOther)
		return
	case errors.As(err, &throttled):
		secs := max(throttled.Seconds(), 1)
		p.Problem = fmt.Sprintf("Too many attempts: try again in %d seconds.", secs)
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		s.web.Render(w, r, http.StatusTooManyRequests, "admin_login", p)
		return
	case errors.Is(err, account.ErrBadCredentials):
		p.fail("password", "The e-mail address or the password is not right. Check both and try again.")
	case errors.Is(err, account.ErrCodeRequired):
		p.AskCode = true
		p.fail("code", "This account uses one-time codes: type your password again and the six-digit code your authenticator app shows.")
	case errors.Is(err, account.ErrBadCode):
		p.AskCode = true
		p.fail("code", "The one-time code is wrong or has been used already. Type your password again and the code your app shows now.")
	default:
		s.web.Error(w, r, err)
		return
	}
	s.web.Render(w, r, http.StatusUnauthorized, "admin_login", p)
}

// logout serves POST /admin/logout: this browser's session ends.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.accounts.SignOut(r.Context(), cookieToken(r), s.web.Now()); err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/admin/login?done=signed-out", http.StatusSeeOther)
}

// logoutEverywhere serves POST /admin/logout-everywhere: every session of
// the user ends, on every device.
func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionOf(r)
	if err := s.accounts.SignOutEverywhere(r.Context(), sess.User.Actor(), sess.User.ID, s.web.Now()); err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/admin/login?done=everywhere", http.StatusSeeOther)
}

// homePage is the staff area's first page: who is signed in and where
// they may go.
type homePage struct {
	web.Base
	Name, Email string
	Role        account.Role
	Limited     bool
	TOTP        bool // one-time codes are on
	// MustEnrolTOTP: the role requires one-time codes, which this user
	// has not set up; nothing else is open until they have.
	MustEnrolTOTP bool
	Links         []web.Link
	// Attention counts each section of /admin/attention the viewer may
	// see; nil for those who may not open it.
	Attention []attentionCount
}

// home serves GET /admin.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	sess, _ := sessionOf(r)
	p := homePage{Base: s.web.Base(r), Name: sess.User.DisplayName(), Email: sess.User.Email, Role: sess.User.Role,
		Limited: sess.User.CourseLimited, TOTP: sess.User.TOTP, MustEnrolTOTP: sess.MustEnrolTOTP}
	if s.bookings != nil && sess.CanSome(account.BookingsRead) {
		p.Links = append(p.Links, web.Link{URL: "/admin/attention", Label: "What needs attention: reviews waiting, offers about to lapse, e-mails failing and more"})
		p.Attention = s.attentionCounts(r)
	}
	p.Links = append(p.Links, s.deskLinks(r)...)
	if s.catalog != nil && sess.CanSome(account.CoursesEdit) {
		p.Links = append(p.Links, web.Link{URL: "/admin/courses", Label: "Courses: texts, fees, questions, eligibility rules, publishing"})
	}
	if s.outbox != nil && sess.Can(account.MessagesRead, 0) {
		p.Links = append(p.Links, web.Link{URL: "/admin/messages", Label: "Mail log: every e-mail queued, sent, failed or kept"})
	}
	if s.pageViews != nil && s.bookings != nil && sess.CanSome(account.CoursesEdit) {
		p.Links = append(p.Links, web.Link{URL: "/admin/analytics", Label: "Page views: course page → booking form → booking, for visitors who accepted analytics"})
	}
	if s.lists != nil && sess.CanSome(account.ListsManage) {
		p.Links = append(p.Links, web.Link{URL: "/admin/lists", Label: "Subscribers: who asked to hear about new dates, with their evidence; import and export"})
	}
	if sess.Can(account.AuditRead, 0) {
		p.Links = append(p.Links, web.Link{URL: "/admin/audit", Label: "Audit log: who changed what, and when"})
	}
	if sess.Can(account.UsersManage, 0) {
		p.Links = append(p.Links, web.Link{URL: "/admin/staff", Label: "Staff accounts: roles, one-time codes, a lost phone, someone who has left"})
	}
	if s.people != nil && sess.Can(account.UsersManage, 0) {
		p.Links = append(p.Links, web.Link{URL: "/admin/people", Label: "A person's data: download it for them, or erase it"})
	}
	s.web.Render(w, r, http.StatusOK, "admin_home", p)
}
