package admin

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/web"
)

// A booking's actions, each a GET form and a POST through one domain call
// of package booking with the signed-in staff member as the actor:
// review (approve or decline with a message), cancel (on the course's
// terms or waiving them), move to another date, offer a place out of
// turn, correct details, mark the invoice paid, and add a booking by hand
// (/admin/bookings/new?event=ID). Each route is pmSome of its permission;
// the handler checks the booking's course with allowedOn on GET and again
// on POST. After a change the browser goes to the booking's page with
// ?done=<action>, which that page confirms.

// actionPage is one action's form about one booking (or, for "new", one
// date).
type actionPage struct {
	web.Base
	Kind    string // review, cancel, move, offer, details, payment, new
	Heading string
	Action  string // the form's URL
	Back    string // the booking's page (or the staff area for "new")

	Booking   bookingFacts
	ShowMoney bool // the viewer may see money (invoices:read)

	// Form holds what was typed, by field; Checked the ticked boxes.
	Form    map[string]string
	Checked map[string]bool
	Errors  map[string]string
	Summary []fieldError
	// Problem is a refusal of the whole action (not one field), with the
	// rules' reasons when the course's rules refused it.
	Problem string
	Reasons []string
	// Closed says the action does not apply to this booking now (with
	// why); the form is not shown.
	Closed string

	Answers []booking.Answer // review: the person's answers
	Review  []string         // review: why it waits
	Terms   string           // offer: what offering does on this course
	// cancel: the course's cancellation terms, Markdown rendered as the
	// public course page renders them.
	TermsHTML template.HTML
	Paid      bool         // cancel: the fee is paid (refund due either way)
	Dates     []dateOption // move: where the booking may go
	// move: whether Dates has the course's own dates, and other courses'.
	SameCourse, OtherCourses bool
	Due                      string // payment: the amount invoiced
	Today                    string // payment: today, in the date's zone, YYYY-MM-DD
	// offer, on a full date: what passing the open offer does, and the
	// booking whose offer it is (the form sends it back, so a POST after
	// a change is shown the new state before anything happens).
	Withdraw   string
	WithdrawID int64
	// offer: the reason's label and hint, by the person's place in the
	// queue; review: what declining does, by whether anyone waits.
	ReasonLabel, ReasonHint string
	Decline                 string

	// new: the public form's fields and the overrides.
	Questions []questionField
	Fees      []feeChoice
	Online    bool
	Overrides []overrideField
}

// bookingFacts is what each action page shows of the booking.
type bookingFacts struct {
	ID                        int64
	Name, Email, Organisation string
	Role, Status              string
	Course, Date, Times       string
	Fee, InvoiceState         string
}

// dateOption is a date a booking could move to.
type dateOption struct {
	ID       int64
	Course   string
	Date     string
	Times    string
	Places   string // "3 places left", "No limit", "Full (2 waiting)"
	Closed   string // why it cannot be chosen; "" when it can
	Same     bool   // the booking's own course
	Fee      string // another course's fee(s): "Fee £950.00", "Free"
	Selected bool
}

// questionField is one of the course's questions on the "add by hand"
// form.
type questionField struct {
	Field, Label, Help, Kind, Value, Error string
	Required                               bool
}

// feeChoice is one fee on the "add by hand" form.
type feeChoice struct {
	Name, Price, ID string
	Checked         bool
}

// overrideField is one override on the "add by hand" form with its
// reason box.
type overrideField struct {
	Name, Label, Hint string
	Checked           bool
	Reason            string
	Error             string // the reason's
}

func (p *actionPage) fail(field, msg string) {
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	p.Errors[field] = msg
	p.Summary = append(p.Summary, fieldError{Anchor: field, Message: msg})
}

// actionTitles are the pages' headings.
var actionTitles = map[string]string{
	"review": "Approve or decline", "cancel": "Cancel the booking", "move": "Move to another date",
	"offer": "Offer a place", "details": "Correct the details", "payment": "Mark the invoice paid",
	"new": "Add a booking by hand",
}

