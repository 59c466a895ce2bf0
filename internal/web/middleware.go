package web

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxBodyBytes caps request bodies: every form on the site is small.
const MaxBodyBytes = 64 << 10

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe is the outermost middleware: it turns a panic into the 500 page,
// then logs the request and counts it by route pattern and status.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", s.logPath(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.serverError(sw, r, fmt.Errorf("panic: %v", v))
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			// The mux sets r.Pattern on this same request; requests refused
			// before routing have none.
			route := r.Pattern
			if route == "" {
				route = "unrouted"
			}
			elapsed := time.Since(start)
			s.metrics.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
			s.metrics.duration.WithLabelValues(route).Observe(elapsed.Seconds())
			// Probes and scrapes come every few seconds: at debug, so they
			// do not bury the requests people make.
			level := slog.LevelInfo
			if route == "GET /healthz" || route == "GET /metrics" {
				level = slog.LevelDebug
			}
			s.log.Log(r.Context(), level, "request", "method", r.Method, "path", s.logPath(r), "route", route,
				"status", status, "bytes", sw.bytes, "duration_ms", elapsed.Milliseconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// logPath is the request's path as logs may show it. A path that holds
// a secret (a manage link's token: routes marked SecretPath) is logged
// as its route pattern ("GET /bookings/{token}"), never as typed.
func (s *Server) logPath(r *http.Request) string {
	prefix := cmp.Or(s.paths.secret.prefixOf(r.URL.Path), s.paths.secret.prefixOf(r.URL.EscapedPath()))
	if prefix == "" {
		return r.URL.Path
	}
	if r.Pattern != "" && r.Pattern != "/" {
		return r.Pattern
	}
	return prefix + "…"
}

// pathSet is the literal beginnings of route patterns, for the rules the
// middleware applies by path before a route is chosen.
type pathSet []string

// add records the literal part of pattern: "GET /bookings/{token}" adds
// "/bookings/", and "GET /admin/messages" adds "/admin/messages" (the page
// and everything under it).
func (ps *pathSet) add(pattern string) {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	lit, _, _ := strings.Cut(pattern, "{")
	if !slices.Contains(*ps, lit) {
		*ps = append(*ps, lit)
	}
}

// prefixOf returns the entry path falls under, or "".
func (ps pathSet) prefixOf(path string) string {
	for _, p := range ps {
		if strings.HasSuffix(p, "/") && strings.HasPrefix(path, p) {
			return p
		}
		if path == p || strings.HasPrefix(path, p+"/") {
			return p
		}
	}
	return ""
}

func (ps pathSet) match(path string) bool { return ps.prefixOf(path) != "" }

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	csp, cspAnalytics := s.contentSecurityPolicy(false), s.contentSecurityPolicy(true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if s.analytics != "" && ConsentOf(r) == ConsentAccept && !s.paths.private.match(r.URL.Path) {
			h.Set("Content-Security-Policy", cspAnalytics)
		} else {
			h.Set("Content-Security-Policy", csp)
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		// The system check page needs the camera and microphone; nothing
		// else does, and no other site may ask for them through us.
		h.Set("Permissions-Policy", "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secure {
			// The site is served over https: browsers should never try
			// plain http for it again.
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		if s.paths.private.match(r.URL.Path) {
			// The path holds a manage link's secret, or the page is the
			// staff area's: keep it out of caches, history
			// sync and other sites' logs.
			h.Set("Cache-Control", "no-store")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Robots-Tag", "noindex")
		}
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only this site's own scripts and styles,
// never inline ones. With analytics set (for people who accepted
// analytics cookies, on pages that are neither the staff area's nor a
// manage link's) a configured analytics script's origin is allowed to
// load and report; for everyone else it is not, so the script could not
// load even if it were put on the page.
func (s *Server) contentSecurityPolicy(analytics bool) string {
	script, connect := "", ""
	if analytics && s.analytics != "" {
		if u, err := url.Parse(s.analytics); err == nil {
			origin := u.Scheme + "://" + u.Host
			script = "; script-src 'self' " + origin
			connect = "; connect-src 'self' " + origin
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		"img-src 'self' data:",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ") + script + connect
}

// limitBody caps the size of request bodies: MaxBodyBytes, or more for
// the patterns large names (uploads).
func limitBody(mux *http.ServeMux, large map[string]int64) http.Handler {
	next := mux
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			limit := int64(MaxBodyBytes)
			if len(large) > 0 {
				if _, pattern := mux.Handler(r); large[pattern] > 0 {
					limit = large[pattern]
				}
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}
