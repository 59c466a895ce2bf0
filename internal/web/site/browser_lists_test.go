package site_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"

	"plenary/demo"
	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database"
	"plenary/internal/database/dbtest"
	"plenary/internal/lists"
	"plenary/internal/messaging"
	"plenary/internal/messaging/mailtest"
	"plenary/internal/web"
	"plenary/internal/web/admin"
	"plenary/internal/web/site"
)

// The lists' "done means", in the browser: a visitor on a phone subscribes
// from a course page, confirms, hears of the next date after the grace
// period and leaves in one click, and a coordinator sees it all with the
// evidence; then imports subscribers from a CSV file.

// listClock is the lists' clock: real time moved on by the test, so the
// announcement's grace period passes without waiting for it.
type listClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *listClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *listClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// listsSite is the demo catalogue served as serve wires it with lists on:
// over https (list e-mails carry the RFC 8058 headers only then), every
// e-mail delivered by the send job to a real SMTP server, and the
// announcements' clock in the test's hands.
type listsSite struct {
	url    string
	client *http.Client // trusts the site's certificate; no cookie jar, as a mail client
	db     *database.DB
	store  *catalog.Store
	outbox *messaging.Outbox
	lists  *lists.Service
	smtp   *mailtest.Server
	clock  *listClock
}

// listSecret signs the unsubscribe links of the test sites.
const listSecret = "a browser test secret, 32 bytes"

