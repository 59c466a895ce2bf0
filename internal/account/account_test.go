package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
)

var ctx = context.Background()

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const password = "correct horse battery"

var cli = audit.CommandLine("alice")

func newService(t *testing.T, opts account.Options) (*account.Service, *database.DB) {
	t.Helper()
	db := dbtest.New(t)
	opts.DB = db
	s := account.New(opts)
	s.CheapHashes()
	return s, db
}

func addUser(t *testing.T, s *account.Service, email string, role account.Role) account.User {
	t.Helper()
	u, err := s.AddUser(ctx, cli, account.Profile{Email: email, Name: "Ann Smith", Role: role}, password, t0)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func signIn(s *account.Service, email, pw, code string, at time.Time) (account.Session, string, error) {
	return s.SignIn(ctx, account.Credentials{Email: email, Password: pw, Code: code, ClientAddr: "192.0.2.1"}, at)
}

func TestAddUser(t *testing.T) {
	t.Parallel()
	s, db := newService(t, account.Options{})
	u, err := s.AddUser(ctx, cli, account.Profile{Email: " Ann@Example.org ", Name: "Ann", Role: account.Coordinator,
		CourseLimited: true}, password, t0)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.Email != "Ann@Example.org" || u.Role != account.Coordinator || !u.CourseLimited || u.Disabled || u.TOTP ||
		!u.CreatedAt.Equal(t0) {
		t.Fatalf("added: %+v", u)
	}
	for _, email := range []string{"ann@example.org", "ANN@EXAMPLE.ORG"} {
		if _, err := s.AddUser(ctx, cli, account.Profile{Email: email, Role: account.Finance}, password, t0); !errors.Is(err, account.ErrEmailTaken) {
			t.Errorf("add %s again: got %v, want ErrEmailTaken", email, err)
		}
	}
	got, err := s.UserByEmail(ctx, "ANN@example.ORG")
	if err != nil || got.ID != u.ID {
		t.Fatalf("UserByEmail in another case: %+v, %v", got, err)
	}
	for _, tt := range []struct {
		name string
		p    account.Profile
		pw   string
		want error
	}{
		{"bad e-mail", account.Profile{Email: "Ann <a@example.org>", Role: account.Admin}, password, account.ErrBadEmail},
		{"no e-mail", account.Profile{Role: account.Admin}, password, account.ErrBadEmail},
		{"bad role", account.Profile{Email: "b@example.org", Role: "root"}, password, account.ErrUnknownRole},
		{"short password", account.Profile{Email: "b@example.org", Role: account.Admin}, "short", account.ErrWeakPassword},
	} {
		if _, err := s.AddUser(ctx, cli, tt.p, tt.pw, t0); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	entries, err := audit.List(ctx, db, audit.Filter{Object: "user", ObjectID: u.ID})
	if err != nil || len(entries) != 1 || entries[0].Action != "user.create" || entries[0].Actor != cli {
		t.Fatalf("audit: %+v, %v", entries, err)
	}
	if !strings.Contains(string(entries[0].After), `"role":"coordinator"`) {
		t.Errorf("audit after: %s", entries[0].After)
	}
}

func TestUpdateUserAndLastAdmin(t *testing.T) {
	t.Parallel()
	s, db := newService(t, account.Options{})
	admin := addUser(t, s, "admin@example.org", account.Admin)
	// Limit courses needs real course rows (a foreign key): two bare ones.
	for _, id := range []int64{11, 12} {
		if _, err := db.ExecContext(ctx, `INSERT INTO courses (id, slug, title, created_at, updated_at) VALUES ($1, $2, 'T', $3, $3)`,
			id, "c"+string(rune('0'+id-10)), t0); err != nil {
			t.Fatal(err)
		}
	}
	u, err := s.UpdateUser(ctx, admin.Actor(), admin.ID, account.Profile{Email: admin.Email, Role: account.Coordinator}, t0)
	if !errors.Is(err, account.ErrLastAdmin) {
		t.Fatalf("take the last admin's role: got %v, %+v", err, u)
	}
	if err := s.Disable(ctx, cli, admin.ID, t0); !errors.Is(err, account.ErrLastAdmin) {
		t.Fatalf("disable the last admin: got %v", err)
	}
	other := addUser(t, s, "other@example.org", account.Admin)
	u, err = s.UpdateUser(ctx, other.Actor(), admin.ID, account.Profile{Email: "Admin@Example.org", Name: "Ann",
		Role: account.Trainer, CourseLimited: true, Courses: []int64{12, 11, 12}}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != account.Trainer || u.Name != "Ann" || len(u.Courses) != 2 || u.Courses[0] != 11 || !u.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("updated: %+v", u)
	}
	if !account.Can(u, account.AttendeesRead, 11) || account.Can(u, account.AttendeesRead, 13) {
		t.Error("the stored course limits are not the ones Can sees")
	}
	if err := s.Disable(ctx, cli, other.ID, t0); !errors.Is(err, account.ErrLastAdmin) {
		t.Fatalf("disable the admin left: got %v", err)
	}
	entries, _ := audit.List(ctx, db, audit.Filter{Action: "user.update"})
	if len(entries) != 1 || entries[0].Actor != other.Actor() || !strings.Contains(string(entries[0].Before), `"role":"admin"`) ||
		!strings.Contains(string(entries[0].After), `"courses":[11,12]`) {
		t.Fatalf("audit of the update: %+v", entries)
	}
}

func TestSignInAndSessions(t *testing.T) {
	t.Parallel()
	s, db := newService(t, account.Options{})
	u := addUser(t, s, "ann@example.org", account.Coordinator)

	for _, tt := range []struct{ email, pw string }{
		{"ann@example.org", "wrong password!"},
		{"nobody@example.org", password},
		{"ann@example.org", ""},
	} {
		if _, _, err := signIn(s, tt.email, tt.pw, "", t0); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("sign in %s / %q: got %v, want ErrBadCredentials", tt.email, tt.pw, err)
		}
	}
	sess, token, err := signIn(s, "ANN@example.org", password, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 43 || sess.User.ID != u.ID || !sess.ExpiresAt.Equal(t0.Add(30*time.Minute)) || sess.MustEnrolTOTP {
		t.Fatalf("session %+v, token %q", sess, token)
	}
	var stored int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_sessions WHERE token_hash = $1`, token).Scan(&stored); err != nil || stored != 0 {
		t.Fatalf("the token itself is stored: %d, %v", stored, err)
	}
	got, err := s.SessionByToken(ctx, token, t0.Add(10*time.Minute))
	if err != nil || got.User.ID != u.ID || !got.Can(account.BookingsEdit, 1) {
		t.Fatalf("SessionByToken: %+v, %v", got, err)
	}
	if _, err := s.SessionByToken(ctx, token+"x", t0); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("a wrong token: %v", err)
	}

	// Sign-in rotates: signing in again with the old token ends it.
	_, token2, err := s.SignIn(ctx, account.Credentials{Email: u.Email, Password: password, Previous: token}, t0.Add(11*time.Minute))
	if err != nil || token2 == token {
		t.Fatalf("second sign-in: %v (same token: %v)", err, token2 == token)
	}
	if _, err := s.SessionByToken(ctx, token, t0.Add(11*time.Minute)); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("the token from before the sign-in still works: %v", err)
	}

	// Idle timeout: used at +11m, then every 29 minutes it lives on;
	// after 30 minutes without use it is gone.
	at := t0.Add(11 * time.Minute)
	for range 3 {
		at = at.Add(29 * time.Minute)
		if _, err := s.SessionByToken(ctx, token2, at); err != nil {
			t.Fatalf("used at %s: %v", at, err)
		}
	}
	if _, err := s.SessionByToken(ctx, token2, at.Add(30*time.Minute)); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("idle for 30 minutes: %v, want ErrNoSession", err)
	}
	if _, err := s.SessionByToken(ctx, token2, at); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("an expired session came back: %v", err)
	}

	// Absolute limit: 12 h after sign-in, however busy.
	start := t0.Add(24 * time.Hour)
	_, token3, err := signIn(s, u.Email, password, "", start)
	if err != nil {
		t.Fatal(err)
	}
	for at := start.Add(20 * time.Minute); at.Before(start.Add(12 * time.Hour)); at = at.Add(20 * time.Minute) {
		if _, err := s.SessionByToken(ctx, token3, at); err != nil {
			t.Fatalf("in use at %s: %v", at.Sub(start), err)
		}
	}
	if _, err := s.SessionByToken(ctx, token3, start.Add(12*time.Hour)); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("12 h after sign-in: %v, want ErrNoSession", err)
	}

	// Sign out ends one session; sign out everywhere ends them all.
	day := t0.Add(48 * time.Hour)
	var tokens []string
	for i := range 3 {
		_, tok, err := signIn(s, u.Email, password, "", day.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	if err := s.SignOut(ctx, tokens[0], day.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, tokens[0], day.Add(time.Minute)); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("signed out: %v", err)
	}
	if _, err := s.SessionByToken(ctx, tokens[1], day.Add(time.Minute)); err != nil {
		t.Fatalf("another session ended with the one signed out: %v", err)
	}
	if n, err := s.CountSessions(ctx, u.ID, day.Add(time.Minute)); err != nil || n != len(tokens)-1 {
		t.Fatalf("sessions open: %d (%v), want %d", n, err, len(tokens)-1)
	}
	if n, _ := s.CountSessions(ctx, u.ID, day.Add(365*24*time.Hour)); n != 0 {
		t.Fatalf("a year on, %d sessions still count as open", n)
	}
	if err := s.SignOutEverywhere(ctx, u.Actor(), u.ID, day.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, tok := range tokens[1:] {
		if _, err := s.SessionByToken(ctx, tok, day.Add(2*time.Minute)); !errors.Is(err, account.ErrNoSession) {
			t.Fatalf("after sign-out everywhere: %v", err)
		}
	}
	if n, _ := s.CountSessions(ctx, u.ID, day.Add(2*time.Minute)); n != 0 {
		t.Fatalf("sessions left: %d", n)
	}

	// Disabling ends the sessions and refuses the password.
	_, tok, _ := signIn(s, u.Email, password, "", day.Add(time.Hour))
	if err := s.Disable(ctx, cli, u.ID, day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, tok, day.Add(time.Hour)); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("a disabled user's session: %v", err)
	}
	if _, _, err := signIn(s, u.Email, password, "", day.Add(2*time.Hour)); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("a disabled user signs in: %v", err)
	}

	actions := auditActions(t, db, u.ID)
	for _, want := range []string{"user.sign_in", "user.sign_out", "user.sign_out_everywhere", "user.disable"} {
		if !strings.Contains(actions, want) {
			t.Errorf("audit has no %s: %s", want, actions)
		}
	}
	noSecrets(t, db, append(tokens, password, token, token2, token3)...)
}

func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, account.Options{})
	u := addUser(t, s, "ann@example.org", account.Coordinator)
	at := t0
	attempt := func(pw, addr string) error {
		_, _, err := s.SignIn(ctx, account.Credentials{Email: u.Email, Password: pw, ClientAddr: addr}, at)
		return err
	}
	// Five failures are heard at once.
	for i := range 5 {
		if err := attempt("wrong password!", "192.0.2.1"); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// Then each failure makes the next attempt wait: 1 s, 2 s, 4 s …
	for _, wait := range []time.Duration{1, 2, 4, 8, 16, 30, 30, 30} {
		wait *= time.Second
		var te *account.ThrottledError
		if err := attempt(password, "198.51.100.7"); !errors.As(err, &te) || te.RetryAfter != wait {
			t.Fatalf("right password, too soon: got %v, want a wait of %s", err, wait)
		}
		// An attempt during the wait is not counted: it does not lengthen it.
		at = at.Add(wait - time.Millisecond)
		if err := attempt("wrong password!", "198.51.100.7"); !errors.As(err, &te) || te.Seconds() != 1 {
			t.Fatalf("just before the wait ends: %v", err)
		}
		at = at.Add(time.Millisecond)
		if err := attempt("wrong password!", "192.0.2.1"); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("after the wait: %v", err)
		}
	}
	// Never a lock-out: the wait stops growing at 30 s, and then the right
	// password gets in — from anywhere — and clears the account's count.
	at = at.Add(30 * time.Second)
	if err := attempt(password, "203.0.113.9"); err != nil {
		t.Fatalf("the owner after the longest wait: %v", err)
	}
	if err := attempt("wrong password!", "203.0.113.9"); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("after a good sign-in the count starts again: %v", err)
	}

	// One address guessing at many accounts is slowed on its own.
	for i := range 20 {
		_, _, err := s.SignIn(ctx, account.Credentials{Email: "guess" + string(rune('a'+i)) + "@example.org", Password: "x",
			ClientAddr: "2001:db8::1"}, at)
		if !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	var te *account.ThrottledError
	_, _, err := s.SignIn(ctx, account.Credentials{Email: "someone@example.org", Password: "x", ClientAddr: "2001:db8::2"}, at)
	if !errors.As(err, &te) || te.RetryAfter != time.Second {
		t.Fatalf("the same /64, another account: %v, want a wait of 1s", err)
	}
	if err := attempt(password, "2001:db9::1"); err != nil {
		t.Fatalf("another address is not slowed by it: %v", err)
	}
	// Failures an hour old are forgotten.
	at = at.Add(time.Hour + time.Second)
	if _, _, err := s.SignIn(ctx, account.Credentials{Email: "someone@example.org", Password: "x", ClientAddr: "2001:db8::2"}, at); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("an hour later: %v", err)
	}
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP(t *testing.T) {
	t.Parallel()
	s, db := newService(t, account.Options{Issuer: "DIT Centre"})
	u := addUser(t, s, "ann@example.org", account.Coordinator)
	if err := s.ConfirmTOTP(ctx, u.Actor(), u.ID, "123456", t0); !errors.Is(err, account.ErrNoTOTP) {
		t.Fatalf("confirm before start: %v", err)
	}
	en, err := s.StartTOTP(ctx, u.Actor(), u.ID, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(en.Secret) < 32 || !strings.HasPrefix(en.URL, "otpauth://totp/DIT%20Centre:ann@example.org?") ||
		!strings.Contains(en.URL, "secret="+en.Secret) {
		t.Fatalf("enrolment: %+v", en)
	}
	// Until confirmed, sign-in needs no code.
	if _, _, err := signIn(s, u.Email, password, "", t0); err != nil {
		t.Fatalf("sign in before confirming: %v", err)
	}
	wrong := "000000"
	if code(t, en.Secret, t0) == wrong {
		wrong = "111111"
	}
	if err := s.ConfirmTOTP(ctx, u.Actor(), u.ID, wrong, t0); !errors.Is(err, account.ErrBadCode) {
		t.Fatalf("confirm with a wrong code: %v", err)
	}
	if err := s.ConfirmTOTP(ctx, u.Actor(), u.ID, code(t, en.Secret, t0), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartTOTP(ctx, u.Actor(), u.ID, t0); !errors.Is(err, account.ErrTOTPOn) {
		t.Fatalf("start again while on: %v", err)
	}

	at := t0.Add(time.Minute) // two steps on
	if _, _, err := signIn(s, u.Email, password, "", at); !errors.Is(err, account.ErrCodeRequired) {
		t.Fatalf("no code: %v, want ErrCodeRequired", err)
	}
	if _, _, err := signIn(s, u.Email, "wrong password!", code(t, en.Secret, at), at); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("right code, wrong password: %v", err)
	}
	if _, _, err := signIn(s, u.Email, password, wrong, at); !errors.Is(err, account.ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	// The code of the step before is still good (a slow phone), then the
	// same code again is refused, and so is any older step's.
	prev := code(t, en.Secret, at.Add(-30*time.Second))
	if _, _, err := signIn(s, u.Email, password, prev, at); err != nil {
		t.Fatalf("the previous step's code: %v", err)
	}
	if _, _, err := signIn(s, u.Email, password, prev, at); !errors.Is(err, account.ErrBadCode) {
		t.Fatalf("a code used once: %v, want ErrBadCode", err)
	}
	now := code(t, en.Secret, at)
	if _, _, err := signIn(s, u.Email, password, " "+now[:3]+" "+now[3:], at); err != nil {
		t.Fatalf("the current code, typed with spaces: %v", err)
	}
	if _, _, err := signIn(s, u.Email, password, now, at); !errors.Is(err, account.ErrBadCode) {
		t.Fatalf("the current code again in the same step: %v", err)
	}
	// Two steps away is outside the window.
	later := at.Add(5 * time.Minute)
	if _, _, err := signIn(s, u.Email, password, code(t, en.Secret, later.Add(-60*time.Second)), later); !errors.Is(err, account.ErrBadCode) {
		t.Fatalf("a code two steps old: %v", err)
	}
	_, tok, err := signIn(s, u.Email, password, code(t, en.Secret, later.Add(30*time.Second)), later)
	if err != nil {
		t.Fatalf("the next step's code (a fast phone): %v", err)
	}

	if err := s.DisableTOTP(ctx, cli, u.ID, later); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, tok, later); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("a session opened with a code outlived turning codes off: %v", err)
	}
	if _, _, err := signIn(s, u.Email, password, "", later.Add(time.Minute)); err != nil {
		t.Fatalf("sign in after codes were turned off: %v", err)
	}
	actions := auditActions(t, db, u.ID)
	for _, want := range []string{"user.totp_start", "user.totp_on", "user.totp_off"} {
		if !strings.Contains(actions, want) {
			t.Errorf("audit has no %s: %s", want, actions)
		}
	}
	noSecrets(t, db, en.Secret, password)
}

func TestRequireTOTP(t *testing.T) {
	t.Parallel()
	s, _ := newService(t, account.Options{RequireTOTP: []account.Role{account.Admin, account.Finance}})
	admin := addUser(t, s, "admin@example.org", account.Admin)
	coord := addUser(t, s, "coord@example.org", account.Coordinator)
	if !s.RequiresTOTP(account.Admin) || s.RequiresTOTP(account.Coordinator) {
		t.Fatal("RequiresTOTP does not follow the options")
	}
	sess, tok, err := signIn(s, admin.Email, password, "", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.MustEnrolTOTP || sess.Can(account.UsersManage, 0) {
		t.Fatalf("an admin without codes: %+v", sess)
	}
	en, _ := s.StartTOTP(ctx, admin.Actor(), admin.ID, t0)
	if err := s.ConfirmTOTP(ctx, admin.Actor(), admin.ID, code(t, en.Secret, t0), t0); err != nil {
		t.Fatal(err)
	}
	sess, err = s.SessionByToken(ctx, tok, t0.Add(time.Minute))
	if err != nil || sess.MustEnrolTOTP || !sess.Can(account.UsersManage, 0) {
		t.Fatalf("after setting up codes: %+v, %v", sess, err)
	}
	if sess, _, err := signIn(s, coord.Email, password, "", t0); err != nil || sess.MustEnrolTOTP {
		t.Fatalf("a coordinator, not required: %+v, %v", sess, err)
	}
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s, db := newService(t, account.Options{})
	u := addUser(t, s, "ann@example.org", account.Coordinator)
	_, old, _ := signIn(s, u.Email, password, "", t0)
	if _, _, err := s.RequestReset(ctx, cli, "nobody@example.org", t0); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("reset for nobody: %v", err)
	}
	first, _, err := s.RequestReset(ctx, u.Actor(), "ANN@example.org", t0)
	if err != nil {
		t.Fatal(err)
	}
	token, got, err := s.RequestReset(ctx, u.Actor(), u.Email, t0.Add(time.Minute))
	if err != nil || got.ID != u.ID {
		t.Fatal(err)
	}
	const newPW = "a brand new password"
	if _, err := s.ResetPassword(ctx, first, newPW, t0.Add(2*time.Minute)); !errors.Is(err, account.ErrBadResetToken) {
		t.Fatalf("an earlier link after a newer one: %v", err)
	}
	if _, err := s.ResetPassword(ctx, token, "short", t0.Add(2*time.Minute)); !errors.Is(err, account.ErrWeakPassword) {
		t.Fatalf("a short password: %v", err)
	}
	if _, err := s.ResetPassword(ctx, token, newPW, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResetPassword(ctx, token, newPW+"!", t0.Add(3*time.Minute)); !errors.Is(err, account.ErrBadResetToken) {
		t.Fatalf("the link used twice: %v", err)
	}
	if _, err := s.SessionByToken(ctx, old, t0.Add(3*time.Minute)); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("a session from before the reset: %v", err)
	}
	if _, _, err := signIn(s, u.Email, password, "", t0.Add(3*time.Minute)); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("the old password: %v", err)
	}
	if _, _, err := signIn(s, u.Email, newPW, "", t0.Add(3*time.Minute)); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	// A link lasts an hour.
	late, _, _ := s.RequestReset(ctx, u.Actor(), u.Email, t0.Add(time.Hour))
	if _, err := s.ResetPassword(ctx, late, "yet another password", t0.Add(2*time.Hour)); !errors.Is(err, account.ErrBadResetToken) {
		t.Fatalf("a link an hour old: %v", err)
	}
	actions := auditActions(t, db, u.ID)
	if !strings.Contains(actions, "user.reset_request") || !strings.Contains(actions, "user.password_reset") {
		t.Errorf("audit: %s", actions)
	}
	noSecrets(t, db, token, first, late, password, newPW)
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	s, db := newService(t, account.Options{})
	u := addUser(t, s, "ann@example.org", account.Finance)
	_, tok, _ := signIn(s, u.Email, password, "", t0)
	if err := s.SetPassword(ctx, cli, u.ID, "short", t0); !errors.Is(err, account.ErrWeakPassword) {
		t.Fatalf("short: %v", err)
	}
	if err := s.SetPassword(ctx, cli, u.ID, "another good password", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByToken(ctx, tok, t0); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("a session after the password changed: %v", err)
	}
	if _, _, err := signIn(s, u.Email, "another good password", "", t0); err != nil {
		t.Fatal(err)
	}
	noSecrets(t, db, password, "another good password", tok)
}

// auditActions returns the actions recorded about a user, oldest first.
func auditActions(t *testing.T, db *database.DB, userID int64) string {
	t.Helper()
	entries, err := audit.List(ctx, db, audit.Filter{Object: "user", ObjectID: userID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var as []string
	for i := len(entries) - 1; i >= 0; i-- {
		as = append(as, entries[i].Action)
	}
	return strings.Join(as, " ")
}

// noSecrets fails if any audit entry holds one of the secrets, or a
// password hash.
func noSecrets(t *testing.T, db *database.DB, secrets ...string) {
	t.Helper()
	entries, err := audit.List(ctx, db, audit.Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		text := string(e.Before) + string(e.After) + e.Reason + e.Actor.Name
		if strings.Contains(text, "argon2id") {
			t.Errorf("audit entry %d (%s) holds a password hash: %s", e.ID, e.Action, text)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("audit entry %d (%s) holds a secret: %s", e.ID, e.Action, text)
			}
		}
	}
}