// actionPerms is the permission each action needs on the booking's course.
var actionPerms = map[string]account.Permission{
	"review": account.BookingsApprove, "cancel": account.BookingsEdit, "move": account.BookingsEdit,
	"offer": account.BookingsEdit, "details": account.BookingsEdit, "payment": account.InvoicesMarkPaid,
	"new": account.BookingsEdit,
}

// loadAction reads the booking behind /admin/bookings/{id}/<kind> and
// checks the viewer may act on its course; it writes the 404 or 403 page
// and returns ok=false when not.
func (s *Server) loadAction(w http.ResponseWriter, r *http.Request, kind string) (booking.Manage, actionPage, bool) {
	id, ok := web.IDParam(r.PathValue("id"))
	if !ok || s.bookings == nil {
		s.web.NotFound(w, r)
		return booking.Manage{}, actionPage{}, false
	}
	m, err := s.bookings.ManageByID(r.Context(), id)
	if err != nil {
		s.web.Error(w, r, err)
		return booking.Manage{}, actionPage{}, false
	}
	if !s.allowedOn(w, r, actionPerms[kind], m.Course.ID) {
		return booking.Manage{}, actionPage{}, false
	}
	sess, _ := sessionOf(r)
	p := actionPage{Base: s.web.Base(r), Kind: kind, Heading: actionTitles[kind],
		Action: fmt.Sprintf("/admin/bookings/%d/%s", id, kind), Back: fmt.Sprintf("/admin/bookings/%d", id),
		ShowMoney: sess.Can(account.InvoicesRead, m.Course.ID), Form: map[string]string{}, Checked: map[string]bool{}}
	b := m.Booking
	p.Booking = bookingFacts{ID: b.ID, Name: b.Name, Email: b.Email, Organisation: b.Organisation, Role: b.Role,
		Status: b.Status.Label(), Course: m.Course.Title, Date: m.Event.DateLabel(), Times: booking.EventTimes(m.Event),
		InvoiceState: b.InvoiceState()}
	if b.Status == booking.Waitlisted {
		p.Booking.Status = fmt.Sprintf("%s (position %d)", p.Booking.Status, b.WaitPosition)
	}
	if b.Amount > 0 {
		p.Booking.Fee = catalog.FormatMoney(b.Amount, b.Currency) + " (" + b.FeeTier + ")"
	}
	return m, p, true
}

// render writes the page: 200 for a GET, 422 for a POST with errors,
// 409 for an action refused as a whole.
func (s *Server) renderAction(w http.ResponseWriter, r *http.Request, p actionPage) {
	status := http.StatusOK
	switch {
	case r.Method != http.MethodPost:
	case p.Problem != "" || p.Closed != "":
		status = http.StatusConflict
	default:
		status = http.StatusUnprocessableEntity
	}
	s.web.Render(w, r, status, "admin_booking_action", p)
}

// posted reports whether r brings a form to act on. Otherwise it has
// answered: the page itself for a GET or for an action the booking's state
// no longer allows (p.Closed, 409 to a POST), the error page for a form
// that cannot be read.
func (s *Server) posted(w http.ResponseWriter, r *http.Request, p actionPage) bool {
	if r.Method != http.MethodPost || p.Closed != "" {
		s.renderAction(w, r, p)
		return false
	}
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return false
	}
	return true
}

// actionDone sends the browser to booking id's page, saying what was done.
func actionDone(w http.ResponseWriter, r *http.Request, id int64, done string) {
	http.Redirect(w, r, fmt.Sprintf("/admin/bookings/%d?done=%s", id, url.QueryEscape(done)), http.StatusSeeOther)
}

// refusals are the words for the domain's refusals of a whole action.
var refusals = []struct {
	err error
	msg string
}{
	{booking.ErrNotPendingReview, "This booking is not waiting for review (any more): someone may have settled it already."},
	{booking.ErrNotActive, "This booking is no longer active: it has been cancelled, declined or has lapsed."},
	{booking.ErrNotWaitlisted, "This booking is not on the waiting list."},
	{booking.ErrNoFreePlace, "No place is free on this date. To take the person over capacity, add a booking by hand with “Ignore capacity”."},
	{booking.ErrNotUnpaid, "This booking has no unpaid invoice: it was never invoiced, is paid already, or its fee was waived."},
	{booking.ErrNoPlaceOnDate, "That date has no free place. A move never puts someone on a waiting list: choose another date."},
	{booking.ErrSameDate, "The booking is already on that date: choose another."},
	{booking.ErrAlreadyBookedThere, "This person already has a booking on that date."},
	{booking.ErrFeeTierMissing, "That course has several fees and none of the same name as this booking's: cancel and add the person by hand on that date with the right fee."},
	{booking.ErrEventFull, "This date is full and keeps no waiting list. Tick “Ignore capacity” (with a reason) to add the person anyway."},
	{booking.ErrEventCancelled, "That date has been cancelled."},
	{booking.ErrClosed, "That date has started or is over, or bookings for it have closed."},
	{booking.ErrEventUnavailable, "That date is not open for booking (unknown, or its course is not published)."},
}

