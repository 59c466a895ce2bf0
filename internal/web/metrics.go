package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the HTTP measurements, labelled by route pattern (e.g.
// "GET /courses/{slug}") so that the number of series stays small.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "plenary_http_requests_total",
			Help: "HTTP requests handled, by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "plenary_http_request_duration_seconds",
			Help:    "Time taken to answer HTTP requests, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	// A registry shared by two Servers (as in tests) keeps the first
	// collectors.
	var err error
	if m.requests, err = register(reg, m.requests); err != nil {
		return nil, err
	}
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if _, err := register(reg, collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if _, err := register(reg, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	return m, nil
}

// register adds c to reg, or returns the equal collector already there.
func register[C prometheus.Collector](reg *prometheus.Registry, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

// metricsShow serves GET /metrics: with a token configured, to requests
// that bear it; without one, only to this machine, never through a proxy
// (the 404 page to everyone else).
func (s *Server) metricsShow(w http.ResponseWriter, r *http.Request) {
	if s.metricsToken != "" {
		if !bearer(r, s.metricsToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "A valid metrics token is needed.", http.StatusUnauthorized)
			return
		}
	} else if !s.FromThisMachine(r) {
		s.NotFound(w, r)
		return
	}
	promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}).ServeHTTP(w, r)
}

// bearer reports whether r carries "Authorization: Bearer token", comparing
// in constant time.
func bearer(r *http.Request, token string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// healthz serves GET /healthz: 200 "ok" when the database answers within
// two seconds, 503 otherwise.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.db == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("no database\n"))
		return
	}
	if err := s.Ping(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unavailable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// Ping reports whether the database answers within two seconds. A
// failure is logged, and returned wrapping ErrUnavailable.
func (s *Server) Ping(ctx context.Context) error {
	if s.db == nil {
		return fmt.Errorf("%w: no database", ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.db.PingContext(ctx); err != nil {
		s.log.Error("health check failed", "error", err)
		return fmt.Errorf("%w: database: %w", ErrUnavailable, err)
	}
	return nil
}
