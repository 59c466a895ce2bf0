package site_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"plenary/demo"
	"plenary/internal/account"
	"plenary/internal/analytics"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/person"
	"plenary/internal/web"
	"plenary/internal/web/admin"
	"plenary/internal/web/api"
	"plenary/internal/web/site"
)

// The browser tests drive the real site in headless Chromium: the cookie
// banner, accessibility (axe-core) and the layout at phone width. They
// share one browser and one server; each check runs in its own tab and its
// own browser context (a fresh cookie jar), so every page is seen as a
// first-time visitor sees it, banner included.
//
// Chromium and axe-core are outside dependencies. Where either is missing
// the tests skip, unless PLENARY_REQUIRE_BROWSER=1 (as in CI), where they
// fail. PLENARY_AXE_JS names axe.min.js; by default it is looked for where
// .ci/run installs it.

const (
	requireBrowserEnv = "PLENARY_REQUIRE_BROWSER"
	axeEnv            = "PLENARY_AXE_JS"
	axeDefault        = ".ci/node/node_modules/axe-core/axe.min.js" // from the repository root
	courseSlug        = "dit-refresher"

	// browserTimeout bounds each check, so a hung browser fails the test
	// quickly instead of running into go test's own timeout.
	browserTimeout = 30 * time.Second
)

// TestBrowser starts one browser and one server, then runs the checks as
// parallel subtests. CI's PostgreSQL pass skips it with -skip TestBrowser.
func TestBrowser(t *testing.T) {
	chrome := chromiumPath(t)
	axeJS, axeMissing := axeSource()
	site := startDemoSite(t)
	base := site.url
	browser := startBrowser(t, chrome)
	bookPath := fmt.Sprintf("/events/%d/book", site.nextEvent)
	managePath := site.book(t, "robin.ash@example.org")
	// A 60-character address, which must wrap on a phone.
	longEmail := "robin.ashworth-fitzgerald.practitioner@clinic.example.nhs.uk"
	if len(longEmail) != 60 {
		t.Fatalf("the long address has %d characters, want 60", len(longEmail))
	}
	longManagePath := site.book(t, longEmail)
	correctPath := site.book(t, "kim.lowe@example.org")
	confirmPath, unsubscribePath := site.subscribe(t, "sam.reed@example.org")

	t.Run("AnalyticsConsent", func(t *testing.T) {
		t.Parallel()
		testAnalyticsConsent(t, journeyTab(t, browser), startAnalyticsSite(t))
	})
	t.Run("ConsentReject", func(t *testing.T) {
		t.Parallel()
		testConsentReject(t, newTab(t, browser), base)
	})
	for _, page := range []struct{ name, path string }{
		{"Catalogue", "/"},
		{"Course", "/courses/" + courseSlug},
		{"Cookies", "/cookies"},
		{"SystemCheck", "/system-check"},
		{"BookingForm", bookPath},
		{"ManagePage", managePath + "?booked=1"},
		{"CancelPage", managePath + "/cancel"},
		{"Privacy", "/privacy"},
		{"SystemCheckForDate", fmt.Sprintf("/system-check?event=%d", site.nextEvent)},
		{"ListConfirm", confirmPath},
		{"ListUnsubscribe", unsubscribePath},
		{"StaffPasswordReset", "/admin/reset"},
		{"StaffNewPassword", "/admin/reset/" + strings.Repeat("x", 43)},
	} {
		t.Run("Axe/"+page.name, func(t *testing.T) {
			if axeMissing != "" {
				missing(t, "%s", axeMissing)
			}
			t.Parallel()
			testAxe(t, newTab(t, browser), base+page.path, axeJS)
		})
	}
	t.Run("CSPAndInjectedScripts", func(t *testing.T) {
		t.Parallel()
		if axeMissing != "" {
			missing(t, "%s", axeMissing)
		}
		testCSP(t, newTab(t, browser), base+"/courses/"+courseSlug, axeJS)
	})
	t.Run("Axe/BookingFormErrors", func(t *testing.T) {
		if axeMissing != "" {
			missing(t, "%s", axeMissing)
		}
		t.Parallel()
		testBookingFormErrors(t, newTab(t, browser), base+bookPath, axeJS)
	})
	// At phone width, where tables scroll sideways in their own region.
	for _, page := range []struct{ name, path string }{
		{"Cookies", "/cookies"},
		{"Privacy", "/privacy"},
		{"ManagePage", managePath},
	} {
		t.Run("AxePhone/"+page.name, func(t *testing.T) {
			if axeMissing != "" {
				missing(t, "%s", axeMissing)
			}
			t.Parallel()
			ctx := newTab(t, browser)
			if err := phone(ctx); err != nil {
				t.Fatal(err)
			}
			testAxe(t, ctx, base+page.path, axeJS)
		})
	}
	for _, page := range []struct{ name, path string }{
		{"Course", "/courses/" + courseSlug},
		{"BookingForm", bookPath},
		{"ManagePage", managePath},
		{"ManagePageLongEmail", longManagePath},
		{"Cookies", "/cookies"},
		{"Privacy", "/privacy"},
		{"SystemCheck", "/system-check"},
	} {
		t.Run("PhoneWidth/"+page.name, func(t *testing.T) {
			t.Parallel()
			testPhoneWidth(t, newTab(t, browser), base+page.path)
		})
	}
	t.Run("CookieBannerOnPhone", func(t *testing.T) {
		t.Parallel()
		testBannerOnPhone(t, newTab(t, browser), base+"/courses/"+courseSlug)
	})
	t.Run("BookOnPhone", func(t *testing.T) {
		t.Parallel()
		testBookOnPhone(t, newTab(t, browser), base)
	})
	t.Run("FocusContrast", func(t *testing.T) {
		t.Parallel()
		testFocusContrast(t, newTab(t, browser), base+"/courses/"+courseSlug)
	})
	t.Run("ManageDetailsError", func(t *testing.T) {
		t.Parallel()
		testManageDetailsError(t, newTab(t, browser), base+correctPath)
	})
	t.Run("StaffDesk", func(t *testing.T) {
		if axeMissing != "" {
			missing(t, "%s", axeMissing)
		}
		t.Parallel()
		testStaffDesk(t, journeyTab(t, browser), base, axeJS, site.nextEvent)
	})
	t.Run("StaffBookingActions", func(t *testing.T) {
		if axeMissing != "" {
			missing(t, "%s", axeMissing)
		}
		t.Parallel()
		testStaffBookingActions(t, journeyTab(t, browser), site, axeJS)
	})
	t.Run("StaffSignInOnPhone", func(t *testing.T) {
		if axeMissing != "" {
			missing(t, "%s", axeMissing)
		}
		t.Parallel()
		testStaffSignIn(t, newTab(t, browser), base, axeJS)
	})
	t.Run("MailAndAuditLog", func(t *testing.T) { testMailLog(t, journeyTab(t, browser), site, axeMissing, axeJS) })
	t.Run("PersonData", func(t *testing.T) { testPersonData(t, journeyTab(t, browser), site, axeMissing, axeJS) })
	t.Run("StaffAccounts", func(t *testing.T) { testStaffAccounts(t, journeyTab(t, browser), site, axeMissing, axeJS) })
	t.Run("RegisterOnPhone", func(t *testing.T) { testRegisterOnPhone(t, journeyTab(t, browser), site, axeMissing, axeJS) })
	t.Run("Certificates", func(t *testing.T) { testCertificates(t, journeyTab(t, browser), site, axeMissing, axeJS) })
}

