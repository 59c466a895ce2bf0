package site

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
)

// feedHeaders checks what every calendar and feed response shares: the
// type, a cache lifetime, and no cookie.
func feedHeaders(t *testing.T, res *http.Response, mediaType string) {
	t.Helper()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, mediaType) {
		t.Errorf("Content-Type %q, want %s", ct, mediaType)
	}
	if cc := res.Header.Get("Cache-Control"); cc != feedMaxAge {
		t.Errorf("Cache-Control %q, want %q", cc, feedMaxAge)
	}
	if sc := res.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("sets cookies: %q", sc)
	}
}

// calendarUIDs parses a calendar with golang-ical and returns each
// VEVENT's UID, TZID and local start.
func calendarUIDs(t *testing.T, body string) [][3]string {
	t.Helper()
	cal, err := ics.ParseCalendar(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	var out [][3]string
	for _, ev := range cal.Events() {
		p := ev.GetProperty(ics.ComponentPropertyDtStart)
		out = append(out, [3]string{ev.Id(), strings.Join(p.ICalParameters["TZID"], ","), p.Value})
	}
	return out
}

// TestCourseCalendarFeed: /courses/{slug}/dates.ics has each day of each
// upcoming date that is going ahead (past and cancelled dates left out),
// in its zone, with the UIDs of each date's own file; the UIDs stay the
// same when the course is imported again; a draft or unknown course is
// not found; the course page links it.
func TestCourseCalendarFeed(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	res, body := ts.get(t, "/courses/mbt-foundation/dates.ics")
	feedHeaders(t, res, "text/calendar")
	oct := ts.event(t, "mbt-foundation", "2022-10")
	var want [][3]string
	for i, d := range []string{"20221027", "20221028", "20221031", "20221101"} {
		want = append(want, [3]string{fmt.Sprintf("event-%d-day-%d@training.example.org", oct, i+1), "Europe/London", d + "T093000"})
	}
	got := calendarUIDs(t, body)
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}
	for _, w := range []string{"\r\nREFRESH-INTERVAL;VALUE=DURATION:", "\r\nX-PUBLISHED-TTL:", "\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/London", "\r\nMETHOD:PUBLISH"} {
		if !strings.Contains(body, w) {
			t.Errorf("no %q", w)
		}
	}
	if strings.Contains(body, "Cancelled") {
		t.Error("a cancelled date is in the calendar")
	}

	// The online course: past date out, the meeting's secrets never in.
	_, body = ts.get(t, "/courses/dit-refresher/dates.ics")
	before := calendarUIDs(t, body)
	if len(before) != 2 || before[0][0] != fmt.Sprintf("event-%d-day-1@training.example.org", ts.event(t, "dit-refresher", "2022-06")) {
		t.Errorf("dit-refresher events %v", before)
	}
	for _, s := range meetingSecrets {
		if strings.Contains(body, s) {
			t.Errorf("calendar has the secret %q", s)
		}
	}
	// Imported again (the same course file, a day later): same UIDs, so a
	// calendar program updates its entries rather than adding them again.
	again := fixtures(t)[0]
	if again.Slug != "dit-refresher" {
		t.Fatalf("fixture order changed: %s", again.Slug)
	}
	again.Title = "DIT refresher (updated)"
	if _, err := ts.store.Save(context.Background(), []*catalog.Course{&again}, catalogtest.Options(testNow.Add(24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	_, body = ts.get(t, "/courses/dit-refresher/dates.ics")
	after := calendarUIDs(t, body)
	if !slices.Equal(before, after) {
		t.Errorf("UIDs changed on re-import:\n%v\n%v", before, after)
	}
	if !strings.Contains(body, "SUMMARY:DIT refresher (updated)") {
		t.Error("the re-imported title is not in the calendar")
	}

	for _, path := range []string{"/courses/secret-draft/dates.ics", "/courses/no-such-course/dates.ics",
		"/courses/secret-draft/dates.atom", "/courses/no-such-course/dates.atom"} {
		if res, _ := ts.get(t, path); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, res.StatusCode)
		}
	}

	_, page := ts.get(t, "/courses/dit-refresher")
	for _, w := range []string{
		`<link rel="alternate" type="application/atom+xml" title="New dates: DIT refresher (updated)" href="/courses/dit-refresher/dates.atom">`,
		`href="webcal://training.example.org/courses/dit-refresher/dates.ics"`, `href="/courses/dit-refresher/dates.ics"`,
		"Add the dates to your calendar", `href="/courses/dit-refresher/dates.atom">follow the feed</a>`,
	} {
		if !strings.Contains(page, w) {
			t.Errorf("course page lacks %q", w)
		}
	}
	if strings.Contains(page, "Prefer no e-mail?") {
		t.Error("the course page offers an alternative to e-mail without the lists' form")
	}
	_, home := ts.get(t, "/")
	if !strings.Contains(home, `<link rel="alternate" type="application/atom+xml" title="New dates: Plenary" href="/dates.atom">`) {
		t.Error("catalogue has no link to the feed")
	}
}

// The Atom structure (RFC 4287) as a reader decodes it: the namespace is
// part of every name, so a feed in another namespace decodes to nothing.
type atomIn struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string   `xml:"http://www.w3.org/2005/Atom id"`
	Title   string   `xml:"http://www.w3.org/2005/Atom title"`
	Updated string   `xml:"http://www.w3.org/2005/Atom updated"`
	Author  struct {
		Name string `xml:"http://www.w3.org/2005/Atom name"`
	} `xml:"http://www.w3.org/2005/Atom author"`
	Links []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"http://www.w3.org/2005/Atom link"`
	Entries []struct {
		ID        string `xml:"http://www.w3.org/2005/Atom id"`
		Title     string `xml:"http://www.w3.org/2005/Atom title"`
		Updated   string `xml:"http://www.w3.org/2005/Atom updated"`
		Published string `xml:"http://www.w3.org/2005/Atom published"`
		Links     []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		Summary struct {
			Type string `xml:"type,attr"`
			Text string `xml:",chardata"`
		} `xml:"http://www.w3.org/2005/Atom summary"`
	} `xml:"http://www.w3.org/2005/Atom entry"`
}

func parseAtom(t *testing.T, body string) atomIn {
	t.Helper()
	var f atomIn
	if err := xml.NewDecoder(strings.NewReader(body)).Decode(&f); err != nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	// What RFC 4287 requires of a feed and of each entry.
	if f.ID == "" || f.Title == "" || f.Author.Name == "" {
		t.Errorf("feed lacks id, title or author: %+v", f)
	}
	if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
		t.Errorf("feed updated %q: %v", f.Updated, err)
	}
	for _, e := range f.Entries {
		if e.ID == "" || e.Title == "" {
			t.Errorf("entry lacks id or title: %+v", e)
		}
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
			t.Errorf("entry updated %q: %v", e.Updated, err)
		}
		alternate := false
		for _, l := range e.Links {
			alternate = alternate || l.Rel == "alternate"
		}
		if !alternate {
			t.Errorf("entry %s has no alternate link", e.ID)
		}
	}
	return f
}

// TestDatesFeeds: the course's feed and the site's are valid Atom with an
// entry per upcoming date going ahead, a stable id, updated = when the date
// was added, the date and hours in its zone in the title, links to the
// course page and the booking form; drafts' dates are in neither; no
// cookie is set.
func TestDatesFeeds(t *testing.T) {
	t.Parallel()
	ts := newTestSite(t)
	ctx := context.Background()
	// A date added later: the newest entry, first in the feeds.
	c, err := ts.store.CourseBySlug(ctx, "supervision-skills")
	if err != nil {
		t.Fatal(err)
	}
	added := testNow.Add(-2 * time.Hour).Truncate(time.Second)
	newDate := c.Events[0]
	newDate.ID, newDate.Ref, newDate.Version = 0, "2022-12", 0
	newDate.Days = []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 12, Day: 5}, "14:00", "16:30")}
	c.Events = append(c.Events, newDate)
	if _, err := ts.store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(added)); err != nil {
		t.Fatal(err)
	}
	dec := ts.eventOf(t, "supervision-skills", "2022-12")

	res, body := ts.get(t, "/courses/supervision-skills/dates.atom")
	feedHeaders(t, res, "application/atom+xml")
	f := parseAtom(t, body)
	if len(f.Entries) != 2 {
		t.Fatalf("%d entries, want 2\n%s", len(f.Entries), body)
	}
	e := f.Entries[0]
	if want := fmt.Sprintf("tag:training.example.org,%s:event-%d", added.UTC().Format("2006-01-02"), dec.ID); e.ID != want {
		t.Errorf("id %q, want %q", e.ID, want)
	}
	if e.Updated != added.UTC().Format(time.RFC3339) || f.Updated != e.Updated {
		t.Errorf("updated %q (feed %q), want %s", e.Updated, f.Updated, added.UTC().Format(time.RFC3339))
	}
	if e.Title != "Supervision skills: Monday 5 December 2022, 14:00–16:30 UK time (GMT)" {
		t.Errorf("title %q", e.Title)
	}
	if f.Entries[1].Title != "Supervision skills: "+ts.eventOf(t, "supervision-skills", "2022-09").DateLabel()+", 14:00–16:30 UK time (BST)" {
		t.Errorf("second title %q", f.Entries[1].Title)
	}
	var hrefs []string
	for _, l := range e.Links {
		hrefs = append(hrefs, l.Rel+" "+l.Href)
	}
	if want := []string{"alternate https://training.example.org/courses/supervision-skills#dates",
		fmt.Sprintf("related https://training.example.org/events/%d/book", dec.ID)}; !slices.Equal(hrefs, want) {
		t.Errorf("links %v, want %v", hrefs, want)
	}
	if e.Summary.Type != "text" || !strings.Contains(e.Summary.Text, "Hybrid") || !strings.Contains(e.Summary.Text, "Free") {
		t.Errorf("summary %+v", e.Summary)
	}

	// The same feed later: the same ids.
	_, again := ts.get(t, "/courses/supervision-skills/dates.atom")
	if g := parseAtom(t, again); g.Entries[0].ID != e.ID || g.ID != f.ID {
		t.Errorf("ids changed: %s %s", g.Entries[0].ID, g.ID)
	}

	res, body = ts.get(t, "/dates.atom")
	feedHeaders(t, res, "application/atom+xml")
	all := parseAtom(t, body)
	var ids []string
	for _, e := range all.Entries {
		ids = append(ids, e.ID)
	}
	// dit-refresher 2022-06 and 2023-01, mbt-foundation 2022-10 (2022-07
	// cancelled), supervision-skills 2022-09 and 2022-12; 2021-11 past and
	// the draft's date left out.
	if len(ids) != 5 || ids[0] != e.ID {
		t.Errorf("site feed ids %v", ids)
	}
	for _, ref := range []string{"2022-06", "2023-01"} {
		if !slices.ContainsFunc(ids, func(id string) bool {
			return strings.HasSuffix(id, fmt.Sprintf(":event-%d", ts.event(t, "dit-refresher", ref)))
		}) {
			t.Errorf("site feed lacks dit-refresher %s", ref)
		}
	}
	if strings.Contains(body, "Unreleased draft course") {
		t.Error("a draft's date is in the site feed")
	}
	for _, s := range meetingSecrets {
		if strings.Contains(body, s) {
			t.Errorf("feed has the secret %q", s)
		}
	}
	if !bytes.HasPrefix([]byte(body), []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Error("no XML declaration")
	}

	// The date changed an hour later: updated says when, published
	// stays when it was added, and the id stays.
	changed := added.Add(time.Hour)
	c, err = ts.store.CourseBySlug(ctx, "supervision-skills")
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Events {
		if c.Events[i].Ref == "2022-12" {
			c.Events[i].Days = []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 12, Day: 5}, "15:00", "17:30")}
		}
	}
	if _, err := ts.store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(changed)); err != nil {
		t.Fatal(err)
	}
	_, body = ts.get(t, "/courses/supervision-skills/dates.atom")
	g := parseAtom(t, body)
	if u := g.Entries[0]; u.ID != e.ID || u.Updated != changed.UTC().Format(time.RFC3339) ||
		u.Published != added.UTC().Format(time.RFC3339) || g.Updated != u.Updated {
		t.Errorf("after a change: id %s updated %s published %s (feed %s); want updated %s, published %s",
			u.ID, u.Updated, u.Published, g.Updated, changed.UTC().Format(time.RFC3339), added.UTC().Format(time.RFC3339))
	}
}

// eventOf reads an event of a course back from the store.
func (ts *testSite) eventOf(t *testing.T, slug, ref string) catalog.Event {
	t.Helper()
	c, err := ts.store.CourseBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Events {
		if e.Ref == ref {
			return e
		}
	}
	t.Fatalf("no event %s in %s", ref, slug)
	return catalog.Event{}
}

// TestFeedsCached: with the page cache on, the calendar and the feeds are
// served from it (a date added since is not in the cached copy) and the
// cached copy still sets no cookie; PurgePages makes the new date appear.
func TestFeedsCached(t *testing.T) {
	t.Parallel()
	ts := newTestSiteWith(t, testNow, func(o *testOptions) { o.PageCacheTTL = time.Hour })
	paths := []string{"/courses/dit-refresher/dates.ics", "/courses/dit-refresher/dates.atom", "/dates.atom"}
	first := map[string]string{}
	for _, p := range paths {
		_, first[p] = ts.get(t, p)
	}
	ts.addMarchDate(t)
	for _, p := range paths {
		res, body := ts.get(t, p)
		feedHeaders(t, res, map[bool]string{true: "text/calendar", false: "application/atom+xml"}[strings.HasSuffix(p, ".ics")])
		if body != first[p] {
			t.Errorf("%s: not served from the page cache", p)
		}
	}
	ts.kit.PurgePages()
	for _, p := range paths {
		if _, body := ts.get(t, p); !strings.Contains(body, "3 March 2023") && !strings.Contains(body, "20230303T100000") {
			t.Errorf("%s: the new date is missing after a purge", p)
		}
	}
}

// TestFeedsNotModified: every calendar and feed carries an ETag; asking
// again with it gets 304 and no body, from the handler and from the page
// cache alike, also a minute later (the calendar's DTSTAMP moves, what it
// says does not: its tag is weak and leaves DTSTAMP out); another tag, or
// a changed feed, gets the whole feed.
func TestFeedsNotModified(t *testing.T) {
	t.Parallel()
	for _, ttl := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("page cache %v", ttl), func(t *testing.T) {
			var clock atomic.Int64
			clock.Store(testNow.UnixNano())
			ts := newTestSiteWith(t, testNow, func(o *testOptions) {
				o.PageCacheTTL = ttl
				o.Options.Now = func() time.Time { return time.Unix(0, clock.Load()) }
			})
			for _, p := range []string{"/courses/dit-refresher/dates.ics", "/courses/dit-refresher/dates.atom", "/dates.atom"} {
				res, body := ts.get(t, p)
				etag := res.Header.Get("ETag")
				if len(etag) < 10 || !strings.HasSuffix(etag, `"`) || strings.HasSuffix(p, ".ics") != strings.HasPrefix(etag, `W/"`) {
					t.Fatalf("%s: ETag %q (weak for the calendar only)", p, etag)
				}
				if res.Header.Get("Last-Modified") != "" {
					t.Errorf("%s: a Last-Modified, which a date leaving the feed would not change", p)
				}
				clock.Add(int64(time.Minute))
				for _, inm := range []string{etag, strings.TrimPrefix(etag, "W/"), `"other", ` + etag, "*"} {
					r := httptest.NewRequest(http.MethodGet, p, nil)
					r.Header.Set("If-None-Match", inm)
					res, got := ts.do(t, r)
					if res.StatusCode != http.StatusNotModified || got != "" || res.Header.Get("ETag") != etag {
						t.Errorf("%s with If-None-Match %s a minute later: %d, %d bytes, ETag %q; want 304, no body, the same tag",
							p, inm, res.StatusCode, len(got), res.Header.Get("ETag"))
					}
					if cc := res.Header.Get("Cache-Control"); cc != feedMaxAge {
						t.Errorf("%s: 304 with Cache-Control %q", p, cc)
					}
				}
				r := httptest.NewRequest(http.MethodGet, p, nil)
				r.Header.Set("If-None-Match", `"something-else"`)
				res, got := ts.do(t, r)
				if res.StatusCode != http.StatusOK || res.Header.Get("ETag") != etag {
					t.Errorf("%s with another tag: %d, ETag %q; want 200 and the feed", p, res.StatusCode, res.Header.Get("ETag"))
				}
				if ttl == 0 && strings.HasSuffix(p, ".ics") && got == body {
					t.Errorf("%s: a minute later the calendar is the same bytes; the test does not move its DTSTAMP", p)
				}
			}
			// A conditional request on an empty page cache still fills it.
			res, _ := ts.get(t, "/dates.atom")
			old := res.Header.Get("ETag")
			ts.kit.PurgePages()
			r := httptest.NewRequest(http.MethodGet, "/dates.atom", nil)
			r.Header.Set("If-None-Match", old)
			if res, _ := ts.do(t, r); res.StatusCode != http.StatusNotModified {
				t.Fatalf("conditional request after a purge: %d, want 304", res.StatusCode)
			}
			// A new date changes the feed: the old tag gets it whole (after
			// a purge, as a save through this server does).
			ts.addMarchDate(t)
			if ttl > 0 {
				if _, body := ts.get(t, "/dates.atom"); strings.Contains(body, "3 March 2023") {
					t.Error("the page cache was not filled by the conditional request that found it empty")
				}
			}
			ts.kit.PurgePages()
			r = httptest.NewRequest(http.MethodGet, "/dates.atom", nil)
			r.Header.Set("If-None-Match", old)
			res, body := ts.do(t, r)
			if res.StatusCode != http.StatusOK || !strings.Contains(body, "3 March 2023") || res.Header.Get("ETag") == old {
				t.Errorf("after a new date, the old tag: %d, ETag %q (was %q)", res.StatusCode, res.Header.Get("ETag"), old)
			}
		})
	}
}

// addMarchDate saves a new date of the DIT refresher, on 3 March 2023,
// straight to the store (no page purged).
func (ts *testSite) addMarchDate(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	c, err := ts.store.CourseBySlug(ctx, "dit-refresher")
	if err != nil {
		t.Fatal(err)
	}
	d := c.Events[1]
	d.ID, d.Ref, d.Version = 0, "2023-03", 0
	d.Days = []catalog.Day{day(t, catalog.Date{Year: 2023, Month: 3, Day: 3}, "10:00", "17:00")}
	c.Events = append(c.Events, d)
	if _, err := ts.store.Save(ctx, []*catalog.Course{&c}, catalogtest.Options(testNow)); err != nil {
		t.Fatal(err)
	}
}
