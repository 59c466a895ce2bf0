package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"plenary/internal/account"
	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/certificates"
	"plenary/internal/web"
)

// certificatesPage is a date's CPD certificates: who completed, the
// certificate of each, "issue and e-mail to all", and per certificate a
// reissue with a corrected name and a revocation with a reason.
type certificatesPage struct {
	web.Base
	EventID int64
	Course  string
	Date    string
	Lines   []certificates.Line
	Done    string // what the last action did
	// Failed is the certificate whose form was refused, with the typed
	// values and the error beside the field.
	Failed certificateForm
	// status is each booking's on the date: a valid certificate whose
	// booking is no longer confirmed or attended is flagged for the
	// coordinator to decide on (revoking stays a staff act).
	status map[int64]booking.Status
}

// Withdrawn is the flag beside a valid certificate whose booking was
// cancelled (or otherwise no longer holds a place): "" when it holds one.
func (p certificatesPage) Withdrawn(l certificates.Line) string {
	if l.Certificate == nil || l.Certificate.State != certificates.Valid {
		return ""
	}
	switch st, ok := p.status[l.BookingID]; {
	case !ok || st == booking.Confirmed || st == booking.Attended:
		return ""
	case st == booking.Cancelled:
		return "booking cancelled — revoke?"
	default:
		return "booking " + strings.ToLower(st.Label()) + " — revoke?"
	}
}

// certificateForm is one certificate's forms after a refused POST, or
// (Booking set, no Code) the "issue with this name" form of a completion
// whose name cannot be printed.
type certificateForm struct {
	Code, Name, Note, Reason string
	Booking                  int64
	Errors                   map[string]string
}

// ID is the HTML id of the form's field: "name-ABCDE12345" for a
// certificate's, "name-b42" for a booking's issue form.
func (f certificateForm) ID(field string) string {
	if f.Code != "" {
		return field + "-" + f.Code
	}
	return field + "-b" + strconv.FormatInt(f.Booking, 10)
}

// Form is the code's forms as typed after a refusal (empty otherwise).
func (p certificatesPage) Form(code string) certificateForm {
	if p.Failed.Code == code {
		return p.Failed
	}
	return certificateForm{}
}

// IssueForm is a booking's "issue with this name" form as typed after a
// refusal (empty otherwise).
func (p certificatesPage) IssueForm(bookingID int64) certificateForm {
	if p.Failed.Code == "" && p.Failed.Booking == bookingID {
		return p.Failed
	}
	return certificateForm{Booking: bookingID}
}

// Unprintable reports whether any completion waits for a name that prints.
func (p certificatesPage) Unprintable() bool {
	for _, l := range p.Lines {
		if l.Unprintable != "" {
			return true
		}
	}
	return false
}

// certificateDate finds the date and checks that the user may handle the date's
// certificates; it writes the error page when not.
func (s *Server) certificateDate(w http.ResponseWriter, r *http.Request, eventID int64) (catalog.Course, catalog.Event, bool) {
	if s.certificates == nil || s.bookings == nil {
		s.web.NotFound(w, r)
		return catalog.Course{}, catalog.Event{}, false
	}
	c, e, err := s.bookings.EventOf(r.Context(), eventID)
	if errors.Is(err, catalog.ErrNotFound) || errors.Is(err, booking.ErrNotFound) {
		s.web.NotFound(w, r)
		return c, e, false
	}
	if err != nil {
		s.web.Error(w, r, err)
		return c, e, false
	}
	if !s.allowedOn(w, r, account.CertificatesIssue, c.ID) {
		return c, e, false
	}
	return c, e, true
}

// dateCertificates is GET /admin/dates/{id}/certificates.
func (s *Server) dateCertificates(w http.ResponseWriter, r *http.Request) {
	s.renderCertificates(w, r, pathID(r), http.StatusOK, certificateForm{})
}

func (s *Server) renderCertificates(w http.ResponseWriter, r *http.Request, eventID int64, status int, failed certificateForm) {
	c, e, ok := s.certificateDate(w, r, eventID)
	if !ok {
		return
	}
	lines, err := s.certificates.ForDate(r.Context(), e.ID)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	list, err := s.bookings.List(r.Context(), e.ID)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := certificatesPage{Base: s.web.Base(r), EventID: e.ID, Course: c.Title, Date: e.DateLabel(), Lines: lines, Failed: failed,
		status: map[int64]booking.Status{}}
	for _, b := range list {
		p.status[b.ID] = b.Status
	}
	q := r.URL.Query()
	switch q.Get("done") {
	case "sent":
		p.Done = fmt.Sprintf("Certificates issued now: %s. E-mails queued now: %s (each certificate is e-mailed once).",
			q.Get("issued"), q.Get("queued"))
		if n := q.Get("unprintable"); n != "" && n != "0" {
			p.Done += " Not issued: " + n + " whose names have letters the certificate font cannot print; " +
				"they are listed under “Names the certificate cannot print”, each with a form to issue with the name as it should be printed."
		}
	case "issued":
		p.Done = "The certificate was issued with the name as typed; the booking keeps its own name. " +
			"“Issue and e-mail certificates” sends it like the others."
	case "had":
		p.Done = "That booking already had a certificate, which is unchanged: to correct its name, reissue it."
	case "reissued":
		p.Done = "The certificate was reissued with the corrected name and its old code now shows as replaced."
	case "revoked":
		p.Done = "The certificate was revoked: its verification page now says so."
	}
	s.web.Render(w, r, status, "admin_certificates", p)
}

