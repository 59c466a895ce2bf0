package site_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserCourseEditor: a coordinator creates a course from the
// browser — title, address, a text checked with Preview, a fee added with
// "Add a fee", completion by 80 % of the teaching time, a feedback link,
// published — and a visitor without a session sees it on
// the public site. axe checks the editor on a desktop and at phone
// width, and nothing on it is wider than a phone.
func TestBrowserCourseEditor(t *testing.T) {
	chrome := chromiumPath(t)
	axeJS, axeMissing := axeSource()
	site := startDemoSite(t)
	browser := startBrowser(t, chrome)
	ctx := journeyTab(t, browser)
	base := site.url

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/courses/new")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, staffEmail, chromedp.NodeVisible), chromedp.SendKeys(`#password`, staffPassword)); err != nil {
		t.Fatalf("fill in the sign-in form: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#title`, "Mentalization for teams", chromedp.NodeVisible),
		chromedp.SendKeys(`#slug`, "mentalization-for-teams"),
		chromedp.SendKeys(`#summary`, "A day on mentalizing in multidisciplinary teams."),
		chromedp.SendKeys(`#about`, "What **teams** learn."),
	); err != nil {
		t.Fatalf("fill in the course: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button[name="op"][value="preview"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("preview: %v", err)
	}
	if got := mustRun(t, ctx, chromedp.Text(`.preview strong`, chromedp.NodeVisible)); got != "teams" {
		t.Errorf("preview shows %q, want the bold word", got)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`button[name="op"][value="add-fee"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("add a fee: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#fee_name_0`, "Standard", chromedp.NodeVisible),
		chromedp.SendKeys(`#fee_amount_0`, "£240.00"),
		chromedp.Click(`#status-published`),
		// Completion by teaching time, and the feedback form.
		chromedp.Click(`#completion-percent`),
		chromedp.SendKeys(`#completion_percent`, "80"),
		chromedp.SendKeys(`#feedback_url`, "https://forms.example.org/mentalization"),
	); err != nil {
		t.Fatalf("fill in the fee, completion and feedback link, and publish: %v", err)
	}
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/courses/new"] > .form-actions:last-child button[value="save"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("create: %v", err)
	}
	if got := mustRun(t, ctx, chromedp.Text(`.notice--success`, chromedp.NodeVisible)); !strings.Contains(got, "The course was created") {
		t.Fatalf("after create: %q", got)
	}
	editor := mustRun(t, ctx, chromedp.Location())
	if c, err := site.store.CourseBySlug(ctx, "mentalization-for-teams"); err != nil || c.CompletionPercent != 80 ||
		c.FeedbackURL != "https://forms.example.org/mentalization" {
		t.Errorf("stored: completion %d%%, feedback link %q (%v)", c.CompletionPercent, c.FeedbackURL, err)
	}

	// A visitor without a session is served the same page (the page
	// cache is skipped only for staff): over plain HTTP first, then in
	// the browser.
	hres, err := (&http.Client{Timeout: 20 * time.Second}).Get(base + "/courses/mentalization-for-teams")
	if err != nil || hres.StatusCode != http.StatusOK {
		t.Fatalf("the public page for a visitor: %v, %v", hres, err)
	}
	body, _ := io.ReadAll(hres.Body)
	hres.Body.Close()
	if !strings.Contains(string(body), "Mentalization for teams") {
		t.Errorf("the visitor's page lacks the course's title")
	}
	visitor := newTab(t, browser)
	if resp, err := chromedp.Run(visitor, chromedp.NavigateResponse(base+"/courses/mentalization-for-teams")); err != nil || resp.Status != 200 {
		t.Fatalf("the public page: %v, %v", resp, err)
	}
	page := mustRun(t, visitor, chromedp.Text(`main`))
	if !strings.Contains(page, "Mentalization for teams") || !strings.Contains(page, "What teams learn.") || !strings.Contains(page, "£240.00") {
		t.Errorf("the public page does not show the new course:\n%s", page)
	}

	testAxe(t, ctx, editor, axeJS)
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	testAxe(t, ctx, editor, axeJS)
	if err := chromedp.Do(ctx, chromedp.Navigate(editor)); err != nil {
		t.Fatal(err)
	}
	testPhoneWidthHere(t, ctx)
}
