package site

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/lists"
	"plenary/internal/web"
)

// bookingFormPage is the booking form of one date: empty, or filled in
// again after a POST that did not book (field errors, or the course's
// rules refused it).
type bookingFormPage struct {
	web.Base
	Action      string // /events/{id}/book
	CourseTitle string
	CourseSlug  string
	Date        dateView
	Places      availability
	Form        bookingForm
	Errors      map[string]string // by field name
	Summary     []fieldError      // the same errors, in form order
	Refused     []string          // the rules' reasons
	Questions   []questionView
	Fees        []feeOption // only when there is a choice
	Fee         string      // the single fee, when there is no choice
	Paid        bool
	SystemCheck bool // an online date: ask for the system-check tick
	Joining     string
	// Closes is when booking closes, with its zone: "on Friday 10 June
	// 2022 at 10:00 UK time (BST)".
	Closes string
	// Terms are the course's cancellation terms, shown before booking.
	Terms template.HTML
	// RetentionDays is how long after the course access needs are kept.
	RetentionDays int
	// SubscribeWording is the never pre-ticked box "E-mail me about new
	// dates of this course" (nil when lists are off).
	SubscribeWording *lists.Wording
}

// bookingForm is what was typed, kept as typed so the form shows it again.
type bookingForm struct {
	Name, Email, Organisation, Role, RegistrationNumber string
	FeeTier, AccessNeeds, PONumber                      string
	SystemChecked                                       bool
	Answers                                             map[string]string // by question key
	// Subscribe is the box asking to hear about new dates, ticked by the
	// person (never by default). Its wording is always
	// lists.BookingWording: a version posted with the form is not read.
	Subscribe bool
}

// fieldError is one line of the error summary: the message and the
// element it links to.
type fieldError struct {
	Anchor  string
	Message string
}

type questionView struct {
	Field    string // answer_<key>
	Anchor   string // the input the error summary links to
	Label    string
	Help     string
	Kind     string // "text", "date" or "yes_no"
	Required bool
	Value    string
	Error    string
}

type feeOption struct {
	Name, Price string
	ID          string
	Checked     bool
}

// bookingFields is the order of the form's fields, for the error summary;
// the answers to the course's questions come after "role".
var bookingFields = []string{"name", "email", "organisation", "role", "registration_number"}

// readBookingForm reads the posted form (already parsed) for course c,
// with the parser the staff area's "add by hand" shares.
func readBookingForm(r *http.Request, c *catalog.Course) bookingForm {
	q := booking.ReadRequest(r.PostForm, *c)
	return bookingForm{
		Name: q.Name, Email: q.Email, Organisation: q.Organisation, Role: q.Role,
		RegistrationNumber: q.RegistrationNumber, FeeTier: q.FeeTier, AccessNeeds: q.AccessNeeds,
		PONumber: q.PONumber, SystemChecked: q.SystemChecked, Answers: q.Answers,
		Subscribe: r.PostFormValue("subscribe") == "yes",
	}
}

func (f bookingForm) request(eventID int64) booking.Request {
	return booking.Request{
		EventID: eventID, Name: f.Name, Email: f.Email, Organisation: f.Organisation, Role: f.Role,
		RegistrationNumber: f.RegistrationNumber, AccessNeeds: f.AccessNeeds, FeeTier: f.FeeTier,
		PONumber: f.PONumber, SystemChecked: f.SystemChecked, Answers: f.Answers,
	}
}

// bookingEvent loads the date behind GET /events/{id}/book (the POST
// reads it in readBookingPost). It writes the page and returns ok=false
// when there is nothing to book: booking is off, the date is unknown or
// its course unpublished.
func (s *Server) bookingEvent(w http.ResponseWriter, r *http.Request) (catalog.Course, catalog.Event, bool) {
	id, ok := web.IDParam(r.PathValue("id"))
	if s.bookings == nil || !ok {
		s.web.NotFound(w, r)
		return catalog.Course{}, catalog.Event{}, false
	}
	c, e, err := s.catalog.Event(r.Context(), id)
	if s.eventUnbookable(w, r, &c, err) {
		return c, e, false
	}
	return c, e, true
}

// eventUnbookable answers a date read with err whose course c (nil: not
// read) is not there or not published, and reports whether it did.
func (s *Server) eventUnbookable(w http.ResponseWriter, r *http.Request, c *catalog.Course, err error) bool {
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && c.Status != catalog.Published) {
		err = booking.ErrEventUnavailable
	}
	if err != nil {
		s.bookingUnavailable(w, r, err, c)
		return true
	}
	return false
}

