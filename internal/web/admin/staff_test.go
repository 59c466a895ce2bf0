package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// staffUsers is a staff area with an admin (signed in), a trainer limited
// to one course with one-time codes on (signed in on two devices) and a
// coordinator (signed in).
type staffUsers struct {
	*staffArea
	admin, trainer, coord account.User
	adminTok, coordTok    string
	trainerToks           []string
	course                catalog.Course
}

func newStaffUsers(t *testing.T) *staffUsers {
	t.Helper()
	a := newArea(t, nil)
	s := &staffUsers{staffArea: a, course: catalogtest.NewCourse(t0)}
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&s.course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	s.admin = a.addUser(t, "admin@example.org", account.Admin)
	s.trainer = a.addUser(t, "trainer@example.org", account.Trainer, s.course.ID)
	s.coord = a.addUser(t, "coord@example.org", account.Coordinator)
	e, err := a.accounts.StartTOTP(ctx, s.trainer.Actor(), s.trainer.ID, t0)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(e.Secret, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.accounts.ConfirmTOTP(ctx, s.trainer.Actor(), s.trainer.ID, code, t0); err != nil {
		t.Fatal(err)
	}
	a.clock.add(time.Minute)
	for range 2 {
		code, err := totp.GenerateCode(e.Secret, a.clock.now())
		if err != nil {
			t.Fatal(err)
		}
		s.trainerToks = append(s.trainerToks, a.signIn(t, s.trainer.Email, password, code))
		a.clock.add(time.Minute) // a code is good once
	}
	s.adminTok = a.signIn(t, s.admin.Email, password, "")
	s.coordTok = a.signIn(t, s.coord.Email, password, "")
	return s
}

// signedIn reports whether tok still opens the staff area.
func (s *staffUsers) signedIn(t *testing.T, tok string) bool {
	t.Helper()
	res, _ := s.get(t, "/admin", tok)
	return res.StatusCode == http.StatusOK
}

// lastAudit returns the newest audit entry of action on user id.
func (s *staffUsers) lastAudit(t *testing.T, action string, id int64) audit.Entry {
	t.Helper()
	entries, err := audit.List(ctx, s.db, audit.Filter{Action: action, Object: "user", ObjectID: id})
	if err != nil || len(entries) == 0 {
		t.Fatalf("audit: no %s of user %d (%v)", action, id, err)
	}
	return entries[0]
}

func TestStaffList(t *testing.T) {
	t.Parallel()
	s := newStaffUsers(t)
	res, body := s.get(t, "/admin", s.adminTok)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/admin/staff"`) {
		t.Errorf("the admin's home page has no link to the staff accounts (%d)", res.StatusCode)
	}
	if _, body := s.get(t, "/admin", s.coordTok); strings.Contains(body, `href="/admin/staff"`) {
		t.Error("a coordinator's home page links to the staff accounts")
	}
	res, body = s.get(t, "/admin/staff", s.adminTok)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/staff: %d", res.StatusCode)
	}
	for _, u := range []account.User{s.admin, s.trainer, s.coord} {
		if !strings.Contains(body, fmt.Sprintf(`href="/admin/staff/%d"`, u.ID)) || !strings.Contains(body, u.Email) {
			t.Errorf("the list has no row for %s", u.Email)
		}
	}
	// The trainer's row: their role, the course they are limited to, codes on.
	row := body[strings.Index(body, "trainer@example.org"):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{"<td>trainer</td>", "<td>" + s.course.Title + "</td>", "<td>On</td>", "<td>Active</td>"} {
		if !strings.Contains(row, want) {
			t.Errorf("the trainer's row has no %q: %s", want, row)
		}
	}
}

