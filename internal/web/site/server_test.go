package site

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/web"
	"plenary/internal/web/admin"
	"plenary/internal/web/api"
)

// testNow is the fixed clock of the web tests: 1 May 2022, so that June
// 2022 and January 2023 are upcoming and November 2021 is past.
var testNow = time.Date(2022, 5, 1, 12, 0, 0, 0, time.UTC)

// Secrets that must never appear on a public page.
var meetingSecrets = []string{"zx-SECRET-91", "https://zoom.us/j/98765", "987 6543 2100", "hybrid-PASS-7", "https://zoom.us/j/55555"}

// testSite is the whole web side (the kit with the site, the staff area
// and the API mounted, as serve mounts them) on a real database with the
// fixture catalogue.
type testSite struct {
	srv      *Server
	kit      *web.Server
	handler  http.Handler
	db       *database.DB
	store    *catalog.Store
	bookings *booking.Service
	outbox   *messaging.Outbox
	accounts *account.Service
	courses  map[string]catalog.Course // by slug, as read back (with IDs)
	// lists is on the site only with testOptions.Lists; listsNow is its
	// clock (testNow unless a test moves it).
	lists    *lists.Service
	listsNow time.Time
}

func clock(t testing.TB, s string) catalog.Clock {
	t.Helper()
	c, err := catalog.ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func day(t testing.TB, date catalog.Date, from, to string, agenda ...catalog.AgendaItem) catalog.Day {
	t.Helper()
	return catalog.Day{Date: date, Start: clock(t, from), End: clock(t, to), Agenda: agenda}
}

func item(t testing.TB, kind catalog.AgendaKind, from, to, title string) catalog.AgendaItem {
	t.Helper()
	a := catalog.AgendaItem{Kind: kind, Start: clock(t, from), Title: title}
	if to != "" {
		a.End = clock(t, to)
	}
	return a
}

// fixtures returns the test catalogue: a one-day online course with dates
// in June (BST), January (GMT) and a past one; a multi-day in-person
// course across the October clock change with a cancelled date; a free
// hybrid course; and a draft.
func fixtures(t testing.TB) []catalog.Course {
	t.Helper()
	zoom := catalog.Meeting{Provider: "Zoom", JoinURL: "https://zoom.us/j/98765", ID: "987 6543 2100", Passcode: "zx-SECRET-91"}
	ditDay := func(d catalog.Date) catalog.Day {
		return day(t, d, "10:00", "17:00",
			item(t, catalog.Registration, "09:45", "", "Registration and welcome"),
			item(t, catalog.Teaching, "10:00", "11:30", "Reviewing the DIT model"),
			item(t, catalog.Break, "11:30", "11:45", "Coffee break"),
			item(t, catalog.Teaching, "11:45", "13:00", "Identifying the IPAF"),
			item(t, catalog.Lunch, "13:00", "13:45", "Lunch"),
			item(t, catalog.Plenary, "16:15", "17:00", "Plenary and questions"),
		)
	}
	return []catalog.Course{
		{
			Slug: "dit-refresher", Title: "DIT refresher", Status: catalog.Published,
			Summary:         "A one-day online refresher in Dynamic Interpersonal Therapy.",
			About:           "# Overview\n\nA day to **refresh** DIT skills.\n\n<script>alert('x')</script>\n\n[A link](javascript:alert(1))",
			Audience:        "Practitioners who completed the full DIT training.",
			Aims:            "- Revisit the IPAF\n- Practise the middle phase",
			Prerequisites:   "Completion of DIT training.",
			Delivery:        "Live on Zoom with small-group practice.",
			JoiningLeadDays: 1,
			Topics:          []string{"Dynamic Interpersonal Therapy", "Refresher"},
			Fees:            []catalog.FeeTier{{Name: "Standard", Amount: 12000, Currency: "GBP"}, {Name: "NHS", Amount: 9500, Currency: "GBP"}},
			Events: []catalog.Event{
				{Ref: "2021-11", Format: catalog.Online, Meeting: zoom, Days: []catalog.Day{ditDay(catalog.Date{Year: 2021, Month: 11, Day: 5})}},
				{Ref: "2022-06", Format: catalog.Online, Meeting: zoom, Days: []catalog.Day{ditDay(catalog.Date{Year: 2022, Month: 6, Day: 10})}},
				{Ref: "2023-01", Format: catalog.Online, Meeting: zoom, Days: []catalog.Day{ditDay(catalog.Date{Year: 2023, Month: 1, Day: 13})}},
			},
		},
		{
			Slug: "mbt-foundation", Title: "MBT foundation", Status: catalog.Published,
			Summary:         "Four days in person across the October clock change.",
			About:           "Mentalization-based treatment, in person.",
			JoiningLeadDays: 3,
			Topics:          []string{"Mentalization"},
			Fees:            []catalog.FeeTier{{Name: "Standard", Amount: 148000, Currency: "GBP"}},
			Events: []catalog.Event{
				{Ref: "2022-10", Format: catalog.InPerson, Capacity: 20,
					Venue: catalog.Venue{Name: "The Training Centre", Address: "120 Belsize Lane\nLondon NW3 5BA"},
					Days: []catalog.Day{
						day(t, catalog.Date{Year: 2022, Month: 10, Day: 27}, "09:30", "16:30"),
						day(t, catalog.Date{Year: 2022, Month: 10, Day: 28}, "09:30", "16:30"),
						day(t, catalog.Date{Year: 2022, Month: 10, Day: 31}, "09:30", "16:30"),
						day(t, catalog.Date{Year: 2022, Month: 11, Day: 1}, "09:30", "16:30"),
					}},
				{Ref: "2022-07", Format: catalog.InPerson, Status: catalog.Cancelled,
					Venue: catalog.Venue{Name: "The Training Centre"},
					Days:  []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 7, Day: 4}, "09:30", "16:30")}},
			},
		},
		{
			Slug: "supervision-skills", Title: "Supervision skills", Status: catalog.Published,
			Summary: "A free afternoon on clinical supervision.",
			Topics:  []string{"Supervision"},
			Events: []catalog.Event{
				{Ref: "2022-09", Format: catalog.Hybrid,
					Venue:   catalog.Venue{Name: "Room 4, The Training Centre"},
					Meeting: catalog.Meeting{Provider: "Zoom", JoinURL: "https://zoom.us/j/55555", Passcode: "hybrid-PASS-7"},
					Days:    []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 9, Day: 14}, "14:00", "16:30")}},
			},
		},
		{
			Slug: "secret-draft", Title: "Unreleased draft course", Status: catalog.Draft,
			Topics: []string{"Hidden topic"},
			Events: []catalog.Event{
				{Ref: "2022-08", Format: catalog.Online, Meeting: catalog.Meeting{Provider: "Microsoft Teams"},
					Days: []catalog.Day{day(t, catalog.Date{Year: 2022, Month: 8, Day: 1}, "10:00", "12:00")}},
			},
		},
	}
}

