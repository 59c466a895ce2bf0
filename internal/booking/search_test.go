package booking_test

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/catalog/catalogtest"
	"plenary/internal/database/dbtest"
)

// deskFixture is two courses on one database: a date of two places with a
// waiting list, and another course's date.
type deskFixture struct {
	*fixture
	other catalog.Course
}

func newDeskFixture(t *testing.T) *deskFixture {
	t.Helper()
	db := dbtest.New(t)
	f := newFixture(t, db, 2, nil)
	other := catalogtest.NewCourse(f.clock.Now())
	other.Slug, other.Title = "other-course", "Other course"
	if _, err := catalog.NewStore(db, catalog.Hooks{}).Save(ctx, []*catalog.Course{&other}, catalogtest.Options(f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	return &deskFixture{fixture: f, other: other}
}

func (f *deskFixture) bookOn(t *testing.T, eventID int64, name, org, po string) booking.Booking {
	t.Helper()
	req := f.request(name)
	req.EventID, req.Organisation, req.PONumber, req.FeeTier = eventID, org, po, "Standard"
	res, err := f.svc.Book(ctx, req, participant)
	if err != nil {
		t.Fatalf("book %s: %v", name, err)
	}
	return res.Booking
}

func names(p booking.Page) []string {
	var out []string
	for _, r := range p.Rows {
		out = append(out, r.Name)
	}
	return out
}

// TestSearch finds bookings by name, e-mail, organisation, PO and invoice
// number, in either case of A–Z, with LIKE's wildcards taken literally,
// filters by course, date, status and invoice state, narrows to a
// coordinator's courses, pages, and keeps a date's waiting list in its
// order. It runs on both engines (dbtest).
func TestSearch(t *testing.T) {
	f := newDeskFixture(t)
	ev := f.event.ID
	ann := f.bookOn(t, ev, "Ann Archer", "North Clinic", "PO-77")             // confirmed, invoice 1
	bob := f.bookOn(t, ev, "Bob Baker", "50% Clinic", "")                     // confirmed, invoice 2
	cat := f.bookOn(t, ev, "Cat Zoë Cole", "Under_score Trust", "")           // waitlisted 1
	dan := f.bookOn(t, ev, "Dan Dunn", "South Clinic", "")                    // waitlisted 2
	eve := f.bookOn(t, f.other.Events[0].ID, "Eve Evans", "North Clinic", "") // other course
	if cat.Status != booking.Waitlisted || dan.Status != booking.Waitlisted || ann.InvoiceNumber == 0 {
		t.Fatalf("fixture: %s %s invoice %d", cat.Status, dan.Status, ann.InvoiceNumber)
	}

	search := func(q booking.Query) booking.Page {
		t.Helper()
		p, err := f.svc.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		text string
		want []string
	}{
		{"ANN", []string{"Ann Archer"}},
		{"bob.baker@EXAMPLE", []string{"Bob Baker"}},
		{"north clinic", []string{"Eve Evans", "Ann Archer"}},
		{"po-77", []string{"Ann Archer"}},
		{ann.InvoiceLabel(), []string{"Ann Archer"}},
		{"inv-2", []string{"Bob Baker"}},
		{"%", []string{"Bob Baker"}},
		{"_", []string{"Cat Zoë Cole"}},
		{"ZOë", []string{"Cat Zoë Cole"}},
		{"a\x00nn", []string{"Ann Archer"}},
		{"nobody", nil},
	} {
		if got := names(search(booking.Query{Text: c.text})); !slices.Equal(got, c.want) {
			t.Errorf("search %q: got %q, want %q", c.text, got, c.want)
		}
	}

	all := search(booking.Query{})
	if got := names(all); !slices.Equal(got, []string{"Eve Evans", "Dan Dunn", "Cat Zoë Cole", "Bob Baker", "Ann Archer"}) || all.Total != 5 || all.QueueOrder {
		t.Errorf("everything: got %q (%d), want newest first", got, all.Total)
	}
	if r := all.Rows[0]; r.CourseTitle != "Other course" || r.Date == "" || r.CourseID != f.other.ID {
		t.Errorf("row labels: %+v", r)
	}
	waiting := search(booking.Query{EventID: ev, Statuses: []booking.DeskStatus{booking.DeskWaiting}})
	if got := names(waiting); !slices.Equal(got, []string{"Cat Zoë Cole", "Dan Dunn"}) || !waiting.QueueOrder ||
		waiting.Rows[0].WaitPosition != 1 || waiting.Rows[1].WaitPosition != 2 {
		t.Errorf("waiting list: got %q %+v, want the queue in order with positions", got, waiting)
	}
	if got := names(search(booking.Query{CourseID: f.other.ID})); !slices.Equal(got, []string{"Eve Evans"}) {
		t.Errorf("by course: %q", got)
	}
	if got := names(search(booking.Query{Courses: []int64{f.course.ID}, Text: "north"})); !slices.Equal(got, []string{"Ann Archer"}) {
		t.Errorf("limited to the first course: %q", got)
	}
	if p := search(booking.Query{Courses: []int64{}}); p.Total != 0 || len(p.Rows) != 0 {
		t.Errorf("limited to no course: %d found", p.Total)
	}
	if got := names(search(booking.Query{Invoice: booking.InvoiceUnpaid})); !slices.Equal(got, []string{"Eve Evans", "Bob Baker", "Ann Archer"}) {
		t.Errorf("invoiced, unpaid: %q", got)
	}
	if got := names(search(booking.Query{Invoice: booking.InvoiceNone, Statuses: []booking.DeskStatus{booking.DeskWaiting, booking.DeskConfirmed}})); !slices.Equal(got, []string{"Dan Dunn", "Cat Zoë Cole"}) {
		t.Errorf("not invoiced: %q", got)
	}
	if _, err := f.svc.CancelByID(ctx, bob.ID, operator, booking.CancelOptions{Reason: "asked by e-mail"}); err != nil {
		t.Fatal(err)
	}
	if got := names(search(booking.Query{Statuses: []booking.DeskStatus{booking.DeskCancelled}})); !slices.Equal(got, []string{"Bob Baker"}) {
		t.Errorf("cancelled: %q", got)
	}
	page2 := search(booking.Query{Page: 2, PerPage: 2})
	if got := names(page2); !slices.Equal(got, []string{"Cat Zoë Cole", "Bob Baker"}) || page2.Total != 5 || page2.Pages() != 3 {
		t.Errorf("page 2 of 2 a page: %q, %d, %d pages", got, page2.Total, page2.Pages())
	}
	rows, err := f.svc.SearchAll(ctx, booking.Query{EventID: ev}, 10)
	if err != nil || len(rows) != 4 || rows[0].Answers == nil {
		t.Errorf("SearchAll: %d rows, %v", len(rows), err)
	}
	if _, err := f.svc.SearchAll(ctx, booking.Query{}, 3); !errors.Is(err, booking.ErrTooMany) {
		t.Errorf("SearchAll over the limit: %v, want ErrTooMany", err)
	}
	courses, err := f.svc.CoursesOf(ctx, []int64{ann.ID, eve.ID, 9999})
	if err != nil || courses[ann.ID] != f.course.ID || courses[eve.ID] != f.other.ID || len(courses) != 2 {
		t.Errorf("CoursesOf: %v %v", courses, err)
	}
}

// TestNotes adds notes, refuses bad text without saving, lists them newest
// first and records each in the audit log.
func TestNotes(t *testing.T) {
	f := newDeskFixture(t)
	b := f.bookOn(t, f.event.ID, "Ann Archer", "North Clinic", "")
	staff := audit.StaffMember(7, "Sam Staff")
	for _, bad := range []string{"  ", "a\x1bb", strings.Repeat("x", booking.NoteMaxLength+1), "right\u202eleft"} {
		var ne *booking.NoteError
		if _, err := f.svc.AddNote(ctx, b.ID, staff, bad); !errors.As(err, &ne) {
			t.Errorf("note %q: %v, want a NoteError", bad, err)
		}
	}
	if _, err := f.svc.AddNote(ctx, 9999, staff, "hello"); !errors.Is(err, booking.ErrNotFound) {
		t.Errorf("note on no booking: %v", err)
	}
	if _, err := f.svc.AddNote(ctx, b.ID, staff, "Rang her:\r\nshe will confirm"); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(60e9)
	if _, err := f.svc.AddNote(ctx, b.ID, staff, "Second"); err != nil {
		t.Fatal(err)
	}
	notes, err := f.svc.Notes(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 2 || notes[0].Text != "Second" || notes[1].Text != "Rang her:\nshe will confirm" ||
		notes[0].Author != staff || !notes[0].CreatedAt.Equal(f.clock.Now()) {
		t.Fatalf("notes: %+v", notes)
	}
	entries, err := audit.List(ctx, f.db, audit.Filter{Object: "booking", ObjectID: b.ID, Action: "booking.note"})
	if err != nil || len(entries) != 2 || entries[0].Actor != staff || !strings.Contains(string(entries[0].After), "Second") {
		t.Errorf("audit: %+v %v", entries, err)
	}
}

// TestSendMessage queues a staff message with its own dedupe key each
// time, no manage link, the text escaped in the HTML, audited; bad text
// queues nothing.
func TestSendMessage(t *testing.T) {
	f := newReviewFixture(t, 5, nil)
	b := f.book(t, "Ann Archer", "yes").Booking
	staff := audit.StaffMember(3, "Sam Staff")
	var fe booking.FormError
	if _, err := f.svc.SendMessage(ctx, b.ID, staff, "", "x"); !errors.As(err, &fe) || fe["subject"] == "" {
		t.Errorf("no subject: %v", err)
	}
	if _, err := f.svc.SendMessage(ctx, b.ID, staff, "a\nb", "x"); !errors.As(err, &fe) || fe["subject"] == "" {
		t.Errorf("two-line subject: %v", err)
	}
	before := len(f.messages(t, "staff_message"))
	for range 2 {
		if _, err := f.svc.SendMessage(ctx, b.ID, staff, "Room change", "Please come to <room 4>.\n\nThanks"); err != nil {
			t.Fatal(err)
		}
	}
	msgs := f.messages(t, "staff_message")
	if before != 0 || len(msgs) != 2 || msgs[0].DedupeKey == msgs[1].DedupeKey {
		t.Fatalf("staff messages: %d before, %d after", before, len(msgs))
	}
	m, err := f.outbox.Message(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.ToEmail != b.Email || m.SubjectRef != booking.SubjectRef(b.ID) || !strings.HasPrefix(m.Subject, "Room change: ") ||
		!strings.Contains(m.HTML, "&lt;room 4&gt;") || !strings.Contains(m.Text, "<room 4>") || strings.Contains(m.Text, "/bookings/") ||
		!strings.Contains(m.Text, f.course.Title) {
		t.Errorf("message: %+v", m)
	}
	entries, err := audit.List(ctx, f.db, audit.Filter{Object: "booking", ObjectID: b.ID, Action: "booking.message"})
	if err != nil || len(entries) != 2 || entries[0].Actor != staff {
		t.Errorf("audit: %+v %v", entries, err)
	}
}

// TestSearchPageBounds: a page number past any offset the database takes
// reads an empty page (the highest page read is MaxPage) instead of an
// error, on both engines.
func TestSearchPageBounds(t *testing.T) {
	f := newDeskFixture(t)
	f.bookOn(t, f.event.ID, "Ann Archer", "North Clinic", "")
	for _, page := range []int{math.MaxInt, math.MaxInt/50 + 2, booking.MaxPage + 1} {
		p, err := f.svc.Search(ctx, booking.Query{Page: page})
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(p.Rows) != 0 || p.Total != 1 || p.Page != booking.MaxPage {
			t.Errorf("page %d: %d rows of %d on page %d, want none of 1 on page %d", page, len(p.Rows), p.Total, p.Page, booking.MaxPage)
		}
	}
}

// TestSearchNoMoney: for a viewer who may not see payment, the invoice
// filter and the status "refund due" are ignored and an invoice number
// finds nothing.
func TestSearchNoMoney(t *testing.T) {
	f := newDeskFixture(t)
	ann := f.bookOn(t, f.event.ID, "Ann Archer", "North Clinic", "")
	f.bookOn(t, f.event.ID, "Bob Baker", "North Clinic", "")
	if ann.InvoiceNumber == 0 {
		t.Fatal("fixture: no invoice")
	}
	for _, c := range []struct {
		q           booking.Query
		money, none int
	}{
		{booking.Query{Invoice: booking.InvoicePaid}, 0, 2},
		{booking.Query{Statuses: []booking.DeskStatus{booking.DeskRefundDue}}, 0, 2},
		{booking.Query{Text: strconv.FormatInt(ann.InvoiceNumber, 10)}, 1, 0},
	} {
		for _, noMoney := range []bool{false, true} {
			c.q.NoMoney = noMoney
			p, err := f.svc.Search(ctx, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: c.money, true: c.none}[noMoney]; p.Total != want {
				t.Errorf("%+v: %d found, want %d", c.q, p.Total, want)
			}
		}
	}
}
