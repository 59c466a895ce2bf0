package admin

import (
	"errors"
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

// TestCertificatesUnprintableName: a completion whose name the fonts
// cannot print is listed on the date's certificates with its letters and
// booking, and a coordinator issues it with the name as it should print:
// a name that still cannot print is refused beside the field with what
// was typed kept; a good one is issued (the booking keeps its own name,
// the issue is audited in the coordinator's name) and "send all" e-mails
// it with the others.
func TestCertificatesUnprintableName(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	course := catalogtest.NewCourse(t0)
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&course}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	ev := course.Events[0].ID
	ids := map[string]int64{}
	for _, p := range [][2]string{{"Zoe Angstrom", "zoe@example.org"}, {"王小明", "wang@example.org"}} {
		res, err := a.bookings.Book(ctx, booking.Request{EventID: ev, Name: p[0], Email: p[1], Organisation: "North Clinic",
			Role: "Psychotherapist", SystemChecked: true, FeeTier: "Standard"}, audit.ParticipantOf(0))
		if err != nil {
			t.Fatal(err)
		}
		ids[p[1]] = res.Booking.ID
	}
	wang := ids["wang@example.org"]
	coord := a.addUser(t, "cora@example.org", account.Coordinator)
	tok := a.signIn(t, "cora@example.org", password, "")
	page := fmt.Sprintf("/admin/dates/%d/certificates", ev)
	for _, d := range course.Events[0].Days {
		if res, _ := a.post(t, fmt.Sprintf("/admin/dates/%d/register/%s", ev, d.Date), tok, url.Values{"action": {"present"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("mark everyone present on %s: %d", d.Date, res.StatusCode)
		}
	}
	res, body := a.get(t, page, tok)
	for _, want := range []string{"Names the certificate cannot print", "Letters the certificate cannot print: 王 小 明",
		fmt.Sprintf(`href="/admin/bookings/%d"`, wang), fmt.Sprintf(`<input type="hidden" name="booking" value="%d">`, wang),
		fmt.Sprintf(`href="#u-%d"`, wang), "Not issued yet"} {
		if res.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("the page lacks %q: %d\n%s", want, res.StatusCode, body)
		}
	}
	res, body = a.post(t, page+"/issue", tok, url.Values{"booking": {fmt.Sprint(wang)}, "name": {"Wang 小明"}, "note": {"his passport"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, fmt.Sprintf(`id="name-b%d-error"`, wang)) ||
		!strings.Contains(body, "cannot print: 小 明") || !strings.Contains(body, `value="Wang 小明"`) ||
		!strings.Contains(body, `value="his passport"`) || !strings.Contains(body, fmt.Sprintf(`href="#name-b%d"`, wang)) {
		t.Fatalf("a name still unprintable: %d\n%s", res.StatusCode, body)
	}
	if c, err := a.certificates.ForBooking(ctx, wang); !errors.Is(err, certificates.ErrNotFound) {
		t.Fatalf("issued after a refusal: %+v, %v", c, err)
	}
	res, _ = a.post(t, page+"/issue", tok, url.Values{"booking": {fmt.Sprint(wang)}, "name": {"Wang Xiaoming"}, "note": {"his passport"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != page+"?done=issued" {
		t.Fatalf("issue as Wang Xiaoming: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	cert, err := a.certificates.ForBooking(ctx, wang)
	if err != nil || cert.Name != "Wang Xiaoming" || cert.State != certificates.Valid {
		t.Fatalf("the certificate: %+v, %v", cert, err)
	}
	_, body = a.get(t, page+"?done=issued", tok)
	if strings.Contains(body, "Names the certificate cannot print") || !strings.Contains(body, cert.DisplayCode()) ||
		!strings.Contains(body, "issued with the name as typed") {
		t.Errorf("the page after issue:\n%s", body)
	}
	list, err := a.bookings.List(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range list {
		if b.ID == wang && b.Name != "王小明" {
			t.Errorf("the booking's name became %q", b.Name)
		}
	}
	entries, err := audit.List(ctx, a.db, audit.Filter{Action: "certificate.issue", Object: "certificate", ObjectID: cert.ID})
	if err != nil || len(entries) != 1 || entries[0].Actor != coord.Actor() || entries[0].Reason != "his passport" {
		t.Fatalf("the audit of the issue: %+v, %v", entries, err)
	}
	if res, _ := a.post(t, page+"/send", tok, url.Values{}); res.StatusCode != http.StatusSeeOther ||
		res.Header.Get("Location") != page+"?done=sent&issued=1&queued=2&unprintable=0" {
		t.Fatalf("send all: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	sent, err := a.outbox.List(ctx, messaging.ListFilter{Kind: certificates.KindCertificate, Recipient: "wang@example.org"})
	if err != nil || len(sent) != 1 || sent[0].ToName != "Wang Xiaoming" {
		t.Fatalf("Wang's certificate e-mail: %+v, %v", sent, err)
	}
}
