package web

import (
	"fmt"
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
	var nilCache *pageCache
	nilCache.purge() // a server without a cache may purge too
	if nilCache.wrap(nil, nil) != nil {
		t.Fatal("a nil cache must return the handler unwrapped")
	}
}

// TestPageCacheSlots: a page cached with slots is rendered once and its
// slots are filled on every answer, from the cache or not; without the
// cache (a session cookie) the handler renders it whole.
func TestPageCacheSlots(t *testing.T) {
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	c := newPageCache(time.Minute, func() time.Time { return now })
	renders, fills := 0, 0
	h := c.wrap(func(w http.ResponseWriter, r *http.Request) {
		renders++
		if Slotted(r) {
			SetSlots(r, "data")
			w.Write([]byte("<p>" + string(SlotMarker("a")) + "</p><p>" + string(SlotMarker("b")) + "</p>"))
			return
		}
		w.Write([]byte("<p>whole</p>"))
	}, func(r *http.Request, data any) (map[string][]byte, error) {
		fills++
		if data != "data" {
			t.Errorf("fill got %v", data)
		}
		return map[string][]byte{"a": []byte(fmt.Sprint("A", fills))}, nil
	})
	get := func(cookie bool) string {
		r := httptest.NewRequest("GET", "/courses/x", nil)
		if cookie {
			r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "s"})
		}
		w := httptest.NewRecorder()
		h(w, r)
		return w.Body.String()
	}
	for i := 1; i <= 3; i++ {
		if got, want := get(false), fmt.Sprintf("<p>A%d</p><p></p>", i); got != want {
			t.Fatalf("answer %d: %q, want %q", i, got, want)
		}
	}
	if renders != 1 || fills != 3 {
		t.Errorf("%d renders and %d fills, want 1 and 3", renders, fills)
	}
	if got := get(true); got != "<p>whole</p>" {
		t.Errorf("with a session: %q", got)
	}
}
