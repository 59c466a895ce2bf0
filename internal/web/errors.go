package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/lists"
	"plenary/internal/messaging"
)

// Errors the kit itself raises, mapped in the table like domain errors.
var (
	// ErrNotFound is a path that names nothing.
	ErrNotFound = errors.New("web: not found")
	// ErrBadForm is a request body that is not a form this site sent;
	// ReadForm wraps what went wrong in it.
	ErrBadForm = errors.New("web: the form could not be read")
	// ErrUnavailable is a service that cannot answer now (the database
	// does not).
	ErrUnavailable = errors.New("web: unavailable")
	// ErrForbidden is a signed-in person asking for a page or action
	// their role (or the courses it is limited to) does not allow.
	ErrForbidden = errors.New("web: not allowed")

	errCrossOrigin = errors.New("web: cross-origin request refused")
)

// A Problem is what a person, or an API client, is told about an error.
// Its words are written here, never taken from the error: err.Error() is
// for the log only.
type Problem struct {
	Status int
	// Code is a short stable name for JSON clients ("event_full").
	Code    string
	Heading string
	Message string
}

// problems is the one table from errors to what people are told: the
// pages of the site and the staff area, and the API's JSON, read it
// through Error, ErrorJSON and ProblemOf. The first entry that matches
// wins. An error that matches none is a fault on our side: logged, and
// answered with the generic 500.
var problems = []struct {
	match   func(error) bool
	problem Problem
}{
	{is(ErrNotFound), notFound},
	{is(catalog.ErrNotFound), notFound},
	{is(booking.ErrNotFound), notFound},
	{is(messaging.ErrNotFound), notFound},
	{is(certificates.ErrNotFound), notFound},
	{is(lists.ErrNotConfigured), notFound},
	{is(lists.ErrNotFound), notFound},

	{is(booking.ErrEventUnavailable), Problem{http.StatusNotFound, "event_unavailable", "This date is not open for booking",
		"We could not find this date, or it is not open for booking. It may have been removed or not published yet."}},
	{is(booking.ErrEventCancelled), Problem{http.StatusGone, "event_cancelled", "This date has been cancelled",
		"We are not taking bookings for this date because it has been cancelled. Another date of the course may suit you."}},
	{is(booking.ErrClosed), Problem{http.StatusGone, "booking_closed", "Bookings for this date are closed",
		"This date has already started or passed, or its booking period has ended."}},
	{is(booking.ErrEventFull), Problem{http.StatusConflict, "event_full", "This date is full",
		"Every place is taken and this course has no waiting list. Please choose another date."}},
	{is(booking.ErrNotActive), Problem{http.StatusConflict, "booking_not_active", "This booking cannot be changed",
		"This booking is no longer active, so it cannot be changed."}},
	{is(booking.ErrNoOffer), Problem{http.StatusConflict, "no_offer", "There is no offer to answer",
		"There is no open offer of a place on this booking."}},
	{is(booking.ErrOfferLapsed), Problem{http.StatusConflict, "offer_lapsed", "The offer has lapsed",
		"Sorry, the offer of a place has lapsed, so it has gone to the next person waiting."}},
	{is(booking.ErrNotPendingReview), Problem{http.StatusConflict, "not_pending_review", "This booking is not waiting for review",
		"Someone may have reviewed it already. Please reload the booking to see where it stands."}},
	{is(booking.ErrUpcomingBooking), Problem{http.StatusConflict, "upcoming_booking", "This person has a booking still to come",
		"Their data cannot be erased while they hold a place, an offer, a review or a spot on a waiting list for a date that has not ended. Cancel that booking first, then erase."}},
	{is(booking.ErrLateChange), Problem{http.StatusConflict, "late_change", "This change is close to the date",
		"The date is inside the minimum notice for changes. Please confirm the change to send it to the people booked."}},

	{as[*account.ThrottledError], Problem{http.StatusTooManyRequests, "throttled", "Too many attempts",
		"There have been too many failed sign-ins. Please wait and try again."}},
	{is(account.ErrBadCredentials), Problem{http.StatusUnauthorized, "bad_credentials", "Wrong e-mail address or password",
		"The e-mail address and password do not match an account. Check both and try again."}},
	{is(account.ErrCodeRequired), Problem{http.StatusUnauthorized, "code_required", "A one-time code is needed",
		"Type the six-digit code your authenticator app shows for this site."}},
	{is(account.ErrBadCode), Problem{http.StatusUnauthorized, "bad_code", "The one-time code is not right",
		"The code is wrong or has been used already. Type the code your authenticator app shows now."}},
	{is(account.ErrNoSession), Problem{http.StatusUnauthorized, "signed_out", "Please sign in",
		"You are not signed in, or your session has ended. Please sign in again."}},
	{is(account.ErrBadResetToken), Problem{http.StatusGone, "reset_link_expired", "This link has expired",
		"The password reset link is wrong, has been used already or is more than an hour old. Ask for a new one on the sign-in page."}},
	{is(account.ErrWeakPassword), Problem{http.StatusUnprocessableEntity, "weak_password", "Please choose another password",
		"A password needs 12 to 256 characters."}},
	{is(account.ErrNotFound), notFound},
	{is(ErrForbidden), Problem{http.StatusForbidden, "forbidden", "You cannot open this page",
		"Your role does not allow this page or action. If you need it, ask an admin of this site."}},

	{is(catalog.ErrStale), Problem{http.StatusConflict, "stale", "Someone else changed this course",
		"The course was saved by someone else after you opened it. Reload it to see their changes, then make yours again."}},
	{as[catalog.ValidationError], Problem{http.StatusUnprocessableEntity, "invalid_course", "Please check the course",
		"Some of the course's details are missing or not valid."}},

	{as[booking.FormError], Problem{http.StatusUnprocessableEntity, "invalid", "Please check what you typed",
		"Some of what was sent is missing or not valid."}},
	{is(certificates.ErrNoRegister), Problem{http.StatusServiceUnavailable, "no_register", "The register is not available",
		"Certificates are issued to those the register says completed the date, and this site has no register yet."}},
	{is(certificates.ErrNotValid), Problem{http.StatusConflict, "certificate_not_valid", "This certificate is no longer valid",
		"It has been revoked or replaced by a reissue, so it cannot be changed. Reload the page to see where it stands."}},
	{as[certificates.FormError], Problem{http.StatusUnprocessableEntity, "invalid", "Please check what you typed",
		"Some of what was sent is missing or not valid."}},
	{as[lists.FormError], Problem{http.StatusUnprocessableEntity, "invalid", "Please check what you typed",
		"Some of what was sent is missing or not valid."}},
	{is(lists.ErrLinkExpired), Problem{http.StatusGone, "link_expired", "This link has expired",
		"Links to confirm a subscription work for 7 days. Nothing was subscribed: to hear about new dates, ask again from the course page and use the link in the new e-mail."}},
	{is(lists.ErrLinkInvalid), Problem{http.StatusNotFound, "link_invalid", "This link does not work",
		"It has already been used, or it was not copied whole. If you already confirmed, you are subscribed and there is nothing more to do. Otherwise, ask again from the course page and use the link in the new e-mail."}},
	{as[*booking.RefusedError], Problem{http.StatusUnprocessableEntity, "refused", "We cannot take this booking",
		"The course's rules do not allow this booking."}},

	{as[*http.MaxBytesError], Problem{http.StatusRequestEntityTooLarge, "too_large", badFormHeading, badFormMessage}},
	{is(ErrBadForm), Problem{http.StatusBadRequest, "bad_form", badFormHeading, badFormMessage}},
	{is(errCrossOrigin), Problem{http.StatusForbidden, "cross_origin", "This form could not be sent",
		"The request came from another site, so we did not act on it. Please go back to the page on this site and try again."}},
	{is(ErrUnavailable), Problem{http.StatusServiceUnavailable, "unavailable", "Please try again in a minute",
		"Plenary cannot answer this just now. Please try again in a minute."}},
}