// refuse puts err on the page: a FormError beside its fields, the rules'
// refusal or a known refusal at the top. It reports false for any other
// error, which the caller hands to the error table.
func (p *actionPage) refuse(err error, order ...string) bool {
	var ferr booking.FormError
	if errors.As(err, &ferr) {
		for _, f := range order {
			if msg, ok := ferr[f]; ok {
				p.fail(f, msg)
				delete(ferr, f)
			}
		}
		for f, msg := range ferr { // fields the page does not order
			p.fail(f, msg)
		}
		return true
	}
	var refused *booking.RefusedError
	if errors.As(err, &refused) {
		p.Problem, p.Reasons = "The course's rules do not allow this booking on that date.", refused.Reasons
		return true
	}
	if msg := refusalText(err); msg != "" {
		p.Problem = msg
		return true
	}
	return false
}

// refusalText is the words for a known refusal, or "".
func refusalText(err error) string {
	for _, x := range refusals {
		if errors.Is(err, x.err) {
			return x.msg
		}
	}
	return ""
}

// actor is who acts: the signed-in staff member.
func actorOf(r *http.Request) (sess account.Session) {
	sess, _ = sessionOf(r)
	return sess
}

// --- review ---

func (s *Server) reviewPage(r *http.Request, m booking.Manage, p *actionPage) error {
	if m.Booking.Status != booking.PendingReview {
		p.Closed = "This booking is not waiting for review: it is " + strings.ToLower(m.Booking.Status.Label()) + "."
	}
	p.Review = m.Booking.ReviewReasons()
	p.Answers = booking.ListingRows(m.Course, m.Event, []booking.Booking{m.Booking}, false)[0].Answers
	p.Decline = "Decline: the place is freed"
	if places, err := s.bookings.PlacesFor(r.Context(), []catalog.Event{m.Event}); err != nil {
		return err
	} else if places[m.Event.ID].Waiting > 0 {
		p.Decline = "Decline: the place goes to the first person waiting"
	}
	return nil
}

// review serves GET and POST /admin/bookings/{id}/review.
func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	m, p, ok := s.loadAction(w, r, "review")
	if !ok {
		return
	}
	if err := s.reviewPage(r, m, &p); err != nil {
		s.web.Error(w, r, err)
		return
	}
	if !s.posted(w, r, p) {
		return
	}
	decision, message := r.PostForm.Get("decision"), r.PostForm.Get("message")
	p.Form["decision"], p.Form["message"] = decision, message
	var err error
	switch decision {
	case "approve":
		_, err = s.bookings.Approve(r.Context(), m.Booking.ID, actorOf(r).User.Actor(), message)
	case "decline":
		_, err = s.bookings.DeclineReview(r.Context(), m.Booking.ID, actorOf(r).User.Actor(), message)
	default:
		p.fail("decision", "Choose whether to approve or decline the booking.")
		s.renderAction(w, r, p)
		return
	}
	if err != nil {
		if p.refuse(err, "message") {
			s.renderAction(w, r, p)
			return
		}
		s.web.Error(w, r, err)
		return
	}
	actionDone(w, r, m.Booking.ID, map[string]string{"approve": "approved", "decline": "declined"}[decision])
}

// --- cancel ---