// TestStaffLostPhone: an admin turns a trainer's codes off from the
// browser; every session of the trainer ends, they sign in with their
// password alone, and the audit log names the admin.
func TestStaffLostPhone(t *testing.T) {
	t.Parallel()
	s := newStaffUsers(t)
	path := fmt.Sprintf("/admin/staff/%d", s.trainer.ID)
	_, body := s.get(t, path, s.adminTok)
	if !strings.Contains(body, path+"/codes-off") || !strings.Contains(body, "2 browsers or devices") {
		t.Fatalf("the trainer's page offers no codes-off or does not count their 2 sessions:\n%s", body)
	}
	res, _ := s.post(t, path+"/codes-off", s.adminTok, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?did=codes-off" {
		t.Fatalf("codes-off: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	u, err := s.accounts.User(ctx, s.trainer.ID)
	if err != nil || u.TOTP {
		t.Fatalf("after codes-off the trainer's codes are on (%v)", err)
	}
	for i, tok := range s.trainerToks {
		if s.signedIn(t, tok) {
			t.Errorf("the trainer's session %d still works after their codes were turned off", i+1)
		}
	}
	if !s.signedIn(t, s.adminTok) {
		t.Error("the admin was signed out")
	}
	_, body = s.get(t, path+"?did=codes-off", s.adminTok)
	if !strings.Contains(body, "One-time codes are off") || strings.Contains(body, path+"/codes-off") ||
		!strings.Contains(body, "0 browsers or devices") {
		t.Errorf("after codes-off the page does not say so, or still offers it:\n%s", body)
	}
	s.signIn(t, s.trainer.Email, password, "") // no code needed now
	if e := s.lastAudit(t, "user.totp_off", s.trainer.ID); e.Actor.ID != s.admin.ID {
		t.Errorf("the codes-off is recorded as %+v, want the admin", e.Actor)
	}
}

// TestStaffDisable: an admin disables someone who left and enables them
// again; nobody can disable themselves here.
func TestStaffDisable(t *testing.T) {
	t.Parallel()
	s := newStaffUsers(t)
	path := fmt.Sprintf("/admin/staff/%d", s.coord.ID)
	res, _ := s.post(t, path+"/disable", s.adminTok, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path+"?did=disable" {
		t.Fatalf("disable: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if s.signedIn(t, s.coordTok) {
		t.Error("the disabled coordinator's session still works")
	}
	res, body := s.post(t, "/admin/login", "", url.Values{"email": {s.coord.Email}, "password": {password}})
	if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil || !strings.Contains(body, "The e-mail address or the password is not right") {
		t.Errorf("a disabled coordinator signing in: %d, want 401 as for a wrong password", res.StatusCode)
	}
	_, body = s.get(t, path, s.adminTok)
	if !strings.Contains(body, "Disabled: cannot sign in") || !strings.Contains(body, path+"/enable") {
		t.Errorf("the disabled account's page does not say so or offer to enable it:\n%s", body)
	}
	if e := s.lastAudit(t, "user.disable", s.coord.ID); e.Actor.ID != s.admin.ID {
		t.Errorf("the disable is recorded as %+v, want the admin", e.Actor)
	}

	res, _ = s.post(t, path+"/enable", s.adminTok, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", res.StatusCode)
	}
	s.signIn(t, s.coord.Email, password, "")
	s.lastAudit(t, "user.enable", s.coord.ID)

	// Their own account: refused, with the reason, and nothing changes.
	self := fmt.Sprintf("/admin/staff/%d", s.admin.ID)
	_, body = s.get(t, self, s.adminTok)
	for _, action := range []string{"/disable", "/codes-off", "/sign-out"} {
		if strings.Contains(body, self+action) || !strings.Contains(body, "This is your own account") {
			t.Errorf("an admin's own page offers %s, which would sign them out:\n%s", action, body)
		}
	}
	res, body = s.post(t, self+"/disable", s.adminTok, nil)
	if res.StatusCode != http.StatusConflict || !strings.Contains(body, "You cannot disable your own account") {
		t.Errorf("disabling oneself: %d, want 409 with the reason", res.StatusCode)
	}
	if u, err := s.accounts.User(ctx, s.admin.ID); err != nil || u.Disabled || !s.signedIn(t, s.adminTok) {
		t.Errorf("disabling oneself was refused, but the account changed (%v)", err)
	}
}

// TestStaffSignOutAndMissing: sign out everywhere ends only that user's
// sessions; an account that does not exist is the 404 page.
func TestStaffSignOutAndMissing(t *testing.T) {
	t.Parallel()
	s := newStaffUsers(t)
	path := fmt.Sprintf("/admin/staff/%d", s.coord.ID)
	if res, _ := s.post(t, path+"/sign-out", s.adminTok, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	if s.signedIn(t, s.coordTok) {
		t.Error("the coordinator's session still works")
	}
	if !s.signedIn(t, s.trainerToks[0]) || !s.signedIn(t, s.adminTok) {
		t.Error("signing the coordinator out ended someone else's session")
	}
	if e := s.lastAudit(t, "user.sign_out_everywhere", s.coord.ID); e.Actor.ID != s.admin.ID {
		t.Errorf("the sign-out is recorded as %+v, want the admin", e.Actor)
	}
	for _, p := range []string{"/admin/staff/999999", "/admin/staff/nope"} {
		if res, _ := s.get(t, p, s.adminTok); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, res.StatusCode)
		}
	}
	if res, _ := s.post(t, "/admin/staff/999999/disable", s.adminTok, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("disable an account that does not exist: %d, want 404", res.StatusCode)
	}
}
