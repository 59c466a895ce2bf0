package site

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/web"
)

// The manage pages live under /bookings/{token}: the token is the whole
// key, so every response there is no-store and sends no referrer (see
// securityHeaders), the request log shows the route pattern instead of the
// path, and no analytics script is loaded.

// managePage is a booking as its owner sees it through the manage link.
type managePage struct {
	web.Base
	Token       string // for the forms' actions
	ManageURL   string // the link in full, to keep
	Booked      bool   // just booked: say what happens next
	Done        string // what the last change did, for the notice
	Problem     string // why the last change could not be made
	CourseTitle string
	CourseSlug  string
	Date        dateView
	Booking     bookingView
	Joining     string
	// Details is the correction form, with errors after a bad POST.
	Details   detailsForm
	Terms     template.HTML // the course's cancellation terms
	OfferHold int           // hours a waiting-list offer is held
	// Certificate is the booking's CPD certificate, once issued and
	// while valid: the page offers its download.
	Certificate *certificates.Certificate
}

type detailsForm struct {
	Name, Organisation string
	Errors             map[string]string
	Open               bool // show the form open (after an error)
}

// Summary lists the form's errors in field order, for the error summary.
func (f detailsForm) Summary() []fieldError {
	var out []fieldError
	for _, field := range []string{"name", "organisation"} {
		if msg, ok := f.Errors[field]; ok {
			out = append(out, fieldError{Anchor: field, Message: msg})
		}
	}
	return out
}

// bookingView is what the manage page shows of a booking. Access needs
// are not shown, only whether any were given: the link may be forwarded.
type bookingView struct {
	Status             string
	Label              string
	WaitPosition       int
	OfferExpires       string
	Notes              []string
	Name, Email        string
	Organisation, Role string
	RegistrationNumber string
	FeeTier, Fee       string
	PONumber, Invoice  string
	HasAccessNeeds     bool
	Answers            []answerView
	Active             bool // can be cancelled or corrected
	Offered            bool
	// ReviewReasons are the course rules' messages that sent a booking
	// to a coordinator's review, shown while it waits.
	ReviewReasons []string
}

type answerView struct{ Question, Answer string }

// Headline is the outcome in one sentence.
func (b bookingView) Headline() string {
	switch booking.Status(b.Status) {
	case booking.Confirmed:
		return "Your place is confirmed"
	case booking.Waitlisted:
		return fmt.Sprintf("You are on the waiting list: number %d", b.WaitPosition)
	case booking.PendingReview:
		return "We have your request; a coordinator will look at your answers"
	case booking.Offered:
		return "A place has come free for you"
	case booking.Cancelled:
		return "This booking is cancelled"
	case booking.Declined:
		return "This booking was declined"
	case booking.Lapsed:
		return "The offer of a place has lapsed"
	case booking.Attended:
		return "You attended this course"
	case booking.NoShow:
		return "You were booked on this course"
	}
	return "Your booking"
}

// manageDone are the notices after a change, by the ?done= value.
var manageDone = map[string]string{
	"cancelled": "Your booking is cancelled. We have e-mailed you to confirm it.",
	"accepted":  "You have accepted the place: your booking is confirmed. We have e-mailed you a confirmation with a calendar file.",
	"declined":  "You have declined the place. Thank you for letting us know: it goes to the next person waiting.",
	"updated":   "Your details are updated.",
}