// cancel serves GET and POST /admin/bookings/{id}/cancel.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	m, p, ok := s.loadAction(w, r, "cancel")
	if !ok {
		return
	}
	b := m.Booking
	if !b.Status.Active() || b.Status == booking.Attended || b.Status == booking.NoShow {
		p.Closed = "This booking cannot be cancelled: it is " + strings.ToLower(b.Status.Label()) + "."
	}
	p.TermsHTML, p.Paid = web.Markdown(strings.TrimSpace(m.Course.CancellationTerms)), b.Payment == booking.Paid
	p.Form["terms"] = "apply"
	if !s.posted(w, r, p) {
		return
	}
	terms, reason := r.PostForm.Get("terms"), r.PostForm.Get("reason")
	p.Form["terms"], p.Form["reason"] = terms, reason
	if terms != "apply" && terms != "waive" {
		p.fail("terms-apply", "Choose whether the course's cancellation terms apply or are waived.")
	}
	if strings.TrimSpace(reason) == "" {
		p.fail("reason", "Give a reason: it is kept in the audit log.")
	}
	if p.Errors != nil {
		s.renderAction(w, r, p)
		return
	}
	_, err := s.bookings.CancelByID(r.Context(), b.ID, actorOf(r).User.Actor(),
		booking.CancelOptions{WaiveTerms: terms == "waive", Reason: reason})
	if err != nil {
		if p.refuse(err, "reason") {
			s.renderAction(w, r, p)
			return
		}
		s.web.Error(w, r, err)
		return
	}
	actionDone(w, r, b.ID, "cancelled")
}

// --- move ---

func (s *Server) movePage(r *http.Request, m booking.Manage, p *actionPage) error {
	switch m.Booking.Status {
	case booking.Confirmed, booking.PendingReview, booking.Offered, booking.Waitlisted:
	default:
		p.Closed = "This booking cannot be moved: it is " + strings.ToLower(m.Booking.Status.Label()) + "."
		return nil
	}
	targets, err := s.bookings.MoveTargets(r.Context(), m.Booking, m.Course.ID)
	if err != nil {
		return err
	}
	sess := actorOf(r)
	for _, t := range targets {
		if !sess.Can(account.BookingsEdit, t.Course.ID) {
			continue
		}
		o := dateOption{ID: t.Event.ID, Course: t.Course.Title, Date: t.Event.DateLabel(), Times: booking.EventTimes(t.Event),
			Same: t.Course.ID == m.Course.ID}
		switch left := t.Places.Left(); {
		case left < 0:
			o.Places = "No limit"
		case left == 0 && t.Places.Waiting > 0:
			o.Places = fmt.Sprintf("Full (%d waiting)", t.Places.Waiting)
		case left == 0:
			o.Places = "Full"
		case left == 1:
			o.Places = "1 place left"
		default:
			o.Places = fmt.Sprintf("%d places left", left)
		}
		switch {
		case t.Closed == nil:
		case errors.Is(t.Closed, booking.ErrNoPlaceOnDate):
			o.Closed = "full"
		case errors.Is(t.Closed, booking.ErrClosed):
			o.Closed = "bookings closed"
		default:
			o.Closed = "not open for booking"
		}
		if !o.Same {
			o.Fee = courseFees(t.Course)
		}
		p.Dates = append(p.Dates, o)
	}
	// The course's own dates first; the page heads the others with a
	// warning that the course and its fee change.
	slices.SortStableFunc(p.Dates, func(a, b dateOption) int {
		switch {
		case a.Same == b.Same:
			return 0
		case a.Same:
			return -1
		}
		return 1
	})
	for _, d := range p.Dates {
		p.OtherCourses = p.OtherCourses || !d.Same
		p.SameCourse = p.SameCourse || d.Same
	}
	return nil
}

// courseFees says what course c costs, for the move page's other courses.
func courseFees(c catalog.Course) string {
	if len(c.Fees) == 0 {
		return "Free"
	}
	var fees []string
	for _, f := range c.Fees {
		money := catalog.FormatMoney(f.Amount, f.Currency)
		if len(c.Fees) > 1 {
			money = f.Name + " " + money
		}
		fees = append(fees, money)
	}
	if len(fees) == 1 {
		return "Fee " + fees[0]
	}
	return "Fees: " + strings.Join(fees, ", ")
}