// testStaffSignIn signs a coordinator in on a phone, without scripts of
// the site's own: the staff area sends them to the sign-in page, a wrong
// password is answered beside the field, the right one opens the staff
// area's first page, and signing out ends it. axe checks each page.
func testStaffSignIn(t *testing.T, ctx context.Context, base, axeJS string) {
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	testAxe(t, ctx, base+"/admin/login", axeJS)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin")); err != nil {
		t.Fatal(err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, base+"/admin/login") {
		t.Fatalf("anonymous /admin went to %s, want the sign-in page", loc)
	}
	signIn := func(pw string) {
		t.Helper()
		// The form keeps the typed address: it is typed only once.
		if v, _ := chromedp.Run(ctx, chromedp.Value(`#email`)); v == "" {
			if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, staffEmail, chromedp.NodeVisible)); err != nil {
				t.Fatalf("type the e-mail address: %v", err)
			}
		}
		if err := chromedp.Do(ctx, chromedp.SendKeys(`#password`, pw, chromedp.NodeVisible)); err != nil {
			t.Fatalf("fill in the sign-in form: %v", err)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
			t.Fatalf("send the sign-in form: %v", err)
		}
	}
	signIn("not the password")
	if !present(t, ctx, `#password-error`) || !present(t, ctx, `.error-summary`) {
		t.Fatalf("a wrong password is not answered beside the field and in a summary")
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(`#email`)); v != staffEmail {
		t.Errorf("the typed e-mail is not kept: %q", v)
	}
	testPhoneWidthHere(t, ctx)
	signIn(staffPassword)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+"/admin" {
		t.Fatalf("after signing in the browser is at %s, want /admin", loc)
	}
	if h1, err := chromedp.Run(ctx, chromedp.Text(`h1`, chromedp.NodeVisible)); err != nil || h1 != "Staff area" {
		t.Errorf("the staff area's heading is %q (%v)", h1, err)
	}
	testAxe(t, ctx, base+"/admin", axeJS)
	testAxe(t, ctx, base+"/admin/account/codes", axeJS)
	testAxe(t, ctx, base+"/admin/attention", axeJS)
	testPhoneWidth(t, ctx, base+"/admin/attention")
	testPhoneWidth(t, ctx, base+"/admin") // signing out starts from here
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/logout"] button`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+"/admin/login?done=signed-out" {
		t.Errorf("after signing out the browser is at %s", loc)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin")); err != nil {
		t.Fatal(err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, base+"/admin/login") {
		t.Errorf("signed out, /admin went to %s, want the sign-in page", loc)
	}
}

