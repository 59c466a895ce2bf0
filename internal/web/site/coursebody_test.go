package site

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/web"
)

// wholePage renders the course page for r whole (courseShowWhole: no kept
// body), as the course is read now.
func (ts *testSite) wholePage(t *testing.T, r *http.Request, slug string) string {
	t.Helper()
	c, err := ts.store.CourseBySlug(r.Context(), slug)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	ts.srv.courseShowWhole(w, r, c)
	if w.Code != http.StatusOK {
		t.Fatalf("whole %s: status %d", slug, w.Code)
	}
	return w.Body.String()
}

// TestCourseBodyMatchesFullRender: the course page served from its kept
// body, with the places filled and the layout rendered per request, is
// byte for byte the page rendered whole, for every cookie choice, with
// lists on, before and after a booking and after a date becomes past;
// and the body is rendered once while nothing it depends on changes.
func TestCourseBodyMatchesFullRender(t *testing.T) {
	t.Parallel()
	now := testNow
	ts := newTestSiteWith(t, testNow, func(o *testOptions) {
		o.Now = func() time.Time { return now }
		o.Lists = true
	}, bookingCourses(t)...)
	requests := map[string]func() *http.Request{
		"no choice": func() *http.Request { return httptest.NewRequest(http.MethodGet, "/courses/SLUG", nil) },
		"accepted, just saved": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/courses/SLUG?consent=saved", nil)
			r.AddCookie(&http.Cookie{Name: web.ConsentCookie, Value: web.ConsentAccept})
			return r
		},
		"rejected": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/courses/SLUG", nil)
			r.AddCookie(&http.Cookie{Name: web.ConsentCookie, Value: web.ConsentReject})
			return r
		},
		"long query": func() *http.Request {
			return httptest.NewRequest(http.MethodGet, "/courses/SLUG?utm_source="+strings.Repeat("x", maxFramePath), nil)
		},
		"other host": func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/courses/SLUG", nil)
			r.Host = "elsewhere.example.org"
			return r
		},
	}
	check := func(when string, wants ...string) {
		t.Helper()
		for _, slug := range []string{"dit-refresher", "supervision-skills", "small-group"} {
			for name, req := range requests {
				make := func() *http.Request {
					r := req()
					r.URL.Path = strings.Replace(r.URL.Path, "SLUG", slug, 1)
					r.RequestURI = strings.Replace(r.RequestURI, "SLUG", slug, 1)
					return r
				}
				res, kept := ts.do(t, make())
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s, %s, %s: status %d", when, slug, name, res.StatusCode)
				}
				if strings.Contains(kept, "plenary-slot") {
					t.Fatalf("%s, %s, %s: a slot marker left on the page", when, slug, name)
				}
				if whole := ts.wholePage(t, make(), slug); kept != whole {
					t.Errorf("%s, %s, %s: the page from the kept body differs from the page rendered whole:\n%s\n---\n%s", when, slug, name, kept, whole)
				}
			}
		}
		_, body := ts.get(t, "/courses/dit-refresher")
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("%s: no %q on the page", when, want)
			}
		}
	}
	id := ts.courses["dit-refresher"].ID
	check("at first", "2 places left", "Hear about new dates", "Bookings closed")
	body := ts.srv.bodies.get(id)
	if body == nil {
		t.Fatal("no body kept")
	}
	check("again")
	if ts.srv.bodies.get(id) != body {
		t.Error("the body was rendered again with nothing changed")
	}
	body.mu.Lock()
	for k := range body.frames {
		if len(k.Path) > maxFramePath {
			t.Errorf("a layout for a %d-byte address was kept", len(k.Path))
		}
	}
	if len(body.frames) == 0 {
		t.Error("no layout kept")
	}
	body.mu.Unlock()

	ts.book(t, ts.event(t, "dit-refresher", "june"), ditForm("Ann", "ann@example.org"))
	check("after a booking", "1 place left")
	if ts.srv.bodies.get(id) != body {
		t.Error("a booking rendered the body again: only the places change")
	}

	// 11 June: the June date is past, so the body is made again.
	now = time.Date(2022, 6, 11, 12, 0, 0, 0, time.UTC)
	check("after the June date")
	if ts.srv.bodies.get(id) == body {
		t.Error("the June date became past, and the body was kept")
	}
	if _, page := ts.get(t, "/courses/dit-refresher"); strings.Contains(page, "place left") || !strings.Contains(page, "Past dates (3)") {
		t.Errorf("after the June date: the page still shows it as upcoming")
	}
}

