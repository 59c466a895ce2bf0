package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPageCache(t *testing.T) {
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := newPageCache(2*time.Second, func() time.Time { return now })
	calls := 0
	h := c.wrap(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Query().Get("missing") != "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("page " + r.URL.RequestURI()))
	}, nil)
	get := func(uri, consent string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("GET", uri, nil)
		if consent != "" {
			r.AddCookie(&http.Cookie{Name: ConsentCookie, Value: consent})
		}
		w := httptest.NewRecorder()
		h(w, r)
		return w
	}
	steps := []struct {
		name      string
		uri       string
		consent   string
		advance   time.Duration
		purge     bool
		wantCalls int
		wantCode  int
	}{
		{"first request renders", "/courses/a", "", 0, false, 1, 200},
		{"second is served from memory", "/courses/a", "", 0, false, 1, 200},
		{"another consent state is another page", "/courses/a", ConsentReject, 0, false, 2, 200},
		{"another query is another page", "/?topic=DIT", "", 0, false, 3, 200},
		{"errors are not cached", "/courses/a?missing=1", "", 0, false, 4, 404},
		{"errors are not cached (again)", "/courses/a?missing=1", "", 0, false, 5, 404},
		{"still fresh just before the TTL", "/courses/a", "", 1999 * time.Millisecond, false, 5, 200},
		{"stale at the TTL", "/courses/a", "", time.Millisecond, false, 6, 200},
		{"a purge empties it", "/courses/a", "", 0, true, 7, 200},
	}
	for _, st := range steps {
		now = now.Add(st.advance)
		if st.purge {
			c.purge()
		}
		w := get(st.uri, st.consent)
		if calls != st.wantCalls || w.Code != st.wantCode {
			t.Fatalf("%s: handler ran %d times with status %d, want %d and %d", st.name, calls, w.Code, st.wantCalls, st.wantCode)
		}
		if st.wantCode == 200 && w.Body.String() != "page "+st.uri {
			t.Fatalf("%s: body %q", st.name, w.Body.String())
		}
		if got := w.Header().Get("Content-Type"); st.wantCode == 200 && got != "text/html; charset=utf-8" {
			t.Fatalf("%s: content type %q", st.name, got)
		}
	}
	// A booking forgets its course's page only.
	get("/courses/a", "")
	get("/courses/ab", "")
	get("/", "")
	before := calls
	c.purgeCourse("a")
	get("/courses/a", "")
	get("/courses/ab", "")
	get("/", "")
	if calls != before+1 {
		t.Fatalf("after purgeCourse(a): %d renders, want 1 (only /courses/a)", calls-before)
	}
	var nilCache *pageCache
	nilCache.purge() // a server without a cache may purge too
	nilCache.purgeCourse("a")
	if nilCache.wrap(nil, nil) != nil {
		t.Fatal("a nil cache must return the handler unwrapped")
	}
}
