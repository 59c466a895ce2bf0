package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"plenary/internal/account"
	"plenary/internal/audit"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/web"
)

// A booking's page, /admin/bookings/{id}: everything the person gave,
// why it waits for review, access needs (to those allowed), money (to
// those allowed), its timeline from the audit log, every message sent to
// it, internal notes, and links to the actions the viewer may take.

// bookingPage is one booking on the desk.
type bookingPage struct {
	web.Base
	ID           int64
	Name         string
	Email        string
	Organisation string
	Role         string
	Registration string
	Status       string
	StatusKey    string
	WaitPosition int
	OfferExpires string
	Course       string
	Date         string
	Times        string
	EventURL     string // the date's list on the desk
	Booked       string
	// A move: the date moved to (this booking is the old one) or from
	// (this is the new one), the other booking's page when the viewer
	// may read it, and when the person first booked.
	MovedTo       string
	MovedFrom     string
	MovedURL      string
	FirstBooked   string
	SystemChecked bool
	// Online says the date is online or hybrid: only then is the system
	// check shown.
	Online      bool
	Answers     []booking.Answer
	NeedsReview bool
	Reasons     []string // why it waits (or waited) for review
	RuleNotes   []string // the rules' notes on accepting it
	MailFailing bool

	ShowNeeds   bool
	AccessNeeds string
	NeedsErased bool

	// The fee chosen, its amount (public on the course page) and the PO
	// number are what the person gave: every reader sees them. The
	// payment state only those who may read invoices (ShowMoney).
	FeeTier      string
	Fee          string
	PONumber     string
	ShowMoney    bool
	InvoiceState string
	Invoice      string

	Timeline []timelineLine
	Messages []messageLine
	// MessageLinks says the messages link to the mail log's pages.
	MessageLinks bool
	Notes        []noteLine
	CanNote      bool
	NoteText     string
	NoteError    string
	Summary      []fieldError
	Done         string
	CanMessage   bool
	Actions      []web.Link
}

// timelineLine is one audit entry about the booking.
type timelineLine struct {
	At, Who, What, Change, Reason string
}

// messageLine is one message sent to the booking.
type messageLine struct {
	ID              int64
	Label, Kind, To string
	Status          string
	When            string
	LastError       string
}

// noteLine is one internal note.
type noteLine struct {
	Author, At string
	Lines      []string
}

// auditWords writes what an entry's before and after say, where it is
// easy: "Status: Waiting for review → Confirmed; payment: none → invoice".
// The payment is told only when money is true (the viewer may read
// invoices).
func auditWords(before, after json.RawMessage, money bool) string {
	type state struct {
		Status       booking.Status  `json:"status"`
		Payment      booking.Payment `json:"payment"`
		WaitPosition int             `json:"wait_position"`
		Name         string          `json:"name"`
		Organisation string          `json:"organisation"`
		Subject      string          `json:"subject"`
	}
	var b, a state
	_ = json.Unmarshal(before, &b) // "null" or a state; anything else shows nothing
	_ = json.Unmarshal(after, &a)
	var parts []string
	if a.Status != "" && a.Status != b.Status {
		if b.Status == "" {
			parts = append(parts, "Status: "+a.Status.Label())
		} else {
			parts = append(parts, "Status: "+b.Status.Label()+" → "+a.Status.Label())
		}
	}
	if a.WaitPosition > 0 {
		parts = append(parts, fmt.Sprintf("place %d on the waiting list", a.WaitPosition))
	}
	if money && a.Payment != "" && b.Payment != "" && a.Payment != b.Payment {
		parts = append(parts, "payment: "+string(b.Payment)+" → "+string(a.Payment))
	}
	if a.Name != b.Name && a.Name != "" {
		parts = append(parts, "name: "+b.Name+" → "+a.Name)
	}
	if a.Organisation != b.Organisation && a.Organisation != "" {
		parts = append(parts, "organisation: "+b.Organisation+" → "+a.Organisation)
	}
	if a.Subject != "" {
		parts = append(parts, "subject: "+a.Subject)
	}
	return strings.Join(parts, "; ")
}

