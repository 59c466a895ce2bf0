package admin

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/web"
)

// The callers of the route table test: every role, a coordinator limited
// to one course, and nobody signed in.
const (
	anonymous    = "no session"
	limitedCoord = "coordinator (one course)"
)

var (
	public_        = []string{"public"}
	everyoneSigned = []string{"admin", "coordinator", "finance", "trainer", limitedCoord}
)

var callers = []string{anonymous, "admin", "coordinator", "finance", "trainer", limitedCoord}

// routeAccess is what the table expects of a route: which callers are
// let through ("public" lets everyone through, no session included). Everyone else signed in gets the 403 page, and no session
// goes to the sign-in page.
var routeAccess = map[string][]string{
	"GET /admin/login":          public_,
	"POST /admin/login":         public_,
	"GET /admin/reset":          public_,
	"POST /admin/reset":         public_,
	"GET /admin/reset/{token}":  public_,
	"POST /admin/reset/{token}": public_,

	"GET /admin":                      everyoneSigned,
	"POST /admin/logout":              everyoneSigned,
	"POST /admin/logout-everywhere":   everyoneSigned,
	"GET /admin/account/codes":        everyoneSigned,
	"POST /admin/account/codes/start": everyoneSigned,
	"POST /admin/account/codes":       everyoneSigned,
	"/admin/":                         everyoneSigned,

	"GET /admin/attention": {"admin", "coordinator", "finance", limitedCoord},

	"GET /admin/bookings":               {"admin", "coordinator", "finance", limitedCoord},
	"GET /admin/bookings/export.csv":    {"admin", "coordinator", "finance", limitedCoord},
	"GET /admin/bookings/export.xlsx":   {"admin", "coordinator", "finance", limitedCoord},
	"POST /admin/bookings/bulk":         {"admin", "coordinator", "finance", limitedCoord},
	"GET /admin/bookings/{id}":          {"admin", "coordinator", "finance", limitedCoord},
	"POST /admin/bookings/{id}/notes":   {"admin", "coordinator", limitedCoord},
	"GET /admin/bookings/{id}/review":   {"admin", "coordinator", limitedCoord},
	"POST /admin/bookings/{id}/review":  {"admin", "coordinator", limitedCoord},
	"GET /admin/bookings/{id}/cancel":   {"admin", "coordinator", limitedCoord},
	"POST /admin/bookings/{id}/cancel":  {"admin", "coordinator", limitedCoord},
	"GET /admin/bookings/{id}/move":     {"admin", "coordinator", limitedCoord},
	"POST /admin/bookings/{id}/move":    {"admin", "coordinator", limitedCoord},
	"GET /admin/bookings/{id}/offer":    {"admin", "coordinator", limitedCoord},
	"POST /admin/bookings/{id}/offer":   {"admin", "coordinator", limitedCoord},
	"GET /admin/bookings/{id}/details":  {"admin", "coordinator", limitedCoord},
	"POST /admin/bookings/{id}/details": {"admin", "coordinator", limitedCoord},
	"GET /admin/bookings/{id}/payment":  {"admin", "finance"},
	"POST /admin/bookings/{id}/payment": {"admin", "finance"},
	"GET /admin/bookings/new":           {"admin", "coordinator", limitedCoord},
	"POST /admin/bookings/new":          {"admin", "coordinator", limitedCoord},
	// A trainer sees the people of the dates they teach only (the table's
	// trainer teaches none; TestTrainerPeople assigns one).
	"GET /admin/dates/{id}/people": {"admin", "coordinator", limitedCoord},
	// A trainer passes the route's check but is refused by the date's:
	// the trainer of this table teaches no date (TestTrainerRegister).
	"GET /admin/dates/{id}/register":               {"admin", "coordinator", limitedCoord},
	"GET /admin/dates/{id}/register/{day}":         {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/register/{day}":        {"admin", "coordinator", limitedCoord},
	"GET /admin/dates/{id}/register/{day}/report":  {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/register/{day}/report": {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/register/close":        {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/trainers":              {"admin", "coordinator", limitedCoord},

	"GET /admin/courses":           {"admin", "coordinator", limitedCoord},
	"GET /admin/courses/new":       {"admin", "coordinator"},
	"POST /admin/courses/new":      {"admin", "coordinator"},
	"GET /admin/courses/{id}":      {"admin", "coordinator", limitedCoord},
	"POST /admin/courses/{id}":     {"admin", "coordinator", limitedCoord},
	"GET /admin/courses/{id}/file": {"admin", "coordinator", limitedCoord},

	// Dates (dates.go).
	"GET /admin/courses/{id}/dates/new":  {"admin", "coordinator", limitedCoord},
	"POST /admin/courses/{id}/dates/new": {"admin", "coordinator", limitedCoord},
	"GET /admin/dates/{id}/copy":         {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/copy":        {"admin", "coordinator", limitedCoord},
	"GET /admin/dates/{id}/edit":         {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/edit":        {"admin", "coordinator", limitedCoord},

	"GET /admin/dates/{id}/certificates":        {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/certificates/send":  {"admin", "coordinator", limitedCoord},
	"POST /admin/dates/{id}/certificates/issue": {"admin", "coordinator", limitedCoord},
	"GET /admin/certificates/{code}/pdf":        {"admin", "coordinator", limitedCoord},
	"POST /admin/certificates/{code}/reissue":   {"admin", "coordinator", limitedCoord},
	"POST /admin/certificates/{code}/revoke":    {"admin", "coordinator", limitedCoord},

	"GET /admin/messages":                      {"admin", "coordinator"},
	"GET /admin/messages/{id}":                 {"admin", "coordinator"},
	"GET /admin/messages/{id}/html":            {"admin", "coordinator"},
	"GET /admin/messages/{id}/attachments/{n}": {"admin", "coordinator"},
	"POST /admin/messages/{id}/retry":          {"admin", "coordinator"},
	"POST /admin/messages/{id}/resend":         {"admin", "coordinator"},
	"GET /admin/mail":                          {"admin", "coordinator"},
	"GET /admin/mail/{id}":                     {"admin", "coordinator"},

	"GET /admin/analytics": {"admin", "coordinator", limitedCoord},

	"GET /admin/audit":     {"admin", "coordinator"},
	"GET /admin/audit.csv": {"admin", "coordinator"},

	"GET /admin/lists":                {"admin", "coordinator", limitedCoord},
	"GET /admin/lists/export.csv":     {"admin", "coordinator", limitedCoord},
	"GET /admin/lists/import":         {"admin", "coordinator", limitedCoord},
	"POST /admin/lists/import":        {"admin", "coordinator", limitedCoord},
	"GET /admin/lists/{id}":           {"admin", "coordinator", limitedCoord},
	"POST /admin/lists/{id}/withdraw": {"admin", "coordinator", limitedCoord},
	"POST /admin/lists/{id}/suppress": {"admin", "coordinator", limitedCoord},

	"GET /admin/staff":                 {"admin"},
	"GET /admin/staff/{id}":            {"admin"},
	"POST /admin/staff/{id}/codes-off": {"admin"},
	"POST /admin/staff/{id}/sign-out":  {"admin"},
	"POST /admin/staff/{id}/disable":   {"admin"},
	"POST /admin/staff/{id}/enable":    {"admin"},
	"GET /admin/people":                {"admin"},
	"GET /admin/people/export":         {"admin"},
	"POST /admin/people/erase":         {"admin"},
}

// TestRouteAccess requests every route of the staff area as every role,
// a course-limited user and nobody, and checks each is let through or
// refused as routeAccess says. A route missing from routeAccess fails,
// so every new route states who may use it.
func TestRouteAccess(t *testing.T) {
	t.Parallel()
	a := newArea(t, func(o *areaOptions) { o.admin.DevMailbox = true })
	id := queueMail(t, a)
	course := catalogtest.NewCourse(t0)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	// A booking on the course the limited coordinator may see: the pages
	// of one booking ({id} under /admin/bookings/) open on it.
	booked, err := a.bookings.Book(ctx, booking.Request{EventID: course.Events[0].ID, Name: "Ann Archer", Email: "ann@example.org",
		Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true, FeeTier: "Standard"}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	// A subscription to the course's new dates, for /admin/lists/{id}.
	if err := a.lists.Subscribe(ctx, lists.Request{Email: "sub@example.org", Scope: lists.ScopeCourse, CourseID: course.ID,
		CourseTitle: course.Title, Source: lists.FromCoursePage, Wording: lists.CourseWording.Version}); err != nil {
		t.Fatal(err)
	}
	subs, err := a.lists.Subscriptions(ctx, "sub@example.org")
	if err != nil || len(subs) != 1 {
		t.Fatal(subs, err)
	}
	// A certificate of that booking: {code} in /admin/certificates/.
	cert, _, err := a.certificates.Issue(ctx, certificates.Completion{BookingID: booked.Booking.ID, EventID: course.Events[0].ID,
		Name: "Ann Archer", Email: "ann@example.org", CPDMinutes: 240}, audit.Job("test"))
	if err != nil {
		t.Fatal(err)
	}
	// ids says what each route's {id} is: a booking under /admin/bookings/,
	// a subscription under /admin/lists/, a message elsewhere.
	// A staff account of its own for /admin/staff/{id}: the table's POSTs
	// disable it and turn its codes off, which must not sign out a caller.
	spare := a.addUser(t, "spare@example.org", account.Trainer)
	ids := func(path string) int64 {
		if strings.HasPrefix(path, "/admin/staff/") {
			return spare.ID
		}
		if strings.HasPrefix(path, "/admin/lists/") {
			return subs[0].ID
		}
		if strings.HasPrefix(path, "/admin/bookings/") {
			return booked.Booking.ID
		}
		if strings.HasPrefix(path, "/admin/courses/") { // the limited coordinator's course
			return course.ID
		}
		if strings.HasPrefix(path, "/admin/dates/") { // a date of the limited coordinator's course
			return course.Events[0].ID
		}
		return id
	}

	emails := map[string]string{}
	for _, c := range callers[1:] {
		email := strings.NewReplacer(" ", "", "(", "", ")", "").Replace(c) + "@example.org"
		role, _, _ := strings.Cut(c, " ")
		if c == limitedCoord {
			a.addUser(t, email, account.Role(role), course.ID)
		} else {
			a.addUser(t, email, account.Role(role))
		}
		emails[c] = email
	}
	tokens := map[string]string{}
	// token returns a live session of the caller, signing in again when a
	// sign-out route has ended the last one.
	token := func(c string) string {
		if c == anonymous {
			return ""
		}
		if tok, ok := tokens[c]; ok {
			if _, err := a.accounts.SessionByToken(ctx, tok, a.clock.now()); err == nil {
				return tok
			}
		}
		tokens[c] = a.signIn(t, emails[c], password, "")
		return tokens[c]
	}

	routes := a.srv.routes()
	var patterns []string
	for _, rt := range routes {
		patterns = append(patterns, rt.pattern)
		allowed, ok := routeAccess[rt.pattern]
		if !ok {
			t.Errorf("route %q has no row in routeAccess: say who may use it", rt.pattern)
			continue
		}
		method, path := "GET", rt.pattern
		if m, p, found := strings.Cut(rt.pattern, " "); found {
			method, path = m, p
		}
		path = strings.NewReplacer("{id}", fmt.Sprint(ids(path)), "{n}", "0", "{token}", "not-a-real-token",
			"{day}", course.Events[0].Days[0].Date.String(), "{code}", cert.DisplayCode()).Replace(path)
		if path == "/admin/" {
			path = "/admin/no-such-page"
		}
		if path == "/admin/bookings/new" {
			path += fmt.Sprintf("?event=%d", course.Events[0].ID)
		}
		for _, c := range callers {
			t.Run(rt.pattern+"/"+c, func(t *testing.T) {
				r := httptest.NewRequest(method, path, nil)
				if method == http.MethodPost {
					r = httptest.NewRequest(method, path, strings.NewReader(url.Values{}.Encode()))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if tok := token(c); tok != "" {
					r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: tok})
				}
				res, body := a.do(t, r)
				switch {
				case slices.Equal(allowed, public_) || slices.Contains(allowed, c):
					if toLogin(res) && !strings.HasPrefix(rt.pattern, "POST /admin/logout") || res.StatusCode == http.StatusForbidden {
						t.Errorf("%s %s as %s: refused (%d → %s), want let through", method, path, c, res.StatusCode, res.Header.Get("Location"))
					}
					if res.StatusCode >= 500 {
						t.Errorf("%s %s as %s: %d", method, path, c, res.StatusCode)
					}
				case c == anonymous:
					if !toLogin(res) {
						t.Errorf("%s %s with no session: got %d → %q, want the sign-in page", method, path, res.StatusCode, res.Header.Get("Location"))
					}
				default:
					if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "You cannot open this page") {
						t.Errorf("%s %s as %s: got %d, want the 403 page", method, path, c, res.StatusCode)
					}
				}
				if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("%s %s as %s: Cache-Control %q, want no-store", method, path, c, cc)
				}
			})
		}
	}
	for p := range routeAccess {
		if !slices.Contains(patterns, p) {
			t.Errorf("routeAccess has %q, which is no route", p)
		}
	}
	t.Logf("route × caller table: %d routes × %d callers", len(routes), len(callers))
}

// queueMail puts one message with an attachment in the outbox and
// returns its ID.
func queueMail(t *testing.T, a *staffArea) int64 {
	t.Helper()
	var id int64
	err := database.InTx(context.Background(), a.db, func(tx *sql.Tx) error {
		var err error
		id, _, err = a.outbox.Enqueue(ctx, tx, messaging.Message{Kind: "test", DedupeKey: "test/1", ToEmail: "ann@example.org",
			Subject: "A test", Text: "Hello", HTML: "<p>Hello</p>",
			Attachments: []messaging.Attachment{{Filename: "a.txt", ContentType: "text/plain", Data: []byte("a")}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}
