package site_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plenary/internal/audit"
	"plenary/internal/booking"
)

// TestBrowserCoordinatorDay is the "done means": a coordinator
// who has never seen Plenary, from the browser alone and starting each
// time from the staff area's first page, finds and approves a review
// waiting, moves a participant to another date (and sees both e-mails
// that follow — theirs, and the offer of the place they freed to the
// first person waiting — in the mail log), offers that freed place to
// someone else on the waiting list, and exports the list for a date. Every step is a click or typing on the page, never an address
// typed by hand; the log says how many pages each task took.
//
// With PLENARY_SCREENSHOTS set to a directory (docs/images), it saves a
// picture (admin-*.png) of each page docs/admin.md shows:
//
//	PLENARY_SCREENSHOTS=$PWD/docs/images go test ./internal/web/site -run TestBrowserCoordinatorDay
//
// It runs on its own demo site, so that the other journeys' bookings do
// not change what it finds. CI's PostgreSQL pass skips it with
// -skip TestBrowser.
func TestBrowserCoordinatorDay(t *testing.T) {
	chrome := chromiumPath(t)
	axeJS, axeMissing := axeSource()
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	site := startDemoSite(t)
	browser := startBrowser(t, chrome)
	// Its own tab with a longer time limit than newTab's: this is one long
	// journey, not one page.
	tab, closeTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, 3*time.Minute)
	defer cancel()
	base := site.url
	shots := os.Getenv("PLENARY_SCREENSHOTS")
	// shot saves the whole page as a PNG.
	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "admin-"+name+".png"), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pages := 0
	click := func(sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
		pages++
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel, chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	home := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin")); err != nil {
			t.Fatal(err)
		}
		pages = 1
	}

	// The day's state: a review waiting on the five-day training, and the
	// refresher's next date full (capacity 2) with one person waiting.
	foundation, err := site.store.CourseBySlug(ctx, "dit-foundation")
	if err != nil {
		t.Fatal(err)
	}
	review, err := site.bookings.Book(ctx, booking.Request{EventID: upcoming(t, foundation)[0].ID, Name: "Dr Lee Park",
		Email: "lee.park@example.org", Organisation: "West Clinic", Role: "Psychiatrist", FeeTier: "Standard",
		Answers: map[string]string{"core_profession": "Psychiatrist", "practising_therapist": "no"}}, audit.ParticipantOf(0))
	if err != nil || review.Booking.Status != booking.PendingReview {
		t.Fatalf("book a review: %v %s", err, review.Booking.Status)
	}
	refresher, err := site.store.CourseBySlug(ctx, courseSlug)
	if err != nil {
		t.Fatal(err)
	}
	dates := upcoming(t, refresher)
	if len(dates) < 2 {
		t.Fatalf("the demo refresher has %d upcoming dates, want 2", len(dates))
	}
	from, to := dates[0], dates[1]
	if _, err := site.db.ExecContext(ctx, `UPDATE events SET capacity = 2 WHERE id = $1`, from.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := site.db.ExecContext(ctx, `UPDATE courses SET version = version + 1 WHERE id = (SELECT course_id FROM events WHERE id = $1)`, from.ID); err != nil {
		t.Fatal(err)
	}
	book := func(name, email string, want booking.Status) booking.Booking {
		t.Helper()
		res, err := site.bookings.Book(ctx, booking.Request{EventID: from.ID, Name: name, Email: email, Organisation: "North Clinic",
			Role: "Clinical psychologist", FeeTier: "Standard", SystemChecked: true,
			Answers: map[string]string{"training_completed": "2020-01-15"}}, audit.ParticipantOf(0))
		if err != nil || res.Booking.Status != want {
			t.Fatalf("book %s: %v, %s, want %s", name, err, res.Booking.Status, want)
		}
		return res.Booking
	}
	book("Dr Sam Hale", "sam.hale@example.org", booking.Confirmed)
	book("Dr Kit Moran", "kit.moran@example.org", booking.Confirmed)
	book("Dr Ola Reyes", "ola.reyes@example.org", booking.Waitlisted)
	dee := book("Dr Dee Quinn", "dee.quinn@example.org", booking.Waitlisted)

	// On a phone; for screenshots at a third of the pixels (one to each
	// CSS pixel), to keep the pictures in the docs small.
	screen := phone(ctx)
	if shots != "" {
		screen = chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(1)))
	}
	if screen != nil {
		t.Fatal(screen)
	}
	staffSignIn(t, ctx, base)
	shot("home")

	// 1. Find the review waiting and approve it.
	home()
	click(`a[href="/admin/attention"]`)
	shot("attention")
	if body := text(`#main`); !strings.Contains(body, "Dr Lee Park") {
		t.Fatalf("the attention page does not list the review waiting: %.400q", body)
	}
	click(fmt.Sprintf(`a[href="/admin/bookings/%d"]`, review.Booking.ID))
	shot("booking")
	if body := text(`#main`); !strings.Contains(body, "Waiting for review") {
		t.Fatalf("the booking page does not say why it waits: %.400q", body)
	}
	click(fmt.Sprintf(`a[href="/admin/bookings/%d/review"]`, review.Booking.ID))
	if err := chromedp.Do(ctx, chromedp.Click(`#decision`, chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	shot("review")
	click(fmt.Sprintf(`form[action="/admin/bookings/%d/review"] button[type="submit"]`, review.Booking.ID))
	wantAt(t, ctx, fmt.Sprintf("%s/admin/bookings/%d?done=approved", base, review.Booking.ID))
	if st := statusOf(t, site, review.Booking.ID); st != string(booking.Confirmed) {
		t.Errorf("after approving: %s", st)
	}
	t.Logf("approve a review: %d pages from the first page", pages)
	testAxe(t, ctx, fmt.Sprintf("%s/admin/bookings/%d?done=approved", base, review.Booking.ID), axeJS)

	// 2. Move Sam to the next date, by finding them on the desk.
	home()
	click(`a[href="/admin/bookings"]`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#q`, "Sam Hale", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	click(`form.filters button[type="submit"]`)
	shot("desk")
	if got := text(`#results`); !strings.HasPrefix(got, "1 booking found") {
		t.Fatalf("searching for Sam found %q", got)
	}
	click(`table.data-table tbody a`)
	click(`a[href$="/move"]`)
	if err := chromedp.Do(ctx,
		chromedp.Click(fmt.Sprintf(`#event-%d`, to.ID), chromedp.NodeVisible),
		chromedp.SendKeys(`#reason`, "Asked by phone: a clinic on the first date", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	shot("move")
	click(`form[action$="/move"] button[type="submit"]`)
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "?done=moved") {
		t.Fatalf("after the move the browser is at %s", loc)
	}
	if body := text(`#main`); !strings.Contains(body, to.DateLabel()) {
		t.Errorf("the moved booking's page does not name the new date %q", to.DateLabel())
	}
	t.Logf("move a participant: %d pages from the first page", pages)
	// Both e-mails, in the mail log: Sam's, and Ola's offer of the place.
	home()
	click(`a[href="/admin/messages"]`)
	for _, m := range []struct{ email, kind string }{
		{"sam.hale@example.org", "Moved to another date"},
		{"ola.reyes@example.org", "Place offered"},
	} {
		if err := chromedp.Do(ctx, chromedp.Clear(`#recipient`, chromedp.NodeVisible), chromedp.SendKeys(`#recipient`, m.email, chromedp.NodeVisible)); err != nil {
			t.Fatal(err)
		}
		click(`form.filters button[type="submit"]`)
		if body := text(`#main`); !strings.Contains(body, m.kind) {
			t.Errorf("the mail log for %s lacks %q: %.600q", m.email, m.kind, body)
		}
	}
	shot("mail-log")
	click(`#main table a[href^="/admin/messages/"]`)
	shot("message")
	if st := statusOf(t, site, book0(t, site, "ola.reyes@example.org")); st != string(booking.Offered) {
		t.Errorf("Ola, first waiting, after Sam's place was freed: %s, want offered", st)
	}
	t.Logf("see both e-mails in the mail log: %d pages from the first page", pages)

	// 3. Offer the place Sam freed to Dee, second in the queue (say the
	// refresher is required for her): the date's list, her booking, and
	// the offer page, which says Ola's offer passes to her.
	home()
	click(`a[href="/admin/bookings"]`)
	if err := chromedp.Do(ctx, chromedp.SetValue(`#event`, fmt.Sprint(from.ID))); err != nil {
		t.Fatal(err)
	}
	click(`form.filters button[type="submit"]`)
	click(fmt.Sprintf(`a[href="/admin/bookings/%d"]`, dee.ID))
	click(fmt.Sprintf(`a[href="/admin/bookings/%d/offer"]`, dee.ID))
	if body := text(`#main`); !strings.Contains(body, "on offer to Dr Ola Reyes") {
		t.Errorf("the offer page does not say whose offer passes: %.600q", body)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#reason`, "Required before her supervised practice", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	shot("offer")
	click(fmt.Sprintf(`form[action="/admin/bookings/%d/offer"] button[type="submit"]`, dee.ID))
	wantAt(t, ctx, fmt.Sprintf("%s/admin/bookings/%d?done=offered", base, dee.ID))
	t.Logf("offer a freed place to a chosen person: %d pages from the first page", pages)

	// 4. Export the list for the first date, and read it back.
	home()
	click(`a[href="/admin/bookings"]`)
	if err := chromedp.Do(ctx, chromedp.SetValue(`#event`, fmt.Sprint(from.ID))); err != nil {
		t.Fatal(err)
	}
	click(`form.filters button[type="submit"]`)
	shot("date")
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('a[href^="/admin/bookings/export.csv"]').getAttribute("href")`))
	if err != nil || !strings.Contains(href, fmt.Sprintf("event=%d", from.ID)) {
		t.Fatalf("the export link for the date: %q %v", href, err)
	}
	csvText, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		fmt.Sprintf(`fetch(%q).then(r => r.ok ? r.text() : "status " + r.status)`, href), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvText, "\ufeff"))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("read the CSV back: %v (%.200q)", err, csvText)
	}
	email, status := slices.Index(recs[0], "email"), slices.Index(recs[0], "status")
	got := map[string]string{}
	for _, r := range recs[1:] {
		got[r[email]] = r[status]
	}
	for who, want := range map[string]string{"kit.moran@example.org": "confirmed", "dee.quinn@example.org": "offered",
		"ola.reyes@example.org": "waitlisted", "sam.hale@example.org": "moved to "} {
		// The booking moved away names its new date, not "cancelled".
		if got[who] != want && !(strings.HasSuffix(want, " ") && strings.HasPrefix(got[who], want) && len(got[who]) > len(want)) {
			t.Errorf("the CSV says %s is %q, want %q (all: %v)", who, got[who], want, got)
		}
	}
	t.Logf("export a date's list: %d pages from the first page", pages)
	if shots != "" { // the form for adding a booking by hand, from the same list
		click(fmt.Sprintf(`a[href="/admin/bookings/new?event=%d"]`, from.ID))
		shot("add-by-hand")
	}

	// Who did all this: the audit log.
	home()
	click(`a[href="/admin/audit"]`)
	if body := text(`#main`); !strings.Contains(body, "Casey Coordinator") || !strings.Contains(body, "Required before her supervised practice") {
		t.Errorf("the audit log does not name the coordinator and the reason: %.600q", body)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#action`, "booking.offer_place", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	click(`form.filters button[type="submit"]`)
	if body := text(`#main`); !strings.Contains(body, "Offered a place out of turn") {
		t.Errorf("the audit log filtered to offers out of turn: %.400q", body)
	}
	shot("audit")
}

// book0 is the ID of the active booking of email.
func book0(t *testing.T, site demoSite, email string) int64 {
	t.Helper()
	var id int64
	if err := site.db.QueryRowContext(t.Context(), `SELECT id FROM bookings WHERE email = $1 AND status NOT IN ('cancelled', 'declined', 'lapsed')`,
		email).Scan(&id); err != nil {
		t.Fatalf("the booking of %s: %v", email, err)
	}
	return id
}
