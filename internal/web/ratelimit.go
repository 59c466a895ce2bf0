package web

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Booking and manage-page POSTs are limited per client
// (Options.BookingLimit, PLENARY_BOOKING_LIMIT): a person books once or
// twice, so the default burst of ten and ten a minute after that never
// gets in their way, while a script that tries thousands of e-mail
// addresses or floods someone's inbox with repeat-booking mails is slowed
// to a crawl.
const maxLimitedClients = 10000 // bounds the limiter's memory

// rateLimiter is a token bucket per client, in memory. Each instance
// keeps its own; with several instances the limit is per instance.
type rateLimiter struct {
	rate  float64 // tokens added a second
	burst float64
	max   int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst, max int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), max: max, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for key. When there is none it returns false and
// how long until there will be one.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.max {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1-b.tokens)/l.rate)) * time.Second
	return false, wait
}

// sweep makes room: it forgets clients whose buckets have filled up again
// (they would start full anyway), and everyone if that frees nothing.
func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}

// clientKey names the client of r for rate limiting: its IP address from
// the connection, with an IPv6 address cut to its /64, which one household
// or host usually holds. Headers a client can set are believed only when
// the connection comes from a trusted proxy: then the client is the
// right-most address in X-Forwarded-For that is not itself a trusted
// proxy.
func (s *Server) clientKey(r *http.Request) string {
	addr, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := addr.Addr().Unmap()
	if s.trusted(ip) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break
			}
			ip = hop.Unmap()
			if !s.trusted(ip) {
				break
			}
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// ClientAddr is the client of r as rate limits see it (clientKey): for
// counting failed sign-ins against an address.
func (s *Server) ClientAddr(r *http.Request) string { return s.clientKey(r) }

func (s *Server) trusted(ip netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Limit serves next only while the client is within the booking rate
// (Options.BookingLimit); beyond it, a 429 page that says when to try
// again. Every limited route shares one budget per client.
func (s *Server) Limit(next http.HandlerFunc) http.HandlerFunc {
	if s.limiter == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.limiter.allow(s.clientKey(r))
		if ok {
			next(w, r)
			return
		}
		secs := max(int(wait/time.Second), 1)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.Render(w, r, http.StatusTooManyRequests, "error", ErrorPage{
			Base:    s.Base(r),
			Status:  http.StatusTooManyRequests,
			Heading: "Please wait a moment",
			Message: fmt.Sprintf("We have had a lot of requests from your connection in a short time. Please wait %s and send the form again; what you typed is still on the previous page.", waitWords(secs)),
		})
	}
}

// waitWords says a wait in seconds the way a person would.
func waitWords(secs int) string {
	switch {
	case secs <= 1:
		return "a second"
	case secs < 60:
		return strconv.Itoa(secs) + " seconds"
	case secs < 120:
		return "a minute"
	}
	return strconv.Itoa((secs+59)/60) + " minutes"
}
