package site

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/web"
)

func TestConsent(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)

	// An anonymous visitor gets no cookie at all, and the banner.
	for _, p := range []string{"/", "/courses/dit-refresher", "/cookies", "/system-check", "/nope", "/healthz"} {
		res, body := ts.get(t, p)
		if len(res.Cookies()) != 0 || res.Header.Get("Set-Cookie") != "" {
			t.Errorf("GET %s: got cookies %v, want none", p, res.Cookies())
		}
		// /cookies has the full choice instead of the banner.
		if want := p != "/cookies" && p != "/healthz"; strings.Contains(body, "cookie-banner") != want {
			t.Errorf("GET %s: got banner %v, want %v before a choice", p, !want, want)
		}
	}

	tests := []struct {
		choice, ret, location string
	}{
		{"reject", "/courses/dit-refresher", "/courses/dit-refresher?consent=saved"},
		{"accept", "/?topic=Mentalization&format=online", "/?topic=Mentalization&format=online&consent=saved"},
		{"accept", "/cookies?consent=saved", "/cookies?consent=saved"},
		{"reject", "https://evil.example/", "/?consent=saved"},
		{"reject", "//evil.example/", "/?consent=saved"},
		{"reject", "/\\evil.example", "/?consent=saved"},
		{"reject", "javascript:alert(1)", "/?consent=saved"},
		{"reject", "", "/?consent=saved"},
	}
	for _, tt := range tests {
		t.Run(tt.choice+" "+tt.ret, func(t *testing.T) {
			res, _ := ts.post(t, "/cookies/consent", url.Values{"choice": {tt.choice}, "return": {tt.ret}}, map[string]string{"Sec-Fetch-Site": "same-origin"})
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("got status %d, want 303", res.StatusCode)
			}
			if got := res.Header.Get("Location"); got != tt.location {
				t.Errorf("got Location %q, want %q", got, tt.location)
			}
			cookies := res.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("got %d cookies %v, want only %s", len(cookies), cookies, web.ConsentCookie)
			}
			c := cookies[0]
			if c.Name != web.ConsentCookie || c.Value != tt.choice {
				t.Errorf("got cookie %s=%s, want %s=%s", c.Name, c.Value, web.ConsentCookie, tt.choice)
			}
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("got HttpOnly=%v Secure=%v SameSite=%v Path=%q, want HttpOnly, Secure, Lax, /", c.HttpOnly, c.Secure, c.SameSite, c.Path)
			}
			if days := c.MaxAge / 86400; days < 180 || days > 365 {
				t.Errorf("got lifetime %d days, want 6–12 months", days)
			}

			// The page it returns to confirms the choice, without a
			// second cookie.
			res, body := ts.get(t, tt.location, &http.Cookie{Name: web.ConsentCookie, Value: tt.choice})
			confirm := "Your cookie choice is saved: you " + tt.choice + "ed analytics cookies."
			if !strings.Contains(body, confirm) || len(res.Cookies()) != 0 {
				t.Errorf("GET %s after the choice: confirmation %q shown %v, cookies %v; want it shown and no cookie",
					tt.location, confirm, strings.Contains(body, confirm), res.Cookies())
			}

			// With the choice made, the banner is gone and no other cookie
			// appears.
			res, body = ts.get(t, "/courses/dit-refresher", &http.Cookie{Name: web.ConsentCookie, Value: tt.choice})
			if strings.Contains(body, "cookie-banner") {
				t.Errorf("banner still shown after %s", tt.choice)
			}
			if len(res.Cookies()) != 0 {
				t.Errorf("got cookies %v after a choice, want none", res.Cookies())
			}
			// With no analytics provider configured, nothing is loaded.
			if strings.Contains(body, "<script") {
				t.Errorf("got a script on the course page with no analytics configured")
			}
			// Without the flag, or without a choice, nothing is confirmed.
			if strings.Contains(body, "Your cookie choice is saved") {
				t.Errorf("confirmation shown on a page not reached from a choice")
			}
		})
	}

	t.Run("bad choice", func(t *testing.T) {
		res, _ := ts.post(t, "/cookies/consent", url.Values{"choice": {"maybe"}}, nil)
		if res.StatusCode != http.StatusBadRequest || len(res.Cookies()) != 0 {
			t.Errorf("got %d with cookies %v, want 400 and none", res.StatusCode, res.Cookies())
		}
	})
	t.Run("flag without a choice confirms nothing", func(t *testing.T) {
		_, body := ts.get(t, "/courses/dit-refresher?consent=saved")
		if strings.Contains(body, "Your cookie choice is saved") || !strings.Contains(body, "cookie-banner") {
			t.Errorf("?consent=saved without the cookie: want the banner and no confirmation")
		}
	})
	t.Run("garbage cookie shows the banner", func(t *testing.T) {
		_, body := ts.get(t, "/", &http.Cookie{Name: web.ConsentCookie, Value: "yes-please"})
		if !strings.Contains(body, "cookie-banner") {
			t.Errorf("no banner with an unknown cookie value")
		}
	})
	t.Run("cookies page shows the choice", func(t *testing.T) {
		_, body := ts.get(t, "/cookies?consent=saved", &http.Cookie{Name: web.ConsentCookie, Value: web.ConsentReject})
		for _, w := range []string{"You have rejected analytics cookies.", "Your cookie choice is saved: you rejected analytics cookies.", `name="return" value="/cookies"`} {
			if !strings.Contains(body, w) {
				t.Errorf("no %q", w)
			}
		}
	})
}

func TestAnalyticsHook(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t, fixtures(t)[:1]...)
	_, _, h, err := newHandler(testOptions{
		Options: web.Options{Now: ts.kit.Now, AnalyticsScript: "https://stats.example.org/script.js"},
		Site:    Options{Catalog: ts.store},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		consent    string
		wantScript bool
	}{
		{"", false}, {web.ConsentReject, false}, {web.ConsentAccept, true},
	}
	for _, tt := range tests {
		ts2 := &testSite{handler: h}
		var cookies []*http.Cookie
		if tt.consent != "" {
			cookies = append(cookies, &http.Cookie{Name: web.ConsentCookie, Value: tt.consent})
		}
		res, body := ts2.get(t, "/cookies", cookies...)
		got := strings.Contains(body, `<script src="https://stats.example.org/script.js"`)
		if got != tt.wantScript {
			t.Errorf("consent %q: got analytics script %v, want %v", tt.consent, got, tt.wantScript)
		}
		// The analytics origin is allowed only for those who accepted.
		if csp := res.Header.Get("Content-Security-Policy"); strings.Contains(csp, "script-src 'self' https://stats.example.org") != tt.wantScript {
			t.Errorf("consent %q: got CSP %q, want the analytics origin allowed: %v", tt.consent, csp, tt.wantScript)
		}
	}
}