// TestCourseBodyFollowsOtherStore: a change to the course through another
// store (as another instance on the same database makes it) shows on the
// next request, and so does a booking made there: the kept body is checked
// by the course's version on every request and the places read every time;
// a course made a draft there is not found, and its kept body let go.
func TestCourseBodyFollowsOtherStore(t *testing.T) {
	t.Parallel()
	ts := newTestSiteWith(t, testNow, nil, bookingCourses(t)...)
	ctx := context.Background()
	_, before := ts.get(t, "/courses/dit-refresher")
	if !strings.Contains(before, "2 places left") {
		t.Fatal("no places on the page")
	}

	other := catalog.NewStore(ts.db, catalog.Hooks{})
	changed := bookingCourses(t)[0]
	changed.Title = "DIT refresher, revised"
	if _, err := other.Save(ctx, []*catalog.Course{&changed}, catalogtest.Options(testNow)); err != nil {
		t.Fatal(err)
	}
	if _, page := ts.get(t, "/courses/dit-refresher"); !strings.Contains(page, "<h1>DIT refresher, revised</h1>") {
		t.Error("the other store's new title does not show on the next request")
	}
	changed = bookingCourses(t)[0]
	changed.Title = "DIT refresher, revised"
	changed.Events = append(changed.Events, catalog.Event{Ref: "august", Format: catalog.Online, Capacity: 5,
		Meeting: changed.Events[0].Meeting, Days: []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 8, Day: 19}, "10:00", "17:00")}})
	if _, err := other.Save(ctx, []*catalog.Course{&changed}, catalogtest.Options(testNow)); err != nil {
		t.Fatal(err)
	}
	_, after := ts.get(t, "/courses/dit-refresher")
	for _, want := range []string{"DIT refresher, revised", "Friday 19 August 2022", "5 places left"} {
		if !strings.Contains(after, want) {
			t.Errorf("after the other store's change: no %q on the page", want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/courses/dit-refresher", nil)
	if whole := ts.wholePage(t, r, "dit-refresher"); whole != after {
		t.Errorf("after the other store's change: the page differs from the page rendered whole")
	}

	// A booking through another instance's service: the next page shows it.
	c, e, err := other.Event(ctx, ts.event(t, "dit-refresher", "june"))
	if err != nil {
		t.Fatal(err)
	}
	service := booking.NewService(booking.Options{DB: ts.db, Catalog: other, Outbox: ts.outbox,
		BaseURL: "https://training.example.org", Organizer: "noreply@training.example.org", Now: func() time.Time { return testNow }})
	if _, err := service.BookEvent(ctx, &c, &e, booking.ReadRequest(ditForm("Bo", "bo@example.org"), c), audit.ParticipantOf(0)); err != nil {
		t.Fatal(err)
	}
	if _, page := ts.get(t, "/courses/dit-refresher"); !strings.Contains(page, "1 place left") {
		t.Error("a booking through another instance does not show on the next request")
	}

	// Made a draft there: not found here, at once.
	changed.Status = catalog.Draft
	if _, err := other.Save(ctx, []*catalog.Course{&changed}, catalogtest.Options(testNow)); err != nil {
		t.Fatal(err)
	}
	if res, _ := ts.get(t, "/courses/dit-refresher"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a course made a draft through another store: status %d, want 404", res.StatusCode)
	}
	// Its kept body is forgotten: the next request does not try it first.
	if b := ts.srv.bodies.bySlug("dit-refresher"); b != nil {
		t.Errorf("the draft's body (version %d) is still kept under its slug", b.version)
	}
	if res, _ := ts.get(t, "/courses/dit-refresher"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a draft asked for again: status %d, want 404", res.StatusCode)
	}
}
