package site

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	for _, p := range []string{"/", "/nope", "/healthz", "/courses/dit-refresher"} {
		res, _ := ts.get(t, p)
		want := map[string]string{
			"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "strict-origin-when-cross-origin",
			"Permissions-Policy":      "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()",
			// The test site's base URL is https.
			"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
		}
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("GET %s: got %s %q, want %q", p, k, got, v)
			}
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	form := url.Values{"choice": {"accept"}, "return": {"/"}}
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"other origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
		{"no browser headers", nil, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := ts.post(t, "/cookies/consent", form, tt.header)
			if res.StatusCode != tt.status {
				t.Fatalf("got status %d, want %d", res.StatusCode, tt.status)
			}
			if tt.status == http.StatusForbidden {
				if len(res.Cookies()) != 0 {
					t.Errorf("got cookies %v on a refused request, want none", res.Cookies())
				}
				if !strings.Contains(body, "another site") {
					t.Errorf("got body without an explanation")
				}
			}
		})
	}
}

func TestRequestBodyLimit(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	big := url.Values{"choice": {"accept"}, "return": {"/" + strings.Repeat("a", 100<<10)}}
	res, _ := ts.post(t, "/cookies/consent", big, nil)
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("got status %d for a 100 KiB form, want 400", res.StatusCode)
	}
	if len(res.Cookies()) != 0 {
		t.Errorf("got cookies %v, want none", res.Cookies())
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	res, body := ts.get(t, "/healthz")
	if res.StatusCode != 200 || body != "ok\n" {
		t.Errorf("GET /healthz: got %d %q, want 200 \"ok\\n\"", res.StatusCode, body)
	}
	ts.get(t, "/courses/dit-refresher")
	ts.get(t, "/nope")
	res, body = ts.getFrom(t, "/metrics", "127.0.0.1:40000", nil)
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: got %d, want 200", res.StatusCode)
	}
	for _, w := range []string{
		`plenary_http_requests_total{code="200",route="GET /courses/{slug}"} 1`,
		`plenary_http_requests_total{code="404",route="/"} 1`,
		`plenary_http_requests_total{code="200",route="GET /healthz"} 1`,
		`plenary_http_request_duration_seconds_bucket{route="GET /courses/{slug}"`,
		"go_goroutines",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("GET /metrics: no %q", w)
		}
	}
}

// TestMetricsAccess checks who may read /metrics: without a token, only
// this machine and never through a proxy; with one, whoever sends it.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	const token = "s3cret-metrics-token-0123"
	open := newTestSite(t)
	guarded := newTestSiteWith(t, testNow, func(o *testOptions) { o.MetricsToken = token })
	// A proxy on this machine that adds no header is named as trusted.
	proxied := newTestSiteWith(t, testNow, func(o *testOptions) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	tests := []struct {
		name   string
		site   *testSite
		remote string
		header map[string]string
		status int
	}{
		{"no token, IPv4 loopback", open, "127.0.0.1:40000", nil, 200},
		{"no token, IPv6 loopback", open, "[::1]:40000", nil, 200},
		{"no token, another machine", open, "192.0.2.1:40000", nil, 404},
		{"no token, through a proxy", open, "127.0.0.1:40000", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 404},
		{"no token, Forwarded header", open, "127.0.0.1:40000", map[string]string{"Forwarded": "for=203.0.113.9"}, 404},
		{"no token, Via header", open, "127.0.0.1:40000", map[string]string{"Via": "1.1 proxy"}, 404},
		{"no token, from a trusted proxy without headers", proxied, "127.0.0.1:40000", nil, 404},
		{"no token, trusted proxy set, IPv6 loopback", proxied, "[::1]:40000", nil, 200},
		{"no token, a token sent anyway", open, "192.0.2.1:40000", map[string]string{"Authorization": "Bearer " + token}, 404},
		{"token, right one", guarded, "192.0.2.1:40000", map[string]string{"Authorization": "Bearer " + token}, 200},
		{"token, scheme in lower case", guarded, "192.0.2.1:40000", map[string]string{"Authorization": "bearer " + token}, 200},
		{"token, missing", guarded, "192.0.2.1:40000", nil, 401},
		{"token, missing from loopback", guarded, "127.0.0.1:40000", nil, 401},
		{"token, wrong", guarded, "192.0.2.1:40000", map[string]string{"Authorization": "Bearer " + token + "x"}, 401},
		{"token, a prefix of it", guarded, "192.0.2.1:40000", map[string]string{"Authorization": "Bearer " + token[:10]}, 401},
		{"token, as Basic", guarded, "192.0.2.1:40000", map[string]string{"Authorization": "Basic " + token}, 401},
	}
	for _, tt := range tests {
		res, body := tt.site.getFrom(t, "/metrics", tt.remote, tt.header)
		if res.StatusCode != tt.status {
			t.Errorf("%s: got %d, want %d", tt.name, res.StatusCode, tt.status)
		}
		if got := strings.Contains(body, "go_goroutines"); got != (tt.status == 200) {
			t.Errorf("%s: metrics in the body %v, want %v", tt.name, got, tt.status == 200)
		}
		if tt.status == 401 && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q, want Bearer", tt.name, res.Header.Get("WWW-Authenticate"))
		}
	}
}

func TestHealthDatabaseDown(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	ts.db.Close()
	res, body := ts.get(t, "/healthz")
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("got %d %q, want 503", res.StatusCode, body)
	}
}

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	css := ts.static("css/site.css")
	tests := []struct {
		path, ctype, cache string
		status             int
	}{
		{css, "text/css; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{ts.static("js/system-check.js"), "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", 200},
		{"/static/oldhash/css/site.css", "text/css; charset=utf-8", "no-cache", 200},
		{"/static/x/css/none.css", "", "", 404},
		{"/static/x/%2e%2e/server.go", "", "", 404},
		{"/static/x/.hidden", "", "", 404},
	}
	for _, tt := range tests {
		res, _ := ts.get(t, tt.path)
		if res.StatusCode != tt.status {
			t.Errorf("GET %s: got %d, want %d", tt.path, res.StatusCode, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tt.ctype {
			t.Errorf("GET %s: got Content-Type %q, want %q", tt.path, got, tt.ctype)
		}
		if got := res.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: got Cache-Control %q, want %q", tt.path, got, tt.cache)
		}
	}
	_, home := ts.get(t, "/")
	if !strings.Contains(home, `href="`+css+`"`) {
		t.Errorf("home page does not link %s", css)
	}
}

func TestTrustedOriginBehindProxy(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	// The proxy forwards to an internal host name; the browser's Origin
	// is the public site.
	r := httptest.NewRequest(http.MethodPost, "http://10.0.0.5:8080/cookies/consent", strings.NewReader("choice=reject&return=/"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://training.example.org")
	res, _ := ts.do(t, r)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("got status %d, want 303", res.StatusCode)
	}
}
