package admin

import (
	"fmt"
	"net/http"
	"time"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/web"
)

// The "needs attention" page, /admin/attention: what the course team
// should deal with today, from booking.Service.Attention, narrowed to
// what the viewer may see (their courses; invoices with invoices:read).
// It only reads; each line links where it is dealt with: a booking to
// /admin/bookings/{id}, a date to /admin/bookings?event={id}, an e-mail to
// /admin/messages/{id} for those who may read messages.

// attentionPage is what needs the course team now.
type attentionPage struct {
	web.Base
	Now      string // when the page was made, UK time
	Window   string // how soon an offer must lapse to be listed
	Promised int    // working days a review is promised within
	Reviews  []reviewLine
	Offers   []offerLine
	Joining  []joiningLine
	Failing  []failingLine
	Invoices []invoiceLine
	Filling  []fillingLine
	Late     []lateLine
	// Rules of the newer sections, for the hints.
	InvoiceDays, LateDays int
	// ShowInvoices: the viewer may read invoices on some course.
	ShowInvoices bool
}

// joiningLine is a date whose joining instructions have not all gone.
type joiningLine struct {
	EventURL                   string
	Course, Date, SendAt       string
	Confirmed, NotGone, Failed int
}

// invoiceLine is an unpaid invoice near its date.
type invoiceLine struct {
	BookingID              int64
	BookingURL             string
	Name, Email, Org       string
	Invoice, PO            string
	Course, Date, DaysLeft string
}

// fillingLine is a date nearly full or with a waiting list.
type fillingLine struct {
	EventURL             string
	Course, Date, Places string
	Full                 bool
}

// lateLine is a late change confirmed lately.
type lateLine struct {
	EventURL             string
	Course, Date, At, By string
	Told, Cancelled      int
}

// attentionCount is one section's count on the first page.
type attentionCount struct {
	Anchor string
	Label  string
	Count  int
}

// reviewLine is a booking waiting for review.
type reviewLine struct {
	BookingID         int64
	BookingURL        string
	Name, Email, Org  string
	Course, Date      string
	Reasons           []string
	Since             string // when the review started, in the date's zone
	Due               string // the day a reply was promised by
	WorkingDays       int    // working days waited so far
	Waited            string // the same in words: "1 working day"
	Overdue, DueToday bool
}

// offerLine is an offer of a place about to lapse.
type offerLine struct {
	BookingID    int64
	BookingURL   string
	Name, Email  string
	Course, Date string
	Expires      string
	Lapsed       bool // past its time, waiting for the expiry job
}

// failingLine is an e-mail that failed or is failing.
type failingLine struct {
	ID         int64
	URL        string // the message's page, when the viewer may open one; "" otherwise
	Kind       string
	To         string
	Subject    string
	Label      string // the subject, or what the e-mail is when it has none yet
	Failed     bool   // for good; otherwise queued to be tried again
	Attempts   int
	LastError  string // the SMTP server's answer: text, escaped like any other
	BookingID  int64  // 0 for mail about no booking
	BookingURL string
	Created    string
}

// attentionTime writes t in its own zone: "16:30 on Friday 27 March 2026
// UK time (GMT)".
func attentionTime(t time.Time) string {
	return t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t)
}

func dayLabel(d catalog.Date) string { return d.In(time.UTC).Format("Monday 2 January 2006") }

// attentionFor reads what needs attention and keeps what the request's
// viewer may see: every section on the courses where they may read
// bookings, invoices where they may read invoices. ok is false (and
// nothing read) without the booking service or a session.
func (s *Server) attentionFor(r *http.Request) (a booking.Attention, ok bool, err error) {
	sess, signed := sessionOf(r)
	if s.bookings == nil || !signed || !sess.CanSome(account.BookingsRead) {
		return a, false, nil
	}
	a, err = s.bookings.Attention(r.Context(), 0)
	if err != nil {
		return a, false, err
	}
	return a.For(func(sec booking.Section, courseID int64) bool {
		if sec == booking.SectionInvoices {
			return sess.Can(account.InvoicesRead, courseID)
		}
		return sess.Can(account.BookingsRead, courseID)
	}), true, nil
}

// sectionLabels are the sections' headings, as the page and the first
// page's counts name them.
var sectionLabels = map[booking.Section]string{
	booking.SectionReviews:  "Bookings waiting for review",
	booking.SectionOffers:   "Offers about to lapse",
	booking.SectionJoining:  "Joining instructions not all gone",
	booking.SectionFailing:  "E-mails failing",
	booking.SectionInvoices: "Invoices unpaid near the course",
	booking.SectionFilling:  "Dates nearly full or with a waiting list",
	booking.SectionLate:     "Late changes in the last 14 days",
}

// attentionCounts are the counts of each section the viewer may see, for
// the first page; nil when the viewer may not open the attention page or
// it cannot be read (the first page still shows).
func (s *Server) attentionCounts(r *http.Request) []attentionCount {
	a, ok, err := s.attentionFor(r)
	if !ok || err != nil {
		return nil
	}
	sess, _ := sessionOf(r)
	var out []attentionCount
	for _, sec := range booking.Sections {
		if sec == booking.SectionInvoices && !sess.CanSome(account.InvoicesRead) {
			continue
		}
		out = append(out, attentionCount{Anchor: string(sec), Label: sectionLabels[sec], Count: a.Count(sec)})
	}
	return out
}

