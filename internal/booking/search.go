package booking

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"plenary/internal/catalog"
	"plenary/internal/database"
)

// The bookings desk's search: bookings across dates, filtered by course,
// date, status and invoice state, and found by a name, e-mail address,
// organisation, PO number or invoice number, a page at a time.

// DeskStatus is a status as the desk's filter offers it: the booking
// statuses people think in, and "refund due", which is a payment state.
type DeskStatus string

// The desk's statuses.
const (
	DeskConfirmed     DeskStatus = "confirmed"      // confirmed (attended and no-show too: they held a place)
	DeskWaiting       DeskStatus = "waiting"        // on the waiting list
	DeskOffered       DeskStatus = "offered"        // a place offered from the waiting list
	DeskPendingReview DeskStatus = "pending_review" // waiting for a coordinator's review
	DeskCancelled     DeskStatus = "cancelled"      // cancelled, declined or an offer lapsed: no longer active
	DeskRefundDue     DeskStatus = "refund_due"     // cancelled with the fee to give back
)

// DeskStatuses lists the desk's statuses in the order the filter shows them.
var DeskStatuses = []DeskStatus{DeskConfirmed, DeskWaiting, DeskOffered, DeskPendingReview, DeskCancelled, DeskRefundDue}

// Label is the status as the filter names it.
func (d DeskStatus) Label() string {
	switch d {
	case DeskConfirmed:
		return "Confirmed"
	case DeskWaiting:
		return "On the waiting list"
	case DeskOffered:
		return "Place offered"
	case DeskPendingReview:
		return "Waiting for review"
	case DeskCancelled:
		return "Cancelled or declined"
	case DeskRefundDue:
		return "Refund due"
	}
	return string(d)
}

// statuses is the booking statuses d stands for; nil for refund due,
// which is a payment state.
func (d DeskStatus) statuses() []Status {
	switch d {
	case DeskConfirmed:
		return []Status{Confirmed, Attended, NoShow}
	case DeskWaiting:
		return []Status{Waitlisted}
	case DeskOffered:
		return []Status{Offered}
	case DeskPendingReview:
		return []Status{PendingReview}
	case DeskCancelled:
		return []Status{Cancelled, Declined, Lapsed}
	}
	return nil
}

// InvoiceFilter is the invoice state the desk filters by.
type InvoiceFilter string

// The invoice states.
const (
	InvoiceAny       InvoiceFilter = ""
	InvoiceNone      InvoiceFilter = "none"       // nothing invoiced: free, or not yet due
	InvoiceUnpaid    InvoiceFilter = "unpaid"     // invoiced, not paid
	InvoicePaid      InvoiceFilter = "paid"       // paid
	InvoiceRefundDue InvoiceFilter = "refund_due" // the fee is to be given back
)

// InvoiceFilters lists the invoice states in the order the filter shows them.
var InvoiceFilters = []InvoiceFilter{InvoiceNone, InvoiceUnpaid, InvoicePaid, InvoiceRefundDue}

// Label is the invoice state as the filter names it.
func (f InvoiceFilter) Label() string {
	switch f {
	case InvoiceNone:
		return "Not invoiced"
	case InvoiceUnpaid:
		return "Invoiced, unpaid"
	case InvoicePaid:
		return "Paid"
	case InvoiceRefundDue:
		return "Refund due"
	}
	return "Any"
}

func (f InvoiceFilter) payment() Payment {
	switch f {
	case InvoiceNone:
		return NoPayment
	case InvoiceUnpaid:
		return Invoice
	case InvoicePaid:
		return Paid
	case InvoiceRefundDue:
		return RefundDue
	}
	return ""
}

// DefaultPerPage is how many bookings a page of the desk shows.
const DefaultPerPage = 50

