package site_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/certificates"
	"plenary/internal/messaging"
)

// testCertificates is a coordinator on a phone taking the date's
// register (everyone present on every day, from "mark everyone present"),
// then issuing the certificates of those the register says completed
// from the date's page (the e-mails queued once), then anyone checking
// one on /verify by typing its code in lower case. axe
// checks the staff page and the verification page; both fit a 390 px
// phone. With PLENARY_SCREENSHOTS it saves admin-certificates.png and
// admin-verify.png for docs/admin.md.
func testCertificates(t *testing.T, ctx context.Context, site demoSite, axeMissing, axeJS string) {
	base := site.url
	if _, err := site.bookings.Book(ctx, booking.Request{EventID: site.nextEvent, Name: "Αλέξανδρος Παπαδόπουλος",
		Email: "alexandros@example.org", Organisation: "North Clinic", Role: "Clinical psychologist", FeeTier: "Standard",
		SystemChecked: true, Answers: map[string]string{"training_completed": "2020-01-15"}}, audit.ParticipantOf(0)); err != nil {
		t.Fatal(err)
	}
	// A name the certificate's fonts cannot print: issued by hand below.
	wang, err := site.bookings.Book(ctx, booking.Request{EventID: site.nextEvent, Name: "王小明",
		Email: "wang@example.org", Organisation: "North Clinic", Role: "Clinical psychologist", FeeTier: "Standard",
		SystemChecked: true, Answers: map[string]string{"training_completed": "2020-01-15"}}, audit.ParticipantOf(0))
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("PLENARY_SCREENSHOTS")
	if shots != "" {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(1))); err != nil {
			t.Fatal(err)
		}
	} else if err := phone(ctx); err != nil {
		t.Fatal(err)
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
		if err := os.WriteFile(filepath.Join(shots, "admin-"+name+".png"), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	staffSignIn(t, ctx, base)
	_, e, err := site.store.Event(ctx, site.nextEvent)
	if err != nil {
		t.Fatal(err)
	}
	// Before the register is taken nobody has completed: no certificate.
	if got, err := site.register.Completed(ctx, e.ID); err != nil || slices.ContainsFunc(got, func(c certificates.Completion) bool {
		return c.Email == "alexandros@example.org"
	}) {
		t.Fatalf("completed before the register: %+v, %v", got, err)
	}
	// The register, day by day: everyone not yet marked becomes present.
	for _, d := range e.Days {
		day := fmt.Sprintf("%s/admin/dates/%d/register/%s", base, e.ID, d.Date)
		if err := chromedp.Do(ctx, chromedp.Navigate(day)); err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`input[name="action"][value="present"] ~ .form-actions button`, chromedp.NodeVisible)); err != nil {
			t.Fatalf("mark everyone present on %s: %v", d.Date, err)
		}
		if msg := mustRun(t, ctx, chromedp.Text(`.notice`, chromedp.NodeVisible)); !strings.Contains(msg, "The register is saved") {
			t.Fatalf("%s: no confirmation after marking everyone present: %q", d.Date, msg)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/dates/%d/register", base, e.ID))); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, ctx, chromedp.Text(`main`)); !strings.Contains(got, "Αλέξανδρος Παπαδόπουλος") {
		t.Errorf("the date's register does not list Αλέξανδρος among those who completed:\n%s", got)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/admin/dates/%d/people", base, site.nextEvent))); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/admin/dates/%d/certificates", site.nextEvent)
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(fmt.Sprintf(`a[href=%q]`, page), chromedp.NodeVisible)); err != nil {
		t.Fatalf("open the certificates: %v", err)
	}
	for range 2 {
		submit(t, ctx, page+"/send")
	}
	if msg := mustRun(t, ctx, chromedp.Text(`.notice--success`, chromedp.NodeVisible)); !strings.Contains(msg, "E-mails queued now: 0") {
		t.Errorf("the second press: %q", msg)
	}
	sent, err := site.outbox.List(ctx, messaging.ListFilter{Kind: certificates.KindCertificate})
	if err != nil {
		t.Fatal(err)
	}
	perPerson := map[string]int{}
	for _, m := range sent {
		perPerson[m.ToEmail]++
	}
	if perPerson["alexandros@example.org"] != 1 || perPerson["wang@example.org"] != 0 {
		t.Errorf("certificate e-mails: %v", perPerson)
	}
	code := mustRun(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("tbody tr")]
		.find(r => r.textContent.includes("Αλέξανδρος")).querySelector('a[href^="/admin/certificates/"]').textContent`))
	shot("certificates")
	testPhoneWidthHere(t, ctx)

	// 王小明 was not issued: listed with the letters, and issued with
	// the name as it should print, typed into the page's form (a name
	// still unprintable first: refused beside the field, the text kept).
	if got := mustRun(t, ctx, chromedp.Text(`main`)); !strings.Contains(got, "Names the certificate cannot print") ||
		!strings.Contains(got, "Letters the certificate cannot print: 王 小 明") {
		t.Fatalf("the unprintable name is not listed:\n%s", got)
	}
	if axeMissing == "" { // axe on the page with the form (it loads the page again)
		testAxe(t, ctx, base+page, axeJS)
	}
	field := fmt.Sprintf("#name-b%d", wang.Booking.ID)
	submit(t, ctx, page+"/issue", chromedp.SendKeys(field, "Wang 小明", chromedp.NodeVisible))
	if msg := mustRun(t, ctx, chromedp.Text(field+"-error", chromedp.NodeVisible)); !strings.Contains(msg, "cannot print: 小 明") {
		t.Errorf("a name still unprintable: %q", msg)
	}
	if v := mustRun(t, ctx, chromedp.Value(field)); v != "Wang 小明" {
		t.Errorf("the name typed became %q", v)
	}
	testPhoneWidthHere(t, ctx)
	submit(t, ctx, page+"/issue", chromedp.SetValue(field, "Wang Xiaoming", chromedp.NodeVisible))
	if msg := mustRun(t, ctx, chromedp.Text(`.notice--success`, chromedp.NodeVisible)); !strings.Contains(msg, "issued with the name as typed") {
		t.Errorf("after issuing with a name: %q", msg)
	}
	submit(t, ctx, page+"/send")
	wangCode := mustRun(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("tbody tr")]
		.find(r => r.textContent.includes("王小明")).querySelector('a[href^="/admin/certificates/"]').textContent`))
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/verify/"+wangCode)); err != nil {
		t.Fatal(err)
	}
	if got := mustRun(t, ctx, chromedp.Text(`main`)); !strings.Contains(got, "This certificate is valid") || !strings.Contains(got, "Wang Xiaoming") {
		t.Errorf("the verification of the certificate issued by hand:\n%s", got)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/verify"),
		chromedp.SendKeys(`#code`, strings.ToLower(code), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "/verify")
	if loc := mustRun(t, ctx, chromedp.Location()); loc != base+"/verify/"+code {
		t.Errorf("the form led to %s", loc)
	}
	got := mustRun(t, ctx, chromedp.Text(`main`))
	hours := certificates.FormatHours(certificates.EventMinutes(e))
	for _, want := range []string{"This certificate is valid", "Αλέξανδρος Παπαδόπουλος", code, hours} {
		if !strings.Contains(got, want) {
			t.Errorf("the verification page lacks %q:\n%s", want, got)
		}
	}
	shot("verify")
	testPhoneWidthHere(t, ctx)
	if axeMissing != "" {
		missing(t, "%s", axeMissing)
	}
	testAxe(t, ctx, base+page, axeJS)
	testAxe(t, ctx, base+"/verify/"+wangCode, axeJS)
	testAxe(t, ctx, base+"/verify/"+code, axeJS)
	testAxe(t, ctx, base+"/verify", axeJS)
}