// move serves GET and POST /admin/bookings/{id}/move.
func (s *Server) move(w http.ResponseWriter, r *http.Request) {
	m, p, ok := s.loadAction(w, r, "move")
	if !ok {
		return
	}
	if err := s.movePage(r, m, &p); err != nil {
		s.web.Error(w, r, err)
		return
	}
	if !s.posted(w, r, p) {
		return
	}
	event, reason := r.PostForm.Get("event"), r.PostForm.Get("reason")
	p.Form["event"], p.Form["reason"] = event, reason
	to, ok := web.IDParam(event)
	for i := range p.Dates {
		p.Dates[i].Selected = ok && p.Dates[i].ID == to
	}
	anchor := "event"
	if len(p.Dates) > 0 {
		anchor = fmt.Sprintf("event-%d", p.Dates[0].ID)
	}
	if !ok {
		p.fail(anchor, "Choose the date to move the booking to.")
	}
	if strings.TrimSpace(reason) == "" {
		p.fail("reason", "Give a reason: it is kept in the audit log.")
	}
	if p.Errors != nil {
		s.renderAction(w, r, p)
		return
	}
	// Moving needs bookings:edit on the new date's course too.
	tc, _, err := s.bookings.EventByID(r.Context(), to)
	if err == nil && !actorOf(r).Can(account.BookingsEdit, tc.ID) {
		err = booking.ErrEventUnavailable // a course they may not touch is not one they may see
	}
	if err == nil {
		var moved booking.Booking
		moved, err = s.bookings.Move(r.Context(), m.Booking.ID, to, actorOf(r).User.Actor(), booking.MoveOptions{Reason: reason})
		if err == nil {
			actionDone(w, r, moved.ID, "moved")
			return
		}
	}
	if p.refuse(err, "reason") {
		if p.Problem != "" && p.Errors == nil && p.Reasons == nil { // about the date chosen: say so beside it
			p.fail(anchor, p.Problem)
			p.Problem = ""
		}
		s.renderAction(w, r, p)
		return
	}
	s.web.Error(w, r, err)
}

// --- offer ---

// offer serves GET and POST /admin/bookings/{id}/offer. The waiting list
// fills a freed place at once, so on a full date the page says whose open
// offer the action would pass to this person (booking.OfferToWithdraw),
// or, with none to pass, that nothing can be offered, and shows no form.
func (s *Server) offer(w http.ResponseWriter, r *http.Request) {
	m, p, ok := s.loadAction(w, r, "offer")
	if !ok {
		return
	}
	if m.Booking.Status != booking.Waitlisted {
		p.Closed = "Only someone on the waiting list can be offered a place: this booking is " +
			strings.ToLower(m.Booking.Status.Label()) + "."
	}
	p.Terms = offerHold(m.Course)
	p.ReasonLabel, p.ReasonHint = "Reason for offering the place", "Kept in the audit log. They are first on the waiting list. The person is e-mailed as anyone moved up from the waiting list is."
	if m.Booking.WaitPosition > 1 {
		p.ReasonLabel = "Reason for offering out of turn"
		p.ReasonHint = fmt.Sprintf("Kept in the audit log. They are number %d on the waiting list: those before them keep their places in the queue. The person is e-mailed as anyone moved up from the waiting list is.", m.Booking.WaitPosition)
	}
	withdraw := int64(0) // the booking whose offer the action passes on
	if p.Closed == "" {
		places, err := s.bookings.PlacesFor(r.Context(), []catalog.Event{m.Event})
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		if places[m.Event.ID].Left() == 0 {
			if withdraw, err = s.offerToPass(r, m, &p); err != nil {
				s.web.Error(w, r, err)
				return
			}
		}
	}
	if !s.posted(w, r, p) {
		return
	}
	p.Form["reason"] = r.PostForm.Get("reason")
	if shown := r.PostForm.Get("withdraw"); (withdraw != 0 || shown != "") && shown != strconv.FormatInt(withdraw, 10) {
		// The page the coordinator confirmed named another offer (or a
		// free place), or none while one would be withdrawn: let them
		// read what would happen now.
		p.Problem = "Things have changed since you opened this page: read what offering the place does now, then confirm again."
		s.renderAction(w, r, p)
		return
	}
	_, err := s.bookings.OfferPlace(r.Context(), m.Booking.ID, actorOf(r).User.Actor(), p.Form["reason"])
	if err != nil {
		if p.refuse(err, "reason") {
			s.renderAction(w, r, p)
			return
		}
		s.web.Error(w, r, err)
		return
	}
	actionDone(w, r, m.Booking.ID, "offered")
}

