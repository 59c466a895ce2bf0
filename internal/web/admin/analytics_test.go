package admin

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
	"plenary/internal/analytics"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// TestAnalyticsPage: the funnel course page → booking form → booking per
// course and date, the other pages and the referring sites, for the
// default period (the last 30 UK days) and a chosen one; bad dates are
// answered beside their fields with what was typed kept.
func TestAnalyticsPage(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	c := catalogtest.Course(t, a.db, nil)
	catalogtest.Course(t, a.db, func(c *catalog.Course) { c.Slug, c.Title = "quiet-course", "A quiet course" })
	e := c.Events[0]
	views, err := analytics.New(a.db, a.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	add := func(n int, path, referrer string) {
		for range n {
			views.Add(path, referrer)
		}
	}
	add(8, "/courses/test-course", "https://www.google.com/")
	add(2, "/courses/test-course", "")
	add(4, fmt.Sprintf("/events/%d/book", e.ID), "https://training.example.org/courses/test-course")
	add(1, fmt.Sprintf("/events/%d/booked", e.ID), "https://training.example.org/events/1/book")
	add(3, "/", "")
	a.clock.add(-31 * 24 * time.Hour) // 31 October: outside the last 30 days
	add(5, "/courses/test-course", "")
	a.clock.add(31 * 24 * time.Hour)
	if err := views.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.addUser(t, "coord@example.org", account.Coordinator)
	tok := a.signIn(t, "coord@example.org", password, "")

	body := mustGet(t, a, "/admin/analytics", tok)
	for _, w := range []string{
		`value="2026-11-02"`, `value="2026-12-01"`,
		"Monday 2 November 2026 to Tuesday 1 December 2026: 18 page views counted.",
		`<th scope="row"><a href="/courses/test-course">Test course</a></th><td>10</td><td>4 <span class="muted">(40% of page views)</span></td><td>1 <span class="muted">(25% of form views)</span></td>`,
		"<tr><td>" + dayLabel(e.Days[0].Date) + "</td><td></td><td>4</td><td>1 <span class=\"muted\">(25%)</span></td></tr>",
		"<li><code>/</code>: 3</li>",
		"<li>www.google.com: 8</li>", "<li>training.example.org: 5</li>",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("the page lacks %q", w)
		}
	}
	if strings.Contains(body, "A quiet course") {
		t.Error("a course with no views is listed")
	}

	body = mustGet(t, a, "/admin/analytics?from=2026-10-31&to=2026-10-31", tok)
	if !strings.Contains(body, "Saturday 31 October 2026 to Saturday 31 October 2026: 5 page views counted.") ||
		!strings.Contains(body, `<a href="/courses/test-course">Test course</a></th><td>5</td>`) {
		t.Errorf("31 October: want its 5 views of the course page:\n%s", body)
	}

	for _, tt := range []struct{ query, field, msg, kept string }{
		{"from=31/10/2026&to=2026-11-01", "from", "Enter a date as YYYY-MM-DD", `value="31/10/2026"`},
		{"from=2026-11-02&to=2026-11-01", "to", "The end date must be on or after the start date.", `value="2026-11-01"`},
		{"to=2026-02-30", "to", "Enter a date as YYYY-MM-DD", `value="2026-02-30"`},
	} {
		res, body := a.get(t, "/admin/analytics?"+tt.query, tok)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+tt.field+`-error"`) ||
			!strings.Contains(body, tt.msg) || !strings.Contains(body, tt.kept) || strings.Contains(body, "page views counted") {
			t.Errorf("%s: got %d, want 422 with %q beside %s and %s kept", tt.query, res.StatusCode, tt.msg, tt.field, tt.kept)
		}
	}
}

// TestAnalyticsLimited: a coordinator limited to one course sees that
// course's funnel and numbers only — not another course's, not the other
// pages, not the referring sites — and a total of their course's views.
func TestAnalyticsLimited(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	mine := catalogtest.Course(t, a.db, nil)
	other := catalogtest.Course(t, a.db, func(c *catalog.Course) { c.Slug, c.Title = "other-course", "Another course" })
	views, err := analytics.New(a.db, a.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	add := func(n int, path, referrer string) {
		for range n {
			views.Add(path, referrer)
		}
	}
	add(6, "/courses/test-course", "https://www.google.com/")
	add(3, fmt.Sprintf("/events/%d/book", mine.Events[0].ID), "")
	add(11, "/courses/other-course", "https://secret-partner.example/")
	add(7, fmt.Sprintf("/events/%d/book", other.Events[0].ID), "")
	add(4, "/", "")
	if err := views.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a.addUser(t, "limited@example.org", account.Coordinator, mine.ID)
	tok := a.signIn(t, "limited@example.org", password, "")
	body := mustGet(t, a, "/admin/analytics", tok)
	for _, w := range []string{
		"9 page views counted of your courses' pages and booking forms.",
		`<th scope="row"><a href="/courses/test-course">Test course</a></th><td>6</td><td>3 `,
		"You see the courses you work on only",
	} {
		if !strings.Contains(body, w) {
			t.Errorf("limited view lacks %q", w)
		}
	}
	for _, nw := range []string{"Another course", "other-course", "secret-partner.example", "www.google.com", "Other pages", "<code>/</code>", ">11<", ">7<"} {
		if strings.Contains(body, nw) {
			t.Errorf("limited view shows %q", nw)
		}
	}
	home := mustGet(t, a, "/admin", tok)
	if !strings.Contains(home, `href="/admin/analytics"`) {
		t.Error("the limited coordinator's home has no link to the page views")
	}

	// A coordinator of every course still sees everything.
	a.addUser(t, "all@example.org", account.Coordinator)
	body = mustGet(t, a, "/admin/analytics", a.signIn(t, "all@example.org", password, ""))
	for _, w := range []string{"31 page views counted.", "Another course", "secret-partner.example", "<code>/</code>"} {
		if !strings.Contains(body, w) {
			t.Errorf("unlimited view lacks %q", w)
		}
	}
}