// bookingNotices are what /admin/bookings/{id}?done=… confirms.
var bookingNotices = map[string]string{
	"note":      "Your note is saved. Only the course team sees it.",
	"approved":  "Approved: the booking is confirmed and the person has been e-mailed.",
	"declined":  "Declined: the person has been e-mailed, and their place has gone to the waiting list.",
	"cancelled": "Cancelled: the person has been e-mailed, and any place they held has gone to the waiting list.",
	"moved":     "Moved: this is the booking on the new date. The person has been e-mailed with the new date and calendar entries, and their old place has gone to that date's waiting list.",
	"offered":   "This person has been given the place (offered for the course's hold period, or confirmed where the course holds no offers) and e-mailed.",
	"corrected": "The details are corrected.",
	"paid":      "The invoice is marked paid.",
	"added":     "The booking is added.",
	"messaged":  "Your message is on its way to them: it is listed under E-mails to them.",
}

// pathID reads the {id} of the path; 0 when it is no ID.
func pathID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// bookingShow serves GET /admin/bookings/{id}.
func (s *Server) bookingShow(w http.ResponseWriter, r *http.Request) {
	s.renderBooking(w, r, http.StatusOK, func(p *bookingPage) { p.Done = bookingNotices[r.URL.Query().Get("done")] })
}

// renderBooking loads the booking of the path, checks the viewer may read
// it, and renders its page with status after edit has had its say.
func (s *Server) renderBooking(w http.ResponseWriter, r *http.Request, status int, edit func(p *bookingPage)) {
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	id := pathID(r)
	if id == 0 {
		s.web.NotFound(w, r)
		return
	}
	ctx := r.Context()
	m, err := s.bookings.ForDesk(ctx, id)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if !s.allowedOn(w, r, account.BookingsRead, m.Course.ID) {
		return
	}
	sess, _ := sessionOf(r)
	b, c, e := m.Booking, m.Course, m.Event
	loc := e.Location()
	p := bookingPage{Base: s.web.Base(r), ID: b.ID, Name: b.Name, Email: b.Email, Organisation: b.Organisation, Role: b.Role,
		Registration: b.RegistrationNumber, Status: b.Status.Label(), StatusKey: string(b.Status), WaitPosition: b.WaitPosition,
		Course: c.Title, Date: e.DateLabel(), Times: booking.EventTimes(e), EventURL: fmt.Sprintf("/admin/bookings?event=%d", e.ID),
		Booked: localTime(b.CreatedAt, loc), SystemChecked: b.SystemChecked, NeedsReview: b.Status == booking.PendingReview,
		Reasons: strings.Split(strings.TrimSpace(b.ReviewReason), "\n"), RuleNotes: b.Notes, MailFailing: b.MailFailing,
		CanNote: sess.Can(account.BookingsEdit, c.ID), CanMessage: sess.Can(account.MessagesSend, c.ID)}
	if strings.TrimSpace(b.ReviewReason) == "" {
		p.Reasons = nil
	}
	if b.MovedTo != 0 || b.MovedFrom != 0 {
		moved, err := s.movedDates(ctx, []booking.Row{{Booking: b}})
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		other := b.MovedTo
		if other == 0 {
			other = b.MovedFrom
			p.MovedFrom = movedDate(sess, other, moved)
		} else {
			p.MovedTo = movedDate(sess, other, moved)
		}
		p.Status = movedStatus(sess, b, moved)
		if o, ok := moved[other]; ok && sess.Can(account.BookingsRead, o.CourseID) {
			p.MovedURL = fmt.Sprintf("/admin/bookings/%d", o.ID)
			if b.MovedFrom != 0 {
				p.FirstBooked = localTime(o.CreatedAt, loc)
			}
		}
	}
	if !b.OfferExpiresAt.IsZero() && b.Status == booking.Offered {
		p.OfferExpires = localTime(b.OfferExpiresAt, loc)
	}
	if rows := booking.ListingRows(c, e, []booking.Booking{b}, false); len(rows) == 1 {
		p.Answers = rows[0].Answers
	}
	if sess.Can(account.BookingsAccessNeed, c.ID) {
		p.ShowNeeds, p.AccessNeeds, p.NeedsErased = true, b.AccessNeeds, b.AccessNeedsErased
	}
	p.FeeTier, p.PONumber = b.FeeTier, b.PONumber
	if b.Amount > 0 {
		p.Fee = catalog.FormatMoney(b.Amount, b.Currency)
	}
	p.Online = e.Offers(catalog.Online)
	if sess.Can(account.InvoicesRead, c.ID) {
		p.ShowMoney, p.InvoiceState, p.Invoice = true, b.InvoiceState(), b.InvoiceLabel()
	}
	entries, err := audit.List(ctx, s.db, audit.Filter{Object: "booking", ObjectID: b.ID, Limit: 500})
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	for _, en := range entries {
		what := actionLabel(en.Action)
		change := auditWords(en.Before, en.After, p.ShowMoney)
		if en.Action == "booking.note" {
			change = "" // the note itself is below
		}
		p.Timeline = append(p.Timeline, timelineLine{At: localTime(en.At, loc), Who: actorWords(en.Actor), What: what,
			Change: change, Reason: en.Reason})
	}
	if s.outbox != nil {
		msgs, err := s.outbox.List(ctx, messaging.ListFilter{SubjectRef: booking.SubjectRef(b.ID), Limit: 500})
		if err != nil {
			s.web.Error(w, r, err)
			return
		}
		p.MessageLinks = sess.Can(account.MessagesRead, 0)
		for _, msg := range msgs {
			l := messageLine{ID: msg.ID, Label: msg.Subject, Kind: msg.Kind, To: msg.ToEmail, Status: string(msg.Status),
				When: localTime(msg.CreatedAt, loc), LastError: msg.LastError}
			if !msg.SentAt.IsZero() {
				l.When = localTime(msg.SentAt, loc)
			}
			if l.Label == "" {
				l.Label = fmt.Sprintf("E-mail %d (%s)", msg.ID, msg.Kind)
			}
			p.Messages = append(p.Messages, l)
		}
	}
	notes, err := s.bookings.Notes(ctx, b.ID)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	for _, n := range notes {
		p.Notes = append(p.Notes, noteLine{Author: actorWords(n.Author), At: localTime(n.CreatedAt, loc), Lines: strings.Split(n.Text, "\n")})
	}
	p.Actions = bookingActions(sess, c.ID, b)
	if edit != nil {
		edit(&p)
	}
	s.web.Render(w, r, status, "admin_booking", p)
}

