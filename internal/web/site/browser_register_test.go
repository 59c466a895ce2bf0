package site_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// testRegisterOnPhone takes a day's register on a 390 px phone as the
// coordinator: mark everyone present, change one person to late by
// tapping the label, save; the page fits the phone and axe finds
// nothing.
func testRegisterOnPhone(t *testing.T, ctx context.Context, site demoSite, axeMissing, axeJS string) {
	base := site.url
	site.book(t, "reg.person@example.org")
	_, e, err := site.store.Event(ctx, site.nextEvent)
	if err != nil {
		t.Fatal(err)
	}
	day := fmt.Sprintf("%s/admin/dates/%d/register/%s", base, e.ID, e.Days[0].Date)
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(day)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, staffEmail, chromedp.NodeVisible), chromedp.SendKeys(`#password`, staffPassword)); err != nil {
		t.Fatalf("fill in the sign-in form: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != day {
		t.Fatalf("after signing in the browser is at %s, want the register %s", loc, day)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`input[name="action"][value="present"] ~ .form-actions button`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("mark everyone present: %v", err)
	}
	if msg := mustRun(t, ctx, chromedp.Text(`.notice`, chromedp.NodeVisible)); !strings.Contains(msg, "The register is saved") {
		t.Fatalf("no confirmation after marking everyone present: %q", msg)
	}
	// Tap the first person's "Late" label: a big target, no script.
	if err := chromedp.Do(ctx, chromedp.Click(`.register-row label[for$="-late"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("tap Late: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form.register button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("save: %v", err)
	}
	if msg := mustRun(t, ctx, chromedp.Text(`.notice`, chromedp.NodeVisible)); !strings.Contains(msg, "(1 marks changed)") {
		t.Errorf("after saving one change: %q", msg)
	}
	if !present(t, ctx, `.register-row input[value="late"][checked]`) {
		t.Errorf("the late mark is not shown after saving")
	}
	testPhoneWidthHere(t, ctx)
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	testAxe(t, ctx, day, axeJS)
	testAxe(t, ctx, fmt.Sprintf("%s/admin/dates/%d/register", base, e.ID), axeJS)
}