// testPhoneWidthHere checks the page in the tab fits a 390 px phone
// without loading it again (a page answering a form).
func testPhoneWidthHere(t *testing.T, ctx context.Context) {
	type layout struct {
		InnerWidth  int      `json:"innerWidth"`
		ScrollWidth int      `json:"scrollWidth"`
		Wide        []string `json:"wide"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](fmt.Sprintf("(%s)(%d)", phoneLayout, 390)))
	if err != nil {
		t.Fatalf("measure the page: %v", err)
	}
	if got.InnerWidth != 390 || got.ScrollWidth > got.InnerWidth {
		t.Errorf("the page does not fit a 390px phone: innerWidth %d, scrollWidth %d; too wide: %s",
			got.InnerWidth, got.ScrollWidth, strings.Join(got.Wide, ", "))
	}
}

// missing skips the test, or fails it where the browser is required.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("%s (required because %s=1)", msg, requireBrowserEnv)
	}
	t.Skipf("SKIP: %s (set %s=1 to make this a failure)", msg, requireBrowserEnv)
}

// chromiumPath finds the browser.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "no Chromium found on PATH (install it with: apt-get install chromium)")
	return ""
}

// axeSource reads axe.min.js, or says why it cannot.
func axeSource() (js, missing string) {
	path := os.Getenv(axeEnv)
	if path == "" {
		root, err := repoRoot()
		if err != nil {
			return "", fmt.Sprintf("axe-core not found: %v", err)
		}
		path = filepath.Join(root, axeDefault)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Sprintf("axe-core not found at %s (install it with: npm install --prefix .ci/node axe-core@4, or set %s): %v",
			path, axeEnv, err)
	}
	return string(b), ""
}

// repoRoot walks up from the package folder to the folder with go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working folder")
		}
		dir = parent
	}
}

// demoSite is the real site over a fresh database holding the demo
// catalogue, with bookings on and mail kept in the database.
type demoSite struct {
	url       string
	nextEvent int64 // the DIT refresher's next date
	// What the staff journeys look at and set up.
	db       *database.DB
	outbox   *messaging.Outbox // for journeys that plant a message (browser_log_test.go)
	store    *catalog.Store
	bookings *booking.Service
	lists    *lists.Service // on, with the demo's stored key
	register *certificates.Register
}

// The staff member of the demo site, for the sign-in journey.
const (
	staffEmail    = "casey@example.org"
	staffPassword = "correct horse battery"
	adminEmail    = "ada@example.org" // an admin, for a person's data
)

// startDemoSite serves the demo site until the test ends.
func startDemoSite(t *testing.T) demoSite {
	t.Helper()
	ctx := t.Context()
	db := dbtest.New(t)
	// Saves tell the people booked of changes, as serve wires it; the
	// demo catalogue is saved before the booking service exists.
	var bookings *booking.Service
	store := catalog.NewStore(db, catalog.Hooks{EventSaved: func(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
		if bookings == nil {
			return nil
		}
		return bookings.EventSaved(ctx, tx, ev)
	}})
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	courses, err := demo.Courses(catalog.DateOf(now.In(loc)))
	if err != nil {
		t.Fatalf("demo.Courses: %v", err)
	}
	for i := range courses {
		if _, err := store.Save(ctx, []*catalog.Course{&courses[i]}, catalogtest.Options(now)); err != nil {
			t.Fatalf("save demo course %q: %v", courses[i].Slug, err)
		}
	}
	jobs, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	listMail, err := lists.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	certMail, err := certificates.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	renderers := messaging.Renderers{Default: mail, ByKind: map[string]messaging.Renderer{lists.MailKinds[0]: listMail}}
	for _, k := range certificates.MailKinds {
		renderers.ByKind[k] = certMail
	}
	outbox := messaging.NewOutbox(db, jobs, messaging.OutboxOptions{From: "Plenary <noreply@training.example>", Renderer: renderers})
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	t.Cleanup(ts.Close)
	subs := lists.NewService(lists.Options{DB: db, Outbox: outbox, BaseURL: ts.URL, GenerateSecret: true})
	bookings = booking.NewService(booking.Options{DB: db, Catalog: store, Outbox: outbox, BaseURL: ts.URL})
	// Page views are counted as serve counts them, so the banner and
	// /cookies say what serve's do.
	views, err := analytics.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	kit, err := web.New(web.Options{DB: db, CountView: views.Add})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	accounts := account.New(account.Options{DB: db, FastHashes: true})
	// Who completed a date is the register's answer, as serve wires it
	// (cmd/plenary's registerCompletions).
	register := certificates.New(certificates.Options{DB: db, Bookings: bookings, Accounts: accounts})
	certs := certificates.NewIssuer(certificates.IssuerOptions{DB: db, Events: store, Completions: register,
		Outbox: outbox, BaseURL: ts.URL, Provider: "Plenary Training"})
	pub, err := site.New(kit, site.Options{Catalog: store, Bookings: bookings, Lists: subs, Certificates: certs})
	if err != nil {
		t.Fatalf("site.New: %v", err)
	}
	if _, err := accounts.AddUser(ctx, audit.CommandLine("test"), account.Profile{Email: staffEmail, Name: "Casey Coordinator",
		Role: account.Coordinator}, staffPassword, now); err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.AddUser(ctx, audit.CommandLine("test"), account.Profile{Email: adminEmail, Name: "Ada Admin",
		Role: account.Admin}, staffPassword, now); err != nil {
		t.Fatal(err)
	}
	people := person.New(db, nil)
	people.Register("bookings", booking.People{})
	people.Register("messages", messaging.People{})
	people.Register("audit", audit.People{})
	staff, err := admin.New(kit, admin.Options{Outbox: outbox, DB: db, Accounts: accounts, Bookings: bookings, People: people, Catalog: store,
		PageViews: analytics.NewReport(db), Certificates: certs, Register: register})
	if err != nil {
		t.Fatalf("admin.New: %v", err)
	}
	ts.Config.Handler = kit.Handler(pub, staff, api.New(kit))

	site := demoSite{url: ts.URL, db: db, outbox: outbox, store: store, bookings: bookings, lists: subs, register: register}
	c, err := store.CourseBySlug(ctx, courseSlug)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Events {
		if !e.Past(now) && e.Status != catalog.Cancelled {
			site.nextEvent = e.ID
			break
		}
	}
	if site.nextEvent == 0 {
		t.Fatalf("the demo %s has no upcoming date", courseSlug)
	}
	// Some views for the staff area's page-view page.
	for range 12 {
		views.Add("/courses/"+courseSlug, "https://www.example.com/")
	}
	for range 3 {
		views.Add(fmt.Sprintf("/events/%d/book", site.nextEvent), ts.URL+"/courses/"+courseSlug)
	}
	views.Add(fmt.Sprintf("/events/%d/booked", site.nextEvent), ts.URL+"/events/1/book")
	views.Add("/privacy", "")
	if err := views.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return site
}

// subscribe asks for all new courses for email and returns the path of
// the confirmation link e-mailed and of the subscription's unsubscribe
// page.
func (s demoSite) subscribe(t *testing.T, email string) (confirm, unsubscribe string) {
	t.Helper()
	ctx := t.Context()
	if err := s.lists.Subscribe(ctx, lists.Request{Email: email, Scope: lists.ScopeAll, Source: lists.FromCoursePage,
		Wording: lists.CourseWording.Version}); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.outbox.List(ctx, messaging.ListFilter{Kind: lists.MailKinds[0], Recipient: email})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("confirmation e-mails: %d (%v)", len(msgs), err)
	}
	m, err := s.outbox.Message(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(m.Text, s.url+"/lists/confirm/")
	if !ok || len(after) < 43 {
		t.Fatalf("no confirmation link in:\n%s", m.Text)
	}
	subs, err := s.lists.Subscriptions(ctx, email)
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions: %v (%v)", subs, err)
	}
	page, _, err := s.lists.UnsubscribeLinks(ctx, subs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return "/lists/confirm/" + after[:43], strings.TrimPrefix(page, s.url)
}

// book books a place for email on the next date over HTTP, as a browser
// without JavaScript would, and returns the booking's manage path.
func (s demoSite) book(t *testing.T, email string) string {
	t.Helper()
	form := url.Values{
		"name": {"Dr Robin Ash"}, "email": {email}, "organisation": {"North Clinic"},
		"role": {"Clinical psychologist"}, "fee_tier": {"Standard"}, "answer_training_completed": {"2020-01-15"},
		"system_checked": {"yes"},
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(fmt.Sprintf("%s/events/%d/book", s.url, s.nextEvent), form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/bookings/") {
		t.Fatalf("book over HTTP: got %d to %q, want 303 to /bookings/…", res.StatusCode, loc)
	}
	return strings.TrimSuffix(loc, "?booked=1")
}

// startBrowser starts headless Chromium with a fresh profile and returns a
// context that holds it; the browser stops when the test ends.
func startBrowser(t *testing.T, execPath string) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1024),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	// Cleanups run last-in first-out: the browser stops before t.TempDir
	// removes its profile.
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancel)
	start := time.Now()
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		missing(t, "cannot start %s: %v", execPath, err)
	}
	t.Logf("browser started in %v", time.Since(start).Round(time.Millisecond))
	return ctx
}

// newTab opens a tab in a new browser context (its own cookie jar) of the
// shared browser, with a time limit.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(tcancel)
	return tctx
}

// journeyTab is newTab with the time a journey of many pages needs.
// Like newTab, call it after t.Parallel: its clock starts at once.
func journeyTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	return journeyTabFor(t, browser, 3*browserTimeout)
}

// journeyTabFor is journeyTab with its own time limit, for the long
// journeys (several tasks, each with axe checks) that -race on a shared
// machine slows past journeyTab's.
func journeyTabFor(t *testing.T, browser context.Context, limit time.Duration) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	tctx, tcancel := context.WithTimeout(ctx, limit)
	t.Cleanup(tcancel)
	return tctx
}

// Selectors of the consent banner (templates/partials/consent_banner.html).
const (
	bannerSel = `.cookie-banner`
	rejectSel = `.cookie-banner button[name="choice"][value="reject"]`
)

func testConsentReject(t *testing.T, ctx context.Context, base string) {
	pageURL := base + "/courses/" + courseSlug
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(pageURL))
	if err != nil {
		t.Fatalf("open %s: %v", pageURL, err)
	}
	if resp.Status != 200 {
		t.Fatalf("GET %s: status %d, want 200", pageURL, resp.Status)
	}
	if !present(t, ctx, bannerSel) {
		t.Fatalf("first visit to %s: no consent banner (%s)", pageURL, bannerSel)
	}
	if got := cookies(t, ctx); len(got) != 0 {
		t.Errorf("before any choice the site set cookies %s, want none", cookieNames(got))
	}

	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(rejectSel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("click Reject: %v", err)
	}
	if resp.Status != 200 {
		t.Errorf("after Reject: status %d, want 200", resp.Status)
	}
	if got, want := mustRun(t, ctx, chromedp.Location()), pageURL+"?consent=saved"; got != want {
		t.Errorf("after Reject the browser is at %s, want to be back on %s", got, want)
	}
	// The page confirms the choice, without JavaScript's help.
	const confirm = "Your cookie choice is saved: you rejected analytics cookies."
	if text, err := chromedp.Run(ctx, chromedp.Text(`main .notice--success`, chromedp.NodeVisible)); err != nil || !strings.Contains(text, confirm) {
		t.Errorf("after Reject the page says %q (%v), want %q", text, err, confirm)
	}

	got := cookies(t, ctx)
	var consent *network.Cookie
	for _, c := range got {
		if c.Name == "plenary_consent" {
			consent = c
		} else {
			t.Errorf("after Reject a cookie %q=%q exists; only plenary_consent may", c.Name, c.Value)
		}
	}
	switch {
	case consent == nil:
		t.Errorf("after Reject: no plenary_consent cookie; cookies: %s", cookieNames(got))
	default:
		if consent.Value != "reject" {
			t.Errorf("plenary_consent = %q, want %q", consent.Value, "reject")
		}
		if !consent.HTTPOnly {
			t.Error("plenary_consent is not HttpOnly")
		}
		if consent.SameSite != network.CookieSameSiteLax && consent.SameSite != network.CookieSameSiteStrict {
			t.Errorf("plenary_consent SameSite = %q, want Lax or Strict", consent.SameSite)
		}
		if consent.Path != "/" {
			t.Errorf("plenary_consent Path = %q, want /", consent.Path)
		}
		if consent.Session {
			t.Error("plenary_consent is a session cookie: the question would come back on every visit")
		}
	}

	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if present(t, ctx, bannerSel) {
		t.Error("the consent banner is still shown after Reject and a reload")
	}
}

// present reports whether the page has an element that matches sel.
func present(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	js, _ := json.Marshal(sel)
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(`+string(js)+`) !== null`))
	if err != nil {
		t.Fatalf("look for %s: %v", sel, err)
	}
	return ok
}

