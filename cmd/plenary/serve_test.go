package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/config"
	"plenary/internal/database/dbtest"
	"plenary/internal/web"
)

// TestDevMailboxOn checks when serve turns the dev mailbox on: only when
// asked (PLENARY_DEV_MAILBOX or -demo), never with SMTP.
func TestDevMailboxOn(t *testing.T) {
	const smtp = "smtp://user:pass@127.0.0.1:2525"
	tests := []struct {
		name string
		cfg  config.Config
		demo bool
		want bool
	}{
		{"default", config.Config{}, false, false},
		{"PLENARY_DEV_MAILBOX", config.Config{DevMailbox: true}, false, true},
		{"-demo", config.Config{}, true, true},
		{"-demo with SMTP", config.Config{SMTPURL: smtp}, true, false},
		{"SMTP", config.Config{SMTPURL: smtp}, false, false},
		// Config refuses this pair; serve still keeps the mailbox off.
		{"PLENARY_DEV_MAILBOX with SMTP", config.Config{DevMailbox: true, SMTPURL: smtp}, true, false},
	}
	for _, tt := range tests {
		if got, why := devMailboxOn(tt.cfg, tt.demo); got != tt.want || why == "" {
			t.Errorf("%s: got %v (%q), want %v with a reason", tt.name, got, why, tt.want)
		}
	}
}

// TestDevMailboxRefusedWithSMTP checks that the configuration cannot ask
// for the dev mailbox and SMTP together.
func TestDevMailboxRefusedWithSMTP(t *testing.T) {
	env := map[string]string{"PLENARY_DEV_MAILBOX": "true", "PLENARY_SMTP_URL": "smtp://user:pass@127.0.0.1:2525"}
	_, err := config.Load(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "PLENARY_DEV_MAILBOX") {
		t.Errorf("got %v, want PLENARY_DEV_MAILBOX refused with PLENARY_SMTP_URL", err)
	}
}

// TestWebHandlerMountsEveryAudience checks that serve's handler has the
// kit's routes, the public site's, the staff area's and the API's, with
// the dev mailbox only when serve turns it on.
func TestWebHandlerMountsEveryAudience(t *testing.T) {
	dbURL := dbtest.URL(t)
	db := dbtest.OpenURL(t, dbURL)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := catalogtest.Course(t, db, nil)
	a := testApp(t, dbURL, db)
	// The staff area answers staff signed in with messages:read.
	if _, err := a.accounts.AddUser(context.Background(), audit.CommandLine("test"),
		account.Profile{Email: "coord@example.org", Role: account.Coordinator}, "correct horse battery", time.Now()); err != nil {
		t.Fatal(err)
	}
	_, token, err := a.accounts.SignIn(context.Background(), account.Credentials{Email: "coord@example.org", Password: "correct horse battery"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, mailbox := range []bool{false, true} {
		h, err := webHandler(a, mailbox)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			path   string
			status int
			want   string
		}{
			{"/healthz", 200, "ok"},                        // the kit
			{"/courses/" + c.Slug, 200, c.Title},           // the site
			{"/admin/messages", 200, "Mail log"},           // the staff area, whether mail is kept or sent
			{"/api/v1/health", 200, `{"status":"ok"}`},     // the API
			{"/api/v1/nothing", 404, `"code":"not_found"`}, // the API's own 404, in JSON
			{"/nothing", 404, "<h1"},                       // the site's 404 page
		} {
			r := httptest.NewRequest(http.MethodGet, tt.path, nil)
			r.RemoteAddr = "127.0.0.1:40000"
			r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("dev mailbox %v: GET %s: got %d %.80q, want %d with %q", mailbox, tt.path, w.Code, w.Body.String(), tt.status, tt.want)
			}
		}
	}
}