// managePageFor builds the manage page of m.
func (s *Server) managePageFor(r *http.Request, token string, m booking.Manage) managePage {
	b, c, e := m.Booking, m.Course, m.Event
	now := s.web.Now()
	p := managePage{
		Base:        s.web.Base(r),
		Token:       token,
		ManageURL:   s.web.AbsoluteBase(r) + "/bookings/" + token,
		Booked:      r.URL.Query().Get("booked") == "1",
		CourseTitle: c.Title,
		CourseSlug:  c.Slug,
		Date:        newDateView(e, now),
		Joining:     joiningPromise(c.JoiningLeadDays),
		Details:     detailsForm{Name: b.Name, Organisation: b.Organisation},
		OfferHold:   c.OfferHoldHours,
		Booking: bookingView{
			Status: string(b.Status), Label: b.Status.Label(), WaitPosition: b.WaitPosition, Notes: b.Notes,
			Name: b.Name, Email: b.Email, Organisation: b.Organisation, Role: b.Role,
			RegistrationNumber: b.RegistrationNumber, FeeTier: b.FeeTier, PONumber: b.PONumber,
			Invoice: b.InvoiceLabel(), HasAccessNeeds: b.AccessNeeds != "",
			Active:  b.Status.Active() && b.Status != booking.Attended && b.Status != booking.NoShow,
			Offered: b.Status == booking.Offered,
		},
	}
	if b.Status == booking.PendingReview {
		p.Booking.ReviewReasons = b.ReviewReasons()
	}
	p.Analytics = "" // never load a third-party script beside the token
	if msg, ok := manageDone[r.URL.Query().Get("done")]; ok {
		p.Done = msg
	}
	if b.Amount > 0 {
		p.Booking.Fee = catalog.FormatMoney(b.Amount, b.Currency)
	}
	if !b.OfferExpiresAt.IsZero() {
		t := b.OfferExpiresAt.In(e.Location())
		p.Booking.OfferExpires = t.Format("15:04 on Monday 2 January 2006") + " " + catalog.ZoneLabel(t)
	}
	for _, q := range c.Questions {
		if a := b.Answers[q.Key]; a != "" {
			p.Booking.Answers = append(p.Booking.Answers, answerView{Question: q.Label, Answer: a})
		}
	}
	if strings.TrimSpace(c.CancellationTerms) != "" {
		p.Terms = s.markdown.render(c.Slug, "cancellation", c.UpdatedAt, c.CancellationTerms)
	}
	return p
}

// manage reads the booking behind {token}; a bad token is a plain 404.
func (s *Server) manage(w http.ResponseWriter, r *http.Request) (string, booking.Manage, bool) {
	token := r.PathValue("token")
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return token, booking.Manage{}, false
	}
	m, err := s.bookings.ByToken(r.Context(), token)
	if errors.Is(err, booking.ErrNotFound) {
		s.web.NotFound(w, r)
		return token, m, false
	}
	if err != nil {
		s.web.Error(w, r, err)
		return token, m, false
	}
	return token, m, true
}

// bookingShow serves GET /bookings/{token}: the booking, with what can be
// done about it.
func (s *Server) bookingShow(w http.ResponseWriter, r *http.Request) {
	token, m, ok := s.manage(w, r)
	if !ok {
		return
	}
	p := s.managePageFor(r, token, m)
	if s.certificates != nil && certificateHolder(m.Booking.Status) {
		c, err := s.certificates.ForBooking(r.Context(), m.Booking.ID)
		switch {
		case err == nil && c.State == certificates.Valid:
			p.Certificate = &c
		case err != nil && !errors.Is(err, certificates.ErrNotFound):
			s.web.Error(w, r, err)
			return
		}
	}
	s.web.Render(w, r, http.StatusOK, "booking_manage", p)
}

// bookingCertificate serves GET /bookings/{token}/certificate: the
// booking's certificate as a PDF, made on request from the fields stored
// when it was issued (the same bytes every time). A booking without a
// valid certificate, or no longer confirmed or attended, has none to
// download: 404.
func (s *Server) bookingCertificate(w http.ResponseWriter, r *http.Request) {
	_, m, ok := s.manage(w, r)
	if !ok {
		return
	}
	if s.certificates == nil || !certificateHolder(m.Booking.Status) {
		s.web.NotFound(w, r)
		return
	}
	c, err := s.certificates.ForBooking(r.Context(), m.Booking.ID)
	if err == nil && c.State != certificates.Valid {
		err = certificates.ErrNotFound
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	pdf, err := certificates.PDF(c, s.web.AbsoluteBase(r))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+certificates.FileName(c)+`"`)
	w.Write(pdf)
}

