package site_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"

	"plenary/demo"
	"plenary/internal/analytics"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
	"plenary/internal/web"
	"plenary/internal/web/site"
)

// analyticsSite is the demo catalogue served with page-view counting and
// a third-party analytics script from an origin of its own (https, as
// the kit requires), which counts the requests it gets.
type analyticsSite struct {
	url      string
	views    *analytics.Counter
	report   *analytics.Report
	requests atomic.Int64 // to the analytics origin
}

// statsScript stands in for a provider's script: it sets a cookie on the
// site, as many do, and marks the page so the test knows it ran.
const statsScript = `document.cookie = "_stats_id=abc123; path=/; max-age=31536000; SameSite=Lax";
document.documentElement.setAttribute("data-stats", "loaded");`

func startAnalyticsSite(t *testing.T) *analyticsSite {
	t.Helper()
	a := &analyticsSite{}
	stats := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(statsScript))
	}))
	t.Cleanup(stats.Close)

	ctx := t.Context()
	db := dbtest.New(t)
	store := catalog.NewStore(db, catalog.Hooks{})
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	courses, err := demo.Courses(catalog.DateOf(now.In(loc)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range courses {
		if _, err := store.Save(ctx, []*catalog.Course{&courses[i]}, catalogtest.Options(now)); err != nil {
			t.Fatal(err)
		}
	}
	if a.views, err = analytics.New(db, nil); err != nil {
		t.Fatal(err)
	}
	a.report = analytics.NewReport(db)
	// The page cache is on: a page served from it must count too.
	kit, err := web.New(web.Options{DB: db, PageCacheTTL: time.Minute, CountView: a.views.Add,
		AnalyticsScript: stats.URL + "/js/script.js", AnalyticsProvider: "plausible", AnalyticsID: "training.example",
		AnalyticsCookies: []string{"_stats_id"}})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := site.New(kit, site.Options{Catalog: store})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(kit.Handler(pub))
	t.Cleanup(ts.Close)
	a.url = ts.URL
	return a
}

// coursePageViews flushes the counter and returns the views of the
// course page counted today and yesterday (a test near midnight).
func (a *analyticsSite) coursePageViews(t *testing.T) int64 {
	t.Helper()
	if err := a.views.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("Europe/London")
	today := catalog.DateOf(time.Now().In(loc))
	got, err := a.report.ByPath(t.Context(), analytics.Period{From: today.AddDays(-1), To: today})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		if v.Path == "/courses/"+courseSlug {
			return v.Views
		}
	}
	return 0
}

// testAnalyticsConsent: before a choice there is no analytics cookie, no
// request to the analytics origin and no view counted; after accepting,
// views are counted (a cached page too) and the script loads and sets
// its cookie; after rejecting on /cookies, its cookie is gone, the
// script is not loaded and counting stops.
func testAnalyticsConsent(t *testing.T, ctx context.Context, a *analyticsSite) {
	// The analytics origin's certificate is httptest's own.
	if _, err := chromedp.Call(ctx, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
		t.Fatal(err)
	}
	pageURL := a.url + "/courses/" + courseSlug
	hasStatsCookie := func() bool {
		for _, c := range cookies(t, ctx) {
			if c.Name == "_stats_id" {
				return true
			}
		}
		return false
	}

	for range 2 {
		if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
			t.Fatal(err)
		}
	}
	if got := cookies(t, ctx); len(got) != 0 {
		t.Errorf("before a choice: cookies %s, want none", cookieNames(got))
	}
	if present(t, ctx, `script[src*="/js/script.js"]`) || a.requests.Load() != 0 {
		t.Errorf("before a choice: the analytics script is on the page or was requested (%d requests)", a.requests.Load())
	}
	if n := a.coursePageViews(t); n != 0 {
		t.Errorf("before a choice: %d views counted, want 0", n)
	}

	// Accept in the banner: back on the page, which is counted, as is the
	// next visit (from the page cache); the script loads and sets its
	// cookie.
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`.cookie-banner button[name="choice"][value="accept"]`), chromedp.NodeVisible)); err != nil {
		t.Fatalf("click Accept: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.documentElement.dataset.stats === "loaded"`)); err != nil {
		t.Fatalf("after Accept the analytics script did not run: %v", err)
	}
	for range 2 {
		if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
			t.Fatal(err)
		}
	}
	if err := pollAfterNavigation(ctx, `document.documentElement.dataset.stats === "loaded"`); err != nil {
		t.Fatalf("the analytics script did not run on the next page: %v", err)
	}
	if n := a.coursePageViews(t); n != 3 {
		t.Errorf("after Accept and two more visits: %d views counted, want 3", n)
	}
	if a.requests.Load() == 0 || !hasStatsCookie() {
		t.Errorf("after Accept: %d requests to the analytics origin, its cookie set: %v; want both", a.requests.Load(), hasStatsCookie())
	}
	attrs := mustRun(t, ctx, chromedp.Evaluate[string](`document.querySelector('script[src*="/js/script.js"]').getAttribute("data-domain")`))
	if attrs != "training.example" {
		t.Errorf("the script's data-domain is %q, want the configured ID", attrs)
	}

	// Reject on /cookies: the script's cookie is deleted, the script is
	// gone from the pages and nothing more is counted.
	if err := chromedp.Do(ctx, chromedp.Navigate(a.url+"/cookies")); err != nil {
		t.Fatal(err)
	}
	if text := mustRun(t, ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`)); !strings.Contains(text, "_stats_id") ||
		!strings.Contains(text, "under 16") {
		t.Errorf("/cookies does not list the analytics cookie or speak to under-16s:\n%s", text)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main button[name="choice"][value="reject"]`), chromedp.NodeVisible)); err != nil {
		t.Fatalf("click Reject: %v", err)
	}
	if hasStatsCookie() {
		t.Errorf("after Reject the analytics cookie is still there: %s", cookieNames(cookies(t, ctx)))
	}
	before := a.requests.Load()
	for range 2 {
		if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
			t.Fatal(err)
		}
	}
	if present(t, ctx, `script[src*="/js/script.js"]`) || a.requests.Load() != before || hasStatsCookie() {
		t.Errorf("after Reject: script on the page %v, requests %d → %d, cookie %v; want none of them",
			present(t, ctx, `script[src*="/js/script.js"]`), before, a.requests.Load(), hasStatsCookie())
	}
	if n := a.coursePageViews(t); n != 3 {
		t.Errorf("after Reject: %d views counted, want still 3", n)
	}
	if got := cookies(t, ctx); len(got) != 1 || got[0].Name != web.ConsentCookie || got[0].Value != web.ConsentReject {
		t.Errorf("after Reject: cookies %s, want only plenary_consent=reject", cookieNames(got))
	}
}

// pollAfterNavigation polls expr until it is true. Just after a
// navigation Chromium may still swap the page's execution context, and a
// poll started in the old one fails with "Cannot find context with
// specified id": that, and only that, is tried again (a few times).
func pollAfterNavigation(ctx context.Context, expr string) error {
	var err error
	for range 3 {
		if _, err = chromedp.Run(ctx, chromedp.Poll[bool](expr)); err == nil || !strings.Contains(err.Error(), "Cannot find context") {
			return err
		}
	}
	return err
}
