package site_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// testPersonData is an admin answering a person's request: sign in, find
// what is held about an address typed in another case, press Erase
// without ticking the confirmation (the message is beside the box and
// nothing is erased). axe checks the page found, on a desktop and at
// phone width.
func testPersonData(t *testing.T, ctx context.Context, site demoSite, axeMissing, axeJS string) {
	base := site.url
	site.book(t, "pat.person@example.org")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/people")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, adminEmail, chromedp.NodeVisible), chromedp.SendKeys(`#password`, staffPassword)); err != nil {
		t.Fatalf("fill in the sign-in form: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, "PAT.Person@example.org", chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/people"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("find: %v", err)
	}
	found := mustRun(t, ctx, chromedp.Text(`main`))
	if !strings.Contains(found, "What is held about PAT.Person@example.org") || !present(t, ctx, `a[download][href^="/admin/people/export?"]`) {
		t.Fatalf("the page found nothing:\n%s", found)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/people/erase"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("erase: %v", err)
	}
	if msg := mustRun(t, ctx, chromedp.Text(`#confirm-error`, chromedp.NodeVisible)); !strings.Contains(msg, "Tick the box") {
		t.Errorf("no message beside the box: %q", msg)
	}
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	// axe opens pages by GET: the page found (the erase form's error
	// state is a POST's answer, in the markup every staff form uses).
	testAxe(t, ctx, base+"/admin/people?email=pat.person%40example.org", axeJS)
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	testAxe(t, ctx, base+"/admin/people?email=pat.person%40example.org", axeJS)
	testPhoneWidthHere(t, ctx)
}