const (
	badFormHeading = "This form could not be read"
	badFormMessage = "What was sent was too long or not a form from this site. Please go back, check what you typed and send it again."
)

// notFound is the problem of everything that does not exist; its page is
// the not_found page.
var notFound = Problem{Status: http.StatusNotFound, Code: "not_found", Heading: "Page not found",
	Message: "There is nothing at this address."}

// internal is what an error the table does not know is answered with.
var internal = Problem{http.StatusInternalServerError, "internal", "Sorry, something went wrong",
	"The problem is on our side and has been logged. Please try again in a few minutes."}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func as[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// ProblemOf looks err up in the table. ok is false for an error the table
// does not know: a fault to log and answer with the 500.
func ProblemOf(err error) (p Problem, ok bool) {
	for _, e := range problems {
		if e.match(err) {
			return e.problem, true
		}
	}
	return internal, false
}

// Link is a way on from an error page.
type Link struct{ URL, Label string }

// Error answers err with its page from the table: the 404 page for
// anything not found, the error page with the table's heading and message
// for the rest, and, for an error the table does not know, the logged
// 500. back, when given, is offered as the way on from a known problem
// (e.g. back to the course).
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error, back ...Link) {
	p, ok := ProblemOf(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	if p.Code == notFound.Code {
		s.NotFound(w, r)
		return
	}
	retryAfter(w, err)
	page := ErrorPage{Base: s.Base(r), Status: p.Status, Heading: p.Heading, Message: p.Message}
	if len(back) > 0 {
		page.BackURL, page.BackLabel = back[0].URL, back[0].Label
	}
	s.Render(w, r, p.Status, "error", page)
}

// retryAfter sets the Retry-After header of an error that says when to
// try again (a throttled sign-in).
func retryAfter(w http.ResponseWriter, err error) {
	var throttled *account.ThrottledError
	if errors.As(err, &throttled) {
		w.Header().Set("Retry-After", strconv.Itoa(max(throttled.Seconds(), 1)))
	}
}

// ReadForm parses r's form; an error wraps ErrBadForm (or is the body
// limit's *http.MaxBytesError), for Error to answer.
func ReadForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadForm, err)
	}
	return nil
}

// jsonError is the body of an API error: the table's code and message,
// and for a form error the message of each field.
type jsonError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
		Reasons []string          `json:"reasons,omitempty"`
	} `json:"error"`
}

// ErrorJSON answers err as JSON, from the same table as Error:
// {"error": {"code": "event_full", "message": "…"}}. Field errors and a
// refusal's reasons, which are written for the person who sent the data,
// are included; an error the table does not know is logged and answered
// with code "internal".
func (s *Server) ErrorJSON(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := ProblemOf(err)
	if !ok {
		s.log.Error("request failed", "method", r.Method, "path", s.logPath(r), "error", err)
	}
	retryAfter(w, err)
	var body jsonError
	body.Error.Code, body.Error.Message = p.Code, p.Message
	var ferr booking.FormError
	if errors.As(err, &ferr) {
		body.Error.Fields = ferr
	}
	var refused *booking.RefusedError
	if errors.As(err, &refused) {
		body.Error.Reasons = refused.Reasons
	}
	s.JSON(w, r, p.Status, body)
}

// JSON writes v as JSON with status. API answers are never cached.
func (s *Server) JSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode JSON", "path", s.logPath(r), "error", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"`+internal.Message+`"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(append(b, '\n'))
	}
}