// bookingNew serves GET /events/{id}/book: the booking form, or a plain
// page saying why the date cannot be booked.
func (s *Server) bookingNew(w http.ResponseWriter, r *http.Request) {
	c, e, ok := s.bookingEvent(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("sent") == "1" {
		// After a repeat booking: say nothing about the booking itself,
		// which the person may not own.
		s.web.Render(w, r, http.StatusOK, "error", web.ErrorPage{
			Base:      s.web.Base(r),
			Status:    http.StatusOK,
			Heading:   "Check your e-mail",
			Message:   "There is already a booking for this e-mail address on this date; we have e-mailed its manage link to that address.",
			BackURL:   "/courses/" + url.PathEscape(c.Slug),
			BackLabel: "Back to " + c.Title,
		})
		return
	}
	p, err := s.bookingForm(r, c, e)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if !p.Places.Open {
		s.bookingUnavailable(w, r, closedReason(e, p.Places), &c)
		return
	}
	s.web.Render(w, r, http.StatusOK, "booking_form", p)
}

// closedReason is the booking error that matches a date that is not open.
func closedReason(e catalog.Event, a availability) error {
	switch {
	case e.Status == catalog.Cancelled:
		return booking.ErrEventCancelled
	case a.Label == "Full":
		return booking.ErrEventFull
	}
	return booking.ErrClosed
}

// bookingCreate serves POST /events/{id}/book. A booking made (or a place
// on the waiting list, or a request for review) redirects to its manage
// page, so a reload does not post again; a repeat booking redirects to a
// neutral "check your e-mail" page; anything else shows the form again
// with what was typed.
//
// A rush onto one date holds thousands of these requests at once, each
// waiting for its batch (booking's group commit), and each with its
// goroutine's stack: what the request keeps while it waits is on the heap
// (bookingPost), and what it does before and after is in functions of its
// own, so that the deepest the request goes fits an 8 KB stack
// (TestBookingPostFitsASmallStack) — a bigger one is copied to twice its
// size, 7 % of a cold rush's CPU and a third of its page faults.
func (s *Server) bookingCreate(w http.ResponseWriter, r *http.Request) {
	p := s.readBookingPost(w, r)
	if p == nil {
		return
	}
	// The person booking acts for themselves: the audit entry names the
	// new booking.
	res, err := s.bookings.BookEvent(r.Context(), p.course, p.event, p.form.request(p.event.ID), audit.ParticipantOf(0))
	if err != nil {
		s.bookingFailed(w, r, p, err)
		return
	}
	s.booked(w, r, p, res)
}

// bookingPost is a booking form posted: the date and course it is for,
// and what was typed.
type bookingPost struct {
	course *catalog.Course
	event  *catalog.Event
	form   bookingForm
}

// readBookingPost reads the date, its course and the posted form; nil
// when the date cannot be booked or the form not read (the answer is
// written).
func (s *Server) readBookingPost(w http.ResponseWriter, r *http.Request) *bookingPost {
	id, ok := web.IDParam(r.PathValue("id"))
	if s.bookings == nil || !ok {
		s.web.NotFound(w, r)
		return nil
	}
	// The booking itself reads the course's version again under the
	// date's lock: a course cached a moment ago will do.
	c, e, err := s.catalog.EventRecent(r.Context(), id)
	if s.eventUnbookable(w, r, c, err) {
		return nil
	}
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return nil
	}
	return &bookingPost{course: c, event: e, form: readBookingForm(r, c)}
}

// booked answers a booking made: its manage page, or for a repeat booking
// the neutral page.
func (s *Server) booked(w http.ResponseWriter, r *http.Request, p *bookingPost, res *booking.Result) {
	s.placesChanged(p.course.Slug)
	s.subscribeAfterBooking(r, p.course, &p.form)
	if res.Existing {
		http.Redirect(w, r, fmt.Sprintf("/events/%d/book?sent=1", p.event.ID), http.StatusSeeOther)
		return
	}
	// The funnel's last step: a booking made, counted (with consent)
	// under a path of its own, as the manage page's path is secret.
	s.web.CountView(r, fmt.Sprintf("/events/%d/booked", p.event.ID))
	http.Redirect(w, r, "/bookings/"+res.Token+"?booked=1", http.StatusSeeOther)
}

// bookingFailed answers a booking not made: the form again for a refusal,
// else a page saying why the date cannot be booked.
func (s *Server) bookingFailed(w http.ResponseWriter, r *http.Request, p *bookingPost, err error) {
	var (
		ferr    booking.FormError
		refused *booking.RefusedError
	)
	if errors.As(err, &ferr) || errors.As(err, &refused) {
		s.bookingRefused(w, r, p, ferr, refused, err)
		return
	}
	s.bookingUnavailable(w, r, err, p.course)
}

// bookingRefused shows the form again, as the person filled it, with what
// was wrong beside each field and the rules' reasons.
func (s *Server) bookingRefused(w http.ResponseWriter, r *http.Request, post *bookingPost,
	ferr booking.FormError, refused *booking.RefusedError, err error) {
	// From the course as it now is: the booking was judged against it
	// (the POST's copy may be a second old), and it may ask what that
	// copy did not.
	c, e := *post.course, *post.event
	if cur, ce, cerr := s.catalog.Event(r.Context(), e.ID); cerr == nil {
		c, e = cur, ce
	}
	p, perr := s.bookingForm(r, c, e)
	if perr != nil {
		s.web.Error(w, r, perr)
		return
	}
	p.fill(post.form, ferr)
	if refused != nil {
		p.Refused = refused.Reasons
	}
	prob, _ := web.ProblemOf(err)
	s.web.Render(w, r, prob.Status, "booking_form", p)
}

