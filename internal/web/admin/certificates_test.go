package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/certificates"
	"plenary/internal/messaging"
)

// TestCertificatesPage runs a date's certificates as a coordinator: with
// the register not taken nobody has completed; once it is (everyone
// present), the page lists who completed; "issue and e-mail" twice queues one e-mail
// each; a revocation without a reason is refused beside the field with
// the page still there; a reissue with a corrected name replaces the
// old certificate; every change is audited in the coordinator's name.
func TestCertificatesPage(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	course := catalogtest.NewCourse(t0)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	ev := course.Events[0].ID
	for _, p := range [][2]string{{"Zoe Angstrom", "zoe@example.org"}, {"Дмитрий Шостакович", "dmitri@example.org"}} {
		if _, err := a.bookings.Book(ctx, booking.Request{EventID: ev, Name: p[0], Email: p[1], Organisation: "North Clinic",
			Role: "Psychotherapist", SystemChecked: true, FeeTier: "Standard"}, audit.ParticipantOf(0)); err != nil {
			t.Fatal(err)
		}
	}
	coord := a.addUser(t, "cora@example.org", account.Coordinator)
	tok := a.signIn(t, "cora@example.org", password, "")
	page := fmt.Sprintf("/admin/dates/%d/certificates", ev)

	if res, body := a.get(t, page, tok); res.StatusCode != http.StatusOK || strings.Contains(body, "Not issued yet") {
		t.Fatalf("the page before the register: %d\n%s", res.StatusCode, body)
	}
	for _, d := range course.Events[0].Days {
		res, _ := a.post(t, fmt.Sprintf("/admin/dates/%d/register/%s", ev, d.Date), tok, url.Values{"action": {"present"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("mark everyone present on %s: %d", d.Date, res.StatusCode)
		}
	}
	res, body := a.get(t, page, tok)
	if res.StatusCode != http.StatusOK || strings.Count(body, "Not issued yet") != 2 || !strings.Contains(body, "Дмитрий Шостакович") {
		t.Fatalf("the page before issue: %d\n%s", res.StatusCode, body)
	}
	for i := range 2 {
		res, _ := a.post(t, page+"/send", tok, url.Values{})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("send %d: %d", i+1, res.StatusCode)
		}
	}
	sent, err := a.outbox.List(ctx, messaging.ListFilter{Kind: certificates.KindCertificate})
	if err != nil || len(sent) != 2 {
		t.Fatalf("certificate e-mails queued: %d (%v), want 2", len(sent), err)
	}
	lines, err := a.certificates.ForDate(ctx, ev)
	if err != nil || len(lines) != 2 || lines[0].Certificate == nil {
		t.Fatalf("lines: %+v, %v", lines, err)
	}
	zoe := lines[0].Certificate
	_, body = a.get(t, page+"?done=sent&issued=2&queued=2", tok)
	if !strings.Contains(body, zoe.DisplayCode()) || !strings.Contains(body, "E-mails queued now: 2") {
		t.Errorf("the page after sending:\n%s", body)
	}

	res, body = a.post(t, "/admin/certificates/"+zoe.DisplayCode()+"/revoke", tok, url.Values{"reason": {"  "}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="reason-`+zoe.Code+`-error"`) ||
		!strings.Contains(body, "Say why the certificate is revoked") {
		t.Errorf("revoke without a reason: %d\n%s", res.StatusCode, body)
	}
	res, body = a.post(t, "/admin/certificates/"+zoe.DisplayCode()+"/reissue", tok, url.Values{"name": {""}, "note": {"typo"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="typo"`) {
		t.Errorf("reissue without a name: %d\n%s", res.StatusCode, body)
	}
	res, _ = a.post(t, "/admin/certificates/"+zoe.DisplayCode()+"/reissue", tok, url.Values{"name": {"Zoë Ångström"}, "note": {"accents"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reissue: %d", res.StatusCode)
	}
	old, err := a.certificates.ByCode(ctx, zoe.Code)
	if err != nil || old.State != certificates.Replaced {
		t.Fatalf("the old certificate: %+v, %v", old, err)
	}
	res, _ = a.post(t, "/admin/certificates/"+old.ReplacedCode+"/revoke", tok, url.Values{"reason": {"issued in error"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	_, body = a.get(t, page, tok)
	if !strings.Contains(body, "Revoked (issued in error)") || !strings.Contains(body, "replaced (Zoe Angstrom)") {
		t.Errorf("the page after reissue and revocation:\n%s", body)
	}
	// Dmitri cancels after his certificate was issued: flagged, not revoked.
	dmitri := lines[1]
	if _, err := a.bookings.CancelByID(ctx, dmitri.BookingID, coord.Actor(), booking.CancelOptions{Reason: "moved away"}); err != nil {
		t.Fatal(err)
	}
	_, body = a.get(t, page, tok)
	if strings.Count(body, "booking cancelled — revoke?") != 1 {
		t.Errorf("the cancelled booking's certificate is not flagged once:\n%s", body)
	}
	if c, err := a.certificates.ForBooking(ctx, dmitri.BookingID); err != nil || c.State != certificates.Valid {
		t.Errorf("the flagged certificate: %+v, %v", c, err)
	}
	entries, err := audit.List(ctx, a.db, audit.Filter{Action: "certificate."})
	if err != nil || len(entries) != 5 { // 2 issued, 1 reissue (+ its new certificate), 1 revocation
		t.Fatalf("audit: %d entries, %v", len(entries), err)
	}
	for _, e := range entries {
		if e.Actor != coord.Actor() {
			t.Errorf("%s by %v, want the coordinator", e.Action, e.Actor)
		}
	}
}
