package site_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"plenary/internal/account"
	"plenary/internal/audit"
)

// testStaffAccounts is an admin on a phone, at night, told that a trainer
// has left: sign in (the staff area brings them back to the staff
// accounts), open the trainer's account from the list, disable it (the
// page says so and offers to enable it again; nothing is wider than the
// phone), enable it again. axe checks the account's page and the list.
func testStaffAccounts(t *testing.T, ctx context.Context, site demoSite, axeMissing, axeJS string) {
	base := site.url
	accounts := account.New(account.Options{DB: site.db, FastHashes: true})
	tom, err := accounts.AddUser(ctx, audit.CommandLine("test"), account.Profile{Email: "tom.trainer@example.org",
		Name: "Tom Trainer", Role: account.Trainer}, staffPassword, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/admin/staff")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#email`, adminEmail, chromedp.NodeVisible), chromedp.SendKeys(`#password`, staffPassword)); err != nil {
		t.Fatalf("fill in the sign-in form: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="/admin/login"] button[type="submit"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	list := mustRun(t, ctx, chromedp.Text(`main`))
	if !strings.Contains(list, "Staff accounts") || !strings.Contains(list, "Tom Trainer") || !strings.Contains(list, "Casey Coordinator") {
		t.Fatalf("after signing in, not the staff accounts:\n%s", list)
	}
	page := fmt.Sprintf("/admin/staff/%d", tom.ID)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`a[href="`+page+`"]`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("open Tom's account: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="`+page+`/disable"] button`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if msg := mustRun(t, ctx, chromedp.Text(`[role="status"]`, chromedp.NodeVisible)); !strings.Contains(msg, "Disabled: they cannot sign in") {
		t.Errorf("after disabling, the notice says %q", msg)
	}
	if u, err := accounts.User(ctx, tom.ID); err != nil || !u.Disabled {
		t.Fatalf("Tom's account after disabling: %+v, %v", u, err)
	}
	testPhoneWidthHere(t, ctx)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(`form[action="`+page+`/enable"] button`, chromedp.NodeVisible)); err != nil {
		t.Fatalf("enable: %v", err)
	}
	if u, err := accounts.User(ctx, tom.ID); err != nil || u.Disabled {
		t.Errorf("Tom's account after enabling: %+v, %v", u, err)
	}
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	testAxe(t, ctx, base+page, axeJS)
	testAxe(t, ctx, base+"/admin/staff", axeJS)
	testPhoneWidthHere(t, ctx)
}
