package web

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"time"
)

// pageCache keeps rendered public pages for a short time (micro-caching).
// A course page costs a handful of queries and a template run; under load
// the same bytes are asked for many times a second, so serving them from
// memory for a second or two changes nothing a visitor can see and lets
// one instance serve far more. Writes made through this server purge the
// cache at once; writes by other processes (an import, another instance)
// show within the TTL.
//
// Only anonymous GET and HEAD requests are cached, keyed by the request
// URI and the consent state (which decides the banner and analytics). A
// request that carries a staff session cookie (SessionCookie) is never
// answered from the cache and its page is never stored: signed-in people
// may see what the public does not, and must see their own changes at
// once.
type pageCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cachedPage
}

type cachedPage struct {
	header  http.Header
	body    []byte
	expires time.Time
}

// SessionCookie is the name of the staff session cookie. Sign-in comes
// with the staff area; the page cache already passes every request that
// carries it straight to the handler.
const SessionCookie = "plenary_session"

// signedIn reports whether r carries a staff session cookie, whatever its
// value: the cache does not judge sessions, it only stays out of their way.
func signedIn(r *http.Request) bool {
	_, err := r.Cookie(SessionCookie)
	return err == nil
}

// maxCachedPages bounds memory: query strings make keys unbounded, so at
// the limit the cache starts again empty.
const maxCachedPages = 1000

func newPageCache(ttl time.Duration, now func() time.Time) *pageCache {
	return &pageCache{ttl: ttl, now: now, entries: map[string]cachedPage{}}
}

// purge forgets every page, after a change made through this server.
func (c *pageCache) purge() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

// purgeCourse forgets a course's page (in every consent state), after a
// booking changed its places left. The catalogue does not show places, so
// it stays; a rush of bookings then leaves other pages cached.
func (c *pageCache) purgeCourse(slug string) {
	if c == nil {
		return
	}
	prefix := "/courses/" + slug
	c.mu.Lock()
	for k := range c.entries {
		if rest, ok := strings.CutPrefix(k, prefix); ok && (rest == "" || rest[0] == '?' || rest[0] == '\x00') {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
}

// Cached serves next through the page cache, when it is on (see
// Options.PageCacheTTL). For public pages only: the catalogue, a course.
func (s *Server) Cached(next http.HandlerFunc) http.HandlerFunc { return s.pages.wrap(next) }

// PurgePages forgets every cached page, after a change made through this
// server.
func (s *Server) PurgePages() { s.pages.purge() }

// PurgeCourse forgets the cached page of the course slug, after a booking
// changed its places left.
func (s *Server) PurgeCourse(slug string) { s.pages.purgeCourse(slug) }

// wrap serves next through the cache. A nil cache (TTL 0, or dev mode)
// serves next directly.
func (c *pageCache) wrap(next http.HandlerFunc) http.HandlerFunc {
	if c == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if signedIn(r) {
			next(w, r)
			return
		}
		key := r.URL.RequestURI() + "\x00" + ConsentOf(r)
		now := c.now()
		c.mu.Lock()
		p, ok := c.entries[key]
		c.mu.Unlock()
		if ok && now.Before(p.expires) {
			h := w.Header()
			for k, v := range p.header {
				h[k] = v
			}
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				w.Write(p.body)
			}
			return
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		next(rec, r)
		if rec.status == http.StatusOK && rec.header.Get("Set-Cookie") == "" && r.Method == http.MethodGet {
			c.mu.Lock()
			if len(c.entries) >= maxCachedPages {
				clear(c.entries)
			}
			c.entries[key] = cachedPage{header: rec.header.Clone(), body: bytes.Clone(rec.body.Bytes()), expires: now.Add(c.ttl)}
			c.mu.Unlock()
		}
		h := w.Header()
		for k, v := range rec.header {
			h[k] = v
		}
		w.WriteHeader(rec.status)
		w.Write(rec.body.Bytes())
	}
}

// recorder captures a handler's response so it can be cached.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