func newTestSite(t testing.TB, courses ...catalog.Course) *testSite {
	t.Helper()
	return newTestSiteAt(t, testNow, courses...)
}

// newTestSiteAt is newTestSite with the clock at now.
func newTestSiteAt(t testing.TB, now time.Time, courses ...catalog.Course) *testSite {
	t.Helper()
	return newTestSiteWith(t, now, nil, courses...)
}

// testOptions are the options of every part of the web side: the kit's
// (promoted), the site's and the staff area's.
type testOptions struct {
	web.Options
	Site  Options
	Admin admin.Options
	// Lists puts the test site's lists service on the site.
	Lists bool
}

// newHandler builds the kit with the site, the staff area and the API
// mounted, as serve does.
func newHandler(o testOptions) (*web.Server, *Server, http.Handler, error) {
	kit, err := web.New(o.Options)
	if err != nil {
		return nil, nil, nil, err
	}
	srv, err := New(kit, o.Site)
	if err != nil {
		return nil, nil, nil, err
	}
	if o.Admin.Accounts == nil {
		o.Admin.Accounts = account.New(account.Options{DB: o.Options.DB})
	}
	staff, err := admin.New(kit, o.Admin)
	if err != nil {
		return nil, nil, nil, err
	}
	return kit, srv, kit.Handler(srv, staff, api.New(kit)), nil
}