// startListsSite serves the demo catalogue with lists on, until the test
// ends. It runs Announce once, as serve's job does when it starts, so the
// demo's dates are on record as seen before anyone subscribes.
func startListsSite(t *testing.T) *listsSite {
	t.Helper()
	ctx := t.Context()
	db := dbtest.New(t)
	s := &listsSite{db: db, clock: &listClock{}, smtp: mailtest.Start(t)}
	// The course file path of plenary import: the save's hook is
	// booking's (it tells the people booked), as wire.go sets it.
	var bookings *booking.Service
	s.store = catalog.NewStore(db, catalog.Hooks{EventSaved: func(ctx context.Context, tx *sql.Tx, ev catalog.EventSave) error {
		return bookings.EventSaved(ctx, tx, ev)
	}})
	s.outbox = startSending(t, db, s.smtp)

	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	s.url, s.client = ts.URL, ts.Client()
	bookings = booking.NewService(booking.Options{DB: db, Catalog: s.store, Outbox: s.outbox, BaseURL: ts.URL})
	s.lists = lists.NewService(lists.Options{DB: db, Outbox: s.outbox, BaseURL: ts.URL, Secret: []byte(listSecret),
		UnsubscribeMailbox: "courses@training.example", Catalog: s.store, Places: placesOf(bookings),
		Grace: 15 * time.Minute, Now: s.clock.Now})
	kit, err := web.New(web.Options{DB: db, BaseURL: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := site.New(kit, site.Options{Catalog: s.store, Bookings: bookings, Lists: s.lists})
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.New(account.Options{DB: db, FastHashes: true})
	if _, err := accounts.AddUser(ctx, audit.CommandLine("test"), account.Profile{Email: staffEmail, Name: "Casey Coordinator",
		Role: account.Coordinator}, staffPassword, time.Now()); err != nil {
		t.Fatal(err)
	}
	staff, err := admin.New(kit, admin.Options{Outbox: s.outbox, DB: db, Accounts: accounts, Bookings: bookings, Lists: s.lists})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = kit.Handler(pub, staff)

	for _, name := range demo.Names() {
		s.importDemo(t, name, "")
	}
	if rep, err := s.lists.Announce(ctx); err != nil || rep.Seen == 0 || rep.Emails != 0 {
		t.Fatalf("the first Announce: %+v, %v; want the demo's dates seen and nothing sent", rep, err)
	}
	return s
}

// startSending returns an outbox whose send job runs, delivering to srv
// over SMTP (STARTTLS and AUTH), with every e-mail rendered as wire.go
// renders it.
func startSending(t *testing.T, db *database.DB, srv *mailtest.Server) *messaging.Outbox {
	t.Helper()
	mail, err := booking.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	listMail, err := lists.NewMail()
	if err != nil {
		t.Fatal(err)
	}
	renderers := messaging.Renderers{Default: mail, ByKind: map[string]messaging.Renderer{}}
	for _, k := range lists.MailKinds {
		renderers.ByKind[k] = listMail
	}
	inserter, err := messaging.NewJobs(db, nil, nil, messaging.JobsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const from = "Plenary <noreply@training.example>"
	outbox := messaging.NewOutbox(db, inserter, messaging.OutboxOptions{From: from, Renderer: renderers})
	mailer, err := messaging.NewSMTPMailer(srv.URL(), from, "", messaging.WithTLSConfig(srv.TLSConfig()))
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	messaging.AddWorkers(workers, outbox, mailer)
	runner, err := messaging.NewJobs(db, workers, nil, messaging.JobsOptions{Run: true, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		runner.Stop(ctx)
	})
	return outbox
}

// placesOf adapts booking's places to the lists, as wire.go's listPlaces.
func placesOf(b *booking.Service) lists.Places {
	return lists.PlacesFunc(func(ctx context.Context, events []catalog.Event) (map[int64]lists.PlaceCount, error) {
		got, err := b.PlacesFor(ctx, events)
		if err != nil {
			return nil, err
		}
		out := make(map[int64]lists.PlaceCount, len(got))
		for id, p := range got {
			out[id] = lists.PlaceCount{Left: p.Left(), Waiting: p.Waiting}
		}
		return out, nil
	})
}

// importDemo imports the demo course file name as plenary import does
// (parse and check the file, then one Save as the operator), with extra
// appended to its list of dates, and returns the course as saved.
func (s *listsSite) importDemo(t *testing.T, name, extra string) catalog.Course {
	t.Helper()
	ctx := t.Context()
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	data, err := demo.Render(name, catalog.DateOf(time.Now().In(loc)))
	if err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		// The dates are the last key of the front matter.
		head, body, ok := strings.Cut(string(data), "\n---\n")
		if !ok {
			t.Fatalf("%s: no end to the front matter", name)
		}
		data = []byte(head + "\n" + extra + "---\n" + body)
	}
	c, err := catalog.ParseCourseFile(name, data)
	if err != nil {
		t.Fatalf("the course file: %v", err)
	}
	if _, err := s.store.Save(ctx, []*catalog.Course{&c}, catalog.SaveOptions{Actor: audit.CommandLine("casey"), Now: time.Now()}); err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	saved, err := s.store.CourseBySlug(ctx, c.Slug)
	if err != nil {
		t.Fatal(err)
	}
	return saved
}

// received waits, bounded, for the SMTP server to have at least n
// messages to email whose raw text contains want, and returns them parsed.
func (s *listsSite) received(t *testing.T, email, want string, n int) []mailtest.Mail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got []mailtest.Mail
		for _, m := range s.smtp.Messages() {
			if len(m.To) != 1 || !strings.EqualFold(m.To[0], email) {
				continue
			}
			msg, err := mailtest.Parse(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(msg.Get("Subject")+msg.Text, want) {
				got = append(got, msg)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond) // polling the server, bounded by the deadline
	}
}

// subscription is email's only subscription, from the store.
func (s *listsSite) subscription(t *testing.T, email string) lists.Subscription {
	t.Helper()
	subs, err := s.lists.Subscriptions(t.Context(), email)
	if err != nil || len(subs) != 1 {
		t.Fatalf("subscriptions of %s: %+v (%v), want one", email, subs, err)
	}
	return subs[0]
}

// announce runs the announcement, as the lists_announce job does.
func (s *listsSite) announce(t *testing.T) lists.AnnounceReport {
	t.Helper()
	rep, err := s.lists.Announce(t.Context())
	if err != nil {
		t.Fatalf("Announce: %v", err)
	}
	return rep
}

var confirmURL = regexp.MustCompile(`https://127\.0\.0\.1:\d+/lists/confirm/[A-Za-z0-9_-]{43}`)

// TestBrowserListsJourney is issue 10's "done means" for the lists: on a
// 390 px phone, a visitor subscribes to a course's new dates from its
// page; the confirmation e-mail comes over SMTP; opening its link (a GET)
// confirms nothing, the page's button does. A coordinator adds a date by
// re-importing the course file; within the grace period nothing is sent,
// after it the subscriber gets one e-mail naming the date in UK time,
// with List-Unsubscribe, List-Unsubscribe-Post and a visible link; a
// mail client's one-click POST, with no cookie, withdraws at once. The
// coordinator, on a phone too, finds the subscriber in the staff area
// with the evidence of each step, and imports subscribers from a CSV
// file with consent already held. axe checks every page on the way.
//
// With PLENARY_SCREENSHOTS set to a directory (docs/images), it saves the
// subscribe form on a phone and the staff's subscriber page:
//
//	PLENARY_SCREENSHOTS=$PWD/docs/images go test ./internal/web/site -run TestBrowserListsJourney
//
// CI's PostgreSQL pass skips it with -skip TestBrowser.
func TestBrowserListsJourney(t *testing.T) {
	chrome := chromiumPath(t)
	axeJS, axeMissing := axeSource()
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	start := time.Now()
	s := startListsSite(t)
	browser := startBrowser(t, chrome)
	shots := os.Getenv("PLENARY_SCREENSHOTS")
	const visitor = "rowan.hale@example.org"

	t.Run("SubscribeConfirmAnnounceLeave", func(t *testing.T) {
		ctx := listsTab(t, browser, shots != "")
		coursePage := s.url + "/courses/" + courseSlug

		// The course page, and its form: the course's new dates is the
		// choice already made.
		testAxe(t, ctx, coursePage, axeJS)
		testPhoneWidthHere(t, ctx)
		if !present(t, ctx, `#subscribe form.subscribe input#what-course[value="course"]:checked`) {
			t.Fatal("the course page's subscribe form does not offer this course's new dates, chosen")
		}
		if err := chromedp.Do(ctx,
			chromedp.SendKeys(`#subscribe #email`, visitor, chromedp.NodeVisible),
			chromedp.SendKeys(`#subscribe #name`, "Rowan Hale", chromedp.NodeVisible),
		); err != nil {
			t.Fatalf("fill in the subscribe form: %v", err)
		}
		if shots != "" {
			img, err := chromedp.Run(ctx, chromedp.Screenshot(`#subscribe`, chromedp.NodeVisible))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, "lists-subscribe-phone.png"), img, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(`#subscribe form.subscribe button[type="submit"]`, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("send the subscribe form: %v", err)
		}
		if h1 := mustRun(t, ctx, chromedp.Text(`h1`, chromedp.NodeVisible)); resp.Status != 200 || h1 != "Check your inbox" {
			t.Fatalf("after subscribing: status %d, heading %q; want 200, Check your inbox", resp.Status, h1)
		}
		testPhoneWidthHere(t, ctx)
		axeHere(t, ctx, axeJS)
		sub := s.subscription(t, visitor)
		if sub.Status != lists.Requested || sub.Scope != lists.ScopeCourse || sub.Name != "Rowan Hale" {
			t.Fatalf("after subscribing: %+v, want a request for the course's new dates", sub)
		}

		// The confirmation e-mail, over SMTP; its link opens a page with
		// a button, and confirms nothing.
		confirms := s.received(t, visitor, "/lists/confirm/", 1)
		if len(confirms) != 1 {
			t.Fatalf("%d confirmation e-mails over SMTP, want 1", len(confirms))
		}
		if h := confirms[0].Header.Get("List-Unsubscribe"); h != "" {
			t.Errorf("the confirmation e-mail carries List-Unsubscribe %q; it is not list mail", h)
		}
		link := confirmURL.FindString(confirms[0].Text)
		if link == "" {
			t.Fatalf("no confirmation link in:\n%s", confirms[0].Text)
		}
		testAxe(t, ctx, link, axeJS)
		testPhoneWidthHere(t, ctx)
		if st := s.subscription(t, visitor).Status; st != lists.Requested {
			t.Fatalf("after opening the link (GET): %s, want still requested", st)
		}
		button := fmt.Sprintf(`form[action=%q] button[type="submit"]`, strings.TrimPrefix(link, s.url))
		if text := mustRun(t, ctx, chromedp.Text(button, chromedp.NodeVisible)); text != "Yes, send me these e-mails" {
			t.Errorf("the confirm button says %q", text)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(button, chromedp.NodeVisible)); err != nil {
			t.Fatalf("press the confirm button: %v", err)
		}
		if h1 := mustRun(t, ctx, chromedp.Text(`h1`, chromedp.NodeVisible)); h1 != "You are subscribed" {
			t.Errorf("after confirming the heading is %q", h1)
		}
		testPhoneWidthHere(t, ctx)
		if st := s.subscription(t, visitor).Status; st != lists.Confirmed {
			t.Fatalf("after pressing the button: %s, want confirmed", st)
		}

		// A coordinator adds a date: the course file again, with one
		// more date, through the import's path.
		s.clock.Add(time.Minute)
		loc, _ := time.LoadLocation("Europe/London")
		day := catalog.DateOf(time.Now().In(loc)).AddDays(75)
		course := s.importDemo(t, "dit-refresher.md", fmt.Sprintf(`  - ref: autumn-extra
    time_zone: Europe/London
    format: online
    status: scheduled
    capacity: 24
    days:
      - date: %s
        time: 10:00-17:00
`, day))
		var added catalog.Event
		for _, e := range course.Events {
			if e.Ref == "autumn-extra" {
				added = e
			}
		}
		if added.ID == 0 {
			t.Fatalf("the re-imported course has no date autumn-extra: %+v", course.Events)
		}
		if rep := s.announce(t); rep.Seen != 1 || rep.Emails != 0 {
			t.Fatalf("at once after the import: %+v, want the date seen and nothing sent", rep)
		}
		s.clock.Add(14 * time.Minute)
		if rep := s.announce(t); rep.Emails != 0 {
			t.Fatalf("within the grace period: %+v, want nothing sent", rep)
		}
		s.clock.Add(2 * time.Minute)
		if rep := s.announce(t); rep.Emails != 1 {
			t.Fatalf("after the grace period: %+v, want one e-mail", rep)
		}
		if rep := s.announce(t); rep.Emails != 0 {
			t.Fatalf("run again: %+v, want nothing more", rep)
		}

		news := s.received(t, visitor, "New date: ", 1)
		if len(news) != 1 {
			t.Fatalf("%d announcements over SMTP, want 1", len(news))
		}
		m := news[0]
		sub = s.subscription(t, visitor)
		page, _, err := s.lists.UnsubscribeLinks(t.Context(), sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(page, "https://") {
			t.Fatalf("the unsubscribe address %s is not https", page)
		}
		if h := m.Header.Get("List-Unsubscribe"); !strings.Contains(h, "<"+page+">") || !strings.Contains(h, "<mailto:courses@training.example?") {
			t.Errorf("List-Unsubscribe: %q, want <%s> and the mailto:", h, page)
		}
		if h := m.Header.Get("List-Unsubscribe-Post"); h != "List-Unsubscribe=One-Click" {
			t.Errorf("List-Unsubscribe-Post: %q", h)
		}
		for _, want := range []string{added.DateLabel(), "10:00–17:00 UK time", "Europe/London", "Standard £120.00",
			fmt.Sprintf("%s/events/%d/book", s.url, added.ID), "To stop e-mails about new dates of this course: " + page} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("the e-mail's text lacks %q:\n%s", want, m.Text)
			}
		}
		if !strings.Contains(m.HTML, added.DateLabel()) || !strings.Contains(m.HTML, `href="`+page+`"`) {
			t.Errorf("the e-mail's HTML lacks the date or a visible unsubscribe link:\n%s", m.HTML)
		}
		for _, e := range upcoming(t, course) {
			if e.ID != added.ID && strings.Contains(m.Text, e.DateLabel()) {
				t.Errorf("the e-mail names %s, a date on the page before the subscription", e.DateLabel())
			}
		}
		t.Logf("the announcement:\nSubject: %s\n%s", m.Get("Subject"), m.Text)

		// The visible link's page, then a mail client's one-click POST:
		// no cookie, no login, no page.
		testAxe(t, ctx, page, axeJS)
		testPhoneWidthHere(t, ctx)
		for i := range 2 { // doing it twice is the same as once
			res, err := s.client.Post(page, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("one-click POST %d: status %d, want 200", i+1, res.StatusCode)
			}
			if st := s.subscription(t, visitor).Status; st != lists.Withdrawn {
				t.Fatalf("after one-click POST %d: %s, want withdrawn", i+1, st)
			}
		}

		// The coordinator, on a phone, finds the subscriber and reads
		// the evidence.
		staff := listsTab(t, browser, shots != "")
		staffSignIn(t, staff, s.url)
		if _, err := chromedp.RunResponse(staff, chromedp.Click(`a[href="/admin/lists"]`, chromedp.NodeVisible)); err != nil {
			t.Fatalf("open Subscribers from the staff area's first page: %v", err)
		}
		testPhoneWidthHere(t, staff)
		submit(t, staff, "/admin/lists", chromedp.SendKeys(`#q`, "rowan.hale", chromedp.NodeVisible))
		if got := mustRun(t, staff, chromedp.Text(`#results`, chromedp.NodeVisible)); got != "1 subscription found" {
			t.Fatalf("searching for the subscriber: %q", got)
		}
		if _, err := chromedp.RunResponse(staff, chromedp.Click(fmt.Sprintf(`a[href="/admin/lists/%d"]`, sub.ID), chromedp.NodeVisible)); err != nil {
			t.Fatalf("open the subscriber: %v", err)
		}
		testPhoneWidthHere(t, staff)
		axeHere(t, staff, axeJS)
		if shots != "" {
			img, err := chromedp.Run(staff, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, "admin-subscriber.png"), img, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		steps := mustRun(t, staff, chromedp.Evaluate[[]string](`[...document.querySelectorAll("ol.timeline > li")].map(li => li.innerText)`))
		want := []struct{ step, words string }{
			{"requested", "from the course page"},
			{"confirmed", "from the course page"},
			{"withdrawn", "one click in the e-mail program"},
		}
		if len(steps) != len(want) {
			t.Fatalf("the evidence has %d steps, want %d: %q", len(steps), len(want), steps)
		}
		wording := lists.CourseWording.Version + " (SHA-256 " + lists.CourseWording.SHA256() + ")"
		for i, w := range want {
			if !strings.HasPrefix(steps[i], w.step+",") || !strings.Contains(steps[i], w.words) {
				t.Errorf("evidence step %d: %q, want %s … %s", i+1, steps[i], w.step, w.words)
			}
		}
		if !strings.Contains(steps[0], "Wording "+wording) {
			t.Errorf("the request's evidence does not name the wording shown, %s: %q", wording, steps[0])
		}
		if h2 := mustRun(t, staff, chromedp.Text(fmt.Sprintf(`#sub-%d`, sub.ID), chromedp.NodeVisible)); !strings.HasSuffix(h2, ": "+lists.Withdrawn.Label()) {
			t.Errorf("the subscription's heading is %q, want it withdrawn", h2)
		}
	})

	t.Run("StaffImportConsentHeld", func(t *testing.T) {
		ctx := listsTab(t, browser, false)
		staffSignIn(t, ctx, s.url)
		course, err := s.store.CourseBySlug(t.Context(), courseSlug)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "newsletter.csv")
		csvText := "email,name\nmo.ibrahim@example.org,Mo Ibrahim\nlin.chen@example.org,Lin Chen\nnot-an-address,Nobody\n" +
			visitor + ",Rowan Hale\n" // withdrew in one click: never subscribed again by an import
		if err := os.WriteFile(file, []byte(csvText), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/admin/lists")); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`a[href="/admin/lists/import"]`, chromedp.NodeVisible)); err != nil {
			t.Fatalf("open the import: %v", err)
		}
		consented := catalog.DateOf(time.Now()).AddDays(-30).String()
		submit(t, ctx, "/admin/lists/import",
			chromedp.SetUploadFiles(`#file`, []string{file}),
			chromedp.SetValue(`#target`, fmt.Sprintf("course:%d", course.ID)),
			chromedp.Click(`#mode-held`, chromedp.NodeVisible),
			chromedp.SendKeys(`#source`, "Spring newsletter sign-up sheet", chromedp.NodeVisible),
			chromedp.SetValue(`#date`, consented),
		)
		preview := mustRun(t, ctx, chromedp.Text(`#preview`, chromedp.NodeVisible))
		for _, want := range []string{"2 to be confirmed on consent already held", "1 refused", "1 bad rows"} {
			if !strings.Contains(preview, want) {
				t.Errorf("the preview lacks %q:\n%s", want, preview)
			}
		}
		axeHere(t, ctx, axeJS)
		if subs, _ := s.lists.Subscriptions(t.Context(), "mo.ibrahim@example.org"); len(subs) != 0 {
			t.Fatalf("the preview subscribed %+v", subs)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`input[name="run"] ~ .form-actions button[type="submit"]`, chromedp.NodeVisible)); err != nil {
			t.Fatalf("run the import: %v", err)
		}
		done := mustRun(t, ctx, chromedp.Text(`#done`, chromedp.NodeVisible))
		if !strings.Contains(done, "2 confirmed on consent already held") || !strings.Contains(done, "1 refused") {
			t.Errorf("after the import: %q", done)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`a[href="/admin/lists"]`, chromedp.NodeVisible)); err != nil {
			t.Fatal(err)
		}
		submit(t, ctx, "/admin/lists", chromedp.SetValue(`#status`, string(lists.Confirmed)))
		table := mustRun(t, ctx, chromedp.Text(`.table-scroll[aria-labelledby="results"] tbody`, chromedp.NodeVisible))
		for _, who := range []string{"mo.ibrahim@example.org", "lin.chen@example.org"} {
			if !strings.Contains(table, who) {
				t.Errorf("the confirmed subscribers lack %s:\n%s", who, table)
			}
		}
		if strings.Contains(table, visitor) {
			t.Errorf("the import subscribed %s again, who had withdrawn", visitor)
		}
		if st := s.subscription(t, visitor).Status; st != lists.Withdrawn {
			t.Errorf("after the import %s is %s, want still withdrawn", visitor, st)
		}
		mo := s.subscription(t, "mo.ibrahim@example.org")
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(fmt.Sprintf(`a[href="/admin/lists/%d"]`, mo.ID), chromedp.NodeVisible)); err != nil {
			t.Fatal(err)
		}
		evidence := mustRun(t, ctx, chromedp.Text(`ol.timeline`, chromedp.NodeVisible))
		if !strings.Contains(evidence, "Spring newsletter sign-up sheet") || !strings.Contains(evidence, consented) || !strings.Contains(evidence, "from the import") {
			t.Errorf("the imported subscriber's evidence lacks its source or date:\n%s", evidence)
		}
	})
	t.Logf("the lists journey took %v", time.Since(start).Round(time.Millisecond))
}

