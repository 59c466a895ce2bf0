package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

var testNow = time.Date(2022, 5, 1, 12, 0, 0, 0, time.UTC)

func newPost(path string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return r
}

func TestRateLimiterMemory(t *testing.T) {
	now := testNow
	l := newRateLimiter(1, 2, 100, func() time.Time { return now })
	for i := range 1000 {
		l.allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256))
		if len(l.buckets) > 100 {
			t.Fatalf("after %d clients: %d buckets, want at most 100", i+1, len(l.buckets))
		}
	}
}

func TestClientKey(t *testing.T) {
	srv := &Server{proxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}}
	for _, tt := range []struct{ addr, forwarded, want string }{
		{"192.0.2.1:1234", "", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::/64"},
		{"[::1]:80", "", "::/64"},
		// Only a trusted proxy is believed, and only about the hop before it.
		{"192.0.2.1:1234", "203.0.113.9", "192.0.2.1"},
		{"127.0.0.1:1234", "203.0.113.9", "203.0.113.9"},
		{"127.0.0.1:1234", "198.51.100.1, 203.0.113.9, 10.1.2.3", "203.0.113.9"},
		{"127.0.0.1:1234", "garbage", "127.0.0.1"},
		{"127.0.0.1:1234", "2001:db8:9:9::1", "2001:db8:9:9::/64"},
	} {
		r := newPost("/")
		r.RemoteAddr = tt.addr
		if tt.forwarded != "" {
			r.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		if got := srv.clientKey(r); got != tt.want {
			t.Errorf("clientKey(%s, XFF %q) = %q, want %q", tt.addr, tt.forwarded, got, tt.want)
		}
	}
}