// bookingActions are the links to the actions on b that the viewer may
// take and its state allows (the pages are the actions' own).
func bookingActions(sess account.Session, courseID int64, b booking.Booking) []web.Link {
	var out []web.Link
	base := fmt.Sprintf("/admin/bookings/%d/", b.ID)
	if b.Status == booking.PendingReview && sess.Can(account.BookingsApprove, courseID) {
		out = append(out, web.Link{URL: base + "review", Label: "Approve or decline"})
	}
	if sess.Can(account.BookingsEdit, courseID) {
		if b.Status == booking.Waitlisted {
			out = append(out, web.Link{URL: base + "offer", Label: "Offer a place"})
		}
		if b.Status.Active() {
			out = append(out, web.Link{URL: base + "move", Label: "Move to another date"},
				web.Link{URL: base + "cancel", Label: "Cancel"},
				web.Link{URL: base + "details", Label: "Correct details"})
		}
	}
	if b.Payment == booking.Invoice && sess.Can(account.InvoicesMarkPaid, courseID) {
		out = append(out, web.Link{URL: base + "payment", Label: "Mark the invoice paid"})
	}
	return out
}

// bookingNote serves POST /admin/bookings/{id}/notes.
func (s *Server) bookingNote(w http.ResponseWriter, r *http.Request) {
	if s.bookings == nil {
		s.web.NotFound(w, r)
		return
	}
	if err := web.ReadForm(r); err != nil {
		s.web.Error(w, r, err)
		return
	}
	id := pathID(r)
	if id == 0 {
		s.web.NotFound(w, r)
		return
	}
	courses, err := s.bookings.CoursesOf(r.Context(), []int64{id})
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	course, ok := courses[id]
	if !ok {
		s.web.NotFound(w, r)
		return
	}
	if !s.allowedOn(w, r, account.BookingsEdit, course) {
		return
	}
	text := r.PostForm.Get("note")
	_, err = s.bookings.AddNote(r.Context(), id, staffActor(r), text)
	var ne *booking.NoteError
	if errors.As(err, &ne) {
		s.renderBooking(w, r, http.StatusUnprocessableEntity, func(p *bookingPage) {
			p.NoteText, p.NoteError = text, ne.Message
			p.Summary = []fieldError{{Anchor: "note", Message: ne.Message}}
		})
		return
	}
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/bookings/%d?done=note#notes", id), http.StatusSeeOther)
}
