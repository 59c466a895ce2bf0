package site_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// testStaffDesk is the coordinator's journey through the bookings desk:
// sign in, open the bookings of a date, search for a person, open their
// booking, and export the date's list as CSV, read back as a spreadsheet
// program would. axe checks the list and the booking page, on a desktop
// and at a phone's width.

func testStaffDesk(t *testing.T, ctx context.Context, base, axeJS string, eventID int64) {
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/login")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, staffEmail, chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#password`, staffPassword, chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	// From the first page to the desk, then the date.
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`a[href="/admin/bookings"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("open the desk from the first page: %v", err)
	}
	list := fmt.Sprintf("%s/admin/bookings?event=%d", base, eventID)
	testAxe(t, ctx, list, axeJS)
	// The three booked when the site started, and any the other journeys
	// running alongside have added since.
	h, err := chromedp.Run(ctx, chromedp.Text(`#results`, chromedp.NodeVisible))
	var found int
	if _, serr := fmt.Sscanf(h, "%d bookings found", &found); err != nil || serr != nil || found < 3 {
		t.Fatalf("the date's list says %q (%v), want at least 3 bookings", h, err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Text(`#date-title + p + p`, chromedp.NodeVisible)); !strings.Contains(got, " confirmed, ") || !strings.Contains(got, "places left") {
		t.Errorf("the date's places: %q", got)
	}

	// Search for one person by e-mail address, as typed in any case.
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#q`, "KIM.LOWE", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form.filters button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("search: %v", err)
	}
	if h, _ := chromedp.Run(ctx, chromedp.Text(`#results`, chromedp.NodeVisible)); !strings.HasPrefix(h, "1 booking found") {
		t.Fatalf("the search found %q, want 1 booking", h)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`table.data-table tbody a`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("open the booking: %v", err)
	}
	page, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasPrefix(page, base+"/admin/bookings/") {
		t.Fatalf("the booking's link went to %s", page)
	}
	if body, err := chromedp.Run(ctx, chromedp.Text(`#main`, chromedp.NodeVisible)); !strings.Contains(body, "kim.lowe@example.org") ||
		!strings.Contains(body, "Timeline") || !strings.Contains(body, "Booking made") {
		t.Errorf("the booking page lacks the person or their timeline (%v): %.300q", err, body)
	}
	testAxe(t, ctx, page, axeJS)

	// The export, fetched in the signed-in page as a download would be.
	csvText, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		fmt.Sprintf(`fetch("/admin/bookings/export.csv?event=%d").then(r => r.ok ? r.text() : "status " + r.status)`, eventID),
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("fetch the CSV: %v", err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvText, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("read the CSV back: %v (%.100q)", err, csvText)
	}
	if len(recs) < 4 || recs[0][0] != "id" {
		t.Fatalf("the CSV has %d records, header %q; want a header and at least 3 bookings", len(recs), recs[0])
	}
	email := slices.Index(recs[0], "email")
	var emails []string
	for _, r := range recs[1:] {
		emails = append(emails, r[email])
	}
	if !slices.Contains(emails, "kim.lowe@example.org") {
		t.Errorf("the CSV's addresses: %q", emails)
	}

	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	testAxe(t, ctx, list, axeJS)
	testPhoneWidth(t, ctx, list)
	testAxe(t, ctx, page, axeJS)
	testPhoneWidth(t, ctx, page)
	// The page views (the coordinator may edit courses): the funnel's
	// table scrolls in its own region on a phone.
	views := base + "/admin/analytics"
	testAxe(t, ctx, views, axeJS)
	testPhoneWidth(t, ctx, views)
	if text := mustRun(t, ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`)); !strings.Contains(text, "12") ||
		!strings.Contains(text, "25% of page views") {
		t.Errorf("/admin/analytics does not show the demo's views:\n%s", text)
	}
}
