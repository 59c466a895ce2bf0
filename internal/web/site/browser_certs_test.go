package site_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/certificates"
	"plenary/internal/messaging"
)

// confirmedDone stands in for the register on the demo site: everyone
// confirmed on a date completed it, for 390 minutes.
type confirmedDone struct{ bookings *booking.Service }

func (c confirmedDone) Completed(ctx context.Context, eventID int64) ([]certificates.Completion, error) {
	list, err := c.bookings.List(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var out []certificates.Completion
	for _, b := range list {
		if b.Status == booking.Confirmed {
			out = append(out, certificates.Completion{BookingID: b.ID, EventID: eventID, Name: b.Name, Email: b.Email, CPDMinutes: 390})
		}
	}
	return out, nil
}

func (c confirmedDone) Taken(context.Context, int64) (bool, error) { return true, nil }

// testCertificates is a coordinator on a phone issuing a date's
// certificates from the date's page (the e-mails queued once), then
// anyone checking one on /verify by typing its code in lower case. axe
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
	if perPerson["alexandros@example.org"] != 1 {
		t.Errorf("certificate e-mails: %v", perPerson)
	}
	code := mustRun(t, ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("tbody tr")]
		.find(r => r.textContent.includes("Αλέξανδρος")).querySelector('a[href^="/admin/certificates/"]').textContent`))
	shot("certificates")
	testPhoneWidthHere(t, ctx)

	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/verify"),
		chromedp.SendKeys(`#code`, strings.ToLower(code), chromedp.NodeVisible)); err != nil {
		t.Fatal(err)
	}
	submit(t, ctx, "/verify")
	if loc := mustRun(t, ctx, chromedp.Location()); loc != base+"/verify/"+code {
		t.Errorf("the form led to %s", loc)
	}
	got := mustRun(t, ctx, chromedp.Text(`main`))
	for _, want := range []string{"This certificate is valid", "Αλέξανδρος Παπαδόπουλος", code, "6.5"} {
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
	testAxe(t, ctx, base+"/verify/"+code, axeJS)
	testAxe(t, ctx, base+"/verify", axeJS)
}