// certificateHolder reports whether a booking in status st may download
// its certificate: confirmed or attended. A cancelled booking's
// certificate stays as issued (staff see it flagged and decide whether
// to revoke it) but is no longer offered.
func certificateHolder(st booking.Status) bool {
	return st == booking.Confirmed || st == booking.Attended
}

// bookingCancelConfirm serves GET /bookings/{token}/cancel: the course's
// cancellation terms and the button that cancels.
func (s *Server) bookingCancelConfirm(w http.ResponseWriter, r *http.Request) {
	token, m, ok := s.manage(w, r)
	if !ok {
		return
	}
	s.web.Render(w, r, http.StatusOK, "booking_cancel", s.managePageFor(r, token, m))
}

// bookingCancel serves POST /bookings/{token}/cancel.
func (s *Server) bookingCancel(w http.ResponseWriter, r *http.Request) {
	s.manageChange(w, r, "cancelled", func(token string) error {
		_, err := s.bookings.Cancel(r.Context(), token)
		return err
	})
}

// bookingAccept serves POST /bookings/{token}/accept: take up an offered
// place.
func (s *Server) bookingAccept(w http.ResponseWriter, r *http.Request) {
	s.manageChange(w, r, "accepted", func(token string) error {
		_, err := s.bookings.AcceptOffer(r.Context(), token)
		return err
	})
}

// bookingDecline serves POST /bookings/{token}/decline: turn an offered
// place down.
func (s *Server) bookingDecline(w http.ResponseWriter, r *http.Request) {
	s.manageChange(w, r, "declined", func(token string) error {
		_, err := s.bookings.DeclineOffer(r.Context(), token)
		return err
	})
}

// bookingDetailsUpdate serves POST /bookings/{token}/details: correct the
// name or organisation.
func (s *Server) bookingDetailsUpdate(w http.ResponseWriter, r *http.Request) {
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	name, org := r.PostFormValue("name"), r.PostFormValue("organisation")
	s.manageChange(w, r, "updated", func(token string) error {
		_, err := s.bookings.UpdateDetails(r.Context(), token, name, org)
		var ferr booking.FormError
		if errors.As(err, &ferr) {
			return detailsError{ferr: ferr, name: name, organisation: org}
		}
		return err
	})
}

// detailsError carries a rejected correction back to the page.
type detailsError struct {
	ferr               booking.FormError
	name, organisation string
}

func (e detailsError) Error() string { return e.ferr.Error() }

// Unwrap lets the error table see the form error.
func (e detailsError) Unwrap() error { return e.ferr }

// manageChange runs change on the booking behind {token}, then redirects
// to its manage page with a notice (so a reload does not post again), or
// shows the page with what went wrong.
func (s *Server) manageChange(w http.ResponseWriter, r *http.Request, done string, change func(token string) error) {
	token := r.PathValue("token")
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	err := change(token)
	if err == nil {
		s.web.PurgePages()
		http.Redirect(w, r, "/bookings/"+token+"?done="+done, http.StatusSeeOther)
		return
	}
	// What went wrong is said on the manage page itself, in the error
	// table's words; what is not found, or not known, gets its own page.
	prob, known := web.ProblemOf(err)
	if !known || prob.Status == http.StatusNotFound {
		s.web.Error(w, r, err)
		return
	}
	var derr detailsError
	problem, status := prob.Message, prob.Status
	if errors.As(err, &derr) {
		problem = "" // the form shows each field's error
	}
	m, err := s.bookings.ByToken(r.Context(), token)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := s.managePageFor(r, token, m)
	p.Problem = problem
	if problem != "" && m.Booking.Status == booking.Cancelled {
		p.Problem = "This booking is already cancelled."
	}
	if derr.ferr != nil {
		p.Details = detailsForm{Name: derr.name, Organisation: derr.organisation, Errors: derr.ferr, Open: true}
	}
	s.web.Render(w, r, status, "booking_manage", p)
}