func bookingURL(id int64) string { return fmt.Sprintf("/admin/bookings/%d", id) }
func eventURL(id int64) string   { return fmt.Sprintf("/admin/bookings?event=%d", id) }

// attention serves GET /admin/attention.
func (s *Server) attention(w http.ResponseWriter, r *http.Request) {
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	a, _, err := s.attentionFor(r)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	sess, _ := sessionOf(r)
	p := attentionPage{Base: s.web.Base(r), Now: attentionTime(a.Now.In(ukTime)), Window: windowLabel(a.Window),
		Promised: booking.ReviewWorkingDays, InvoiceDays: booking.InvoiceNearWorkingDays, LateDays: booking.LateChangeDays,
		ShowInvoices: sess.CanSome(account.InvoicesRead)}
	for _, rv := range a.Reviews {
		today := catalog.DateOf(a.Now.In(rv.Event.Location()))
		p.Reviews = append(p.Reviews, reviewLine{BookingID: rv.Booking.ID, BookingURL: bookingURL(rv.Booking.ID),
			Name: rv.Booking.Name, Email: rv.Booking.Email,
			Org: rv.Booking.Organisation, Course: rv.Course.Title, Date: rv.Event.DateLabel(), Reasons: rv.Booking.ReviewReasons(),
			Since: attentionTime(rv.Since), Due: dayLabel(rv.Due), WorkingDays: rv.WorkingDays, Waited: workingDays(rv.WorkingDays),
			Overdue: rv.Overdue, DueToday: !rv.Overdue && rv.Due == today})
	}
	for _, o := range a.Offers {
		p.Offers = append(p.Offers, offerLine{BookingID: o.Booking.ID, BookingURL: bookingURL(o.Booking.ID),
			Name: o.Booking.Name, Email: o.Booking.Email,
			Course: o.Course.Title, Date: o.Event.DateLabel(), Expires: attentionTime(o.Expires), Lapsed: !o.Expires.After(a.Now)})
	}
	for _, j := range a.Joining {
		p.Joining = append(p.Joining, joiningLine{EventURL: eventURL(j.Event.ID), Course: j.Course.Title, Date: j.Event.DateLabel(),
			SendAt: attentionTime(j.SendAt), Confirmed: j.Confirmed, NotGone: j.NotGone, Failed: j.Failed})
	}
	for _, m := range a.Failing {
		l := failingLine{ID: m.ID, Kind: m.Kind, To: m.ToEmail, Subject: m.Subject, Failed: m.Status == messaging.Failed,
			Attempts: m.Attempts, LastError: m.LastError, BookingID: m.BookingID, Created: attentionTime(m.CreatedAt)}
		l.Label = m.Subject
		if l.Label == "" { // rendered only when it is sent
			l.Label = fmt.Sprintf("E-mail %d (%s)", m.ID, m.Kind)
		}
		if sess.Can(account.MessagesRead, 0) { // the mail log is site-wide
			l.URL = fmt.Sprintf("/admin/messages/%d", m.ID)
		}
		if m.BookingID != 0 {
			l.BookingURL = bookingURL(m.BookingID)
		}
		p.Failing = append(p.Failing, l)
	}
	for _, i := range a.Invoices {
		p.Invoices = append(p.Invoices, invoiceLine{BookingID: i.Booking.ID, BookingURL: bookingURL(i.Booking.ID),
			Name: i.Booking.Name, Email: i.Booking.Email, Org: i.Booking.Organisation, Invoice: i.Booking.InvoiceLabel(),
			PO: i.Booking.PONumber, Course: i.Course.Title, Date: i.Event.DateLabel(), DaysLeft: i.DaysLeft()})
	}
	for _, f := range a.Filling {
		l := fillingLine{EventURL: eventURL(f.Event.ID), Course: f.Course.Title, Date: f.Event.DateLabel(),
			Places: f.Summary(), Full: f.Capacity > 0 && f.Left() == 0}
		if l.Full { // the badge says "Full": the words do not say it again
			l.Places = fmt.Sprintf("all %d places taken", f.Capacity)
			if f.Capacity == 1 {
				l.Places = "its one place taken"
			}
			if f.Waiting > 0 {
				l.Places += fmt.Sprintf(", %d waiting", f.Waiting)
			}
		}
		p.Filling = append(p.Filling, l)
	}
	for _, l := range a.Late {
		p.Late = append(p.Late, lateLine{EventURL: eventURL(l.Event.ID), Course: l.Course.Title, Date: l.Event.DateLabel(),
			At: attentionTime(l.At), By: l.By, Told: l.Told, Cancelled: l.Cancelled})
	}
	s.web.Render(w, r, http.StatusOK, "admin_attention", p)
}

// workingDays writes n working days in words.
func workingDays(n int) string {
	if n == 1 {
		return "1 working day"
	}
	return fmt.Sprintf("%d working days", n)
}

// windowLabel writes the offer window for people: "24 hours".
func windowLabel(d time.Duration) string {
	if h := d.Hours(); h == float64(int(h)) {
		if h == 1 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", int(h))
	}
	return d.String()
}