// offerToPass fills the offer page for a date with no place free: whose
// open offer goes to this person instead (returning that booking's ID),
// or why nothing can be offered (p.Closed).
func (s *Server) offerToPass(r *http.Request, m booking.Manage, p *actionPage) (int64, error) {
	const overCapacity = " To take the person over capacity, add a booking by hand with “Ignore capacity”."
	if m.Course.OfferHoldHours <= 0 {
		p.Closed = "No place is free on this date, and this course holds no offers, so there is no offer to pass on." + overCapacity
		return 0, nil
	}
	open, err := s.bookings.OfferToWithdraw(r.Context(), m.Event.ID)
	if errors.Is(err, booking.ErrNotFound) {
		p.Closed = "No place is free on this date, and none is on offer to anyone: every place is taken up." + overCapacity
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	until := attentionTime(open.OfferExpiresAt.In(m.Event.Location()))
	p.Withdraw = fmt.Sprintf("No place is free: the freed place is on offer to %s until %s. Offering it to %s withdraws that offer; %s goes back to the top of the waiting list and is told.",
		open.Name, until, m.Booking.Name, open.Name)
	p.WithdrawID = open.ID
	return open.ID, nil
}

// offerHold says what offering a place does on course c.
func offerHold(c catalog.Course) string {
	if c.OfferHoldHours > 0 {
		return fmt.Sprintf("The person is offered the place and has %d hours to take it up; if they do not, it goes to the next person waiting.", c.OfferHoldHours)
	}
	return "This course holds no offers: the person's place is confirmed at once (or waits for review, if the course's rules ask for one)."
}

// --- details ---

// detailFields are the fields of the details form, in order, with labels.
var detailFields = []struct{ Name, Label string }{
	{"name", "Full name"}, {"email", "E-mail address"}, {"organisation", "Organisation"},
	{"role", "Role or profession"}, {"registration_number", "Professional registration number"},
	{"po_number", "Purchase order number"},
}

// details serves GET and POST /admin/bookings/{id}/details.
func (s *Server) details(w http.ResponseWriter, r *http.Request) {
	m, p, ok := s.loadAction(w, r, "details")
	if !ok {
		return
	}
	b := m.Booking
	if !b.Status.Active() {
		p.Closed = "Details can be corrected only on an active booking: this one is " + strings.ToLower(b.Status.Label()) + "."
	}
	p.Form = map[string]string{"name": b.Name, "email": b.Email, "organisation": b.Organisation, "role": b.Role,
		"registration_number": b.RegistrationNumber, "po_number": b.PONumber}
	if !s.posted(w, r, p) {
		return
	}
	for _, f := range detailFields {
		p.Form[f.Name] = r.PostForm.Get(f.Name)
	}
	_, err := s.bookings.CorrectDetails(r.Context(), b.ID, actorOf(r).User.Actor(), booking.Details{
		Name: p.Form["name"], Email: p.Form["email"], Organisation: p.Form["organisation"], Role: p.Form["role"],
		RegistrationNumber: p.Form["registration_number"], PONumber: p.Form["po_number"]})
	if err != nil {
		var order []string
		for _, f := range detailFields {
			order = append(order, f.Name)
		}
		if p.refuse(err, order...) {
			s.renderAction(w, r, p)
			return
		}
		s.web.Error(w, r, err)
		return
	}
	actionDone(w, r, b.ID, "corrected")
}

// --- payment ---

// payment serves GET and POST /admin/bookings/{id}/payment.
func (s *Server) payment(w http.ResponseWriter, r *http.Request) {
	m, p, ok := s.loadAction(w, r, "payment")
	if !ok {
		return
	}
	b := m.Booking
	p.ShowMoney = true // invoices:mark_paid is a money right
	if b.Payment != booking.Invoice {
		p.Closed = "This booking has no unpaid invoice: " + b.InvoiceState() + "."
	}
	if b.Amount > 0 {
		p.Due = catalog.FormatMoney(b.Amount, b.Currency)
		p.Form["amount"] = catalog.FormatAmount(b.Amount, b.Currency)
	}
	p.Today = catalog.DateOf(s.web.Now().In(m.Event.Location())).String()
	p.Form["paid_on"] = p.Today
	if !s.posted(w, r, p) {
		return
	}
	for _, f := range []string{"amount", "paid_on", "reference"} {
		p.Form[f] = r.PostForm.Get(f)
	}
	rc := booking.Receipt{Currency: b.Currency, Reference: p.Form["reference"]}
	amount, err := catalog.ParseAmount(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(p.Form["amount"]), "£$€")), b.Currency)
	if err != nil {
		p.fail("amount", "Enter the amount received: it "+catalog.AmountRule(b.Currency)+".")
	}
	rc.Amount = amount
	if v := strings.TrimSpace(p.Form["paid_on"]); v == "" {
		p.fail("paid_on", "Enter the day the payment arrived.")
	} else if d, err := catalog.ParseDate(v); err != nil {
		p.fail("paid_on", "Enter the day as a date such as 2026-03-15.")
	} else {
		rc.On = d
	}
	if strings.TrimSpace(rc.Reference) == "" {
		p.fail("reference", "Enter the payment's reference (from the bank statement or the card receipt).")
	}
	if p.Errors != nil { // every problem the form shows at once; nothing is saved
		s.renderAction(w, r, p)
		return
	}
	if _, err := s.bookings.MarkPaid(r.Context(), b.ID, actorOf(r).User.Actor(), rc); err != nil {
		if p.refuse(err, "amount", "paid_on", "reference") {
			s.renderAction(w, r, p)
			return
		}
		s.web.Error(w, r, err)
		return
	}
	actionDone(w, r, b.ID, "paid")
}