// Query is what the desk asks for.
type Query struct {
	// Courses limits the search to these courses (a coordinator limited
	// to some courses); nil means every course, an empty non-nil slice
	// none.
	Courses  []int64
	CourseID int64 // 0 = any
	EventID  int64 // 0 = any
	Statuses []DeskStatus
	Invoice  InvoiceFilter
	// Text finds bookings whose name, e-mail address, organisation or PO
	// number holds it, or whose invoice number it is ("INV-000123" or
	// "123"). Letters A–Z match in either case on both engines; other
	// letters match as typed.
	Text    string
	Page    int // from 1; 0 = 1; at most MaxPage
	PerPage int // 0 = DefaultPerPage
	// NoMoney is for a viewer who may not see payment: the invoice
	// filter and the status "refund due" are ignored and Text does not
	// find a booking by its invoice number.
	NoMoney bool
}

// MaxPage is the highest page Search reads; a higher one reads that
// page (nothing, unless a million pages match).
const MaxPage = 1_000_000

// Row is one booking found, with its course and date named.
type Row struct {
	Booking
	CourseID    int64
	CourseTitle string
	Date        string // the date's days, as catalog.Event.DateLabel writes them
	Event       catalog.Event
	Course      catalog.Course // with its questions, for the answers' labels
}

// Page is one page of the bookings found.
type Page struct {
	Rows    []Row
	Total   int // bookings matching, over every page
	Page    int
	PerPage int
	// QueueOrder says the rows are an event's waiting list in its order
	// (the query asked for one date's waiting list only); otherwise they
	// are newest first.
	QueueOrder bool
}