// cookies returns every cookie in the tab's browser context, whatever its
// domain or path, through the DevTools storage API.
func cookies(t *testing.T, ctx context.Context) []*network.Cookie {
	t.Helper()
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{
		BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
	})
	if err != nil {
		t.Fatalf("Storage.getCookies: %v", err)
	}
	return res.Cookies
}

func cookieNames(cs []*network.Cookie) string {
	if len(cs) == 0 {
		return "(none)"
	}
	var names []string
	for _, c := range cs {
		names = append(names, fmt.Sprintf("%s=%s (domain %s, path %s)", c.Name, c.Value, c.Domain, c.Path))
	}
	return strings.Join(names, ", ")
}

// axeViolation is the part of an axe-core result that the report needs.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun runs axe-core on the whole document with its default rules
// (WCAG 2.0–2.2 A and AA plus best practices) and returns the violations.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
	id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary || ""}))
})))`

func testAxe(t *testing.T, ctx context.Context, url, axeJS string) {
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if resp.Status != 200 {
		t.Fatalf("GET %s: status %d, want 200", url, resp.Status)
	}
	// The site's Content-Security-Policy forbids inline and injected
	// scripts. Runtime.evaluate comes from DevTools and is not subject to
	// the page's CSP, so axe runs on the page exactly as served.
	if csp := headerValue(resp.Headers, "Content-Security-Policy"); csp == "" {
		t.Errorf("GET %s: no Content-Security-Policy header", url)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object" && typeof axe.run === "function"`)); err != nil || !ok {
		t.Fatalf("axe-core did not load in the page (blocked by CSP?): ok=%v err=%v", ok, err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	for _, v := range violations {
		var b strings.Builder
		fmt.Fprintf(&b, "axe %s [%s]: %s (%s)", v.ID, v.Impact, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			target, _ := json.Marshal(n.Target)
			fmt.Fprintf(&b, "\n    %s  %s", target, oneLine(n.HTML, 160))
			if n.Summary != "" {
				fmt.Fprintf(&b, "\n      %s", oneLine(n.Summary, 300))
			}
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Error(b.String())
		} else {
			t.Log(b.String())
		}
	}
	t.Logf("%s: %d axe violation(s)", url, len(violations))
}

// testCSP checks what testAxe relies on: the page's CSP blocks an inline
// script that the page itself adds, yet a script evaluated through DevTools
// (as axe-core is) runs.
func testCSP(t *testing.T, ctx context.Context, url, axeJS string) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	const addInline = `(() => {
		const s = document.createElement("script");
		s.textContent = "window.__plenaryInline = true";
		document.head.appendChild(s);
		return window.__plenaryInline === true;
	})()`
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](addInline))
	if err != nil {
		t.Fatalf("add an inline script: %v", err)
	}
	if ran {
		t.Errorf("%s: an inline script ran; the Content-Security-Policy should forbid inline scripts", url)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
		t.Fatalf("evaluate axe-core through DevTools: %v", err)
	}
	if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`)); err != nil || !ok {
		t.Errorf("axe-core evaluated through DevTools is not there under the page's CSP: ok=%v err=%v", ok, err)
	}
}

// headerValue looks a header up whatever its case (HTTP/1.1 keeps the
// server's case; DevTools reports it as received).
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// phoneLayout measures the page: the layout width, the scroll width, and
// the innermost elements that stick out past the right edge of a screen w
// pixels wide, by their box or by content that overflows it. It is a
// function expression; call it with the width.
const phoneLayout = `((w) => {
	const over = [];
	for (const el of document.body.querySelectorAll("*")) {
		const r = el.getBoundingClientRect();
		if (r.width === 0) continue;
		const spills = getComputedStyle(el).overflowX === "visible" && r.left + el.scrollWidth > w + 0.5;
		if (r.right > w + 0.5 || spills) over.push(el);
	}
	const innermost = over.filter(el => !over.some(o => o !== el && el.contains(o)));
	const wide = innermost.slice(0, 10).map(el => {
		let name = el.tagName.toLowerCase();
		if (el.id) name += "#" + el.id;
		if (el.classList.length) name += "." + [...el.classList].join(".");
		const r = el.getBoundingClientRect();
		return name + " (box " + Math.round(r.left) + "–" + Math.round(r.right) + "px, content to " + Math.round(r.left + el.scrollWidth) + "px)";
	});
	return {innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, wide: wide};
})`

func testPhoneWidth(t *testing.T, ctx context.Context, url string) {
	const width, height = 390, 844 // an iPhone 12–15 in CSS pixels
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(width, height, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)),
		chromedp.Navigate(url),
	); err != nil {
		t.Fatalf("open %s at %dx%d: %v", url, width, height, err)
	}
	type layout struct {
		InnerWidth  int      `json:"innerWidth"`
		ScrollWidth int      `json:"scrollWidth"`
		Wide        []string `json:"wide"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[layout](fmt.Sprintf("(%s)(%d)", phoneLayout, width)))
	if err != nil {
		t.Fatalf("measure the page: %v", err)
	}
	// A mobile browser lays a page out wider than the screen, and zooms
	// out to fit, when <meta name="viewport"> is missing (980px) or when
	// content is too wide for the screen; either way innerWidth grows.
	if got.InnerWidth != width || got.ScrollWidth > got.InnerWidth {
		t.Errorf("%s does not fit a %dpx-wide phone: innerWidth %d, scrollWidth %d, want both <= %d "+
			"(is <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"> there?); too wide: %s",
			url, width, got.InnerWidth, got.ScrollWidth, width, strings.Join(got.Wide, ", "))
	}
}

