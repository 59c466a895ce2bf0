package site

import (
	"context"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/certificates"
)

// everyoneCompleted is the tests' stand-in for the register: everyone
// confirmed on a date completed it, for 390 minutes.
type everyoneCompleted struct{ bookings *booking.Service }

func (e everyoneCompleted) Completed(ctx context.Context, eventID int64) ([]certificates.Completion, error) {
	list, err := e.bookings.List(ctx, eventID)
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

func (e everyoneCompleted) Taken(context.Context, int64) (bool, error) { return true, nil }

// certificateSite is the booking test site with certificates on.
func certificateSite(t *testing.T) (*testSite, *certificates.Issuer) {
	t.Helper()
	var certs *certificates.Issuer
	ts := newTestSiteWith(t, testNow, func(o *testOptions) {
		certs = certificates.NewIssuer(certificates.IssuerOptions{DB: o.DB, Events: o.Site.Catalog,
			Completions: everyoneCompleted{o.Site.Bookings}, BaseURL: o.BaseURL, Provider: "North Clinic Training",
			Now: o.Now})
		o.Site.Certificates = certs
	}, bookingCourses(t)...)
	return ts, certs
}

// TestVerifyPages follows a certificate from issue to revocation on the
// public side: the manage page offers the PDF only once one is issued and
// while it is valid; the verification page shows every printed field and
// the state — valid, replaced (with a link to the reissue), revoked (with
// when, never why) — sets no cookie, and answers an unknown code with a
// plain 404; the form takes a code as typed and keeps what was typed when
// it cannot be a code.
func TestVerifyPages(t *testing.T) {
	t.Parallel()
	ts, certs := certificateSite(t)
	june := ts.event(t, "dit-refresher", "june")
	manage := ts.book(t, june, ditForm("Zoë Ångström-Núñez", "zoe@example.org"))

	_, body := ts.get(t, manage)
	if strings.Contains(body, "Download your certificate") {
		t.Error("the manage page offers a certificate before one is issued")
	}
	if res, _ := ts.get(t, manage+"/certificate"); res.StatusCode != http.StatusNotFound {
		t.Errorf("certificate before issue: %d, want 404", res.StatusCode)
	}

	done, err := everyoneCompleted{ts.bookings}.Completed(context.Background(), june)
	if err != nil || len(done) != 1 {
		t.Fatalf("completions: %v, %v", done, err)
	}
	staff := audit.StaffMember(1, "Cora Coordinator")
	first, _, err := certs.Issue(context.Background(), done[0], staff)
	if err != nil {
		t.Fatal(err)
	}
	code := first.DisplayCode()

	_, body = ts.get(t, manage)
	if !strings.Contains(body, "Download your certificate") || !strings.Contains(body, manage+"/certificate") {
		t.Errorf("the manage page does not offer the certificate:\n%s", body)
	}
	res, pdf := ts.get(t, manage+"/certificate")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), certificates.FileName(first)) {
		t.Fatalf("download: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
	}
	if text := pdfToText(t, []byte(pdf)); !strings.Contains(text, "Zoë Ångström-Núñez") || !strings.Contains(text, code) {
		t.Errorf("the downloaded PDF reads:\n%s", text)
	}

	res, body = ts.get(t, "/verify/"+code)
	if res.StatusCode != http.StatusOK || len(res.Cookies()) > 0 {
		t.Fatalf("verify: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	for _, want := range []string{"This certificate is valid", "Zoë Ångström-Núñez", "DIT refresher", first.Dates, "6.5",
		"North Clinic Training", code} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("the valid certificate's page lacks %q", want)
		}
	}

	res, _ = ts.get(t, "/verify?code="+strings.ToLower(first.Code))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/verify/"+code {
		t.Errorf("the form's code: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = ts.get(t, "/verify?code=not+a+code")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="not a code"`) ||
		!strings.Contains(body, "Type the ten letters and digits") {
		t.Errorf("a bad code in the form: %d\n%s", res.StatusCode, body)
	}
	for _, path := range []string{"/verify/ZZZZZ-ZZZZZ", "/verify/nonsense"} {
		res, body := ts.get(t, path)
		if res.StatusCode != http.StatusNotFound || strings.Contains(body, "revoked") || strings.Contains(body, "valid") {
			t.Errorf("%s: %d\n%s", path, res.StatusCode, body)
		}
	}

	fresh, err := certs.Reissue(context.Background(), first.Code, "Zoë Ångström", "spelling", staff)
	if err != nil {
		t.Fatal(err)
	}
	_, body = ts.get(t, "/verify/"+code)
	if !strings.Contains(body, "This certificate was replaced") || !strings.Contains(body, `href="/verify/`+fresh.DisplayCode()+`"`) {
		t.Errorf("the replaced certificate's page:\n%s", body)
	}
	_, body = ts.get(t, "/verify/"+fresh.DisplayCode())
	if !strings.Contains(body, "This certificate is valid") || !strings.Contains(html.UnescapeString(body), "Zoë Ångström<") {
		t.Errorf("the reissue's page:\n%s", body)
	}

	if _, err := certs.Revoke(context.Background(), fresh.Code, "a private matter of health", staff); err != nil {
		t.Fatal(err)
	}
	_, body = ts.get(t, "/verify/"+fresh.DisplayCode())
	if !strings.Contains(body, "This certificate was revoked") || !strings.Contains(body, "revoked it on 1 May 2022") ||
		strings.Contains(body, "private matter") {
		t.Errorf("the revoked certificate's page:\n%s", body)
	}
	_, body = ts.get(t, manage)
	if strings.Contains(body, "Download your certificate") {
		t.Error("the manage page offers a revoked certificate")
	}
	if res, _ := ts.get(t, manage+"/certificate"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a revoked certificate's download: %d, want 404", res.StatusCode)
	}
}

// TestCancelledBookingNoCertificate: a booking cancelled after its
// certificate was issued is no longer offered the download (the
// certificate itself stays valid until staff decide).
func TestCancelledBookingNoCertificate(t *testing.T) {
	t.Parallel()
	ts, certs := certificateSite(t)
	june := ts.event(t, "dit-refresher", "june")
	manage := ts.book(t, june, ditForm("Zoë Ångström-Núñez", "zoe@example.org"))
	done, err := everyoneCompleted{ts.bookings}.Completed(context.Background(), june)
	if err != nil || len(done) != 1 {
		t.Fatalf("completions: %v, %v", done, err)
	}
	if _, _, err := certs.Issue(context.Background(), done[0], audit.StaffMember(1, "Cora Coordinator")); err != nil {
		t.Fatal(err)
	}
	if res, _ := ts.get(t, manage+"/certificate"); res.StatusCode != http.StatusOK {
		t.Fatalf("download while confirmed: %d", res.StatusCode)
	}
	if _, err := ts.bookings.Cancel(context.Background(), strings.TrimPrefix(manage, "/bookings/")); err != nil {
		t.Fatal(err)
	}
	if _, body := ts.get(t, manage); strings.Contains(body, "Download your certificate") {
		t.Error("the manage page offers a cancelled booking's certificate")
	}
	if res, _ := ts.get(t, manage+"/certificate"); res.StatusCode != http.StatusNotFound {
		t.Errorf("a cancelled booking's download: %d, want 404", res.StatusCode)
	}
}

// pdfToText reads a PDF back with pdftotext (Debian's poppler-utils).
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext is not installed (Debian: apt-get install poppler-utils); the PDF's text cannot be read back")
	}
	path := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
