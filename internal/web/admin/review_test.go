package admin

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
)

// TestDeskHidesMoneyFromCoordinator: without invoices:read the desk
// neither offers nor applies the invoice filter, the status "refund due"
// or a search by invoice number; the booking's timeline does not say the
// payment changed; the audit log (page and CSV) hides the amount and
// reference of a payment. Finance sees all of it.
func TestDeskHidesMoneyFromCoordinator(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	paid := d.book(t, d.other, "Pam Paid", "", "")
	d.book(t, d.other, "Uma Unpaid", "", "")
	if paid.Payment != booking.Invoice || paid.InvoiceNumber == 0 {
		t.Fatalf("fixture: payment %s, invoice %d", paid.Payment, paid.InvoiceNumber)
	}
	if _, err := d.bookings.MarkPaid(ctx, paid.ID, audit.StaffMember(1, "Finance"), booking.Receipt{Amount: 12345,
		On: catalog.Date{Year: 2026, Month: 11, Day: 30}, Reference: "BANKREF-4242"}); err != nil {
		t.Fatal(err)
	}
	coord, fin := d.tokens["coord"], d.tokens["finance"]
	inv := fmt.Sprintf("INV-%06d", paid.InvoiceNumber)

	for _, c := range []struct{ query, coord, finance string }{
		{"invoice=unpaid", "2 bookings found", "1 booking found"},
		{"invoice=paid", "2 bookings found", "1 booking found"},
		{"status=refund_due", "2 bookings found", "0 bookings found"},
		{"q=" + inv, "0 bookings found", "1 booking found"},
	} {
		res, body := d.get(t, "/admin/bookings?"+c.query, coord)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("coordinator %s: %d", c.query, res.StatusCode)
		}
		wantIn(t, "coordinator's "+c.query, body, c.coord)
		wantOut(t, "coordinator's "+c.query, body, `id="invoice"`, `value="refund_due"`, "invoice number")
		_, body = d.get(t, "/admin/bookings?"+c.query, fin)
		wantIn(t, "finance's "+c.query, body, c.finance, `id="invoice"`, `value="refund_due"`)
	}
	// The export follows the same filter.
	res, body := d.get(t, "/admin/bookings/export.csv?invoice=paid", coord)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Uma Unpaid") {
		t.Errorf("coordinator's export with invoice=paid: %d, want both bookings:\n%s", res.StatusCode, body)
	}

	page := fmt.Sprintf("/admin/bookings/%d", paid.ID)
	_, body = d.get(t, page, coord)
	wantOut(t, "coordinator's timeline", body, "payment:", "→ paid")
	_, body = d.get(t, page, fin)
	wantIn(t, "finance's timeline", body, "payment: invoice → paid")

	// The audit log: the coordinator holds audit:read, which is not money.
	admin := d.addUser(t, "admin@example.org", account.Admin)
	adminTok := d.signIn(t, admin.Email, password, "")
	for _, path := range []string{"/admin/audit?object=booking", "/admin/audit.csv?object=booking"} {
		res, body := d.get(t, path, coord)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("coordinator %s: %d", path, res.StatusCode)
		}
		wantIn(t, "coordinator's "+path, body, "booking.mark_paid", "hidden: only finance and admins see payments")
		wantOut(t, "coordinator's "+path, body, "BANKREF-4242", "12345", `"paid"`, "2026-11-30")
		_, body = d.get(t, path, adminTok)
		wantIn(t, "admin's "+path, body, "BANKREF-4242", "12345")
		wantOut(t, "admin's "+path, body, "hidden: only finance and admins see payments")
	}
}

// TestHugePageNumber: a page number past any offset the database takes
// is an empty last page, not an error, on both engines.
func TestHugePageNumber(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.book(t, d.other, "Pam Page", "", "")
	for _, path := range []string{"/admin/bookings?page=9223372036854775807", "/admin/bookings?page=4611686018427387904",
		"/admin/bookings?page=1000001&status=confirmed"} {
		res, body := d.get(t, path, d.tokens["coord"])
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d, want 200", path, res.StatusCode)
			continue
		}
		wantIn(t, path, body, "1 booking found")
		wantOut(t, path, body, "Pam Page")
	}
}

// TestLogFiltersRefuseUnsearchableText: a NUL or bytes that are not
// UTF-8 in the mail log's or the audit log's text filters are refused
// beside the field (the CSV with 422), on both engines — never a 500.
func TestLogFiltersRefuseUnsearchableText(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	a.addUser(t, "admin@example.org", account.Admin)
	addMessage(t, a, messaging.Message{DedupeKey: "a", ToName: "Ada Lovelace", ToEmail: "ada@example.org", Subject: "Place for Ada"})
	tok := a.signIn(t, "admin@example.org", password, "")
	for _, c := range []struct{ path, field string }{
		{"/admin/messages?recipient=%00", "recipient"},
		{"/admin/messages?recipient=ada%FF", "recipient"},
		{"/admin/messages?kind=%FF", "kind"},
		{"/admin/messages?kind=booking%00", "kind"},
		{"/admin/audit?action=%00", "action"},
		{"/admin/audit?object=book%C3", "object"},
		{"/admin/audit.csv?object=%00", ""},
		{"/admin/audit.csv?action=%FF", ""},
	} {
		res, body := a.get(t, c.path, tok)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.path, res.StatusCode)
			continue
		}
		wantIn(t, c.path, body, "cannot be searched for")
		if c.field != "" {
			wantIn(t, c.path, body, `id="`+c.field+`-error"`, `href="#`+c.field+`"`, `aria-invalid="true"`)
		}
	}
	// What can be searched for still is.
	res, body := a.get(t, "/admin/messages?recipient=ADA", tok)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "Place for Ada") {
		t.Errorf("recipient=ADA: %d", res.StatusCode)
	}
}

// TestNoInlineStyles: the site's Content-Security-Policy blocks style
// attributes, so no template has one; the cancellation terms keep their
// line breaks through a class of site.css.
func TestNoInlineStyles(t *testing.T) {
	var files []string
	for _, dir := range []string{"templates", "../site/templates", "../templates"} {
		_ = filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(path, ".html") {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Fatal("no templates found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "style=") {
			t.Errorf("%s has a style attribute, which the CSP blocks: use a class in site.css", f)
		}
	}
}