// phone emulates a phone's screen in the tab.
func phone(ctx context.Context) error {
	return chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
}

// testBookOnPhone books a place as a clinician on a phone would: from the
// course page, the "Book a place" button for the next date, the form, and
// the confirmation with its manage link.
func testBookOnPhone(t *testing.T, ctx context.Context, base string) {
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/courses/"+courseSlug)); err != nil {
		t.Fatalf("open the course page: %v", err)
	}
	// The call to action for the next date is in the side box, which
	// comes first on a phone.
	const cta = `.course-aside a.button--cta`
	if !present(t, ctx, cta) {
		t.Fatalf("no Book a place button (%s) in the side box", cta)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(cta, chromedp.NodeVisible))
	if err != nil || !strings.HasPrefix(text, "Book a place") {
		t.Errorf("side box button says %q (%v), want Book a place", text, err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(cta, chromedp.NodeVisible)); err != nil {
		t.Fatalf("follow Book a place: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/book") {
		t.Fatalf("after Book a place the browser is at %s, want the booking form", loc)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(`#name`, "Dr Sam Reed", chromedp.NodeVisible),
		chromedp.SendKeys(`#email`, "sam.reed@example.org", chromedp.NodeVisible),
		chromedp.SendKeys(`#organisation`, "East Clinic", chromedp.NodeVisible),
		chromedp.SendKeys(`#role`, "Psychotherapist", chromedp.NodeVisible),
		chromedp.SetValue(`#answer_training_completed`, "2021-03-12"),
		chromedp.Click(`#fee_tier-1`, chromedp.NodeVisible),
		chromedp.Click(`#system_checked`, chromedp.NodeVisible),
	)
	if err != nil {
		t.Fatalf("fill in the form: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(`.booking-form button[type="submit"]`, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("send the form: %v", err)
	}
	if resp.Status != 200 {
		t.Errorf("after sending: status %d, want 200", resp.Status)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "/bookings/") || !strings.HasSuffix(loc, "?booked=1") {
		t.Fatalf("after sending the browser is at %s, want the manage page", loc)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(`h1`, chromedp.NodeVisible))
	if err != nil || h1 != "Your place is confirmed" {
		t.Errorf("the confirmation's heading is %q (%v), want Your place is confirmed", h1, err)
	}
	link, err := chromedp.Run(ctx, chromedp.Text(`.manage-link`, chromedp.NodeVisible))
	if want := strings.TrimSuffix(loc, "?booked=1"); err != nil || strings.TrimSpace(link) != want {
		t.Errorf("the manage link on the page is %q (%v), want %s", link, err, want)
	}
}

// testBookingFormErrors sends the form empty, then checks the error
// summary and the fields with axe-core.
func testBookingFormErrors(t *testing.T, ctx context.Context, url, axeJS string) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(`.booking-form button[type="submit"]`, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("send the empty form: %v", err)
	}
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty form: status %d, want 422", resp.Status)
	}
	if !present(t, ctx, `.error-summary a[href="#name"]`) {
		t.Errorf("no error summary link to #name")
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	for _, v := range violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			t.Errorf("axe %s [%s]: %s", v.ID, v.Impact, v.Help)
		} else {
			t.Logf("axe %s [%s]: %s", v.ID, v.Impact, v.Help)
		}
	}
}

