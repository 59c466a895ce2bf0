package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"plenary/internal/account"
	"plenary/internal/web"
)

// Staff accounts, /admin/staff: who has an account, in which role, with
// one-time codes or not; and, for one of them, what an admin does when a
// phone is lost or someone leaves — turn their one-time codes off, sign
// them out everywhere, disable or enable the account. Each action is the
// account.Service call `plenary user` makes, recorded in the audit log in
// the admin's name. Accounts are added (with their role) on the command
// line, `plenary user add`.

// staffRow is one account in the list and at the top of its own page.
type staffRow struct {
	ID                 int64
	Name, Email        string
	Role               account.Role
	Courses            string // "All courses", or the titles of those the role is limited to
	TOTP, MustSetCodes bool   // codes on; off but the role requires them
	Disabled           bool
	Added              string
}

type staffListPage struct {
	web.Base
	Users []staffRow
}

// staffUserPage is one account with its actions.
type staffUserPage struct {
	web.Base
	User     staffRow
	Self     bool // the admin looking is this user
	Sessions int  // open on browsers and devices
	Done     string
	Problem  string // why the last action could not be done
}

// staffDone are the notices after each action (?did=).
var staffDone = map[string]string{
	"codes-off": "One-time codes are off and every session of this account has ended. They sign in with their password next, and set codes up again.",
	"sign-out":  "Signed out everywhere: every session of this account has ended.",
	"disable":   "Disabled: they cannot sign in, and their sessions have ended. Their history stays.",
	"enable":    "Enabled: they can sign in again.",
}

// staffRows makes the rows of users, naming the courses of a limited role
// (the courses' titles are read only when a user has one).
func (s *Server) staffRows(r *http.Request, users []account.User) ([]staffRow, error) {
	titles := map[int64]string{}
	limited := slices.ContainsFunc(users, func(u account.User) bool { return u.CourseLimited && len(u.Courses) > 0 })
	if limited && s.catalog != nil {
		opts, err := s.catalog.CourseOptions(r.Context())
		if err != nil {
			return nil, err
		}
		for _, o := range opts {
			titles[o.ID] = o.Title
		}
	}
	rows := make([]staffRow, 0, len(users))
	for _, u := range users {
		row := staffRow{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, TOTP: u.TOTP,
			MustSetCodes: !u.TOTP && s.accounts.RequiresTOTP(u.Role), Disabled: u.Disabled, Added: staffTime(u.CreatedAt),
			Courses: "All courses"}
		if u.CourseLimited {
			var names []string
			for _, id := range u.Courses {
				names = append(names, cmpOr(titles[id], fmt.Sprintf("course %d (deleted)", id)))
			}
			slices.Sort(names)
			row.Courses = "No course"
			if len(names) > 0 {
				row.Courses = joinWords(names)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// joinWords joins names as a sentence does: "a", "a and b", "a, b and c".
func joinWords(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	last := len(names) - 1
	return strings.Join(names[:last], ", ") + " and " + names[last]
}

// staffList serves GET /admin/staff.
func (s *Server) staffList(w http.ResponseWriter, r *http.Request) {
	users, err := s.accounts.Users(r.Context())
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	rows, err := s.staffRows(r, users)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	s.web.Render(w, r, http.StatusOK, "admin_staff", staffListPage{Base: s.web.Base(r), Users: rows})
}

// staffUserOf reads the path's user (the 404 page otherwise).
func (s *Server) staffUserOf(w http.ResponseWriter, r *http.Request) (account.User, bool) {
	id, ok := web.IDParam(r.PathValue("id"))
	if !ok {
		s.web.NotFound(w, r)
		return account.User{}, false
	}
	u, err := s.accounts.User(r.Context(), id)
	if err != nil {
		s.web.Error(w, r, err, web.Link{URL: "/admin/staff", Label: "Back to the staff accounts"})
		return u, false
	}
	return u, true
}

// staffShow serves GET /admin/staff/{id}.
func (s *Server) staffShow(w http.ResponseWriter, r *http.Request) {
	u, ok := s.staffUserOf(w, r)
	if !ok {
		return
	}
	s.renderStaffUser(w, r, u, http.StatusOK, staffDone[r.URL.Query().Get("did")], "")
}

func (s *Server) renderStaffUser(w http.ResponseWriter, r *http.Request, u account.User, status int, done, problem string) {
	rows, err := s.staffRows(r, []account.User{u})
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	n, err := s.accounts.CountSessions(r.Context(), u.ID, s.web.Now())
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	sess, _ := sessionOf(r)
	s.web.Render(w, r, status, "admin_staff_user", staffUserPage{Base: s.web.Base(r), User: rows[0],
		Self: sess.User.ID == u.ID, Sessions: n, Done: done, Problem: problem})
}

// staffCodesOff serves POST /admin/staff/{id}/codes-off: a lost phone.
func (s *Server) staffCodesOff(w http.ResponseWriter, r *http.Request) {
	s.staffChange(w, r, "codes-off", func(u account.User) error {
		return s.accounts.DisableTOTP(r.Context(), staffActor(r), u.ID, s.web.Now())
	})
}

// staffSignOut serves POST /admin/staff/{id}/sign-out.
func (s *Server) staffSignOut(w http.ResponseWriter, r *http.Request) {
	s.staffChange(w, r, "sign-out", func(u account.User) error {
		return s.accounts.SignOutEverywhere(r.Context(), staffActor(r), u.ID, s.web.Now())
	})
}

// errDisableSelf refuses an admin disabling their own account from the
// browser: they would be signed out at once and could not undo it.
var errDisableSelf = errors.New("admin: disable your own account")

// staffDisable serves POST /admin/staff/{id}/disable.
func (s *Server) staffDisable(w http.ResponseWriter, r *http.Request) {
	s.staffChange(w, r, "disable", func(u account.User) error {
		if sess, _ := sessionOf(r); sess.User.ID == u.ID {
			return errDisableSelf
		}
		return s.accounts.Disable(r.Context(), staffActor(r), u.ID, s.web.Now())
	})
}

// staffEnable serves POST /admin/staff/{id}/enable.
func (s *Server) staffEnable(w http.ResponseWriter, r *http.Request) {
	s.staffChange(w, r, "enable", func(u account.User) error {
		return s.accounts.Enable(r.Context(), staffActor(r), u.ID, s.web.Now())
	})
}

// staffChange runs one action on the path's user and goes back to their
// page with its notice; an action that is not allowed (the last admin,
// one's own account) shows the page again with the reason.
func (s *Server) staffChange(w http.ResponseWriter, r *http.Request, did string, change func(account.User) error) {
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	u, ok := s.staffUserOf(w, r)
	if !ok {
		return
	}
	err := change(u)
	switch {
	case errors.Is(err, account.ErrLastAdmin):
		s.renderStaffUser(w, r, u, http.StatusConflict, "",
			"This is the last admin who can sign in, so the account stays enabled: make someone else an admin first.")
		return
	case errors.Is(err, errDisableSelf):
		s.renderStaffUser(w, r, u, http.StatusConflict, "",
			"You cannot disable your own account here: you would be signed out at once. Another admin can do it.")
		return
	case err != nil:
		s.web.Error(w, r, err, web.Link{URL: fmt.Sprintf("/admin/staff/%d", u.ID), Label: "Back to the account"})
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/staff/%d?did=%s", u.ID, did), http.StatusSeeOther)
}
