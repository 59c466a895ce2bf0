package admin

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"plenary/internal/account"
	"plenary/internal/audit"
)

// TestSignIn checks the sign-in form: anonymous requests sent to it with
// where they were going, a wrong password or unknown address answered
// alike without saying which was wrong, and a sign-in that sets the
// session cookie as it should and goes on, never to another site.
func TestSignIn(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "ann@example.org", account.Coordinator)

	res, _ := a.get(t, "/admin/mail?before=3", "")
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/admin/login?next=%2Fadmin%2Fmail%3Fbefore%3D3" {
		t.Errorf("anonymous GET: %d → %q, want the sign-in page with next", res.StatusCode, loc)
	}
	res, body := a.get(t, "/admin/login?next=%2Fadmin%2Fmail", "")
	if res.StatusCode != 200 || !strings.Contains(body, `name="next" value="/admin/mail"`) || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("sign-in form: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}

	var wrong [2]string
	for i, email := range []string{"ann@example.org", "nobody@example.org"} {
		res, body := a.post(t, "/admin/login", "", url.Values{"email": {email}, "password": {"not the password"}})
		if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil {
			t.Errorf("%s, wrong password: %d, want 401 and no cookie", email, res.StatusCode)
		}
		if !strings.Contains(body, `value="`+email+`"`) || !strings.Contains(body, `id="password-error"`) {
			t.Errorf("%s, wrong password: the e-mail is not kept or no message beside the password", email)
		}
		wrong[i] = strings.ReplaceAll(body, email, "")
	}
	if wrong[0] != wrong[1] {
		t.Errorf("a wrong password and an unknown address are answered differently")
	}

	res, body = a.post(t, "/admin/login", "", url.Values{"email": {""}, "password": {""}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter your e-mail address.") || !strings.Contains(body, "Enter your password.") {
		t.Errorf("empty form: %d", res.StatusCode)
	}

	for next, want := range map[string]string{"/admin/mail": "/admin/mail", "//evil.example/admin": "/admin",
		"https://evil.example/admin": "/admin", "/courses": "/admin", "/admin/../courses": "/admin", "/admin/%2e%2e/courses": "/admin", "/\\evil.example": "/admin", "": "/admin"} {
		res, _ := a.post(t, "/admin/login", "", url.Values{"email": {"ann@example.org"}, "password": {password}, "next": {next}})
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != want {
			t.Errorf("next %q: %d → %q, want %q", next, res.StatusCode, loc, want)
		}
		c := sessionCookie(res)
		if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/admin" {
			t.Fatalf("session cookie %+v: want HttpOnly, Secure (https base URL), SameSite=Lax, Path=/admin", c)
		}
	}

	tok := a.signIn(t, "ann@example.org", password, "")
	res, body = a.get(t, "/admin", tok)
	for _, w := range []string{"Ann Smith", "ann@example.org", "coordinator", `action="/admin/logout"`, `action="/admin/logout-everywhere"`} {
		if !strings.Contains(body, w) {
			t.Errorf("home page: no %q", w)
		}
	}
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("home page: %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	// Signed in, the sign-in page goes on.
	if res, _ := a.get(t, "/admin/login", tok); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
		t.Errorf("sign-in page when signed in: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
}

// TestSignInTOTP: an account with one-time codes needs the right code,
// once.
func TestSignInTOTP(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	u := a.addUser(t, "ann@example.org", account.Admin)
	e, err := a.accounts.StartTOTP(ctx, u.Actor(), u.ID, t0)
	if err != nil {
		t.Fatal(err)
	}
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(e.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := a.accounts.ConfirmTOTP(ctx, u.Actor(), u.ID, code(t0), t0); err != nil {
		t.Fatal(err)
	}
	a.clock.add(time.Minute)
	now := a.clock.now()

	res, body := a.post(t, "/admin/login", "", url.Values{"email": {"ann@example.org"}, "password": {password}})
	if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil || !strings.Contains(body, `id="code-error"`) {
		t.Errorf("no code: %d, want 401 asking for the code beside its field", res.StatusCode)
	}
	bad := "000000"
	if code(now) == bad {
		bad = "111111"
	}
	res, body = a.post(t, "/admin/login", "", url.Values{"email": {"ann@example.org"}, "password": {password}, "code": {bad}})
	if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil || !strings.Contains(body, "The one-time code is wrong") {
		t.Errorf("wrong code: %d, want 401", res.StatusCode)
	}
	res, _ = a.post(t, "/admin/login", "", url.Values{"email": {"ann@example.org"}, "password": {"not the password"}, "code": {code(now)}})
	if res.StatusCode != http.StatusUnauthorized || sessionCookie(res) != nil {
		t.Errorf("right code, wrong password: %d, want 401", res.StatusCode)
	}
	tok := a.signIn(t, "ann@example.org", password, code(now))
	if _, err := a.accounts.SessionByToken(ctx, tok, now); err != nil {
		t.Errorf("signed in with the code: %v", err)
	}
	res, _ = a.post(t, "/admin/login", "", url.Values{"email": {"ann@example.org"}, "password": {password}, "code": {code(now)}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the same code again: %d, want 401", res.StatusCode)
	}
}

// TestSignInRequiredTOTP: a role that must use codes, without them, is
// signed in to do nothing but that.
func TestSignInRequiredTOTP(t *testing.T) {
	t.Parallel()
	a := newArea(t, func(o *areaOptions) {
		o.accounts.RequireTOTP = []account.Role{account.Coordinator}
		o.admin.DevMailbox = true
	})
	a.addUser(t, "ann@example.org", account.Coordinator)
	tok := a.signIn(t, "ann@example.org", password, "")
	if _, body := a.get(t, "/admin", tok); !strings.Contains(body, "needs one-time codes") || strings.Contains(body, `href="/admin/messages"`) {
		t.Errorf("home page does not say codes are needed first, or links the mail")
	}
	if res, _ := a.get(t, "/admin/messages", tok); res.StatusCode != http.StatusForbidden {
		t.Errorf("mail without the required codes: %d, want 403", res.StatusCode)
	}

	// Setting them up: the key once, then a first code turns them on.
	if res, body := a.get(t, "/admin/account/codes", tok); res.StatusCode != 200 || !strings.Contains(body, "must use one-time codes") {
		t.Fatalf("codes page: %d", res.StatusCode)
	}
	res, body := a.post(t, "/admin/account/codes/start", tok, nil)
	m := regexp.MustCompile(`class="totp-secret">([A-Z2-7]+)<`).FindStringSubmatch(body)
	if res.StatusCode != 200 || m == nil {
		t.Fatalf("start: %d, no key shown", res.StatusCode)
	}
	now := a.clock.now()
	code, err := totp.GenerateCode(m[1], now)
	if err != nil {
		t.Fatal(err)
	}
	bad := "000000"
	if code == bad {
		bad = "111111"
	}
	if res, body := a.post(t, "/admin/account/codes", tok, url.Values{"code": {bad}}); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `id="code-error"`) || strings.Contains(body, m[1]) {
		t.Errorf("a wrong first code: %d, want 422 beside the field and the key not shown again", res.StatusCode)
	}
	if res, _ := a.post(t, "/admin/account/codes", tok, url.Values{"code": {code}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right first code: %d", res.StatusCode)
	}
	if res, _ := a.get(t, "/admin/messages", tok); res.StatusCode != 200 {
		t.Errorf("mail with codes set up: %d, want 200", res.StatusCode)
	}
	if _, body := a.get(t, "/admin/account/codes", tok); !strings.Contains(body, "One-time codes are on") {
		t.Errorf("codes page does not say they are on")
	}
	a.clock.add(time.Minute)
	if res, _ := a.post(t, "/admin/login", "", url.Values{"email": {"ann@example.org"}, "password": {password}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign-in without a code once they are on: %d, want 401", res.StatusCode)
	}
	code, _ = totp.GenerateCode(m[1], a.clock.now())
	a.signIn(t, "ann@example.org", password, code)
}

// TestSignInThrottled: failures slow further attempts with a plain
// message and Retry-After, and the wait ends.
func TestSignInThrottled(t *testing.T) {
	t.Parallel()
	a := newArea(t, func(o *areaOptions) {
		o.accounts.Throttle = account.Throttle{AccountFree: 2, FirstWait: 10 * time.Second}
	})
	a.addUser(t, "ann@example.org", account.Coordinator)
	wrong := url.Values{"email": {"ann@example.org"}, "password": {"not the password"}}
	for i := range 2 {
		if res, _ := a.post(t, "/admin/login", "", wrong); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	right := url.Values{"email": {"ann@example.org"}, "password": {password}}
	res, body := a.post(t, "/admin/login", "", right)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "10" ||
		!strings.Contains(body, "Too many attempts: try again in 10 seconds") || !strings.Contains(body, `value="ann@example.org"`) ||
		sessionCookie(res) != nil {
		t.Fatalf("throttled: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	a.clock.add(4 * time.Second)
	if res, body := a.post(t, "/admin/login", "", right); res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "try again in 6 seconds") {
		t.Errorf("4 s later: %d, want 429 saying 6 seconds", res.StatusCode)
	}
	a.clock.add(6 * time.Second)
	a.signIn(t, "ann@example.org", password, "")
}

// TestSessionRotationAndExpiry: signing in ends the session the browser
// carried; a session ends after the idle timeout and at the absolute
// limit, and the browser is then sent to sign in again.
func TestSessionRotationAndExpiry(t *testing.T) {
	t.Parallel()
	a := newArea(t, func(o *areaOptions) {
		o.accounts.IdleTimeout, o.accounts.MaxAge = 30*time.Minute, 2*time.Hour
	})
	a.addUser(t, "ann@example.org", account.Coordinator)
	old := a.signIn(t, "ann@example.org", password, "")
	res, _ := a.post(t, "/admin/login", old, url.Values{"email": {"ann@example.org"}, "password": {password}})
	c := sessionCookie(res)
	if c == nil || c.Value == old {
		t.Fatalf("signing in again kept the token")
	}
	if res, _ := a.get(t, "/admin", old); !toLogin(res) {
		t.Errorf("the old token still works after signing in again: %d", res.StatusCode)
	}
	tok := c.Value
	if res, _ := a.get(t, "/admin", tok); res.StatusCode != 200 {
		t.Fatalf("new session: %d", res.StatusCode)
	}

	// Used every 20 minutes, it lives on until the absolute limit.
	for range 5 {
		a.clock.add(20 * time.Minute)
		if res, _ := a.get(t, "/admin", tok); res.StatusCode != 200 {
			t.Fatalf("at %v: %d, want the session alive", a.clock.now().Sub(t0), res.StatusCode)
		}
	}
	a.clock.add(20 * time.Minute) // 2 h after signing in
	res, _ = a.get(t, "/admin", tok)
	if !toLogin(res) {
		t.Fatalf("past the absolute limit: %d, want the sign-in page", res.StatusCode)
	}
	if c := sessionCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("an expired session's cookie is not cleared: %+v", c)
	}

	tok = a.signIn(t, "ann@example.org", password, "")
	a.clock.add(30 * time.Minute)
	if res, _ := a.get(t, "/admin", tok); !toLogin(res) {
		t.Errorf("idle for 30 minutes: %d, want the sign-in page", res.StatusCode)
	}
}

// TestSignOut: signing out ends this session; signing out everywhere ends
// every session of the user, and no one else's. Both are POSTs under the
// cross-origin protection.
func TestSignOut(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "ann@example.org", account.Coordinator)
	a.addUser(t, "bob@example.org", account.Coordinator)
	laptop, phone := a.signIn(t, "ann@example.org", password, ""), a.signIn(t, "ann@example.org", password, "")
	bob := a.signIn(t, "bob@example.org", password, "")

	r, _ := http.NewRequest(http.MethodPost, "/admin/logout-everywhere", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	r.AddCookie(&http.Cookie{Name: "plenary_session", Value: laptop})
	if res, _ := a.do(t, r); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site sign-out: %d, want 403", res.StatusCode)
	}
	if res, _ := a.get(t, "/admin", laptop); res.StatusCode != 200 {
		t.Fatalf("a cross-site form signed Ann out")
	}

	res, _ := a.post(t, "/admin/logout", phone, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/login?done=signed-out" {
		t.Errorf("sign out: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if c := sessionCookie(res); c == nil || c.MaxAge >= 0 {
		t.Errorf("sign out does not clear the cookie")
	}
	if res, _ := a.get(t, "/admin", phone); !toLogin(res) {
		t.Errorf("signed out, the phone's session still works")
	}
	if res, _ := a.get(t, "/admin", laptop); res.StatusCode != 200 {
		t.Errorf("signing out on the phone ended the laptop's session")
	}
	if _, body := a.get(t, "/admin/login?done=signed-out", ""); !strings.Contains(body, "You have signed out.") {
		t.Errorf("the sign-in page does not confirm the sign-out")
	}

	phone = a.signIn(t, "ann@example.org", password, "")
	res, _ = a.post(t, "/admin/logout-everywhere", laptop, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin/login?done=everywhere" {
		t.Errorf("sign out everywhere: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	for name, tok := range map[string]string{"laptop": laptop, "phone": phone} {
		if res, _ := a.get(t, "/admin", tok); !toLogin(res) {
			t.Errorf("signed out everywhere, the %s's session still works", name)
		}
	}
	if res, _ := a.get(t, "/admin", bob); res.StatusCode != 200 {
		t.Errorf("Ann signing out everywhere ended Bob's session")
	}
	entries, err := audit.List(ctx, a.db, audit.Filter{Action: "user.sign_out_everywhere"})
	if err != nil || len(entries) != 1 {
		t.Errorf("audit: %d sign-outs everywhere recorded (%v), want 1", len(entries), err)
	}
}
