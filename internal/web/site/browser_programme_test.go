package site_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/messaging"
)

// TestBrowserProgramme is issue 11's "done means" as one journey, from
// the browser alone: a coordinator creates a course (title, texts, a
// fee), adds six monthly dates by the "2nd Tuesday" rule (the preview
// shows six, then "Add these 6 dates"), gives the first date an agenda
// (teaching, lunch, teaching) in its date editor, and publishes the
// course; a visitor books the first date on the public site; the
// coordinator takes that date's register ("mark everyone present"),
// closes it, issues and e-mails the certificates (one e-mail to the
// person booked, through the outbox), and the certificate's code opens
// /verify/{code}: valid, with the course's title and CPD hours.
//
// With PLENARY_SCREENSHOTS set to a directory (docs/images) it saves
// admin-programme-{editor,dates,register,certificates}.png at phone
// width for docs/admin.md:
//
//	PLENARY_SCREENSHOTS=$PWD/docs/images go test ./internal/web/site -run TestBrowserProgramme
func TestBrowserProgramme(t *testing.T) {
	chrome := chromiumPath(t)
	axeJS, axeMissing := axeSource()
	site := startDemoSite(t)
	browser := startBrowser(t, chrome)
	// Its own tab with a longer time limit than journeyTab's: this is
	// the longest journey, eight tasks.
	ctx := journeyTabFor(t, browser, 4*time.Minute)
	base := site.url
	const (
		slug  = "formulation-in-practice"
		title = "Formulation in practice"
	)

	shots := os.Getenv("PLENARY_SCREENSHOTS")
	// At phone width throughout; for screenshots one device pixel to
	// each CSS pixel, to keep the pictures in the docs small.
	screen := phone(ctx)
	if shots != "" {
		screen = chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(1)))
	}
	if screen != nil {
		t.Fatal(screen)
	}
	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "admin-programme-"+name+".png"), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// check runs axe on the page as it is, and checks nothing on it is
	// wider than the phone.
	check := func() {
		t.Helper()
		testPhoneWidthHere(t, ctx)
		if axeMissing == "" {
			axeHere(t, ctx, axeJS)
		}
	}
	click := func(sel string) {
		t.Helper()
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		return mustRun(t, ctx, chromedp.Text(sel, chromedp.NodeVisible))
	}

	// 1. The course: title, texts, a fee; saved as a draft.
	staffSignIn(t, ctx, base)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/courses/new")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#title`, title, chromedp.NodeVisible),
		chromedp.SendKeys(`#slug`, slug),
		chromedp.SendKeys(`#summary`, "A monthly day on case formulation for clinical teams."),
		chromedp.SendKeys(`#about`, "Bring a case: we build a **formulation** together."),
	); err != nil {
		t.Fatalf("fill in the course: %v", err)
	}
	click(`button[name="op"][value="add-fee"]`)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#fee_name_0`, "Standard", chromedp.NodeVisible),
		chromedp.SendKeys(`#fee_amount_0`, "£180.00"),
	); err != nil {
		t.Fatalf("fill in the fee: %v", err)
	}
	click(`form[action="/admin/courses/new"] > .form-actions:last-child button[value="save"]`)
	if got := text(`.notice--success`); !strings.Contains(got, "The course was created") {
		t.Fatalf("after create: %q", got)
	}
	course, err := site.store.CourseBySlug(ctx, slug)
	if err != nil || course.Status == catalog.Published || len(course.Fees) != 1 {
		t.Fatalf("stored after create: %+v (%v)", course, err)
	}
	shot("editor")
	check()

	// 2. Six dates by the monthly rule, from the 2nd Tuesday of a month
	// at least three weeks away.
	london, _ := time.LoadLocation("Europe/London")
	first := time.Now().In(london).AddDate(0, 0, 21)
	for first = time.Date(first.Year(), first.Month(), 1, 12, 0, 0, 0, london); ; first = first.AddDate(0, 1, 0) {
		tue := first
		for tue.Weekday() != time.Tuesday {
			tue = tue.AddDate(0, 0, 1)
		}
		tue = tue.AddDate(0, 0, 7)
		if tue.After(time.Now().AddDate(0, 0, 21)) {
			first = tue
			break
		}
	}
	click(fmt.Sprintf(`a[href="/admin/courses/%d/dates/new"]`, course.ID))
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#format`, "in_person", chromedp.NodeVisible),
		chromedp.SendKeys(`#venue_name`, "North Clinic, Room 2"),
		chromedp.SendKeys(`#day_date_0`, first.Format("2006-01-02")),
		chromedp.SetValue(`#day_start_0`, "10:00"),
		chromedp.SetValue(`#day_end_0`, "16:00"),
		chromedp.Click(`#repeat-monthly`),
		chromedp.SetValue(`#nth`, "2"),
		chromedp.SendKeys(`#count`, "6"),
	); err != nil {
		t.Fatalf("fill in the dates: %v", err)
	}
	click(`button[name="op"][value="preview"]`)
	if got := text(`#preview`); got != "6 dates, the 2nd Tuesday of every month" {
		t.Errorf("the preview's heading: %q", got)
	}
	rows := mustRun(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("table.data-table tbody tr td:first-child")].map(td => td.textContent)`))
	if len(rows) != 6 {
		t.Fatalf("the preview lists %d dates, want 6: %v", len(rows), rows)
	}
	if add := text(`button[name="op"][value="add"]`); add != "Add these 6 dates" {
		t.Errorf("the add button says %q", add)
	}
	shot("dates")
	check()
	click(`button[name="op"][value="add"]`)
	if got := text(`.notice--success`); !strings.Contains(got, "6 dates were added") {
		t.Fatalf("after adding: %q", got)
	}
	course, err = site.store.CourseByID(ctx, course.ID)
	if err != nil || len(course.Events) != 6 {
		t.Fatalf("after adding: %d dates (%v)", len(course.Events), err)
	}
	for i, e := range course.Events {
		d := e.StartsAt.In(london)
		if d.Weekday() != time.Tuesday || (d.Day()-1)/7 != 1 || d.Format("15:04") != "10:00" {
			t.Errorf("date %d is %s, want the 2nd Tuesday at 10:00", i+1, d.Format("Mon 2 Jan 2006 15:04"))
		}
		if i > 0 && d.Month() == course.Events[i-1].StartsAt.In(london).Month() {
			t.Errorf("dates %d and %d fall in the same month", i, i+1)
		}
	}
	ev := course.Events[0]

	// 3. The first date's agenda: teaching, lunch, teaching.
	click(fmt.Sprintf(`a[href="/admin/dates/%d/edit"]`, ev.ID))
	for range 3 {
		click(`button[name="op"][value="add-item-0"]`)
	}
	agenda := []struct{ kind, start, end, title string }{
		{"teaching", "10:00", "12:30", "Building a formulation"},
		{"lunch", "12:30", "13:15", "Lunch"},
		{"teaching", "13:15", "16:00", "Formulation with your own case"},
	}
	for j, a := range agenda {
		if err := chromedp.Do(ctx,
			chromedp.SetValue(fmt.Sprintf(`#a_kind_0_%d`, j), a.kind, chromedp.NodeVisible),
			chromedp.SetValue(fmt.Sprintf(`#a_start_0_%d`, j), a.start),
			chromedp.SetValue(fmt.Sprintf(`#a_end_0_%d`, j), a.end),
			chromedp.SendKeys(fmt.Sprintf(`#a_title_0_%d`, j), a.title),
		); err != nil {
			t.Fatalf("agenda item %d: %v", j+1, err)
		}
	}
	click(`button[name="op"][value="check"]`)
	if got := text(`#told`); !strings.Contains(got, "Nobody will be told") {
		t.Errorf("the check before anyone booked: %q", got)
	}
	click(`button[name="op"][value="save"]`)
	_, ev, err = site.store.Event(ctx, ev.ID)
	if err != nil || len(ev.Days) != 1 || len(ev.Days[0].Agenda) != 3 {
		t.Fatalf("the first date's agenda: %+v (%v)", ev.Days, err)
	}
	hours := certificates.FormatHours(certificates.EventMinutes(ev))
	if certificates.EventMinutes(ev) != 150+165 {
		t.Errorf("CPD minutes of the first date: %d, want 315 (lunch left out)", certificates.EventMinutes(ev))
	}

	// 4. Publish.
	if err := chromedp.Do(ctx, chromedp.Click(`#status-published`, chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	click(fmt.Sprintf(`form[action="/admin/courses/%d"] > .form-actions:last-child button[value="save"]`, course.ID))
	if course, err = site.store.CourseByID(ctx, course.ID); err != nil || course.Status != catalog.Published {
		t.Fatalf("after publishing: %v (%v)", course.Status, err)
	}

	// 5. A visitor books the first date on the public site.
	visitor := newTab(t, browser)
	if resp, err := chromedp.RunResponse(visitor, chromedp.Navigate(base+"/courses/"+slug)); err != nil || resp.Status != 200 {
		t.Fatalf("the public page: %v, %v", resp, err)
	}
	if page := mustRun(t, visitor, chromedp.Text(`main`)); !strings.Contains(page, title) || !strings.Contains(page, "£180.00") {
		t.Errorf("the public page does not show the new course:\n%s", page)
	}
	if resp, err := chromedp.RunResponse(visitor, chromedp.Navigate(fmt.Sprintf("%s/events/%d/book", base, ev.ID))); err != nil || resp.Status != 200 {
		t.Fatalf("the booking form: %v, %v", resp, err)
	}
	if err := chromedp.Do(visitor,
		chromedp.SendKeys(`#name`, "Dr Zoë Ní Bhriain", chromedp.NodeVisible),
		chromedp.SendKeys(`#email`, "zoe@example.org"),
		chromedp.SendKeys(`#organisation`, "East Clinic"),
		chromedp.SendKeys(`#role`, "Clinical psychologist"),
	); err != nil {
		t.Fatalf("fill in the booking form: %v", err)
	}
	for _, sel := range []string{`input[name="fee_tier"]`, `#system_checked`} {
		if present(t, visitor, sel) {
			if err := chromedp.Do(visitor, chromedp.Click(sel)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := chromedp.RunResponse(visitor, chromedp.Click(`.booking-form button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("book: %v", err)
	}
	if got := mustRun(t, visitor, chromedp.Location()); !strings.Contains(got, "/bookings/") {
		t.Fatalf("after booking the visitor is at %s:\n%s", got, mustRun(t, visitor, chromedp.Text(`main`)))
	}
	booked, err := site.bookings.List(ctx, ev.ID)
	if err != nil || len(booked) != 1 || booked[0].Status != booking.Confirmed {
		t.Fatalf("bookings of the first date: %+v (%v)", booked, err)
	}

	// 6. The register of the first date: everyone present, then closed.
	day := fmt.Sprintf("/admin/dates/%d/register/%s", ev.ID, ev.Days[0].Date)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+day)); err != nil {
		t.Fatal(err)
	}
	click(`input[name="action"][value="present"] ~ .form-actions button`)
	if msg := text(`.notice`); !strings.Contains(msg, "The register is saved") {
		t.Fatalf("no confirmation after marking everyone present: %q", msg)
	}
	if !present(t, ctx, `.register-row input[value="present"][checked]`) {
		t.Errorf("the present mark is not shown after saving")
	}
	shot("register")
	check()
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/dates/%d/register", base, ev.ID))); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, fmt.Sprintf("/admin/dates/%d/register/close", ev.ID))
	if msg := text(`.notice`); !strings.Contains(msg, "The register is closed") {
		t.Fatalf("after closing the register: %q", msg)
	}
	if got := statusOf(t, site, booked[0].ID); got != string(booking.Attended) {
		t.Errorf("the booking after closing the register is %s, want attended", got)
	}
	if got := text(`#completed + ul`); !strings.Contains(got, "Dr Zoë Ní Bhriain") {
		t.Errorf("completed so far: %q", got)
	}

	// 7. Certificates: issued and e-mailed, once, from the date's page.
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/dates/%d/people", base, ev.ID))); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/admin/dates/%d/certificates", ev.ID)
	click(fmt.Sprintf(`a[href=%q]`, page))
	submit(t, ctx, page+"/send")
	if msg := text(`.notice--success`); !strings.Contains(msg, "Certificates issued now: 1. E-mails queued now: 1") {
		t.Errorf("after sending: %q", msg)
	}
	sent, err := site.outbox.List(ctx, messaging.ListFilter{Kind: certificates.KindCertificate})
	if err != nil || len(sent) != 1 || sent[0].ToEmail != "zoe@example.org" {
		t.Fatalf("certificate e-mails: %+v (%v)", sent, err)
	}
	code := mustRun(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("tbody tr")]
		.find(r => r.textContent.includes("Zoë")).querySelector('a[href^="/admin/certificates/"]').textContent`))
	shot("certificates")
	check()

	// 8. The code verifies.
	if resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(base+"/verify/"+code)); err != nil || resp.Status != 200 {
		t.Fatalf("/verify/%s: %v, %v", code, resp, err)
	}
	got := mustRun(t, ctx, chromedp.Text(`main`))
	for _, want := range []string{"This certificate is valid", "Dr Zoë Ní Bhriain", title, hours, code} {
		if !strings.Contains(got, want) {
			t.Errorf("the verification page lacks %q:\n%s", want, got)
		}
	}
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
}
