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
// should deal with today, from booking.Service.Attention. It only reads;
// each line says where it is dealt with once such a page exists (until
// the bookings desk arrives, a booking is named by its ID, plainly).

// attentionPage is what needs the course team now.
type attentionPage struct {
	web.Base
	Now      string // when the page was made, UK time
	Window   string // how soon an offer must lapse to be listed
	Promised int    // working days a review is promised within
	Reviews  []reviewLine
	Offers   []offerLine
	Failing  []failingLine
}

// reviewLine is a booking waiting for review.
type reviewLine struct {
	BookingID         int64
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
	Name, Email  string
	Course, Date string
	Expires      string
	Lapsed       bool // past its time, waiting for the expiry job
}

// failingLine is an e-mail that failed or is failing.
type failingLine struct {
	ID        int64
	URL       string // the message's page, when the viewer may open one; "" otherwise
	Kind      string
	To        string
	Subject   string
	Label     string // the subject, or what the e-mail is when it has none yet
	Failed    bool   // for good; otherwise queued to be tried again
	Attempts  int
	LastError string // the SMTP server's answer: text, escaped like any other
	BookingID int64  // 0 for mail about no booking
	Created   string
}

// attentionTime writes t in its own zone: "16:30 on Friday 27 March 2026
// UK time (GMT)".
func attentionTime(t time.Time) string {
	return t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t)
}

func dayLabel(d catalog.Date) string { return d.In(time.UTC).Format("Monday 2 January 2006") }

// attention serves GET /admin/attention.
func (s *Server) attention(w http.ResponseWriter, r *http.Request) {
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	a, err := s.bookings.Attention(r.Context(), 0)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	sess, _ := sessionOf(r)
	mailPages := s.devMailbox && s.outbox != nil && sess.Can(account.MessagesRead, 0)
	p := attentionPage{Base: s.web.Base(r), Now: attentionTime(a.Now.In(ukTime)), Window: windowLabel(a.Window),
		Promised: booking.ReviewWorkingDays}
	for _, rv := range a.Reviews {
		today := catalog.DateOf(a.Now.In(rv.Event.Location()))
		p.Reviews = append(p.Reviews, reviewLine{BookingID: rv.Booking.ID, Name: rv.Booking.Name, Email: rv.Booking.Email,
			Org: rv.Booking.Organisation, Course: rv.Course.Title, Date: rv.Event.DateLabel(), Reasons: rv.Booking.ReviewReasons(),
			Since: attentionTime(rv.Since), Due: dayLabel(rv.Due), WorkingDays: rv.WorkingDays, Waited: workingDays(rv.WorkingDays),
			Overdue: rv.Overdue, DueToday: !rv.Overdue && rv.Due == today})
	}
	for _, o := range a.Offers {
		p.Offers = append(p.Offers, offerLine{BookingID: o.Booking.ID, Name: o.Booking.Name, Email: o.Booking.Email,
			Course: o.Course.Title, Date: o.Event.DateLabel(), Expires: attentionTime(o.Expires), Lapsed: !o.Expires.After(a.Now)})
	}
	for _, m := range a.Failing {
		l := failingLine{ID: m.ID, Kind: m.Kind, To: m.ToEmail, Subject: m.Subject, Failed: m.Status == messaging.Failed,
			Attempts: m.Attempts, LastError: m.LastError, BookingID: m.BookingID, Created: attentionTime(m.CreatedAt)}
		l.Label = m.Subject
		if l.Label == "" { // rendered only when it is sent
			l.Label = fmt.Sprintf("E-mail %d (%s)", m.ID, m.Kind)
		}
		if mailPages {
			l.URL = fmt.Sprintf("/admin/mail/%d", m.ID)
		}
		p.Failing = append(p.Failing, l)
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