// Pages is the number of pages the matches fill.
func (p Page) Pages() int {
	if p.Total == 0 || p.PerPage == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// invoiceRE reads an invoice number as typed: "INV-000123", "inv 123",
// "123".
var invoiceRE = regexp.MustCompile(`^(?i:inv)?[- ]?0*([0-9]{1,15})$`)

// asciiLower lowers the letters A–Z only: what SQLite's lower() does, and
// PostgreSQL's under the "C" collation, so a search matches the same
// bookings on both engines.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// likeEscape escapes LIKE's wildcards and its escape character.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// searchWhere builds the query's conditions over bookings b joined to
// events e, with its arguments.
func (s store) searchWhere(q Query) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Courses != nil {
		if len(q.Courses) == 0 {
			where = append(where, "1 = 0")
		} else {
			var ms []string
			for _, c := range q.Courses {
				ms = append(ms, arg(c))
			}
			where = append(where, "e.course_id IN ("+strings.Join(ms, ", ")+")")
		}
	}
	if q.CourseID != 0 {
		where = append(where, "e.course_id = "+arg(q.CourseID))
	}
	if q.EventID != 0 {
		where = append(where, "b.event_id = "+arg(q.EventID))
	}
	if len(q.Statuses) > 0 {
		var or []string
		var statuses []Status
		for _, d := range q.Statuses {
			if d == DeskRefundDue {
				if !q.NoMoney {
					or = append(or, "b.payment = "+arg(string(RefundDue)))
				}
				continue
			}
			statuses = append(statuses, d.statuses()...)
		}
		if len(statuses) > 0 {
			or = append(or, "b.status "+statusIn(statuses...))
		}
		if len(or) > 0 {
			where = append(where, "("+strings.Join(or, " OR ")+")")
		} else if !q.NoMoney {
			where = append(where, "1 = 0")
		}
	}
	if p := q.Invoice.payment(); p != "" && !q.NoMoney {
		where = append(where, "b.payment = "+arg(string(p)))
	}
	if text := cleanSearch(q.Text); text != "" {
		lower := "lower(%s)"
		if s.dialect == database.Postgres {
			lower = `lower(%s COLLATE "C")`
		}
		pat := arg("%" + likeEscape(asciiLower(text)) + "%")
		var or []string
		for _, col := range []string{"b.name", "b.email", "b.organisation", "b.po_number"} {
			or = append(or, fmt.Sprintf(lower, col)+" LIKE "+pat+` ESCAPE '\'`)
		}
		if m := invoiceRE.FindStringSubmatch(text); m != nil && !q.NoMoney {
			if n, err := strconv.ParseInt(m[1], 10, 64); err == nil && n > 0 {
				or = append(or, "b.invoice_number = "+arg(n))
			}
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// cleanSearch trims what was typed into the search box and drops what no
// booking can hold (a NUL, bad UTF-8), which PostgreSQL would refuse where
// SQLite finds nothing.
func cleanSearch(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\x00", "")
	return strings.TrimSpace(s)
}

// queueOrder says whether q asks for one date's waiting list only, which
// is shown in its order.
func (q Query) queueOrder() bool {
	return q.EventID != 0 && len(q.Statuses) == 1 && q.Statuses[0] == DeskWaiting
}

// search reads one page of the bookings matching q, and how many match.
func (s store) search(ctx context.Context, q Query) ([]Booking, int, error) {
	where, args := s.searchWhere(q)
	from := ` FROM bookings b JOIN events e ON e.id = b.event_id` + where
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := ` ORDER BY b.id DESC`
	if q.queueOrder() {
		order = ` ORDER BY b.id`
	}
	query := `SELECT ` + bookingColumns + from + order +
		` LIMIT ` + strconv.Itoa(q.PerPage) + ` OFFSET ` + strconv.Itoa((q.Page-1)*q.PerPage)
	list, err := s.bookings(ctx, query, args...)
	if err != nil {
		return nil, 0, err
	}
	return list, total, nil
}

// Search returns the page of bookings q asks for, each with its course and
// date, waiting-list position and whether its mail is failing. The rows
// are newest first, except one date's waiting list (q.EventID with the
// status "waiting" alone), which is in its queue order. Answers are not
// read.
func (s *Service) Search(ctx context.Context, q Query) (Page, error) {
	if q.PerPage <= 0 {
		q.PerPage = DefaultPerPage
	}
	q.Page = min(max(q.Page, 1), MaxPage)
	q.PerPage = min(q.PerPage, 1_000_000)
	list, total, err := s.store.search(ctx, q)
	if err != nil {
		return Page{}, fmt.Errorf("booking: search: %w", err)
	}
	if err := withMailFailing(ctx, s.db, list); err != nil {
		return Page{}, fmt.Errorf("booking: search: %w", err)
	}
	p := Page{Total: total, Page: q.Page, PerPage: q.PerPage, QueueOrder: q.queueOrder()}
	events := map[int64]struct {
		c catalog.Course
		e catalog.Event
	}{}
	for _, b := range list {
		ce, ok := events[b.EventID]
		if !ok {
			c, e, err := s.catalog.Event(ctx, b.EventID)
			if err != nil {
				return Page{}, fmt.Errorf("booking: search: %w", err)
			}
			ce.c, ce.e = c, e
			events[b.EventID] = ce
		}
		if b.Status == Waitlisted {
			if b.WaitPosition, err = s.store.waitPosition(ctx, b); err != nil {
				return Page{}, fmt.Errorf("booking: search: %w", err)
			}
		}
		p.Rows = append(p.Rows, Row{Booking: b, CourseID: ce.c.ID, CourseTitle: ce.c.Title, Date: ce.e.DateLabel(), Event: ce.e,
			Course: ce.c})
	}
	return p, nil
}

// SearchAll returns every booking matching q (its Page and PerPage are
// ignored), with answers, for a bulk action or an export. At most limit
// are read; more is an error, so nothing is silently left out.
func (s *Service) SearchAll(ctx context.Context, q Query, limit int) ([]Row, error) {
	q.Page, q.PerPage = 1, limit+1
	p, err := s.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(p.Rows) > limit {
		return nil, fmt.Errorf("%w: %d bookings match, at most %d at once", ErrTooMany, p.Total, limit)
	}
	for i := range p.Rows {
		if err := s.store.fillDetails(ctx, &p.Rows[i].Booking); err != nil {
			return nil, fmt.Errorf("booking: search: %w", err)
		}
	}
	return p.Rows, nil
}

// ErrTooMany refuses a bulk action or export over more bookings than it
// takes at once.
var ErrTooMany = errors.New("booking: too many bookings")

// ForDesk returns one booking with its answers, queue position and
// whether its mail is failing, with its course and date: the booking's
// page on the desk, and the manage page (ByToken).
func (s *Service) ForDesk(ctx context.Context, id int64) (Manage, error) {
	m, err := s.manage(ctx, id)
	if err != nil {
		return Manage{}, err
	}
	list := []Booking{m.Booking}
	if err := withMailFailing(ctx, s.db, list); err != nil {
		return Manage{}, fmt.Errorf("booking %d: %w", id, err)
	}
	m.Booking = list[0]
	return m, nil
}

// CoursesOf returns the course each booking is on; bookings that do not
// exist are left out. The desk checks with it what a bulk action may
// touch.
func (s *Service) CoursesOf(ctx context.Context, bookingIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	err := database.InBatches(bookingIDs, func(marks string, args []any) error {
		return s.store.each(ctx, `SELECT b.id, e.course_id FROM bookings b JOIN events e ON e.id = b.event_id
			WHERE b.id IN (`+marks+`)`, args, func(scan func(...any) error) error {
			var id, course int64
			err := scan(&id, &course)
			out[id] = course
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("booking: courses of bookings: %w", err)
	}
	return out, nil
}

// Courses returns every course with all its dates, drafts included, for
// the desk's filters.
func (s *Service) Courses(ctx context.Context) ([]catalog.Course, error) {
	ls, err := s.catalog.Listings(ctx, catalog.Filter{Drafts: true}, s.now())
	if err != nil {
		return nil, fmt.Errorf("booking: courses: %w", err)
	}
	out := make([]catalog.Course, len(ls))
	for i, l := range ls {
		out[i] = l.Course
	}
	return out, nil
}

// CourseOptions returns every course's ID and title, drafts included, by
// title: the desk's course filter, read without the courses' dates.
func (s *Service) CourseOptions(ctx context.Context) ([]catalog.CourseOption, error) {
	return s.catalog.CourseOptions(ctx)
}

// DateOptions returns the dates the desk's date filter lists, newest
// first: every date of f.Course when it is set, else those starting at or
// after f.Since.
func (s *Service) DateOptions(ctx context.Context, f catalog.DateOptionFilter) ([]catalog.DateOption, error) {
	return s.catalog.DateOptions(ctx, f)
}

// DateOption returns one date as the desk's date filter lists it;
// ErrNotFound when there is none.
func (s *Service) DateOption(ctx context.Context, id int64) (catalog.DateOption, error) {
	d, err := s.catalog.DateOption(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return d, ErrNotFound
	}
	return d, err
}

// EventOf returns a date and its course; ErrNotFound when there is none.
func (s *Service) EventOf(ctx context.Context, eventID int64) (catalog.Course, catalog.Event, error) {
	c, e, err := s.catalog.Event(ctx, eventID)
	if errors.Is(err, catalog.ErrNotFound) {
		return c, e, ErrNotFound
	}
	return c, e, err
}

// Rows returns the bookings with the given IDs, in that order, each with
// its answers, course and date; IDs of no booking are left out.
func (s *Service) Rows(ctx context.Context, ids []int64) ([]Row, error) {
	var out []Row
	events := map[int64]Manage{}
	for _, id := range ids {
		b, err := s.store.byID(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("booking: rows: %w", err)
		}
		m, ok := events[b.EventID]
		if !ok {
			if m.Course, m.Event, err = s.catalog.Event(ctx, b.EventID); err != nil {
				return nil, fmt.Errorf("booking: rows: %w", err)
			}
			events[b.EventID] = m
		}
		out = append(out, Row{Booking: b, CourseID: m.Course.ID, CourseTitle: m.Course.Title, Date: m.Event.DateLabel(),
			Event: m.Event, Course: m.Course})
	}
	list := make([]Booking, len(out))
	for i := range out {
		list[i] = out[i].Booking
	}
	if err := withMailFailing(ctx, s.db, list); err != nil {
		return nil, fmt.Errorf("booking: rows: %w", err)
	}
	for i := range out {
		out[i].MailFailing = list[i].MailFailing
	}
	return out, nil
}