// subscribeAfterBooking subscribes the person who just booked to the
// course's new dates when they ticked the box: lists.Subscribe sends the
// confirmation e-mail (double opt-in), and the evidence records the
// source booking and the wording they saw. The booking has succeeded
// already: a failure here is logged, never shown as the booking's.
func (s *Server) subscribeAfterBooking(r *http.Request, c *catalog.Course, f *bookingForm) {
	if !f.Subscribe || !s.listsOn() {
		return
	}
	// The box's wording is the one the form shows, whatever was posted:
	// the evidence must not take the words of a crafted request.
	err := s.lists.Subscribe(r.Context(), lists.Request{Email: f.Email, Name: f.Name, Scope: lists.ScopeCourse,
		CourseID: c.ID, CourseTitle: c.Title, Source: lists.FromBooking, Wording: lists.BookingWording.Version})
	if err != nil {
		s.web.LogFailure(r, "subscribe after booking", err)
	}
}

// bookingForm builds the empty form page of event e.
func (s *Server) bookingForm(r *http.Request, c catalog.Course, e catalog.Event) (bookingFormPage, error) {
	now := s.web.Now()
	places, err := s.bookings.PlacesFor(r.Context(), []catalog.Event{e})
	if err != nil {
		return bookingFormPage{}, err
	}
	p := bookingFormPage{
		Base:        s.web.Base(r),
		Action:      fmt.Sprintf("/events/%d/book", e.ID),
		CourseTitle: c.Title,
		CourseSlug:  c.Slug,
		Date:        newDateView(e, now),
		Places:      availabilityOf(c, e, places[e.ID], now),
		Paid:        !c.Free(),
		SystemCheck: e.Format == catalog.Online,
		Joining:     joiningPromise(c.JoiningLeadDays),
		Errors:      map[string]string{},

		Closes:        closesLabel(booking.ClosesAt(c, e), e.Location()),
		RetentionDays: s.retentionDays,
	}
	if s.listsOn() {
		w := lists.BookingWording
		p.SubscribeWording = &w
	}
	if strings.TrimSpace(c.CancellationTerms) != "" {
		p.Terms = s.markdown.render(c.Slug, "cancellation", c.UpdatedAt, c.CancellationTerms)
	}
	for _, q := range c.Questions {
		v := questionView{Field: booking.AnswerField(q.Key), Label: q.Label, Help: q.Help, Kind: string(q.Kind), Required: q.Required}
		v.Anchor = v.Field
		if q.Kind == catalog.YesNo {
			v.Anchor = v.Field + "-yes"
		}
		p.Questions = append(p.Questions, v)
	}
	switch {
	case len(c.Fees) == 1:
		p.Fee = priceLabel(c.Fees[0])
	case len(c.Fees) > 1:
		for i, f := range c.Fees {
			p.Fees = append(p.Fees, feeOption{Name: f.Name, Price: priceLabel(f), ID: fmt.Sprintf("fee_tier-%d", i)})
		}
	}
	return p, nil
}

// closesLabel writes when booking closes in the event's zone.
func closesLabel(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	return t.Format("on Monday 2 January 2006 at 15:04") + " " + catalog.ZoneLabel(t)
}

// fill puts what was typed, and the errors, back into the form.
func (p *bookingFormPage) fill(f bookingForm, errs booking.FormError) {
	p.Form = f
	for i := range p.Fees {
		p.Fees[i].Checked = p.Fees[i].Name == f.FeeTier
	}
	anchors := map[string]string{"fee_tier": "fee_tier-0"}
	order := append([]string(nil), bookingFields...)
	for i := range p.Questions {
		q := &p.Questions[i]
		key := q.Field[len("answer_"):]
		q.Value = f.Answers[key]
		q.Error = errs[q.Field]
		anchors[q.Field] = q.Anchor
		order = append(order, q.Field)
	}
	order = append(order, "fee_tier", "po_number", "access_needs", "system_checked")
	for field, msg := range errs {
		p.Errors[field] = msg
	}
	for _, field := range order {
		if msg, ok := errs[field]; ok {
			anchor := anchors[field]
			if anchor == "" {
				anchor = field
			}
			p.Summary = append(p.Summary, fieldError{Anchor: anchor, Message: msg})
		}
	}
}

// bookingUnavailable says plainly why a date cannot be booked (the
// error table has the words), with a way back to the course's other
// dates when the course (nil: not read) is published and the date
// exists. An error the table does not know is the logged 500.
func (s *Server) bookingUnavailable(w http.ResponseWriter, r *http.Request, err error, c *catalog.Course) {
	if c == nil || c.Status != catalog.Published || errors.Is(err, booking.ErrEventUnavailable) {
		s.web.Error(w, r, err)
		return
	}
	s.web.Error(w, r, err, web.Link{URL: "/courses/" + url.PathEscape(c.Slug), Label: "See the other dates of " + c.Title})
}
