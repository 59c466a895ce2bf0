package web

import (
	"bytes"
	"context"
	"html/template"
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
	// slots is what the handler gave SetSlots: the page's body holds
	// slot markers that the route's SlotFiller fills on every answer.
	// parts is the body cut at its markers: text, slot name, text, …,
	// text (so a hit does not search the body again).
	slots any
	parts []string
}

// A page may be cached with slots: parts that change more often than the
// rest (a course page's places left on each date) are rendered as a marker
// (SlotMarker), and every answer, from the cache or not, replaces each
// marker with what the route's SlotFiller returns for it. So a booking
// changes the places shown without the page being rendered again.

// SlotFiller returns, for the slot data a handler gave SetSlots, the bytes
// of each slot by name. An error makes the request render the page whole,
// as without a cache.
type SlotFiller func(r *http.Request, data any) (map[string][]byte, error)

const slotOpen, slotClose = "<!--plenary-slot:", "-->"

// SlotMarker is the marker of slot name in a page (an HTML comment, so a
// page shown without filling it loses only the slot).
func SlotMarker(name string) template.HTML { return template.HTML(slotOpen + name + slotClose) }

type slotBox struct{ data any }

type slotKey struct{}

// Slotted reports whether the page rendered for r is to be cached with its
// slots as markers: the route has a SlotFiller and the page cache is on.
// Otherwise the handler renders everything.
func Slotted(r *http.Request) bool {
	_, ok := r.Context().Value(slotKey{}).(*slotBox)
	return ok
}

// SetSlots gives the page cache the data the route's SlotFiller needs to
// fill the page's slots; it is kept with the cached page. A no-op unless
// Slotted(r).
func SetSlots(r *http.Request, data any) {
	if b, ok := r.Context().Value(slotKey{}).(*slotBox); ok {
		b.data = data
	}
}

// cutSlots cuts body at its slot markers: text, name, text, …, text.
func cutSlots(body []byte) []string { return CutSlots(string(body)) }

// CutSlots cuts body at its slot markers (SlotMarker): text, slot name,
// text, …, text; a body without markers is one text.
func CutSlots(body string) []string {
	var parts []string
	rest := body
	for {
		i := strings.Index(rest, slotOpen)
		if i < 0 {
			break
		}
		j := strings.Index(rest[i+len(slotOpen):], slotClose)
		if j < 0 {
			break
		}
		parts = append(parts, rest[:i], rest[i+len(slotOpen):i+len(slotOpen)+j])
		rest = rest[i+len(slotOpen)+j+len(slotClose):]
	}
	return append(parts, rest)
}

var fillBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeFilled writes parts (see cutSlots) to w with each slot's bytes
// from frags (a slot without bytes is left out), in one Write.
func writeFilled(w http.ResponseWriter, parts []string, frags map[string][]byte) {
	buf := fillBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	for i, p := range parts {
		if i%2 == 0 {
			buf.WriteString(p)
		} else {
			buf.Write(frags[p])
		}
	}
	w.Write(buf.Bytes())
	if buf.Cap() <= 1<<20 {
		fillBuffers.Put(buf)
	}
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

// Cached serves next through the page cache, when it is on (see
// Options.PageCacheTTL). For public pages only: the catalogue, a course.
func (s *Server) Cached(next http.HandlerFunc) http.HandlerFunc { return s.pages.wrap(next, nil) }

// CachedWithSlots is Cached for a page with slots (see SlotFiller): fill
// fills them on every answer.
func (s *Server) CachedWithSlots(next http.HandlerFunc, fill SlotFiller) http.HandlerFunc {
	return s.pages.wrap(next, fill)
}

// PageCacheTTL is how long a page is cached; 0 when the cache is off.
func (s *Server) PageCacheTTL() time.Duration {
	if s.pages == nil {
		return 0
	}
	return s.pages.ttl
}

// PurgePages forgets every cached page, after a change made through this
// server.
func (s *Server) PurgePages() { s.pages.purge() }

// wrap serves next through the cache. A nil cache (TTL 0, or dev mode)
// serves next directly. With fill, the page is rendered with its slots as
// markers and they are filled on every answer.
func (c *pageCache) wrap(next http.HandlerFunc, fill SlotFiller) http.HandlerFunc {
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
			var frags map[string][]byte
			if p.slots != nil {
				var err error
				if frags, err = fill(r, p.slots); err != nil {
					next(w, r) // the whole page, rendered as without a cache
					return
				}
			}
			h := w.Header()
			for k, v := range p.header {
				h[k] = v
			}
			if p.slots == nil && notModified(w, r) {
				return
			}
			w.WriteHeader(http.StatusOK)
			switch {
			case r.Method == http.MethodHead:
			case p.slots != nil:
				writeFilled(w, p.parts, frags)
			default:
				w.Write(p.body)
			}
			return
		}
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		var box *slotBox
		rr := unconditional(r) // the whole page, to keep; this client may still get 304
		if fill != nil {
			box = &slotBox{}
			rr = rr.WithContext(context.WithValue(rr.Context(), slotKey{}, box))
		}
		next(rec, rr)
		body := rec.body.Bytes()
		var slots any
		var parts []string
		if box != nil && box.data != nil {
			slots, parts = box.data, cutSlots(body)
		}
		if rec.status == http.StatusOK && rec.header.Get("Set-Cookie") == "" && r.Method == http.MethodGet {
			c.mu.Lock()
			if len(c.entries) >= maxCachedPages {
				clear(c.entries)
			}
			c.entries[key] = cachedPage{header: rec.header.Clone(), body: bytes.Clone(body), expires: now.Add(c.ttl), slots: slots, parts: parts}
			c.mu.Unlock()
		}
		var frags map[string][]byte
		if slots != nil {
			var err error
			if frags, err = fill(r, slots); err != nil {
				c.mu.Lock()
				delete(c.entries, key)
				c.mu.Unlock()
				next(w, r)
				return
			}
		}
		h := w.Header()
		for k, v := range rec.header {
			h[k] = v
		}
		if rec.status == http.StatusOK && slots == nil && notModified(w, r) {
			return
		}
		w.WriteHeader(rec.status)
		if slots != nil {
			writeFilled(w, parts, frags)
		} else {
			w.Write(body)
		}
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

// conditionalHeaders make a handler answer 304, 412 or 206 rather than
// the whole page.
var conditionalHeaders = []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range", "If-Range"}

// unconditional is r without its conditional and range headers (r itself
// when it has none), so that what the handler answers can be kept.
func unconditional(r *http.Request) *http.Request {
	for _, k := range conditionalHeaders {
		if _, ok := r.Header[k]; ok {
			r = r.Clone(r.Context())
			for _, k := range conditionalHeaders {
				r.Header.Del(k)
			}
			return r
		}
	}
	return r
}

// notModified answers 304, as http.ServeContent does, when w's headers
// carry an ETag that r's If-None-Match names, and reports whether it did.
func notModified(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	etag := h.Get("ETag")
	if etag == "" || !etagMatch(r.Header.Get("If-None-Match"), etag) {
		return false
	}
	h.Del("Content-Type")
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	w.WriteHeader(http.StatusNotModified)
	return true
}

// etagMatch reports whether an If-None-Match header names etag: "*", or
// a list of entity tags compared weakly (W/"x" matches "x"), as RFC 9110
// asks of If-None-Match.
func etagMatch(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(ifNoneMatch, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}