// newTestSiteWith is newTestSiteAt with options changed by set (may be nil)
// before the server is made.
func newTestSiteWith(t testing.TB, now time.Time, set func(*testOptions), courses ...catalog.Course) *testSite {
	t.Helper()
	db := dbtest.New(t)
	store := catalog.NewStore(db, catalog.Hooks{})
	if courses == nil {
		courses = fixtures(t)
	}
	ts := &testSite{db: db, store: store, courses: map[string]catalog.Course{}}
	ctx := context.Background()
	for i := range courses {
		if _, err := store.Save(ctx, []*catalog.Course{&courses[i]}, catalogtest.Options(now.Add(-30*24*time.Hour))); err != nil {
			t.Fatalf("save %s: %v", courses[i].Slug, err)
		}
		c, err := store.CourseBySlug(ctx, courses[i].Slug)
		if err != nil {
			t.Fatalf("read back %s: %v", courses[i].Slug, err)
		}
		ts.courses[c.Slug] = c
	}
	// Mail is stored by an outbox with an insert-only job client, as on a
	// web-only instance: the tests read it back from the database.
	jobs, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	ts.outbox = messaging.NewOutbox(db, jobs, messaging.OutboxOptions{From: "Plenary <noreply@training.example.org>", Now: clock, Renderer: messaging.Renderers{Default: mailRenderer(t), ByKind: listRenderers(t)}})
	ts.listsNow = now
	ts.lists = lists.NewService(lists.Options{DB: db, Outbox: ts.outbox, BaseURL: "https://training.example.org",
		Secret: []byte("the test site's list secret, long"), UnsubscribeMailbox: "courses@training.example.org",
		Now: func() time.Time { return ts.listsNow }})
	ts.bookings = booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: ts.outbox,
		BaseURL: "https://training.example.org", Organizer: "noreply@training.example.org", Now: clock})
	opts := testOptions{
		Options: web.Options{
			DB:       db,
			Logger:   slog.New(slog.DiscardHandler),
			BaseURL:  "https://training.example.org",
			Now:      clock,
			Registry: prometheus.NewRegistry(),
			// Tests post many forms from one address; TestRateLimit puts
			// the real limits back.
			BookingLimit: -1,
		},
		Site: Options{
			Catalog:  store,
			Bookings: ts.bookings,

			AccessNeedsRetentionDays: 30,
			MessageBodyRetentionDays: 365,
		},
		Admin: admin.Options{Outbox: ts.outbox, DB: db},
	}
	ts.accounts = account.New(account.Options{DB: db})
	opts.Admin.Accounts = ts.accounts
	if set != nil {
		set(&opts)
	}
	if opts.Lists {
		opts.Site.Lists = ts.lists
	}
	kit, srv, h, err := newHandler(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts.srv, ts.kit, ts.handler = srv, kit, h
	return ts
}

// static returns the URL of a static file, as pages link it.
func (ts *testSite) static(name string) string {
	return ts.kit.Base(httptest.NewRequest(http.MethodGet, "/", nil)).Static(name)
}

// event returns the ID of the event with ref in the course slug.
func (ts *testSite) event(t testing.TB, slug, ref string) int64 {
	t.Helper()
	for _, e := range ts.courses[slug].Events {
		if e.Ref == ref {
			return e.ID
		}
	}
	t.Fatalf("no event %s in %s", ref, slug)
	return 0
}

// do sends a request through the whole handler and returns the response
// with its body read.
func (ts *testSite) do(t *testing.T, r *http.Request) (*http.Response, string) {
	t.Helper()
	w := httptest.NewRecorder()
	ts.handler.ServeHTTP(w, r)
	res := w.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// staffCookie adds a staff member of role and signs them in, returning
// the Cookie header of their session.
func (ts *testSite) staffCookie(t *testing.T, role account.Role) string {
	t.Helper()
	email := string(role) + "@example.org"
	if _, err := ts.accounts.AddUser(context.Background(), audit.CommandLine("test"),
		account.Profile{Email: email, Role: role}, "correct horse battery", testNow); err != nil {
		t.Fatal(err)
	}
	_, tok, err := ts.accounts.SignIn(context.Background(), account.Credentials{Email: email, Password: "correct horse battery"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return web.SessionCookie + "=" + tok
}

// getFrom is get with the request coming from remote (host:port) with
// the given headers.
func (ts *testSite) getFrom(t *testing.T, path, remote string, header map[string]string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.RemoteAddr = remote
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return ts.do(t, r)
}

func (ts *testSite) get(t *testing.T, path string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return ts.do(t, r)
}

func (ts *testSite) post(t *testing.T, path string, form url.Values, header map[string]string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	return ts.do(t, r)
}