// dateCertificatesSend is POST /admin/dates/{id}/certificates/send:
// issue to everyone who completed and e-mail each certificate once.
func (s *Server) dateCertificatesSend(w http.ResponseWriter, r *http.Request) {
	_, e, ok := s.certificateDate(w, r, pathID(r))
	if !ok {
		return
	}
	sent, err := s.certificates.SendAll(r.Context(), e.ID, actorOf(r).User.Actor())
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/dates/%d/certificates?done=sent&issued=%d&queued=%d&unprintable=%d", e.ID, sent.Issued, sent.Queued, sent.Unprintable),
		http.StatusSeeOther)
}

// dateCertificatesIssue is POST /admin/dates/{id}/certificates/issue:
// issue the certificate of a completion (the form's booking) whose name the
// certificate cannot print, with the name as it should be printed. A
// refusal shows the page again with the message beside the field and
// what was typed kept (422).
func (s *Server) dateCertificatesIssue(w http.ResponseWriter, r *http.Request) {
	_, e, ok := s.certificateDate(w, r, pathID(r))
	if !ok {
		return
	}
	id, _ := strconv.ParseInt(r.PostFormValue("booking"), 10, 64)
	form := certificateForm{Booking: id, Name: r.PostFormValue("name"), Note: r.PostFormValue("note")}
	_, created, err := s.certificates.IssueAs(r.Context(), e.ID, id, form.Name, form.Note, actorOf(r).User.Actor())
	if s.certificateRefused(w, r, e.ID, form, err) {
		return
	}
	done := "issued"
	if !created {
		done = "had"
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/dates/%d/certificates?done=%s", e.ID, done), http.StatusSeeOther)
}

// certificateRefused answers a certificate action that failed, and says
// whether it did: a refusal shows the date's page again with the error
// beside the field and what was typed kept (422); any other error the
// error page with a way back.
func (s *Server) certificateRefused(w http.ResponseWriter, r *http.Request, eventID int64, form certificateForm, err error) bool {
	var fe certificates.FormError
	switch {
	case errors.As(err, &fe):
		form.Errors = fe
		s.renderCertificates(w, r, eventID, http.StatusUnprocessableEntity, form)
	case err != nil:
		s.web.Error(w, r, err, web.Link{URL: fmt.Sprintf("/admin/dates/%d/certificates", eventID), Label: "Back to the certificates"})
	}
	return err != nil
}

// certificateOf finds {code} and checks the user may handle its date.
func (s *Server) certificateOf(w http.ResponseWriter, r *http.Request) (certificates.Certificate, bool) {
	if s.certificates == nil {
		s.web.NotFound(w, r)
		return certificates.Certificate{}, false
	}
	cert, err := s.certificates.ByCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.web.Error(w, r, err)
		return cert, false
	}
	if _, _, ok := s.certificateDate(w, r, cert.EventID); !ok {
		return cert, false
	}
	return cert, true
}

// certificateChange is the POST of a reissue or a revocation: a refusal
// shows the date's page again with the error beside the field and what
// was typed kept (422); success goes back to the page.
func (s *Server) certificateChange(w http.ResponseWriter, r *http.Request, done string,
	change func(cert certificates.Certificate, form certificateForm) error) {
	cert, ok := s.certificateOf(w, r)
	if !ok {
		return
	}
	form := certificateForm{Code: cert.Code, Name: r.PostFormValue("name"), Note: r.PostFormValue("note"),
		Reason: r.PostFormValue("reason")}
	if s.certificateRefused(w, r, cert.EventID, form, change(cert, form)) {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/dates/%d/certificates?done=%s", cert.EventID, url.QueryEscape(done)), http.StatusSeeOther)
}

// certificateReissue is POST /admin/certificates/{code}/reissue.
func (s *Server) certificateReissue(w http.ResponseWriter, r *http.Request) {
	s.certificateChange(w, r, "reissued", func(cert certificates.Certificate, f certificateForm) error {
		_, err := s.certificates.Reissue(r.Context(), cert.Code, f.Name, f.Note, actorOf(r).User.Actor())
		return err
	})
}

// certificateRevoke is POST /admin/certificates/{code}/revoke.
func (s *Server) certificateRevoke(w http.ResponseWriter, r *http.Request) {
	s.certificateChange(w, r, "revoked", func(cert certificates.Certificate, f certificateForm) error {
		_, err := s.certificates.Revoke(r.Context(), cert.Code, f.Reason, actorOf(r).User.Actor())
		return err
	})
}

// certificatePDF is GET /admin/certificates/{code}/pdf: the certificate
// as printed, whatever its state, for staff to check.
func (s *Server) certificatePDF(w http.ResponseWriter, r *http.Request) {
	cert, ok := s.certificateOf(w, r)
	if !ok {
		return
	}
	pdf, err := certificates.PDF(cert, s.web.AbsoluteBase(r))
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="`+certificates.FileName(cert)+`"`)
	w.Write(pdf)
}
