package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
)

// TestDevMode reads templates and static files from disk, as PLENARY_DEV
// does from the repository root.
func TestDevMode(t *testing.T) {
	t.Chdir("../..")
	db := dbtest.New(t)
	srv, err := New(Options{Catalog: catalog.NewStore(db, catalog.Hooks{}), DB: db, Dev: true, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h := srv.Handler()
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

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"relative base URL", Options{BaseURL: "training.example.org"}},
		{"ftp base URL", Options{BaseURL: "ftp://training.example.org"}},
		{"http analytics", Options{AnalyticsScript: "http://stats.example.org/a.js"}},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); err == nil {
			t.Errorf("%s: got no error, want one", tt.name)
		}
	}
}

func TestInsecureBaseURLCookie(t *testing.T) {
	srv, err := New(Options{BaseURL: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/cookies/consent", strings.NewReader("choice=accept&return=/"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, r)
	cs := w.Result().Cookies()
	if len(cs) != 1 || cs[0].Secure {
		t.Errorf("got cookies %v, want one plenary_consent without Secure on http", cs)
	}
	if hsts := w.Header().Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("got Strict-Transport-Security %q on an http site, want none", hsts)
	}
}
