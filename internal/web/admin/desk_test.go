package admin

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/messaging"
)

// desk is a staff area with two courses: "review" (two places, a waiting
// list, a review rule and a question) and "other"; and one user of each
// role, plus a coordinator limited to the review course.
type desk struct {
	*staffArea
	review, other catalog.Course
	tokens        map[string]string
}

func newDesk(t *testing.T) *desk {
	t.Helper()
	a := newArea(t, nil)
	c := catalogtest.NewCourse(t0)
	c.Events[0].Capacity = 2
	c.Events[0].Days[0].Date = catalog.Date{Year: 2027, Month: time.February, Day: 10}
	c.Waitlist = true
	c.Questions = []catalog.Question{{Key: "nhs", Label: "Do you work in the NHS?", Kind: catalog.YesNo}}
	c.Rules = []catalog.Rule{{Outcome: catalog.Review, Message: "We check eligibility outside the NHS by hand.",
		Conditions: []catalog.Condition{{Question: "nhs", Op: catalog.OpNo}}}}
	o := catalogtest.NewCourse(t0)
	o.Slug, o.Title = "other-course", "Other course"
	o.Events[0].Capacity = 0
	if _, err := a.catalog.Save(ctx, []*catalog.Course{&c, &o}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	d := &desk{staffArea: a, review: c, other: o, tokens: map[string]string{}}
	for _, u := range []struct {
		who  string
		role account.Role
		lim  []int64
	}{{"coord", account.Coordinator, nil}, {"limited", account.Coordinator, []int64{c.ID}}, {"finance", account.Finance, nil},
		{"trainer", account.Trainer, nil}} {
		a.addUser(t, u.who+"@example.org", u.role, u.lim...)
		d.tokens[u.who] = a.signIn(t, u.who+"@example.org", password, "")
	}
	return d
}

func (d *desk) book(t *testing.T, c catalog.Course, name, nhs, needs string) booking.Booking {
	t.Helper()
	req := booking.Request{EventID: c.Events[0].ID, Name: name, Email: fileWord(name) + "@example.org",
		Organisation: "North Clinic", Role: "Psychotherapist", SystemChecked: true, FeeTier: "Standard", AccessNeeds: needs}
	if len(c.Questions) > 0 {
		req.Answers = map[string]string{"nhs": nhs}
	}
	res, err := d.bookings.Book(ctx, req, audit.ParticipantOf(0))
	if err != nil {
		t.Fatalf("book %s: %v", name, err)
	}
	return res.Booking
}

func (d *desk) status(t *testing.T, id int64) booking.Status {
	t.Helper()
	m, err := d.bookings.ForDesk(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Booking.Status
}

func wantIn(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func wantOut(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s shows %q", what, w)
		}
	}
}

// TestDeskList filters, searches and pages the list, shows a date's
// places and waiting list in order, and narrows a limited coordinator to
// their course.
func TestDeskList(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ann := d.book(t, d.review, "Ann Archer", "no", "")
	d.book(t, d.review, "Ben Baker", "yes", "")
	cal := d.book(t, d.review, "Cal Cole", "yes", "")
	dee := d.book(t, d.review, "Dee Dunn", "yes", "")
	if cal.Status != booking.Waitlisted || dee.Status != booking.Waitlisted || ann.Status != booking.PendingReview {
		t.Fatalf("fixture: %s %s %s", ann.Status, cal.Status, dee.Status)
	}
	for i := range 51 {
		d.book(t, d.other, fmt.Sprintf("Oth Person%02d", i), "", "")
	}
	coord := d.tokens["coord"]

	res, body := d.get(t, "/admin/bookings", coord)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d", res.StatusCode)
	}
	wantIn(t, "first page", body, "55 bookings found", "Page 1 of 2", "Oth Person50", `rel="next"`)
	wantOut(t, "first page", body, "Ann Archer") // the oldest: page 2
	_, body = d.get(t, "/admin/bookings?page=2", coord)
	wantIn(t, "second page", body, "Ann Archer", "Page 2 of 2", `rel="prev"`)

	_, body = d.get(t, "/admin/bookings?q=ANN+arch", coord)
	wantIn(t, "search", body, "1 booking found", `href="/admin/bookings/`+fmt.Sprint(ann.ID)+`"`)
	wantOut(t, "search", body, "Ben Baker")

	_, body = d.get(t, "/admin/bookings?status=pending_review", coord)
	wantIn(t, "pending review", body, "1 booking found", "Ann Archer")

	_, body = d.get(t, fmt.Sprintf("/admin/bookings?event=%d", d.review.Events[0].ID), coord)
	wantIn(t, "a date", body, "4 bookings found", "1 confirmed, 1 waiting for review, 0 of 2 places left; 2 waiting.",
		"Cal Cole</a> (North Clinic) — place 1", "Dee Dunn</a> (North Clinic) — place 2",
		fmt.Sprintf(`href="/admin/bookings/new?event=%d"`, d.review.Events[0].ID))
	if strings.Index(body, "Cal Cole</a> (North") > strings.Index(body, "Dee Dunn</a> (North") {
		t.Error("the waiting list is not in its order")
	}
	_, body = d.get(t, "/admin/bookings?course=abc&page=-3&status=nonsense&invoice=%00", coord)
	wantIn(t, "nonsense filter", body, "55 bookings found")

	// A coordinator limited to the review course sees only its bookings,
	// and is refused another course's booking.
	lim := d.tokens["limited"]
	_, body = d.get(t, "/admin/bookings", lim)
	wantIn(t, "limited list", body, "4 bookings found", "Ann Archer")
	wantOut(t, "limited list", body, "Oth Person", "Other course")
	_, body = d.get(t, fmt.Sprintf("/admin/bookings?course=%d", d.other.ID), lim)
	wantIn(t, "limited list of another course", body, "0 bookings found")
	other, err := d.bookings.Search(ctx, booking.Query{CourseID: d.other.ID, PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := d.get(t, fmt.Sprintf("/admin/bookings/%d", other.Rows[0].ID), lim); res.StatusCode != http.StatusForbidden {
		t.Errorf("limited coordinator on another course's booking: %d, want 403", res.StatusCode)
	}
	if res, _ := d.get(t, fmt.Sprintf("/admin/bookings/%d", ann.ID), lim); res.StatusCode != http.StatusOK {
		t.Errorf("limited coordinator on their course's booking: %d", res.StatusCode)
	}
	// The fee for everyone; the invoice column only for those who may
	// read invoices.
	_, body = d.get(t, "/admin/bookings", coord)
	wantIn(t, "coordinator's list", body, `<th scope="col">Fee</th>`)
	wantOut(t, "coordinator's list", body, `<th scope="col">Invoice</th>`, "invoiced, unpaid")
	_, body = d.get(t, "/admin/bookings", d.tokens["finance"])
	wantIn(t, "finance's list", body, `<th scope="col">Fee</th>`, `<th scope="col">Invoice</th>`, "invoiced, unpaid")
	// The home page links the desk.
	_, body = d.get(t, "/admin", coord)
	wantIn(t, "home", body, `href="/admin/bookings"`)
}

// TestBookingPage shows what the person gave, why it waits, access needs
// only with bookings:access_needs, money only with invoices:read, the
// timeline, the messages and the actions the viewer may take.
func TestBookingPage(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ann := d.book(t, d.review, "Ann Archer", "no", "Step-free <access> please")
	path := fmt.Sprintf("/admin/bookings/%d", ann.ID)

	res, body := d.get(t, path, d.tokens["coord"])
	if res.StatusCode != http.StatusOK {
		t.Fatalf("booking page: %d", res.StatusCode)
	}
	wantIn(t, "coordinator's view", body, "Waiting for review", "We check eligibility outside the NHS by hand.",
		"Do you work in the NHS?", "Step-free &lt;access&gt; please", "Booked", "The participant",
		path+"/review", path+"/move", path+"/cancel", path+"/details", "E-mails to them (1)",
		"<dt>Fee</dt><dd>£120.00 (Standard)</dd>", "System check")
	wantOut(t, "coordinator's view", body, "<h2>Payment</h2>", path+"/payment", "<access>")

	_, body = d.get(t, path, d.tokens["finance"])
	wantIn(t, "finance's view", body, "<h2>Payment</h2>", "£120.00")
	wantOut(t, "finance's view", body, "Step-free", "Access needs", path+"/review", path+"/cancel")

	if _, err := d.bookings.Approve(ctx, ann.ID, audit.StaffMember(1, "Sam Staff"), ""); err != nil {
		t.Fatal(err)
	}
	_, body = d.get(t, path, d.tokens["finance"])
	wantIn(t, "after approval", body, "Review approved", "Sam Staff", "Status: Waiting for review → Confirmed",
		path+"/payment", "INV-")
	if res, _ := d.get(t, "/admin/bookings/99999", d.tokens["coord"]); res.StatusCode != http.StatusNotFound {
		t.Errorf("no such booking: %d", res.StatusCode)
	}
	if res, _ := d.get(t, "/admin/bookings/abc", d.tokens["coord"]); res.StatusCode != http.StatusNotFound {
		t.Errorf("not an ID: %d", res.StatusCode)
	}
}

// TestBookingNotes keeps what was typed beside the error, saves a good
// note (audited, shown newest first) and refuses one on another course.
func TestBookingNotes(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ann := d.book(t, d.review, "Ann Archer", "yes", "")
	oth := d.book(t, d.other, "Oth Person", "", "")
	path := fmt.Sprintf("/admin/bookings/%d", ann.ID)
	coord := d.tokens["coord"]

	res, body := d.post(t, path+"/notes", coord, url.Values{"note": {"Rang <her>\x1b about it"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad note: %d", res.StatusCode)
	}
	wantIn(t, "bad note", body, "There is a problem", "control character", "Rang &lt;her&gt;", `aria-invalid="true"`)
	if notes, _ := d.bookings.Notes(ctx, ann.ID); len(notes) != 0 {
		t.Fatalf("a refused note was saved: %+v", notes)
	}
	res, _ = d.post(t, path+"/notes", coord, url.Values{"note": {"Rang her:\r\nwill confirm"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), path+"?done=note") {
		t.Fatalf("good note: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = d.get(t, path+"?done=note", coord)
	wantIn(t, "after the note", body, "Your note is saved", "Rang her:<br>will confirm", "Internal note added", "Ann Smith")
	if res, _ := d.post(t, path+"/notes", d.tokens["finance"], url.Values{"note": {"x"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("finance adds a note: %d, want 403", res.StatusCode)
	}
	if res, _ := d.post(t, fmt.Sprintf("/admin/bookings/%d/notes", oth.ID), d.tokens["limited"], url.Values{"note": {"x"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("limited coordinator notes another course's booking: %d, want 403", res.StatusCode)
	}
}

// TestBulkApprove shows the count before acting, approves only what waits
// for review, and leaves out what the viewer may not approve.
func TestBulkApprove(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ann := d.book(t, d.review, "Ann Archer", "no", "")
	ben := d.book(t, d.review, "Ben Baker", "no", "")
	oth := d.book(t, d.other, "Oth Person", "", "")
	ids := url.Values{"action": {"approve"}, "scope": {"ticked"}, "id": {fmt.Sprint(ann.ID), fmt.Sprint(ben.ID), fmt.Sprint(oth.ID)}}

	res, body := d.post(t, "/admin/bookings/bulk", d.tokens["limited"], ids)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("bulk, first step: %d", res.StatusCode)
	}
	wantIn(t, "confirmation", body, "<strong>2 bookings</strong>", "1 more selected is left out", "Ann Archer", "Ben Baker", "Approve 2")
	wantOut(t, "confirmation", body, "Oth Person")
	if d.status(t, ann.ID) != booking.PendingReview || d.status(t, ben.ID) != booking.PendingReview {
		t.Fatal("the first step acted")
	}
	// Ben is approved elsewhere meanwhile; the hidden IDs still name Oth,
	// which the limited coordinator may not touch.
	if _, err := d.bookings.Approve(ctx, ben.ID, audit.CommandLine("ann"), ""); err != nil {
		t.Fatal(err)
	}
	ids.Set("confirm", "1")
	res, _ = d.post(t, "/admin/bookings/bulk", d.tokens["limited"], ids)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "ok=1") || !strings.Contains(loc, "skipped=1") || !strings.Contains(loc, "refused=1") {
		t.Fatalf("bulk, second step: %d → %s", res.StatusCode, loc)
	}
	if d.status(t, ann.ID) != booking.Confirmed || d.status(t, oth.ID) != booking.Confirmed {
		t.Errorf("after: Ann %s", d.status(t, ann.ID))
	}
	entries, err := audit.List(ctx, d.db, audit.Filter{Object: "booking", ObjectID: ann.ID, Action: "booking.approve"})
	if err != nil || len(entries) != 1 || entries[0].Actor.Kind != audit.Staff {
		t.Errorf("audit of the approval: %+v %v", entries, err)
	}
	_, body = d.get(t, loc, d.tokens["limited"])
	wantIn(t, "after bulk", body, "1 approved; 1 was no longer waiting for review; 1 not yours to change.")

	// Finance may not approve: nothing is let through.
	res, body = d.post(t, "/admin/bookings/bulk", d.tokens["finance"], url.Values{"action": {"approve"}, "id": {fmt.Sprint(ann.ID)}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "No bookings are selected that you may do this to") {
		t.Errorf("finance approves: %d", res.StatusCode)
	}
}

// TestBulkMessageAndAll messages everything matching the filter: the
// count first, errors beside the fields keeping what was typed, then one
// e-mail each.
func TestBulkMessageAndAll(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.book(t, d.review, "Ann Archer", "yes", "")
	d.book(t, d.review, "Ben Baker", "yes", "")
	d.book(t, d.other, "Oth Person", "", "")
	coord := d.tokens["coord"]
	form := url.Values{"action": {"message"}, "scope": {"all"}, "course": {fmt.Sprint(d.review.ID)}}
	res, body := d.post(t, "/admin/bookings/bulk", coord, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("first step: %d", res.StatusCode)
	}
	wantIn(t, "confirmation", body, "<strong>2 bookings</strong>", "Ann Archer", "Ben Baker", `name="subject"`)
	form.Del("scope")
	form.Set("confirm", "1")
	form["id"] = idsIn(body)
	form.Set("body", "Typed <text> stays")
	res, body = d.post(t, "/admin/bookings/bulk", coord, form)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("no subject: %d", res.StatusCode)
	}
	wantIn(t, "no subject", body, "There is a problem", "Write the subject.", "Typed &lt;text&gt; stays")
	msgs, _ := d.outbox.List(ctx, messaging.ListFilter{Kind: "staff_message"})
	if len(msgs) != 0 {
		t.Fatalf("%d messages queued before confirming", len(msgs))
	}
	form.Set("subject", "Room change")
	res, _ = d.post(t, "/admin/bookings/bulk", coord, form)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "ok=2") {
		t.Fatalf("send: %d → %s", res.StatusCode, res.Header.Get("Location"))
	}
	msgs, _ = d.outbox.List(ctx, messaging.ListFilter{Kind: "staff_message"})
	if len(msgs) != 2 {
		t.Fatalf("%d messages queued, want 2", len(msgs))
	}
}

// idsIn returns the booking IDs a confirmation page carries.
func idsIn(body string) []string {
	var out []string
	for part := range strings.SplitSeq(body, `name="id" value="`) {
		if i := strings.IndexByte(part, '"'); i > 0 && i < 12 && !strings.HasPrefix(part, "<") {
			out = append(out, part[:i])
		}
	}
	return out
}

// TestExport reads a date's CSV and XLSX back: the CLI's header and
// cells, access needs only for those allowed, text never a formula, a
// bold frozen header, a file name naming course and date.
func TestExport(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.book(t, d.review, "=HYPERLINK(\"x\")", "yes", "Hearing loop")
	d.book(t, d.review, "Ben Baker", "no", "")
	ev := d.review.Events[0].ID
	q := fmt.Sprintf("?event=%d", ev)

	// What `plenary bookings -csv` writes for the date.
	list, err := d.bookings.ListWithAnswers(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	_, e, _ := d.bookings.EventOf(ctx, ev)
	wantHeader, wantRecords := booking.Table(d.review, booking.ListingRows(d.review, e, list, true), true)

	res, body := d.get(t, "/admin/bookings/export.csv"+q, d.tokens["coord"])
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), `filename="bookings-test-course-2027-02-10.csv"`) {
		t.Fatalf("csv: %d %v", res.StatusCode, res.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The coordinator may not read invoices: the payment columns are
	// left out; fee tier, fee and PO number stay.
	payment := func(h string) bool { return h == "payment" || h == "invoice" || h == "invoice_state" }
	var coordHeader []string
	for _, h := range wantHeader {
		if !payment(h) {
			coordHeader = append(coordHeader, h)
		}
	}
	if !slices.Equal(recs[0], coordHeader) || len(recs) != 3 {
		t.Fatalf("csv header %q, want %q", recs[0], coordHeader)
	}
	col := slices.Index(coordHeader, "name")
	if recs[1][col] != `'=HYPERLINK("x")` || recs[2][col] != "Ben Baker" || recs[1][len(recs[1])-1] != "Hearing loop" {
		t.Errorf("csv rows: %q", recs[1:])
	}
	for i, rec := range wantRecords {
		k := 0
		for j, h := range wantHeader {
			if payment(h) {
				continue
			}
			if want := booking.SafeCell(rec[j]); recs[i+1][k] != want {
				t.Errorf("csv row %d %s: %q, want %q", i+1, h, recs[i+1][k], want)
			}
			k++
		}
	}
	if fee := recs[1][slices.Index(coordHeader, "fee")]; fee != "£120.00" {
		t.Errorf("coordinator's csv fee: %q", fee)
	}

	// Finance: money, no access needs.
	_, body = d.get(t, "/admin/bookings/export.csv"+q, d.tokens["finance"])
	recs, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if slices.Contains(recs[0], "access_needs") || strings.Contains(body, "Hearing loop") ||
		recs[1][slices.Index(recs[0], "fee")] != "£120.00" || !slices.Contains(recs[0], "invoice_state") {
		t.Errorf("finance's csv: %q", recs)
	}

	res, body = d.get(t, "/admin/bookings/export.xlsx"+q, d.tokens["coord"])
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Disposition"), "bookings-test-course-2027-02-10.xlsx") {
		t.Fatalf("xlsx: %d %v", res.StatusCode, res.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(xlsxSheet)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], coordHeader) || len(rows) != 3 || rows[1][col] != `=HYPERLINK("x")` {
		t.Errorf("xlsx rows: %q", rows)
	}
	cell, _ := excelize.CoordinatesToCellName(col+1, 2)
	if formula, _ := f.GetCellFormula(xlsxSheet, cell); formula != "" {
		t.Errorf("xlsx %s is a formula: %q", cell, formula)
	}
	if typ, _ := f.GetCellType(xlsxSheet, cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t.Errorf("xlsx %s has type %v, want text", cell, typ)
	}
	panes, err := f.GetPanes(xlsxSheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("xlsx panes: %+v %v", panes, err)
	}
	style, _ := f.GetCellStyle(xlsxSheet, "A1")
	if st, err := f.GetStyle(style); err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("xlsx header not bold: %+v %v", st, err)
	}
}

// TestTrainerPeople: a trainer sees who is booked on a date (never
// access needs, never money) and the dates from the home page, and may
// not open the bookings desk.
func TestTrainerPeople(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.book(t, d.review, "Ann Archer", "yes", "Hearing loop")
	d.book(t, d.other, "Oth Person", "", "")
	tina := d.addUser(t, "tina@example.org", account.Trainer)
	tr := d.signIn(t, "tina@example.org", password, "")
	path := fmt.Sprintf("/admin/dates/%d/people", d.review.Events[0].ID)
	otherPath := fmt.Sprintf("/admin/dates/%d/people", d.other.Events[0].ID)
	// Assigned to no date yet: the people of none, and no links home.
	if res, _ := d.get(t, path, tr); res.StatusCode != http.StatusForbidden {
		t.Errorf("people of a date the trainer does not teach: %d, want 403", res.StatusCode)
	}
	_, body := d.get(t, "/admin", tr)
	wantOut(t, "home of a trainer of no date", body, "Who is booked:")
	if err := d.srv.register.SetTrainers(ctx, d.review.Events[0].ID, []int64{tina.ID}, audit.StaffMember(1, "Cora")); err != nil {
		t.Fatal(err)
	}
	res, body := d.get(t, path, tr)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("people: %d", res.StatusCode)
	}
	wantIn(t, "people", body, "Ann Archer", "North Clinic", "Psychotherapist", "Confirmed", "1 person")
	wantOut(t, "people", body, "Hearing loop", "£", "/admin/bookings")
	// Another course's date, which a trainer's role reads but Tina does
	// not teach: refused, and not linked.
	if res, _ := d.get(t, otherPath, tr); res.StatusCode != http.StatusForbidden {
		t.Errorf("people of another date: %d, want 403", res.StatusCode)
	}
	if res, _ := d.get(t, "/admin/bookings", tr); res.StatusCode != http.StatusForbidden {
		t.Errorf("trainer on the desk: %d, want 403", res.StatusCode)
	}
	if res, _ := d.get(t, fmt.Sprintf("/admin/bookings/%d", 1), tr); res.StatusCode != http.StatusForbidden {
		t.Errorf("trainer on a booking: %d, want 403", res.StatusCode)
	}
	_, body = d.get(t, "/admin", tr)
	wantIn(t, "trainer's home", body, `href="`+path+`"`, "Who is booked: "+d.review.Title)
	wantOut(t, "trainer's home", body, `href="`+otherPath+`"`, "Who is booked: "+d.other.Title)
	// A coordinator still sees every date's people.
	if res, _ := d.get(t, otherPath, d.tokens["coord"]); res.StatusCode != http.StatusOK {
		t.Errorf("people of a date as coordinator: %d", res.StatusCode)
	}
	if res, _ := d.get(t, "/admin/dates/99999/people", tr); res.StatusCode != http.StatusNotFound {
		t.Errorf("no such date: %d", res.StatusCode)
	}
}

// TestBulkExport exports the ticked bookings after the count, as the
// CLI's CSV, leaving out a booking the limited coordinator may not read.
func TestBulkExport(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ann := d.book(t, d.review, "Ann Archer", "yes", "")
	d.book(t, d.review, "Ben Baker", "yes", "")
	oth := d.book(t, d.other, "Oth Person", "", "")
	form := url.Values{"action": {"export"}, "id": {fmt.Sprint(ann.ID), fmt.Sprint(oth.ID)}}
	res, body := d.post(t, "/admin/bookings/bulk", d.tokens["limited"], form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("first step: %d", res.StatusCode)
	}
	wantIn(t, "confirmation", body, "<strong>1 booking</strong>", "1 more selected is left out", "Download the CSV of 1")
	form.Set("confirm", "1")
	res, body = d.post(t, "/admin/bookings/bulk", d.tokens["limited"], form)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %v", res.StatusCode, res.Header)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1][slices.Index(recs[0], "name")] != "Ann Archer" || slices.Index(recs[0], "Do you work in the NHS?") < 0 {
		t.Errorf("bulk export: %q", recs)
	}
}

// TestBulkApproveOnlyWaiting: approving everything the filter finds
// counts only the bookings waiting for review and says how many others
// are left out; with none waiting it refuses in plain words.
func TestBulkApproveOnlyWaiting(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ann := d.book(t, d.review, "Ann Archer", "no", "")
	ben := d.book(t, d.review, "Ben Baker", "yes", "")
	coord := d.tokens["coord"]
	form := url.Values{"action": {"approve"}, "scope": {"all"}, "course": {fmt.Sprint(d.review.ID)}}
	res, body := d.post(t, "/admin/bookings/bulk", coord, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("first step: %d", res.StatusCode)
	}
	wantIn(t, "confirmation", body, "<strong>1 booking</strong>", "1 more selected is left out: not waiting for review.", "Approve 1", "Ann Archer")
	wantOut(t, "confirmation", body, "Ben Baker", "Approve 2")
	if got := idsIn(body); !slices.Equal(got, []string{fmt.Sprint(ann.ID)}) {
		t.Errorf("carried IDs %q, want only Ann's", got)
	}
	res, body = d.post(t, "/admin/bookings/bulk", coord, url.Values{"action": {"decline"}, "id": {fmt.Sprint(ben.ID)}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("none waiting: %d", res.StatusCode)
	}
	wantIn(t, "none waiting", body, "None of the selected bookings is waiting for review, so there is nothing to decline.")
	wantOut(t, "none waiting", body, "Decline 1")
}

// TestBookingPageWhatTheyGave: every reader of a booking sees the fee
// chosen, its amount and the PO number, the payment only finance; the
// system check only on online or hybrid dates; no "Correct details" on
// a cancelled booking.
func TestBookingPageWhatTheyGave(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	c := d.other
	c.Events[0].Format, c.Events[0].Venue.Name = catalog.InPerson, "Hall"
	if _, err := d.catalog.Save(ctx, []*catalog.Course{&d.review, &c}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	b := d.book(t, c, "Oth Person", "", "")
	if _, err := d.db.ExecContext(ctx, `UPDATE bookings SET po_number = $1 WHERE id = $2`, "PO-7788", b.ID); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/admin/bookings/%d", b.ID)
	_, body := d.get(t, path, d.tokens["coord"])
	wantIn(t, "in-person booking", body, "<dt>Fee</dt><dd>£120.00 (Standard)</dd>", "<dt>PO number</dt><dd>PO-7788</dd>", path+"/details")
	_, body = d.get(t, fmt.Sprintf("/admin/bookings?event=%d", c.Events[0].ID), d.tokens["coord"])
	wantIn(t, "coordinator's list", body, `<th scope="col">Fee</th>`, "<td>£120.00</td>")
	wantOut(t, "coordinator's list", body, `<th scope="col">Invoice</th>`)
	wantOut(t, "in-person booking", body, "System check", "<h2>Payment</h2>")
	if _, err := d.bookings.CancelByID(ctx, b.ID, audit.CommandLine("ann"), booking.CancelOptions{Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	_, body = d.get(t, path, d.tokens["coord"])
	wantOut(t, "cancelled booking", body, path+"/details", "Correct details")
}

// TestHomeSignedInAs names the address once when the user has no name.
func TestHomeSignedInAs(t *testing.T) {
	t.Parallel()
	a := newArea(t, nil)
	u := a.addUser(t, "coord@example.org", account.Coordinator)
	_, body := a.get(t, "/admin", a.signIn(t, "coord@example.org", password, ""))
	wantIn(t, "named user's home", body, "Signed in as Ann Smith (coord@example.org), ")
	if _, err := a.db.ExecContext(ctx, `UPDATE staff_users SET name = '' WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	_, body = a.get(t, "/admin", a.signIn(t, "coord@example.org", password, ""))
	wantIn(t, "unnamed user's home", body, "Signed in as coord@example.org, ")
	wantOut(t, "unnamed user's home", body, "(coord@example.org)")
}

// TestDeskDatePlaces: a date's places say what holds them — confirmed,
// on offer with when the offer lapses — and a date that has started
// offers no booking by hand.
func TestDeskDatePlaces(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	d.review.OfferHoldHours = 48
	if _, err := d.catalog.Save(ctx, []*catalog.Course{&d.review, &d.other}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	ann := d.book(t, d.review, "Ann Archer", "yes", "")
	d.book(t, d.review, "Ben Baker", "yes", "")
	d.book(t, d.review, "Cal Cole", "yes", "")
	path := fmt.Sprintf("/admin/bookings?event=%d", d.review.Events[0].ID)
	_, body := d.get(t, path, d.tokens["coord"])
	wantIn(t, "full date", body, "2 confirmed, 0 of 2 places left; 1 waiting.")
	if _, err := d.bookings.CancelByID(ctx, ann.ID, audit.CommandLine("ann"), booking.CancelOptions{Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if d.status(t, ann.ID+2) != booking.Offered {
		t.Fatalf("Cal is %s, want offered", d.status(t, ann.ID+2))
	}
	m, err := d.bookings.ForDesk(ctx, ann.ID+2)
	if err != nil {
		t.Fatal(err)
	}
	until := localTime(m.Booking.OfferExpiresAt, d.review.Events[0].Location())
	_, body = d.get(t, path, d.tokens["coord"])
	wantIn(t, "an offer out", body, "1 confirmed, 1 on offer (until "+until+"), 0 of 2 places left; 0 waiting.",
		`href="/admin/bookings/new?event=`)

	d.clock.add(d.review.Events[0].StartsAt.Sub(d.clock.now()) + time.Minute)
	_, body = d.get(t, path, d.signIn(t, "coord@example.org", password, ""))
	wantIn(t, "started date", body, "1 confirmed")
	wantOut(t, "started date", body, "/admin/bookings/new", "Add a booking by hand")
}

// TestMovedBookings: a booking moved to another date reads "Moved to
// <date>" in the list, on its page (with a link to the new booking) and
// in the date's export, not "Cancelled"; the new booking reads "moved
// from <date>", links back and says when the person first booked.
func TestMovedBookings(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	old := d.book(t, d.review, "Ben Baker", "yes", "")
	d.clock.add(time.Hour)
	moved, err := d.bookings.Move(ctx, old.ID, d.other.Events[0].ID, audit.StaffMember(1, "Sam Staff"), booking.MoveOptions{Reason: "Asked"})
	if err != nil {
		t.Fatal(err)
	}
	coord := d.signIn(t, "coord@example.org", password, "")
	_, e, _ := d.bookings.EventOf(ctx, d.review.Events[0].ID)
	_, ne, _ := d.bookings.EventOf(ctx, d.other.Events[0].ID)
	oldDate, newDate := e.DateLabel(), ne.DateLabel()

	_, body := d.get(t, fmt.Sprintf("/admin/bookings?event=%d", e.ID), coord)
	wantIn(t, "old date's list", body, "Moved to "+newDate)
	_, body = d.get(t, fmt.Sprintf("/admin/bookings?event=%d", ne.ID), coord)
	wantIn(t, "new date's list", body, "Confirmed, moved from "+oldDate)

	oldPath, newPath := fmt.Sprintf("/admin/bookings/%d", old.ID), fmt.Sprintf("/admin/bookings/%d", moved.ID)
	_, body = d.get(t, oldPath, coord)
	wantIn(t, "old booking", body, "Moved to "+newDate, `<a href="`+newPath+`">open the booking on the new date</a>`)
	wantOut(t, "old booking", body, "<p class=\"lead\">Cancelled")
	_, body = d.get(t, newPath, coord)
	wantIn(t, "new booking", body, "Moved here from "+oldDate, `<a href="`+oldPath+`">the booking on the old date</a>`,
		"<dt>First booked</dt><dd>"+localTime(old.CreatedAt, e.Location())+"</dd>",
		"<dt>Moved here</dt><dd>"+localTime(moved.CreatedAt, ne.Location())+"</dd>")

	_, body = d.get(t, fmt.Sprintf("/admin/bookings/export.csv?event=%d", e.ID), coord)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][slices.Index(recs[0], "status")] != "moved to "+newDate {
		t.Errorf("export: %q %v", recs, err)
	}

	// A coordinator limited to the old course learns no more of the new.
	_, body = d.get(t, oldPath, d.signIn(t, "limited@example.org", password, ""))
	wantIn(t, "limited coordinator", body, "Moved to another date")
	wantOut(t, "limited coordinator", body, newPath, newDate)
}

// TestMessageFromBooking: "Write a message" on a booking's page leads
// back to that page — its back and cancel links, and after sending, with
// a confirmation and the message listed.
func TestMessageFromBooking(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	ann := d.book(t, d.review, "Ann Archer", "yes", "")
	coord := d.tokens["coord"]
	path := fmt.Sprintf("/admin/bookings/%d", ann.ID)
	_, body := d.get(t, path, coord)
	wantIn(t, "booking page", body, `<input type="hidden" name="booking" value="`+fmt.Sprint(ann.ID)+`">`)
	form := url.Values{"action": {"message"}, "id": {fmt.Sprint(ann.ID)}, "booking": {fmt.Sprint(ann.ID)}}
	res, body := d.post(t, "/admin/bookings/bulk", coord, form)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("write: %d", res.StatusCode)
	}
	wantIn(t, "message form", body, `<a href="`+path+`">Back to the booking</a>`, `<a href="`+path+`">Cancel</a>`)
	wantOut(t, "message form", body, `href="/admin/bookings?`)
	form.Set("confirm", "1")
	form.Set("subject", "Room change")
	form.Set("body", "We meet in room 2.")
	res, _ = d.post(t, "/admin/bookings/bulk", coord, form)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != path+"?done=messaged#messages" {
		t.Fatalf("send: %d → %s", res.StatusCode, loc)
	}
	_, body = d.get(t, path+"?done=messaged", coord)
	wantIn(t, "after sending", body, "Your message is on its way to them", "Room change")

	// A booking field naming another booking than the one written to
	// changes nothing: back to the list.
	oth := d.book(t, d.review, "Ben Baker", "yes", "")
	form = url.Values{"action": {"message"}, "id": {fmt.Sprint(ann.ID), fmt.Sprint(oth.ID)}, "booking": {fmt.Sprint(ann.ID)}}
	_, body = d.post(t, "/admin/bookings/bulk", coord, form)
	wantIn(t, "two bookings", body, "Back to the bookings")
	wantOut(t, "two bookings", body, `name="booking"`)
}

// selectOf is the options of the select with id in body.
func selectOf(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<select class="input" id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no select %q", id)
	}
	j := strings.Index(body[i:], "</select>")
	return body[i : i+j]
}

// hasOption reports whether the options list the value id, and where.
func hasOption(opts string, id int64) int {
	for _, o := range []string{fmt.Sprintf(`<option value="%d">`, id), fmt.Sprintf(`<option value="%d" selected>`, id)} {
		if i := strings.Index(opts, o); i >= 0 {
			return i
		}
	}
	return -1
}

// TestDeskDateFilter lists, with no course chosen, only recent and
// upcoming dates (with a hint), every date of a chosen course newest
// first, the chosen date however old with its course's dates, and only
// the viewer's courses.
func TestDeskDateFilter(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	arch := catalogtest.NewCourse(t0)
	arch.Slug, arch.Title = "archive-course", "Archive course"
	up := arch.Events[0]
	old, recent := up, up
	old.Ref, old.Days = "old", []catalog.Day{{Date: catalog.Date{Year: 2025, Month: time.March, Day: 4}, Start: up.Days[0].Start, End: up.Days[0].End}}
	recent.Ref, recent.Days = "recent", []catalog.Day{{Date: catalog.Date{Year: 2026, Month: time.October, Day: 20}, Start: up.Days[0].Start, End: up.Days[0].End}}
	arch.Events = []catalog.Event{old, recent, up}
	if _, err := d.catalog.Save(ctx, []*catalog.Course{&arch}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, e := range arch.Events {
		ids[e.Ref] = e.ID
	}
	if ids["old"] == 0 || ids["recent"] == 0 || ids["first"] == 0 {
		t.Fatalf("fixture: %v", ids)
	}
	coord := d.tokens["coord"]

	// No course chosen: the recent and upcoming dates, not the old one.
	_, body := d.get(t, "/admin/bookings", coord)
	dates := selectOf(t, body, "event")
	if hasOption(dates, ids["recent"]) < 0 || hasOption(dates, ids["first"]) < 0 || hasOption(dates, d.review.Events[0].ID) < 0 {
		t.Errorf("every course: recent and upcoming dates missing:\n%s", dates)
	}
	if hasOption(dates, ids["old"]) >= 0 {
		t.Errorf("every course: the old date is listed:\n%s", dates)
	}
	wantIn(t, "every course", body, "older dates appear once a course is chosen", `<optgroup label="Archive course">`,
		"Tuesday 20 October 2026")
	wantOut(t, "every course", body, "Tuesday 4 March 2025")

	// The course chosen: all its dates, newest first, no other course's.
	_, body = d.get(t, fmt.Sprintf("/admin/bookings?course=%d", arch.ID), coord)
	dates = selectOf(t, body, "event")
	o, r, u := hasOption(dates, ids["old"]), hasOption(dates, ids["recent"]), hasOption(dates, ids["first"])
	if o < 0 || r < 0 || u < 0 || !(u < r && r < o) {
		t.Errorf("the course chosen: want upcoming, recent, old in order, got %d %d %d:\n%s", u, r, o, dates)
	}
	if hasOption(dates, d.review.Events[0].ID) >= 0 {
		t.Errorf("the course chosen: another course's date listed:\n%s", dates)
	}
	wantIn(t, "the course chosen", body, "Tuesday 4 March 2025")
	wantOut(t, "the course chosen", body, "older dates appear once a course is chosen")

	// The old date chosen without its course: it stands for its course,
	// whose dates are listed (it selected), and that course is shown chosen.
	_, body = d.get(t, fmt.Sprintf("/admin/bookings?event=%d", ids["old"]), coord)
	dates = selectOf(t, body, "event")
	if !strings.Contains(dates, fmt.Sprintf(`<option value="%d" selected>Tuesday 4 March 2025</option>`, ids["old"])) {
		t.Errorf("the old date chosen is not listed as selected:\n%s", dates)
	}
	if hasOption(dates, ids["recent"]) < 0 || hasOption(dates, d.review.Events[0].ID) >= 0 {
		t.Errorf("the old date chosen: want its course's dates only:\n%s", dates)
	}
	if !strings.Contains(selectOf(t, body, "course"), fmt.Sprintf(`<option value="%d" selected>`, arch.ID)) {
		t.Error("the old date chosen: its course is not shown chosen")
	}
	wantOut(t, "the old date chosen", body, "older dates appear once a course is chosen")
	wantIn(t, "the old date chosen", body, "0 bookings found")

	// A coordinator limited to the review course: only it, whatever is asked.
	lim := d.tokens["limited"]
	for _, path := range []string{"/admin/bookings", fmt.Sprintf("/admin/bookings?event=%d", ids["old"]),
		fmt.Sprintf("/admin/bookings?course=%d", arch.ID)} {
		_, body = d.get(t, path, lim)
		courses, dates := selectOf(t, body, "course"), selectOf(t, body, "event")
		if hasOption(courses, d.review.ID) < 0 || hasOption(courses, d.other.ID) >= 0 || hasOption(courses, arch.ID) >= 0 {
			t.Errorf("limited %s: courses:\n%s", path, courses)
		}
		for _, id := range []int64{ids["old"], ids["recent"], ids["first"], d.other.Events[0].ID} {
			if hasOption(dates, id) >= 0 {
				t.Errorf("limited %s: date %d of another course listed:\n%s", path, id, dates)
			}
		}
		wantOut(t, "limited "+path, body, "Archive course", "Tuesday 20 October 2026")
	}
	_, body = d.get(t, "/admin/bookings", lim)
	if hasOption(selectOf(t, body, "event"), d.review.Events[0].ID) < 0 {
		t.Error("limited: their own course's date is not listed")
	}
}

// TestDeskCourseSelect lists in the course select only the courses with
// a date not yet over and the one chosen (or implied by the chosen date),
// with a plain link (no JavaScript) to the select of every course, which
// the form and the page links keep; a limited coordinator still sees
// only theirs.
func TestDeskCourseSelect(t *testing.T) {
	t.Parallel()
	d := newDesk(t)
	gone := catalogtest.NewCourse(t0)
	gone.Slug, gone.Title = "bygone-course", "Bygone course"
	up := gone.Events[0]
	gone.Events[0].Ref, gone.Events[0].Days = "bygone", []catalog.Day{{Date: catalog.Date{Year: 2025, Month: time.March, Day: 4}, Start: up.Days[0].Start, End: up.Days[0].End}}
	if _, err := d.catalog.Save(ctx, []*catalog.Course{&gone}, catalogtest.Options(t0)); err != nil {
		t.Fatal(err)
	}
	old := gone.Events[0].ID
	coord := d.tokens["coord"]

	_, body := d.get(t, "/admin/bookings", coord)
	courses := selectOf(t, body, "course")
	if hasOption(courses, d.review.ID) < 0 || hasOption(courses, d.other.ID) < 0 {
		t.Errorf("current courses missing:\n%s", courses)
	}
	if hasOption(courses, gone.ID) >= 0 {
		t.Errorf("a course whose dates are all over is listed:\n%s", courses)
	}
	wantIn(t, "current courses", body, "Courses with a date not yet over", `href="/admin/bookings?courses=all#course">Show every course</a>`)

	// The link: every course, the form keeps asking for every course.
	_, body = d.get(t, "/admin/bookings?courses=all", coord)
	courses = selectOf(t, body, "course")
	if hasOption(courses, gone.ID) < 0 || hasOption(courses, d.review.ID) < 0 {
		t.Errorf("every course: missing:\n%s", courses)
	}
	wantIn(t, "every course", body, `<input type="hidden" name="courses" value="all">`)
	wantOut(t, "every course", body, "Show every course")

	// The link keeps the rest of the filter.
	_, body = d.get(t, "/admin/bookings?q=nobody&status=confirmed", coord)
	wantIn(t, "a filter", body, `href="/admin/bookings?courses=all&amp;q=nobody&amp;status=confirmed#course"`)

	// The old course chosen, or its date: it is listed, chosen.
	for _, path := range []string{fmt.Sprintf("/admin/bookings?course=%d", gone.ID), fmt.Sprintf("/admin/bookings?event=%d", old)} {
		_, body = d.get(t, path, coord)
		courses = selectOf(t, body, "course")
		if !strings.Contains(courses, fmt.Sprintf(`<option value="%d" selected>Bygone course</option>`, gone.ID)) {
			t.Errorf("%s: the old course is not listed chosen:\n%s", path, courses)
		}
		if hasOption(selectOf(t, body, "event"), old) < 0 {
			t.Errorf("%s: its date is not listed", path)
		}
	}

	// A limited coordinator: only their course, even with every course asked.
	for _, path := range []string{"/admin/bookings", "/admin/bookings?courses=all", fmt.Sprintf("/admin/bookings?course=%d", gone.ID)} {
		_, body = d.get(t, path, d.tokens["limited"])
		courses = selectOf(t, body, "course")
		if hasOption(courses, d.review.ID) < 0 || hasOption(courses, d.other.ID) >= 0 || hasOption(courses, gone.ID) >= 0 {
			t.Errorf("limited %s: courses:\n%s", path, courses)
		}
	}
}
