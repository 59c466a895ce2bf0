package site

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"plenary/internal/analytics"
	"plenary/internal/web"
	"plenary/internal/workdays"
)

// TestPageViewsWithConsent goes through the real routes with a real
// counter, on the test's database engine: the course page (twice, the
// second from the page cache), the booking form and a booking made are
// counted for a visitor who accepted analytics, with the referring host
// and without the query; a visitor who made no choice or rejected is
// not counted and gets no cookie; the manage page is never counted.
func TestPageViewsWithConsent(t *testing.T) {
	t.Parallel()
	var views *analytics.Counter
	ts := newTestSiteWith(t, testNow, func(o *testOptions) {
		var err error
		if views, err = analytics.New(o.Options.DB, func() time.Time { return testNow }); err != nil {
			t.Fatal(err)
		}
		o.Options.CountView = views.Add
		o.Options.PageCacheTTL = time.Minute
	}, bookingCourses(t)...)
	june := ts.event(t, "dit-refresher", "june")
	visit := func(consent string, email string) string {
		h := map[string]string{"Referer": "https://www.example.com/list?q=dit"}
		if consent != "" {
			h["Cookie"] = web.ConsentCookie + "=" + consent
		}
		for _, path := range []string{"/courses/dit-refresher?utm_source=news", "/courses/dit-refresher?utm_source=news",
			fmt.Sprintf("/events/%d/book", june), "/"} {
			res, _ := ts.getFrom(t, path, "192.0.2.1:1234", h)
			if res.StatusCode != http.StatusOK || len(res.Header.Values("Set-Cookie")) != 0 {
				t.Fatalf("%s (consent %q): status %d, cookies %q", path, consent, res.StatusCode, res.Header.Values("Set-Cookie"))
			}
		}
		h["Sec-Fetch-Site"] = "same-origin"
		res, body := ts.post(t, fmt.Sprintf("/events/%d/book", june), ditForm("Ann Example", email), h)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("book (consent %q): %d\n%s", consent, res.StatusCode, body)
		}
		manage := res.Header.Get("Location")
		if r, _ := ts.getFrom(t, manage, "192.0.2.1:1234", h); r.StatusCode != http.StatusOK {
			t.Fatalf("manage page: %d", r.StatusCode)
		}
		return manage
	}
	read := func() []analytics.PathViews {
		t.Helper()
		if err := views.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		day := workdays.DateOf(testNow.In(ukZone(t)))
		got, err := analytics.NewReport(ts.db).ByPath(context.Background(), analytics.Period{From: day, To: day})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	visit("", "nobody@example.org")
	visit(web.ConsentReject, "rejecter@example.org")
	if got := read(); len(got) != 0 {
		t.Fatalf("without consent: counted %v, want nothing", got)
	}
	visit(web.ConsentAccept, "accepter@example.org")
	want := []analytics.PathViews{
		{Path: "/courses/dit-refresher", Views: 2},
		{Path: "/", Views: 1},
		{Path: fmt.Sprintf("/events/%d/book", june), Views: 1},
		{Path: fmt.Sprintf("/events/%d/booked", june), Views: 1},
	}
	if got := read(); !reflect.DeepEqual(got, want) {
		t.Errorf("with consent: counted %v, want %v", got, want)
	}
	var stored int
	if err := ts.db.QueryRow(`SELECT COUNT(*) FROM page_views WHERE referrer_host <> 'www.example.com'`).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("%d rows without the referring host (%v), want 0", stored, err)
	}
}

func ukZone(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
