package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"relative base URL", Options{BaseURL: "training.example.org"}},
		{"ftp base URL", Options{BaseURL: "ftp://training.example.org"}},
		{"http analytics", Options{AnalyticsScript: "http://stats.example.org/a.js"}},
		{"bad contact address", Options{ContactEmail: "not an address"}},
	}
	for _, tt := range tests {
		if _, err := New(tt.opts); err == nil {
			t.Errorf("%s: got no error, want one", tt.name)
		}
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	s := newKit(t, Options{})
	h := s.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("got status %d, want 500", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, "Sorry, something went wrong") || strings.Contains(body, "boom") {
		t.Errorf("got body %q, want the 500 page without the panic value", body)
	}
}

func newKit(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// section is a Section made of routes, standing in for site, admin and
// api.
type section []Route

func (s section) Routes() []Route { return s }

// TestHandlerComposesSections checks that the kit serves the sections'
// routes beside its own, and applies the Private and SecretPath rules by
// path, before and whatever the route.
func TestHandlerComposesSections(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := newKit(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	hello := func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello " + r.Pattern)) }
	h := s.Handler(
		section{{Pattern: "GET /hello", Handler: hello}, {Pattern: "GET /links/{token}", Handler: hello, SecretPath: true}},
		section{{Pattern: "GET /mailbox", Handler: hello, Private: true}},
	)
	tests := []struct {
		path    string
		status  int
		body    string
		private bool
	}{
		{"/hello", 200, "hello GET /hello", false},
		{"/links/s3cret", 200, "hello GET /links/{token}", true},
		{"/links/s3cret/nothing/here", 404, "", true},
		{"/mailbox", 200, "hello GET /mailbox", true},
		{"/mailbox/7", 404, "", true},
		{"/mailboxes", 404, "", false},
		{"/healthz", 503, "no database", false}, // the kit's own routes are there too
		{"/nope", 404, "", false},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.body) {
			t.Errorf("GET %s: got %d %.60q, want %d with %q", tt.path, w.Code, w.Body.String(), tt.status, tt.body)
		}
		if got := w.Header().Get("Cache-Control") == "no-store" && w.Header().Get("Referrer-Policy") == "no-referrer"; got != tt.private {
			t.Errorf("GET %s: private headers %v, want %v", tt.path, got, tt.private)
		}
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Errorf("a secret path reached the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "path=\"GET /links/{token}\"") || !strings.Contains(logs.String(), "path=/links/…") {
		t.Errorf("secret paths not logged by pattern (or prefix when unrouted):\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "path=/mailbox/7") {
		t.Errorf("a private path that holds no secret should be logged as it is:\n%s", logs.String())
	}
}

// TestPageCacheSkipsSignedIn checks that a request with the staff session
// cookie is never answered from the page cache, and that its page is
// never stored for anyone else.
func TestPageCacheSkipsSignedIn(t *testing.T) {
	t.Parallel()
	now := testNow
	s := newKit(t, Options{PageCacheTTL: time.Minute, Now: func() time.Time { return now }})
	calls := 0
	h := s.Handler(section{{Pattern: "GET /courses/{slug}", Handler: s.Cached(func(w http.ResponseWriter, r *http.Request) {
		calls++
		who := "the public"
		if _, err := r.Cookie(SessionCookie); err == nil {
			who = "staff"
		}
		w.Write([]byte("page for " + who))
	})}})
	get := func(session bool) string {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/courses/a", nil)
		if session {
			r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "token"})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Body.String()
	}
	steps := []struct {
		name      string
		session   bool
		want      string
		wantCalls int
	}{
		{"signed in first: rendered", true, "page for staff", 1},
		{"the public next: rendered, not the staff page", false, "page for the public", 2},
		{"the public again: from the cache", false, "page for the public", 2},
		{"signed in: never from the cache", true, "page for staff", 3},
		{"signed in again: rendered again", true, "page for staff", 4},
		{"the public: still the public page, from the cache", false, "page for the public", 4},
	}
	for _, st := range steps {
		if got := get(st.session); got != st.want || calls != st.wantCalls {
			t.Fatalf("%s: got %q after %d renders, want %q after %d", st.name, got, calls, st.want, st.wantCalls)
		}
	}
}

// TestStaffPagesBase: the staff area's pages never show the cookie
// banner and never load analytics, even for someone who accepted them on
// the public site; the public pages still do.
func TestStaffPagesBase(t *testing.T) {
	t.Parallel()
	s := newKit(t, Options{AnalyticsScript: "https://stats.example.org/a.js"})
	for _, tt := range []struct {
		path          string
		consent       string
		banner, staff bool
		analytics     string
	}{
		{"/", "", true, false, ""},
		{"/", ConsentAccept, false, false, "https://stats.example.org/a.js"},
		{"/admin", "", false, true, ""},
		{"/admin", ConsentAccept, false, true, ""},
		{"/admin/bookings?q=ann", ConsentAccept, false, true, ""},
		{"/administrators", "", true, false, ""},
	} {
		r := httptest.NewRequest(http.MethodGet, tt.path, nil)
		if tt.consent != "" {
			r.AddCookie(&http.Cookie{Name: ConsentCookie, Value: tt.consent})
		}
		b := s.Base(r)
		if b.ShowBanner() != tt.banner || b.Staff != tt.staff || b.Analytics != tt.analytics {
			t.Errorf("%s (consent %q): banner %v, staff %v, analytics %q; want %v, %v, %q", tt.path, tt.consent,
				b.ShowBanner(), b.Staff, b.Analytics, tt.banner, tt.staff, tt.analytics)
		}
	}
}
