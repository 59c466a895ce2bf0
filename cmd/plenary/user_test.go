package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// userCLI runs plenary with stdin as standard input.
func userCLI(t *testing.T, dbURL, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "PLENARY_DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	err := runWithInput(context.Background(), args, strings.NewReader(stdin), &out, &errOut, getenv)
	return out.String(), errOut.String(), err
}

var shownPassword = regexp.MustCompile(`Password \(shown once\): (\S+)`)

func TestUserCommands(t *testing.T) {
	dbURL, db := migrated(t)
	course := catalogtest.Course(t, db, nil)
	other := catalogtest.Course(t, db, func(c *catalog.Course) { c.Slug = "other-course"; c.Events[0].Ref = "o" })
	a := testApp(t, dbURL, db)
	ctx := context.Background()
	signIn := func(email, pw string) error {
		_, _, err := a.accounts.SignIn(ctx, account.Credentials{Email: email, Password: pw}, time.Now())
		return err
	}

	// add: the password from standard input.
	out, _, err := userCLI(t, dbURL, "first password here\n", "user", "add", "-email", "Ann@Example.org", "-role", "coordinator",
		"-name", "Ann Smith", "-courses", course.Slug+", "+other.Slug)
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	if !strings.Contains(out, "Added Ann@Example.org (coordinator") || strings.Contains(out, "first password") {
		t.Fatalf("user add said: %q", out)
	}
	if err := signIn("ann@example.org", "first password here"); err != nil {
		t.Fatalf("sign in with the piped password: %v", err)
	}
	ann, _ := a.accounts.UserByEmail(ctx, "ann@example.org")
	if !ann.CourseLimited || len(ann.Courses) != 2 || !account.Can(ann, account.BookingsEdit, course.ID) {
		t.Fatalf("ann: %+v", ann)
	}

	// add -generate: a password made up and printed once.
	out, _, err = userCLI(t, dbURL, "", "user", "add", "-email", "boss@example.org", "-role", "admin", "-generate")
	if err != nil {
		t.Fatal(err)
	}
	m := shownPassword.FindStringSubmatch(out)
	if m == nil || len(m[1]) < 20 {
		t.Fatalf("no generated password in %q", out)
	}
	if err := signIn("boss@example.org", m[1]); err != nil {
		t.Fatalf("sign in with the generated password: %v", err)
	}

	for _, tt := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"another password\n", []string{"user", "add", "-email", "ANN@example.org", "-role", "finance"}, "exists already"},
		{"another password\n", []string{"user", "add", "-email", "x@example.org", "-role", "root"}, "roles are admin"},
		{"another password\n", []string{"user", "add", "-email", "x@example.org", "-role", "trainer", "-courses", "nope"}, `no course "nope"`},
		{"", []string{"user", "add", "-email", "x@example.org", "-role", "trainer"}, "no password on standard input"},
		{"short\n", []string{"user", "add", "-email", "x@example.org", "-role", "trainer"}, "12 to 256 characters"},
		{"another password\n", []string{"user", "add", "-email", "not an address", "-role", "trainer"}, "not an e-mail address"},
		{"", []string{"user", "passwd", "nobody@example.org"}, "no such user"},
		{"", []string{"user", "disable", "nobody@example.org"}, "no such user"},
		{"", []string{"user", "disable", "boss@example.org"}, "last enabled admin"},
	} {
		if _, _, err := userCLI(t, dbURL, tt.stdin, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	if _, _, err := userCLI(t, dbURL, "", "user", "frobnicate"); !errors.Is(err, errUsage) {
		t.Errorf("an unknown user command: %v", err)
	}

	// list, as text and as JSON.
	out, _, err = userCLI(t, dbURL, "", "user", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Ann@Example.org", "Ann Smith", "coordinator", "other-course,test-course", "boss@example.org", "admin", "all", "active"} {
		if !strings.Contains(out, want) {
			t.Errorf("user list has no %q:\n%s", want, out)
		}
	}
	out, _, err = userCLI(t, dbURL, "", "user", "list", "-format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var listed []struct {
		Email   string   `json:"email"`
		Role    string   `json:"role"`
		Courses []string `json:"courses"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 2 || listed[0].Email != "Ann@Example.org" ||
		len(listed[0].Courses) != 2 {
		t.Fatalf("user list -format json: %v\n%s", err, out)
	}

	// passwd: from standard input; the old password and sessions end.
	_, tok, err := a.accounts.SignIn(ctx, account.Credentials{Email: "ann@example.org", Password: "first password here"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if out, _, err := userCLI(t, dbURL, "second password here\n", "user", "passwd", "ann@example.org"); err != nil ||
		!strings.Contains(out, "signed out everywhere") {
		t.Fatalf("user passwd: %v %q", err, out)
	}
	if _, err := a.accounts.SessionByToken(ctx, tok, time.Now()); !errors.Is(err, account.ErrNoSession) {
		t.Fatalf("a session survived passwd: %v", err)
	}
	if err := signIn("ann@example.org", "second password here"); err != nil {
		t.Fatalf("the new password: %v", err)
	}

	// disable, then enable.
	if out, _, err := userCLI(t, dbURL, "", "user", "disable", "ann@example.org"); err != nil || !strings.Contains(out, "Disabled") {
		t.Fatalf("user disable: %v %q", err, out)
	}
	if err := signIn("ann@example.org", "second password here"); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("a disabled user signs in: %v", err)
	}
	if out, _, _ := userCLI(t, dbURL, "", "user", "list"); !strings.Contains(out, "disabled") {
		t.Fatalf("list does not show the disabled user:\n%s", out)
	}
	if _, _, err := userCLI(t, dbURL, "", "user", "enable", "ann@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := signIn("ann@example.org", "second password here"); err != nil {
		t.Fatalf("after enable: %v", err)
	}

	// codes-off: one-time codes go (a lost phone), and so do the sessions.
	enrol, err := a.accounts.StartTOTP(ctx, ann.Actor(), ann.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(enrol.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.accounts.ConfirmTOTP(ctx, ann.Actor(), ann.ID, code, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := signIn("ann@example.org", "second password here"); !errors.Is(err, account.ErrCodeRequired) {
		t.Fatalf("with codes on, no code: %v", err)
	}
	if out, _, err := userCLI(t, dbURL, "", "user", "codes-off", "ann@example.org"); err != nil || !strings.Contains(out, "Turned one-time codes off") {
		t.Fatalf("user codes-off: %v %q", err, out)
	}
	if err := signIn("ann@example.org", "second password here"); err != nil {
		t.Fatalf("after codes-off, the password alone: %v", err)
	}

	// Every change is in the audit log under the operator, no password.
	entries, err := audit.List(ctx, db, audit.Filter{Object: "user", ActorKind: audit.Operator, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		if text := string(en.Before) + string(en.After); strings.Contains(text, "password here") || strings.Contains(text, m[1]) {
			t.Errorf("audit entry %s holds a password: %s", en.Action, text)
		}
	}
	if got := strings.Join(actions, " "); got != "user.sign_out_everywhere user.totp_off user.enable user.disable user.password user.create user.create" {
		t.Errorf("audit actions by the operator: %s", got)
	}
}

func TestUserCommandsNeedADatabase(t *testing.T) {
	dbURL := "sqlite:" + t.TempDir() + "/missing.db"
	for _, args := range [][]string{{"user", "list"}, {"user", "add", "-email", "a@example.org", "-role", "admin", "-generate"}} {
		if _, _, err := userCLI(t, dbURL, "", args...); err == nil || !strings.Contains(err.Error(), "no Plenary database") {
			t.Errorf("%v on a missing database: %v", args, err)
		}
	}
}

// TestFirstAdmin: serve -demo makes an admin on a database without users,
// says once how to sign in, and leaves a database with users alone.
func TestFirstAdmin(t *testing.T) {
	dbURL, db := migrated(t)
	a := testApp(t, dbURL, db)
	ctx := context.Background()
	var stderr bytes.Buffer
	e := env{stdout: &bytes.Buffer{}, stderr: &stderr}
	if err := firstAdmin(ctx, e, a); err != nil {
		t.Fatal(err)
	}
	msg := stderr.String()
	m := regexp.MustCompile(`e-mail: +(\S+)\n +password: +(\S+)`).FindStringSubmatch(msg)
	if m == nil || !strings.Contains(msg, "http://localhost:8080/admin/login") {
		t.Fatalf("first admin message: %q", msg)
	}
	sess, _, err := a.accounts.SignIn(ctx, account.Credentials{Email: m[1], Password: m[2]}, time.Now())
	if err != nil || sess.User.Role != account.Admin {
		t.Fatalf("sign in as the first admin: %+v, %v", sess, err)
	}
	stderr.Reset()
	if err := firstAdmin(ctx, e, a); err != nil || stderr.Len() != 0 {
		t.Fatalf("a second start: %v %q", err, stderr.String())
	}
	if n, _ := a.accounts.CountUsers(ctx); n != 1 {
		t.Fatalf("users after two starts: %d", n)
	}
}
