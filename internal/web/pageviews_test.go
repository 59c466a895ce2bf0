package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// views records what CountView was given.
type views struct {
	mu  sync.Mutex
	got []string
}

func (v *views) add(path, referrer string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.got = append(v.got, path+" from "+referrer)
}

func (v *views) take() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.got
	v.got = nil
	return out
}

// TestCountedOnlyWithConsent: a view is counted only for a GET answered
// 200 to a visitor whose consent cookie says accept, without a staff
// session, outside the staff area and manage links; with the path and
// never the query; and a page served from the cache counts too. Nobody
// gets a cookie for being counted.
func TestCountedOnlyWithConsent(t *testing.T) {
	t.Parallel()
	v := &views{}
	s := newKit(t, Options{PageCacheTTL: time.Minute, Now: func() time.Time { return testNow }, CountView: v.add})
	renders := map[string]int{}
	page := func(w http.ResponseWriter, r *http.Request) {
		renders[r.URL.RequestURI()]++
		if r.PathValue("slug") == "gone" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("a course"))
	}
	booked := func(w http.ResponseWriter, r *http.Request) {
		s.CountView(r, "/events/7/booked")
		http.Redirect(w, r, "/bookings/secret", http.StatusSeeOther)
	}
	h := s.Handler(
		section{
			{Pattern: "GET /courses/{slug}", Handler: s.Counted(s.Cached(page))},
			{Pattern: "POST /events/7/book", Handler: booked},
			{Pattern: "GET /bookings/{token}", Handler: s.Counted(page), SecretPath: true},
		},
		section{{Pattern: "GET /admin/things", Handler: s.Counted(page), Private: true}},
	)
	do := func(method, target, consent string, session bool) *http.Response {
		r := httptest.NewRequest(method, target, nil)
		r.Header.Set("Referer", "https://search.example/?q=dit")
		if consent != "" {
			r.AddCookie(&http.Cookie{Name: ConsentCookie, Value: consent})
		}
		if session {
			r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "token"})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	for _, tt := range []struct {
		name           string
		method, target string
		consent        string
		session        bool
		want           []string
	}{
		{"no choice", "GET", "/courses/a", "", false, nil},
		{"rejected", "GET", "/courses/a", ConsentReject, false, nil},
		{"unknown value", "GET", "/courses/a", "yes", false, nil},
		{"accepted", "GET", "/courses/a?utm_source=x", ConsentAccept, false, []string{"/courses/a from https://search.example/?q=dit"}},
		{"accepted, from the cache", "GET", "/courses/a?utm_source=x", ConsentAccept, false, []string{"/courses/a from https://search.example/?q=dit"}},
		{"accepted, HEAD", "HEAD", "/courses/a", ConsentAccept, false, nil},
		{"accepted, not found", "GET", "/courses/gone", ConsentAccept, false, nil},
		{"accepted, signed in", "GET", "/courses/a", ConsentAccept, true, nil},
		{"accepted, manage link", "GET", "/bookings/s3cret", ConsentAccept, false, nil},
		{"accepted, staff area", "GET", "/admin/things", ConsentAccept, true, nil},
		{"accepted, booking made", "POST", "/events/7/book", ConsentAccept, false, []string{"/events/7/booked from https://search.example/?q=dit"}},
		{"rejected, booking made", "POST", "/events/7/book", ConsentReject, false, nil},
	} {
		res := do(tt.method, tt.target, tt.consent, tt.session)
		if got := v.take(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: counted %q, want %q", tt.name, got, tt.want)
		}
		if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("%s: set cookies %q", tt.name, c)
		}
	}
	if n := renders["/courses/a?utm_source=x"]; n != 1 {
		t.Errorf("the accepted page was rendered %d times, want 1: the second view was not from the cache", n)
	}
}

// TestAnalyticsOnlyAfterConsent: the third-party script is put on the
// page, and its origin allowed by the CSP, only for someone who accepted
// and never on a staff or manage page; rejecting deletes the script's
// cookies (host-only and for the domain), accepting deletes nothing.
func TestAnalyticsOnlyAfterConsent(t *testing.T) {
	t.Parallel()
	s := newKit(t, Options{BaseURL: "https://training.example.org", AnalyticsScript: "https://stats.example.net/js/script.js",
		AnalyticsProvider: "plausible", AnalyticsID: "training.example.org", AnalyticsCookies: []string{"_stats_id"}})
	h := s.Handler(section{
		{Pattern: "GET /courses/{slug}", Handler: func(w http.ResponseWriter, r *http.Request) {
			s.Render(w, r, http.StatusOK, "error", ErrorPage{Base: s.Base(r), Status: 200, Heading: "A page"})
		}},
		{Pattern: "GET /bookings/{token}", Handler: func(w http.ResponseWriter, r *http.Request) {}, SecretPath: true},
		{Pattern: "POST /consent", Handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, s.SetConsent(w, r.FormValue("choice"), "/"), http.StatusSeeOther)
		}},
	})
	get := func(path, consent string) (csp, body string) {
		r := httptest.NewRequest("GET", path, nil)
		if consent != "" {
			r.AddCookie(&http.Cookie{Name: ConsentCookie, Value: consent})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Header().Get("Content-Security-Policy"), w.Body.String()
	}
	const script = `<script src="https://stats.example.net/js/script.js" defer data-domain="training.example.org"></script>`
	for _, tt := range []struct {
		path, consent string
		want          bool
	}{
		{"/courses/a", "", false},
		{"/courses/a", ConsentReject, false},
		{"/courses/a", ConsentAccept, true},
		{"/bookings/s3cret", ConsentAccept, false},
	} {
		csp, body := get(tt.path, tt.consent)
		if strings.Contains(csp, "https://stats.example.net") != tt.want {
			t.Errorf("%s, consent %q: CSP %q, want the origin allowed: %v", tt.path, tt.consent, csp, tt.want)
		}
		if strings.HasPrefix(tt.path, "/courses/") && strings.Contains(body, script) != tt.want {
			t.Errorf("%s, consent %q: script on the page %v, want %v", tt.path, tt.consent, !tt.want, tt.want)
		}
	}

	post := func(choice string) []string {
		r := httptest.NewRequest("POST", "/consent", strings.NewReader("choice="+choice))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Header().Values("Set-Cookie")
	}
	got := strings.Join(post(ConsentReject), "\n")
	for _, want := range []string{"plenary_consent=reject", "_stats_id=; Path=/; Max-Age=0",
		"_stats_id=; Path=/; Domain=training.example.org; Max-Age=0"} {
		if !strings.Contains(got, want) {
			t.Errorf("rejecting: no %q in\n%s", want, got)
		}
	}
	if got := strings.Join(post(ConsentAccept), "\n"); strings.Contains(got, "_stats_id") {
		t.Errorf("accepting touched the analytics cookie:\n%s", got)
	}
}