// testBannerOnPhone checks the cookie banner leaves most of a phone's
// first screen to the page, with both buttons the same size.
func testBannerOnPhone(t *testing.T, ctx context.Context, url string) {
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	type box struct {
		Banner float64      `json:"banner"`
		Screen float64      `json:"screen"`
		Btns   [][2]float64 `json:"btns"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[box](`({
		banner: document.querySelector(".cookie-banner").getBoundingClientRect().height,
		screen: window.innerHeight,
		btns: [...document.querySelectorAll(".cookie-banner button")].map(b => [b.getBoundingClientRect().width, b.getBoundingClientRect().height]),
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Banner > 0.25*got.Screen {
		t.Errorf("the cookie banner is %.0fpx of a %.0fpx screen (%.0f%%), want at most 25%%", got.Banner, got.Screen, 100*got.Banner/got.Screen)
	}
	if len(got.Btns) != 2 || got.Btns[0] != got.Btns[1] || got.Btns[0][1] < 44 {
		t.Errorf("banner buttons %v: want two of the same size, at least 44px high", got.Btns)
	}
	t.Logf("banner %.0fpx of %.0fpx; buttons %v", got.Banner, got.Screen, got.Btns)
}

// mustRun runs a chromedp action that returns a value, failing the test
// on error.
func mustRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// focused describes the element with keyboard focus: its text, whether
// it is in the site header and shows :focus-visible, and the contrast of
// its text on the background behind it (WCAG relative luminance).
const focused = `(() => {
	const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
	const lum = c => {
		const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		const [r, g, b] = rgb(c);
		return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
	};
	const background = el => {
		for (let e = el; e; e = e.parentElement) {
			const c = getComputedStyle(e).backgroundColor, v = rgb(c);
			if (v.length === 3 || (v.length === 4 && v[3] > 0)) return c;
		}
		return "rgb(255, 255, 255)";
	};
	const el = document.activeElement;
	const fg = getComputedStyle(el).color, bg = background(el);
	const [a, b] = [lum(fg), lum(bg)];
	return {
		text: (el.textContent || "").trim(), header: !!el.closest(".site-header"), visible: el.matches(":focus-visible"),
		fg: fg, bg: bg, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
	};
})()`

// testFocusContrast tabs through the page from the top and checks that
// each link in the site header, when it has keyboard focus, has text of at
// least 4.5:1 against its background.
func testFocusContrast(t *testing.T, ctx context.Context, url string) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	type focus struct {
		Text    string  `json:"text"`
		Header  bool    `json:"header"`
		Visible bool    `json:"visible"`
		FG      string  `json:"fg"`
		BG      string  `json:"bg"`
		Ratio   float64 `json:"ratio"`
	}
	seen := 0
	for range 20 {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatalf("press Tab: %v", err)
		}
		f := mustRun(t, ctx, chromedp.Evaluate[focus](focused))
		if !f.Header {
			if seen > 0 {
				break // past the header
			}
			continue
		}
		seen++
		if !f.Visible {
			t.Errorf("header link %q has keyboard focus but not :focus-visible", f.Text)
		}
		if f.Ratio < 4.5 {
			t.Errorf("header link %q on keyboard focus: text %s on %s, contrast %.2f:1, want at least 4.5:1", f.Text, f.FG, f.BG, f.Ratio)
		} else {
			t.Logf("header link %q on keyboard focus: %s on %s, %.2f:1", f.Text, f.FG, f.BG, f.Ratio)
		}
	}
	if seen < 3 {
		t.Errorf("reached %d header links by keyboard, want the site name and both navigation links", seen)
	}
}

// testManageDetailsError corrects the name to nothing on a phone: the
// page that comes back shows the error summary on screen, with focus on
// it, and its link leads to the field.
func testManageDetailsError(t *testing.T, ctx context.Context, url string) {
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(url),
		chromedp.Click(`details.disclosure summary`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#name`),
		chromedp.Evaluate[chromedp.Void](`document.querySelector("#name").value = ""`),
	); err != nil {
		t.Fatalf("open the correction form: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(`details.disclosure button[type="submit"]`, chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("send the correction: %v", err)
	}
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: status %d, want 422", resp.Status)
	}
	type state struct {
		Focus  string  `json:"focus"`
		Top    float64 `json:"top"`
		Bottom float64 `json:"bottom"`
		Screen float64 `json:"screen"`
	}
	const measure = `(() => {
		const r = document.querySelector("#details-errors").getBoundingClientRect();
		return {focus: document.activeElement.id, top: r.top, bottom: r.bottom, screen: window.innerHeight};
	})()`
	var got state
	// Focus moves when the page has loaded: wait for it (bounded by the
	// tab's time limit), rather than for a fixed time.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.activeElement && document.activeElement.id === "details-errors"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the error summary never took focus: %v", err)
	}
	got = mustRun(t, ctx, chromedp.Evaluate[state](measure))
	if got.Focus != "details-errors" {
		t.Errorf("focus is on #%s, want the error summary #details-errors", got.Focus)
	}
	if got.Top < -1 || got.Bottom > got.Screen+1 {
		t.Errorf("the error summary is at %.0f–%.0fpx of a %.0fpx screen, want it in view", got.Top, got.Bottom, got.Screen)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#details-errors a[href="#name"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("follow the summary's link: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`location.hash === "#name"`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the summary's link does not lead to #name: %v", err)
	}
}
