package site

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
	"plenary/internal/web"
)

// TestDevMode reads templates and static files from disk, as PLENARY_DEV
// does from the repository root.
func TestDevMode(t *testing.T) {
	t.Chdir("../../..")
	db := dbtest.New(t)
	_, _, h, err := newHandler(testOptions{
		Options: web.Options{DB: db, Dev: true, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }},
		Site:    Options{Catalog: catalog.NewStore(db, catalog.Hooks{})},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tests := []struct {
		path   string
		status int
		want   string
		cache  string
	}{
		{"/", 200, `href="/static/dev/css/site.css"`, "no-cache"},
		{"/static/dev/css/site.css", 200, ".course-card", "no-cache"},
		{"/cookies", 200, "plenary_consent", "no-cache"},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("GET %s: got %d without %q, want %d with it", tt.path, w.Code, tt.want, tt.status)
		}
		if got := w.Header().Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: got Cache-Control %q, want %q", tt.path, got, tt.cache)
		}
	}
}

func TestInsecureBaseURLCookie(t *testing.T) {
	_, _, h, err := newHandler(testOptions{Options: web.Options{BaseURL: "http://localhost:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/cookies/consent", strings.NewReader("choice=accept&return=/"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	cs := w.Result().Cookies()
	if len(cs) != 1 || cs[0].Secure {
		t.Errorf("got cookies %v, want one plenary_consent without Secure on http", cs)
	}
	if hsts := w.Header().Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("got Strict-Transport-Security %q on an http site, want none", hsts)
	}
}