// --- add by hand ---

// overrideLabels are the overrides of a hand-added booking, in order.
var overrideLabels = []struct{ Name, Label, Hint string }{
	{booking.OverrideCapacity, "Ignore capacity", "Confirm the place even if the date is full."},
	{booking.OverrideEligibility, "Skip the eligibility rules", "Take the booking whatever the answers (or none): no refusal, no review."},
	{booking.OverrideNoEmail, "Don't e-mail the person", "No confirmation and no manage link are sent."},
}

// bookingNew serves GET and POST /admin/bookings/new?event=ID.
func (s *Server) bookingNew(w http.ResponseWriter, r *http.Request) {
	id, ok := web.IDParam(r.URL.Query().Get("event"))
	if !ok || s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	c, e, err := s.bookings.EventByID(r.Context(), id)
	if errors.Is(err, booking.ErrEventUnavailable) {
		s.web.NotFound(w, r)
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if !s.allowedOn(w, r, account.BookingsEdit, c.ID) {
		return
	}
	p := actionPage{Base: s.web.Base(r), Kind: "new", Heading: actionTitles["new"],
		Action: fmt.Sprintf("/admin/bookings/new?event=%d", e.ID), Back: "/admin",
		ShowMoney: actorOf(r).Can(account.InvoicesRead, c.ID), Form: map[string]string{}, Checked: map[string]bool{},
		Online: e.Format == catalog.Online}
	p.Booking = bookingFacts{Course: c.Title, Date: e.DateLabel(), Times: booking.EventTimes(e)}
	// Said at once, before anyone fills the form (AddByHand refuses the
	// same dates on POST).
	switch {
	case e.Status == catalog.Cancelled:
		p.Closed = "This date has been cancelled: no booking can be added to it."
	case e.Status == catalog.Completed || !s.web.Now().Before(e.StartsAt):
		p.Closed = "This date has started or is over: no booking can be added to it, not even by hand."
	}
	if p.Closed != "" {
		s.renderAction(w, r, p)
		return
	}
	if places, err := s.bookings.PlacesFor(r.Context(), []catalog.Event{e}); err == nil {
		pl := places[e.ID]
		switch left := pl.Left(); {
		case left < 0:
			p.Booking.Status = "No limit on places"
		case left == 0:
			p.Booking.Status = fmt.Sprintf("Full: %d of %d places taken, %d waiting", pl.Taken, pl.Capacity, pl.Waiting)
		default:
			p.Booking.Status = fmt.Sprintf("%d of %d places left", left, pl.Capacity)
		}
	}
	var req booking.Request
	var o booking.Overrides
	if r.Method == http.MethodPost {
		if err := web.ReadForm(r); err != nil {
			s.web.Error(w, r, err)
			return
		}
		req = booking.ReadRequest(r.PostForm, c)
		req.EventID = e.ID
		o = booking.Overrides{IgnoreCapacity: r.PostForm.Get(booking.OverrideCapacity) != "",
			SkipEligibility: r.PostForm.Get(booking.OverrideEligibility) != "",
			NoEmail:         r.PostForm.Get(booking.OverrideNoEmail) != "", Reasons: map[string]string{}}
		for _, ov := range overrideLabels {
			o.Reasons[ov.Name] = r.PostForm.Get("reason_" + ov.Name)
		}
	}
	p.Form = map[string]string{"name": req.Name, "email": req.Email, "organisation": req.Organisation, "role": req.Role,
		"registration_number": req.RegistrationNumber, "po_number": req.PONumber, "access_needs": req.AccessNeeds}
	p.Checked["system_checked"] = req.SystemChecked
	for _, q := range c.Questions {
		p.Questions = append(p.Questions, questionField{Field: booking.AnswerField(q.Key), Label: q.Label, Help: q.Help,
			Kind: string(q.Kind), Value: req.Answers[q.Key], Required: q.Required})
	}
	if len(c.Fees) > 1 {
		for i, f := range c.Fees {
			p.Fees = append(p.Fees, feeChoice{Name: f.Name, Price: catalog.FormatMoney(f.Amount, f.Currency),
				ID: "fee_tier-" + strconv.Itoa(i), Checked: f.Name == req.FeeTier})
		}
	}
	on := map[string]bool{booking.OverrideCapacity: o.IgnoreCapacity, booking.OverrideEligibility: o.SkipEligibility,
		booking.OverrideNoEmail: o.NoEmail}
	for _, ov := range overrideLabels {
		p.Overrides = append(p.Overrides, overrideField{Name: ov.Name, Label: ov.Label, Hint: ov.Hint, Checked: on[ov.Name],
			Reason: o.Reasons[ov.Name]})
	}
	if r.Method != http.MethodPost {
		s.renderAction(w, r, p)
		return
	}
	res, err := s.bookings.AddByHand(r.Context(), req, actorOf(r).User.Actor(), o)
	if err == nil {
		actionDone(w, r, res.Booking.ID, "added")
		return
	}
	order := []string{"name", "email", "organisation", "role", "registration_number"}
	for _, q := range p.Questions {
		order = append(order, q.Field)
	}
	order = append(order, "fee_tier", "po_number", "access_needs", "system_checked")
	for _, ov := range overrideLabels {
		order = append(order, "reason_"+ov.Name)
	}
	if !p.refuse(err, order...) {
		s.web.Error(w, r, err)
		return
	}
	for i := range p.Questions {
		p.Questions[i].Error = p.Errors[p.Questions[i].Field]
	}
	for i := range p.Overrides {
		p.Overrides[i].Error = p.Errors["reason_"+p.Overrides[i].Name]
	}
	for i := range p.Summary { // the fee's summary line points at its first choice
		if p.Summary[i].Anchor == "fee_tier" && len(p.Fees) > 0 {
			p.Summary[i].Anchor = p.Fees[0].ID
		}
	}
	s.renderAction(w, r, p)
}

// actionField is one text input of an action's form, for the template's
// "act_field".
type actionField struct {
	Name, Label, Hint, Type, Value, Error string
	Optional, Area                        bool
}

// Field is the text input name of the page's form, with what was typed
// and its error. kind is "text", "email", "date" or "area" (a textarea).
func (p actionPage) Field(name, label, kind string, optional bool, hint string) actionField {
	f := actionField{Name: name, Label: label, Hint: hint, Type: kind, Value: p.Form[name], Error: p.Errors[name],
		Optional: optional}
	if kind == "area" {
		f.Type, f.Area = "text", true
	}
	return f
}
