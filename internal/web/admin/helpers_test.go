package admin

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"plenary/internal/analytics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/person"
	"plenary/internal/web"
)

var ctx = context.Background()

// t0 is when the tests start; the clock moves on from there.
var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

const password = "correct horse battery"

// testClock is the kit's clock, which the handlers hand to the account
// service: the tests move it to expire sessions and throttles.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// staffArea is the kit with the staff area mounted, as serve mounts it,
// on a real database.
type staffArea struct {
	srv      *Server
	handler  http.Handler
	db       *database.DB
	accounts *account.Service
	outbox   *messaging.Outbox
	catalog  *catalog.Store
	bookings *booking.Service
	lists    *lists.Service
	clock    *testClock
	// certificates: issued to those the register says completed, as
	// serve wires it.
	certificates *certificates.Issuer
}

type areaOptions struct {
	// hooked wires the catalogue's save hook to booking, as serve does,
	// with a minimum-notice window of minNotice working days.
	hooked    bool
	minNotice int
	accounts  account.Options
	admin     Options
	jobs      messaging.JobInserter
}

func newArea(t *testing.T, set func(*areaOptions)) *staffArea {
	t.Helper()
	db := dbtest.New(t)
	clk := &testClock{t: t0}
	var o areaOptions
	o.accounts.DB = db
	o.accounts.FastHashes = true // the tests sign in hundreds of times
	if set != nil {
		set(&o)
	}
	if o.jobs == nil {
		jobs, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		o.jobs = jobs
	}
	accounts := account.New(o.accounts)
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	outbox := messaging.NewOutbox(db, o.jobs, messaging.OutboxOptions{From: "Plenary <noreply@training.example.org>",
		Now: clk.now, Renderer: mail})
	var bookings *booking.Service
	var hooks catalog.Hooks
	if o.hooked {
		hooks.EventSaved = func(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
			return bookings.EventSaved(ctx, tx, ev)
		}
	}
	courses := catalog.NewStore(db, hooks)
	bookings = booking.NewService(booking.Options{DB: db, Catalog: courses, Outbox: outbox,
		BaseURL: "https://training.example.org", Now: clk.now, MinNoticeWorkingDays: o.minNotice})
	kit, err := web.New(web.Options{DB: db, Logger: slog.New(slog.DiscardHandler), BaseURL: "https://training.example.org",
		Now: clk.now, Registry: prometheus.NewRegistry(), BookingLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	o.admin.Accounts, o.admin.DB, o.admin.Bookings = accounts, db, bookings
	o.admin.PageViews = analytics.NewReport(db)
	o.admin.Catalog = courses
	if o.admin.People == nil {
		o.admin.People = person.New(db, clk.now)
		o.admin.People.Register("bookings", booking.People{})
		o.admin.People.Register("messages", messaging.People{})
		o.admin.People.Register("audit", audit.People{})
	}
	if o.admin.Outbox == nil {
		o.admin.Outbox = outbox
	}
	if o.admin.Lists == nil {
		o.admin.Lists = lists.NewService(lists.Options{DB: db, Outbox: o.admin.Outbox, BaseURL: "https://training.example.org",
			Secret: []byte("a test secret of enough length!!"), UnsubscribeMailbox: "courses@training.example.org", Now: clk.now})
	}
	if o.admin.Register == nil {
		o.admin.Register = certificates.New(certificates.Options{DB: db, Bookings: bookings, Accounts: accounts, Now: clk.now})
	}
	if o.admin.Certificates == nil {
		o.admin.Certificates = certificates.NewIssuer(certificates.IssuerOptions{DB: db, Events: courses,
			Completions: o.admin.Register, Outbox: o.admin.Outbox, BaseURL: "https://training.example.org",
			Provider: "North Clinic Training", Now: clk.now})
	}
	srv, err := New(kit, o.admin)
	if err != nil {
		t.Fatal(err)
	}
	return &staffArea{srv: srv, handler: kit.Handler(srv), db: db, accounts: accounts, outbox: o.admin.Outbox,
		catalog: courses, bookings: bookings, lists: o.admin.Lists, clock: clk,
		certificates: o.admin.Certificates}
}

// addUser adds a staff member; limited to courses when any are given.
func (a *staffArea) addUser(t *testing.T, email string, role account.Role, courses ...int64) account.User {
	t.Helper()
	u, err := a.accounts.AddUser(ctx, audit.CommandLine("test"), account.Profile{Email: email, Name: "Ann Smith", Role: role,
		CourseLimited: len(courses) > 0, Courses: courses}, password, a.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// do serves r, from 192.0.2.1 unless r says otherwise.
func (a *staffArea) do(t *testing.T, r *http.Request) (*http.Response, string) {
	t.Helper()
	if r.RemoteAddr == "" || r.RemoteAddr == "192.0.2.1:1234" {
		r.RemoteAddr = "192.0.2.1:40000"
	}
	w := httptest.NewRecorder()
	a.handler.ServeHTTP(w, r)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// get requests path with the session token (none when "").
func (a *staffArea) get(t *testing.T, path, token string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	}
	return a.do(t, r)
}

// post sends a form to path with the session token (none when "").
func (a *staffArea) post(t *testing.T, path, token string, form url.Values) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	}
	return a.do(t, r)
}

// signIn signs in through the form and returns the new session token.
func (a *staffArea) signIn(t *testing.T, email, pw, code string) string {
	t.Helper()
	res, body := a.post(t, "/admin/login", "", url.Values{"email": {email}, "password": {pw}, "code": {code}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: got %d: %s", email, res.StatusCode, body)
	}
	c := sessionCookie(res)
	if c == nil || c.Value == "" {
		t.Fatalf("sign in as %s: no session cookie", email)
	}
	return c.Value
}

func sessionCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == web.SessionCookie {
			return c
		}
	}
	return nil
}

// toLogin reports whether res sends the browser to the sign-in page.
func toLogin(res *http.Response) bool {
	loc := res.Header.Get("Location")
	return res.StatusCode == http.StatusSeeOther && (loc == "/admin/login" || strings.HasPrefix(loc, "/admin/login?"))
}
