package site_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/messaging"
)

// TestBrowserDates: a coordinator adds three Tuesday dates to a draft
// course by a weekly rule across the end of BST — the preview shows
// 10:00 UK time in BST, then in GMT — adds them, publishes the course, a
// visitor books the first date on the public site, and the coordinator
// moves that date's start to 11:00: "Check the changes" says one person
// will be told and shows their notice; "Save and tell 1 person" queues it
// and it is in the mail log with the new time.
func TestBrowserDates(t *testing.T) {
	chrome := chromiumPath(t)
	axeJS, axeMissing := axeSource()
	site := startDemoSite(t)
	browser := startBrowser(t, chrome)
	ctx := journeyTab(t, browser)
	base := site.url

	// A draft course with no dates, free, made as an import would.
	now := time.Now()
	course := catalogtest.NewCourse(now)
	course.Slug, course.Title, course.Status, course.Fees, course.Events = "dates-journey", "Dates journey", catalog.Draft, nil, nil
	if _, err := site.store.Save(t.Context(), []*catalog.Course{&course}, catalogtest.Options(now)); err != nil {
		t.Fatal(err)
	}
	// The Tuesday twelve days before the next end of BST (the last Sunday
	// of October) at least a fortnight away, and the two after it.
	london, _ := time.LoadLocation("Europe/London")
	year := now.Year()
	if now.Month() >= time.October {
		year++
	}
	end := time.Date(year, time.October, 31, 12, 0, 0, 0, london)
	for end.Weekday() != time.Sunday {
		end = end.AddDate(0, 0, -1)
	}
	first := end.AddDate(0, 0, -12)

	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/courses/%d/dates/new", base, course.ID))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, staffEmail, chromedp.NodeVisible), chromedp.SendKeys(`#password`, staffPassword)); err != nil {
		t.Fatalf("fill in the sign-in form: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#format`, "in_person", chromedp.NodeVisible),
		chromedp.SendKeys(`#venue_name`, "North Clinic, Room 2"),
		chromedp.SendKeys(`#day_date_0`, first.Format("2006-01-02")),
		chromedp.SetValue(`#day_start_0`, "10:00"),
		chromedp.SetValue(`#day_end_0`, "16:00"),
		chromedp.Click(`#repeat-weekly`),
		chromedp.SendKeys(`#count`, "3"),
	); err != nil {
		t.Fatalf("fill in the dates: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button[name="op"][value="preview"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("preview: %v", err)
	}
	preview := mustRun(t, ctx, chromedp.Text(`main`))
	for _, want := range []string{"3 dates, every Tuesday", "10:00–16:00 UK time (BST)", "10:00–16:00 UK time (GMT)"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview does not say %q:\n%s", want, preview)
		}
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button[name="op"][value="add"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("add the dates: %v", err)
	}
	if got := mustRun(t, ctx, chromedp.Text(`.notice--success`, chromedp.NodeVisible)); !strings.Contains(got, "3 dates were added") {
		t.Fatalf("after adding: %q", got)
	}
	// Publish.
	if err := chromedp.Do(ctx, chromedp.Click(`#status-published`, chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(fmt.Sprintf(`form[action="/admin/courses/%d"] > .form-actions:last-child button[value="save"]`, course.ID), chromedp.NodeVisible)); err != nil {
		t.Fatalf("publish: %v", err)
	}
	c, err := site.store.CourseByID(t.Context(), course.ID)
	if err != nil || c.Status != catalog.Published || len(c.Events) != 3 {
		t.Fatalf("after publishing: %v, %d dates (%v)", c.Status, len(c.Events), err)
	}
	for _, e := range c.Events {
		if got := e.StartsAt.In(london).Format("15:04"); got != "10:00" {
			t.Errorf("date %s starts at %s UK time", e.Ref, got)
		}
	}
	ev := c.Events[0]

	// A visitor books the first date.
	visitor := newTab(t, browser)
	if resp, err := chromedp.RunResponse(visitor, chromedp.Navigate(fmt.Sprintf("%s/events/%d/book", base, ev.ID))); err != nil || resp.Status != 200 {
		t.Fatalf("the booking form: %v, %v", resp, err)
	}
	if err := chromedp.Do(visitor,
		chromedp.SendKeys(`#name`, "Dr Sam Reed", chromedp.NodeVisible),
		chromedp.SendKeys(`#email`, "sam.reed@example.org"),
		chromedp.SendKeys(`#organisation`, "East Clinic"),
		chromedp.SendKeys(`#role`, "Psychotherapist"),
	); err != nil {
		t.Fatalf("fill in the booking form: %v", err)
	}
	if present(t, visitor, `#system_checked`) {
		if err := chromedp.Do(visitor, chromedp.Click(`#system_checked`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := chromedp.RunResponse(visitor, chromedp.Click(`.booking-form button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("book: %v", err)
	}
	if got := mustRun(t, visitor, chromedp.Location()); !strings.Contains(got, "/bookings/") {
		t.Fatalf("after booking the visitor is at %s:\n%s", got, mustRun(t, visitor, chromedp.Text(`main`)))
	}

	// The coordinator moves the booked date's start to 11:00.
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/dates/%d/edit", base, ev.ID))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(`#day_start_0`, "11:00", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button[name="op"][value="check"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("check: %v", err)
	}
	check := mustRun(t, ctx, chromedp.Text(`main`))
	for _, want := range []string{"1 person will be told", "The notice as Dr Sam Reed will read it", "11:00–16:00", "Save and tell 1 person"} {
		if !strings.Contains(check, want) {
			t.Errorf("the check does not say %q:\n%s", want, check)
		}
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button[name="op"][value="save"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("save: %v", err)
	}
	msgs, err := site.outbox.List(t.Context(), messaging.ListFilter{Kind: "event_changed", Recipient: "sam.reed@example.org"})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("change notices to the person booked: %d (%v)", len(msgs), err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/messages/%d", base, msgs[0].ID))); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, ctx, chromedp.Text(`main`)); !strings.Contains(got, "11:00–16:00") || !strings.Contains(got, "sam.reed@example.org") {
		t.Errorf("the mail log's notice:\n%s", got)
	}

	// Both forms pass axe, on a desktop and at phone width, and nothing on
	// them is wider than a phone.
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	pages := []string{fmt.Sprintf("%s/admin/courses/%d/dates/new", base, course.ID), fmt.Sprintf("%s/admin/dates/%d/edit", base, ev.ID)}
	for _, u := range pages {
		testAxe(t, ctx, u, axeJS)
	}
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range pages {
		testAxe(t, ctx, u, axeJS)
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
		testPhoneWidthHere(t, ctx)
	}
}