// listsTab is a journey's tab on a 390 px phone that accepts the test
// site's certificate. For screenshots, at one device pixel to each CSS
// pixel, to keep the pictures in the docs small.
func listsTab(t *testing.T, browser context.Context, forShots bool) context.Context {
	t.Helper()
	ctx := journeyTabFor(t, browser, 4*time.Minute)
	if _, err := chromedp.Call(ctx, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
		t.Fatal(err)
	}
	scale := 3.0
	if forShots {
		scale = 1
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(scale))); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// TestListsAnnounceAtScale measures what the closing note reports: N
// confirmed subscribers of one course and M dates of it published
// together. One Announce run after the grace period queues exactly N
// e-mails, each listing the M dates, and the send job delivers them all
// over SMTP (both asserted: they are correctness); the times are logged,
// not asserted. docs/PERFORMANCE.md has the 10,000-subscriber run
// (bench/announce).
func TestListsAnnounceAtScale(t *testing.T) {
	const n, dates = 200, 3
	ctx := t.Context()
	db := dbtest.New(t)
	srv := mailtest.Start(t)
	outbox := startSending(t, db, srv)
	store := catalog.NewStore(db, catalog.Hooks{})
	clock := &listClock{}
	svc := lists.NewService(lists.Options{DB: db, Outbox: outbox, BaseURL: "https://training.example", Secret: []byte(listSecret),
		Catalog: store, Grace: 15 * time.Minute, Now: clock.Now})

	// The course, in draft, with its three dates a week apart.
	c := catalogtest.NewCourse(time.Now())
	for i := 1; i < dates; i++ {
		e := c.Events[0]
		e.Ref = fmt.Sprintf("date-%d", i+1)
		e.Days = []catalog.Day{c.Events[0].Days[0]}
		e.Days[0].Date = e.Days[0].Date.AddDays(7 * i)
		e.Days[0].Agenda = nil
		c.Events = append(c.Events, e)
	}
	save := func(status catalog.Status) catalog.Course {
		t.Helper()
		c.Status = status
		cc := c
		if _, err := store.Save(ctx, []*catalog.Course{&cc}, catalogtest.Options(clock.Now())); err != nil {
			t.Fatal(err)
		}
		saved, err := store.CourseBySlug(ctx, c.Slug)
		if err != nil {
			t.Fatal(err)
		}
		return saved
	}
	draft := save(catalog.Draft)

	// N subscribers of the course, imported with consent already held.
	var csvText strings.Builder
	csvText.WriteString("email,name\n")
	for i := range n {
		fmt.Fprintf(&csvText, "person%03d@example.org,Person %d\n", i, i)
	}
	imp, err := lists.ReadImport(strings.NewReader(csvText.String()), lists.ImportOptions{Mode: lists.ImportHeld,
		Scope: lists.ScopeCourse, CourseID: draft.ID, CourseTitle: draft.Title, Source: "a sign-up sheet",
		Date: catalog.DateOf(time.Now()).AddDays(-1).String()}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := svc.RunImport(ctx, audit.CommandLine("test"), imp); err != nil || rep.Held != n {
		t.Fatalf("import: %+v, %v; want %d confirmed", rep, err, n)
	}

	// Published: the three dates appear together.
	clock.Add(time.Minute)
	published := save(catalog.Published)
	if rep, err := svc.Announce(ctx); err != nil || rep.Seen != dates || rep.Emails != 0 {
		t.Fatalf("at publication: %+v, %v", rep, err)
	}
	clock.Add(16 * time.Minute)
	began := time.Now()
	rep, err := svc.Announce(ctx)
	run := time.Since(began)
	if err != nil || rep.Emails != n {
		t.Fatalf("after the grace period: %+v, %v; want %d e-mails", rep, err, n)
	}
	deadline := time.Now().Add(60 * time.Second)
	for srv.Len() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling the server, bounded by the deadline
	}
	delivered := time.Since(began)
	got := srv.Messages()
	if len(got) != n {
		t.Fatalf("%d e-mails over SMTP, want %d", len(got), n)
	}
	to := map[string]bool{}
	for _, r := range got {
		m, err := mailtest.Parse(r.Data)
		if err != nil {
			t.Fatal(err)
		}
		to[strings.ToLower(r.To[0])] = true
		for _, e := range published.Events {
			if !strings.Contains(m.Text, fmt.Sprintf("https://training.example/events/%d/book", e.ID)) {
				t.Fatalf("the e-mail to %s lacks the date %s:\n%s", r.To[0], e.DateLabel(), m.Text)
			}
		}
		if c := strings.Count(m.Text, "Book: "); c != dates {
			t.Fatalf("the e-mail to %s lists %d dates, want %d", r.To[0], c, dates)
		}
	}
	if len(to) != n {
		t.Fatalf("%d addresses got the %d e-mails, want one each", len(to), n)
	}
	if rep, err := svc.Announce(ctx); err != nil || rep.Emails != 0 {
		t.Fatalf("run again: %+v, %v; want nothing more", rep, err)
	}
	t.Logf("%d subscribers, %d dates published together: %d e-mails, each with %d dates; Announce took %v, all delivered over SMTP %v after it began",
		n, dates, rep.Emails, dates, run.Round(time.Millisecond), delivered.Round(time.Millisecond))
}
