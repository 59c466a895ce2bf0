package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"plenary/internal/account"
	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/web"
)

// The mail log: every e-mail the site has queued, sent, failed or kept,
// for staff allowed messages:read (site-wide), with retry and resend for
// those allowed messages:send. What staff see of a message is what the
// person saw, with two exceptions: a participant's manage link is a
// credential, so it is replaced by "[manage link hidden]" in the text, the
// HTML and text attachments; and a staff password reset e-mail is shown
// (and may be resent) only to the person it was sent to.

// ukTime is the site's zone, in which the staff area writes times.
var ukTime = catalog.Event{TimeZone: catalog.DefaultTimeZone}.Location()

// logPageSize is how many messages a page of the mail log shows.
const logPageSize = 50

// kindLabels names the known kinds of message for people; a kind not
// listed shows as itself.
var kindLabels = []struct{ Kind, Label string }{
	{"booking_confirmed", "Booking confirmed"},
	{"booking_pending_review", "Booking waiting for review"},
	{"booking_waitlisted", "On the waiting list"},
	{"booking_offered", "Place offered"},
	{"booking_moved_up", "Moved up from the waiting list"},
	{"booking_offer_lapsed", "Offer lapsed"},
	{"booking_cancelled", "Booking cancelled"},
	{"booking_review_declined", "Review declined"},
	{"booking_already_booked", "Already booked"},
	{"booking_moved", "Moved to another date"},
	{"booking_offer_withdrawn", "Offer withdrawn"},
	{"staff_message", "Message from the course team"},
	{"joining", "Joining instructions"},
	{"event_changed", "Date changed"},
	{"event_cancelled", "Date cancelled"},
	{"reminder", "Reminder"},
	{"thanks", "Thank you"},
	{"thanks_missed", "Thank you (did not complete)"},
	{"thanks_certificate", "Thank you, with the certificate"},
	{"certificate", "CPD certificate"},
	{"review_waiting", "Staff: a review is waiting"},
	{"attention_digest", "Staff: daily digest"},
	{"list_confirm", "Lists: confirm a subscription"},
	{"list_news", "Lists: new dates and free places"},
	{resetMailKind, "Staff: password reset"},
}

func kindLabel(kind string) string {
	for _, k := range kindLabels {
		if k.Kind == kind {
			return k.Label
		}
	}
	return kind
}

// statusOptions are the statuses the log filters by, in words.
var statusOptions = []option{
	{Value: string(messaging.Queued), Label: "Queued (waiting or being tried again)"},
	{Value: string(messaging.Sent), Label: "Sent"},
	{Value: string(messaging.Failed), Label: "Failed"},
	{Value: string(messaging.Kept), Label: "Kept (not sent)"},
}

// statusWords says where a message is, in words (the badge's colour
// only repeats it).
func statusWords(m messaging.Message) string {
	switch m.Status {
	case messaging.Queued:
		if m.LastError != "" {
			return "Queued, to be tried again"
		}
		return "Queued"
	case messaging.Sent:
		return "Sent"
	case messaging.Failed:
		return "Failed"
	case messaging.Kept:
		return "Kept, not sent"
	}
	return string(m.Status)
}

func mailTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(ukTime)
	return t.Format("2 Jan 2006 15:04") + " " + catalog.ZoneLabel(t)
}

// manageLink matches a participant's secret link, with its origin and any
// sub-path: a manage link (a path under /bookings/ ending in a 256-bit
// URL-safe token), and a list confirmation or unsubscribe link (under
// /lists/confirm/ or /lists/unsubscribe/), with which staff could confirm
// or withdraw someone's subscription for them.
var manageLink = regexp.MustCompile(`(?:https?://[^\s"'<>/]+)?/(?:bookings|lists/confirm|lists/unsubscribe)/[A-Za-z0-9_.-]{20,}(?:/[A-Za-z0-9_-]*)?`)

// manageLinkHidden replaces such a link in what staff see.
const manageLinkHidden = "[manage link hidden]"

func redactLinks(s string) string { return manageLink.ReplaceAllString(s, manageLinkHidden) }

// messagesPage is the mail log.
type messagesPage struct {
	web.Base
	Status, Kind, From, To, Recipient string
	Statuses, Kinds                   []option
	Zone                              string
	Errors                            map[string]string
	Summary                           []fieldError
	Filtered                          bool
	Messages                          []messageRow
	Older                             string // the next page's URL; "" on the last
	Newest                            string // the first page's URL, when paging back
	Kept                              bool   // mail is kept, not sent (PLENARY_DEV_MAILBOX)
}

type messageRow struct {
	ID                              int64
	When, To, Subject, Kind, Status string
	StatusClass                     string
	Attempts                        int
}

// unsearchable checks a filter's text for what no stored value holds
// (a NUL, bytes that are not UTF-8: PostgreSQL refuses them where
// SQLite finds nothing) and, with any, calls bad for field with a message
// starting with what and returns v with those characters made visible
// (U+FFFD) to show again; otherwise it returns v.
func unsearchable(v, field, what string, bad func(field, msg string)) string {
	if utf8.ValidString(v) && !strings.ContainsRune(v, 0) {
		return v
	}
	bad(field, what+" has characters that cannot be searched for (marked �): remove them.")
	return strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", "\uFFFD")
}

// readLogFilter reads the mail log's filters from the query, with a
// message beside each field it cannot use.
func readLogFilter(q url.Values, p *messagesPage) (messaging.ListFilter, bool) {
	f := messaging.ListFilter{Limit: logPageSize + 1}
	p.Status, p.Kind = strings.TrimSpace(q.Get("status")), strings.TrimSpace(q.Get("kind"))
	p.From, p.To, p.Recipient = strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to")), strings.TrimSpace(q.Get("recipient"))
	p.Errors = map[string]string{}
	bad := func(field, msg string) {
		p.Errors[field] = msg
		p.Summary = append(p.Summary, fieldError{Anchor: field, Message: msg})
	}
	p.Kind = unsearchable(p.Kind, "kind", "The kind", bad)
	p.Recipient = unsearchable(p.Recipient, "recipient", "The address", bad)
	if p.Status != "" {
		if !slices.ContainsFunc(statusOptions, func(o option) bool { return o.Value == p.Status }) {
			bad("status", "Choose a status from the list.")
		}
		f.Status = messaging.Status(p.Status)
	}
	if p.Kind != "" {
		f.Kind = p.Kind
	}
	f.Recipient = p.Recipient
	f.Since, f.Until = dayRange(p.From, p.To, bad)
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			bad("before", "That page of the log does not exist; start again from the newest.")
		}
		f.BeforeID = id
	}
	p.Filtered = p.Status != "" || p.Kind != "" || p.From != "" || p.To != "" || p.Recipient != ""
	return f, len(p.Summary) == 0
}

// messagesList serves GET /admin/messages.
func (s *Server) messagesList(w http.ResponseWriter, r *http.Request) {
	if s.outbox == nil {
		s.web.NotFound(w, r)
		return
	}
	now := s.web.Now().In(ukTime)
	p := messagesPage{Base: s.web.Base(r), Statuses: statusOptions, Zone: catalog.ZoneLabel(now), Kept: s.devMailbox}
	for _, k := range kindLabels {
		p.Kinds = append(p.Kinds, option{Value: k.Kind, Label: k.Label})
	}
	q := r.URL.Query()
	f, ok := readLogFilter(q, &p)
	if p.Kind != "" && !slices.ContainsFunc(p.Kinds, func(o option) bool { return o.Value == p.Kind }) {
		p.Kinds = append(p.Kinds, option{Value: p.Kind, Label: p.Kind}) // a kind the list does not know yet
	}
	if !ok {
		s.web.Render(w, r, http.StatusUnprocessableEntity, "admin_messages", p)
		return
	}
	msgs, err := s.outbox.List(r.Context(), f)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	if len(msgs) > logPageSize {
		msgs = msgs[:logPageSize]
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("before", strconv.FormatInt(msgs[len(msgs)-1].ID, 10))
		p.Older = "/admin/messages?" + next.Encode()
	}
	if f.BeforeID != 0 {
		first := url.Values{}
		for k, v := range q {
			first[k] = v
		}
		first.Del("before")
		p.Newest = "/admin/messages?" + first.Encode()
	}
	for _, m := range msgs {
		to := m.ToEmail
		if m.ToName != "" {
			to = m.ToName + " <" + m.ToEmail + ">"
		}
		p.Messages = append(p.Messages, messageRow{ID: m.ID, When: mailTime(m.CreatedAt), To: to, Subject: m.Subject,
			Kind: kindLabel(m.Kind), Status: statusWords(m), StatusClass: string(m.Status), Attempts: m.Attempts})
	}
	s.web.Render(w, r, http.StatusOK, "admin_messages", p)
}

// messagePage is one message in full.
type messagePage struct {
	web.Base
	Message    messageView
	BookingURL string
	CanRetry   bool
	CanResend  bool
	Done       string // "retried" or "resent" after the action
	CopyURL    string // the resent copy
	Problem    string // why the action could not be done
}

type messageView struct {
	ID                                        int64
	Status, StatusClass, Kind, KindCode       string
	To, From, ReplyTo, Subject, MessageID     string
	Created, Scheduled, Sent                  string
	Attempts                                  int
	LastError, ServerReply                    string
	Text                                      string
	HasHTML                                   bool
	Attachments                               []attachmentView
	Hidden                                    bool // a reset e-mail shown to someone else
	Redacted                                  bool // a manage link was hidden
	SubjectRef                                string
	ScheduledLater, Failed, Delivered, Queued bool
}

type attachmentView struct {
	Name, Type, URL string
	Size            int
}

// loadMessage reads the message named by {id} as the session may see
// it, or writes the 404 page.
func (s *Server) loadMessage(w http.ResponseWriter, r *http.Request) (messaging.Message, bool, bool) {
	if s.outbox == nil {
		s.web.NotFound(w, r)
		return messaging.Message{}, false, false
	}
	id, ok := web.IDParam(r.PathValue("id"))
	if !ok {
		s.web.NotFound(w, r)
		return messaging.Message{}, false, false
	}
	m, err := s.outbox.Message(r.Context(), id)
	if err != nil {
		s.web.Error(w, r, err)
		return m, false, false
	}
	hidden := hideResetLink(r, &m)
	m.Text, m.HTML = redactLinks(m.Text), redactLinks(m.HTML)
	for i, a := range m.Attachments {
		if strings.HasPrefix(a.ContentType, "text/") {
			m.Attachments[i].Data = []byte(redactLinks(string(a.Data)))
		}
	}
	return m, hidden, true
}

// hideResetLink blanks a staff password reset e-mail for everyone but
// the person it was sent to: its link would let whoever reads the mail
// set their password. It reports whether it did.
func hideResetLink(r *http.Request, m *messaging.Message) bool {
	if m.Kind != resetMailKind || isRecipient(r, *m) {
		return false
	}
	m.Text = "This e-mail holds a link to set a new password, so it is shown only to the person it was sent to."
	m.HTML = ""
	m.Attachments = nil
	return true
}

func isRecipient(r *http.Request, m messaging.Message) bool {
	sess, _ := sessionOf(r)
	return strings.EqualFold(m.ToEmail, sess.User.Email)
}

func (s *Server) messageView(r *http.Request, m messaging.Message, hidden bool) messagePage {
	v := messageView{ID: m.ID, Status: statusWords(m), StatusClass: string(m.Status), Kind: kindLabel(m.Kind), KindCode: m.Kind,
		To: m.ToEmail, From: m.From, ReplyTo: m.ReplyTo, Subject: m.Subject, MessageID: m.MessageID,
		Created: mailTime(m.CreatedAt), Scheduled: mailTime(m.ScheduledAt), Sent: mailTime(m.SentAt),
		Attempts: m.Attempts, LastError: m.LastError, ServerReply: m.ServerReply, Text: m.Text,
		HasHTML: strings.TrimSpace(m.HTML) != "", Hidden: hidden, SubjectRef: m.SubjectRef,
		Failed: m.Status == messaging.Failed, Delivered: m.Status == messaging.Sent || m.Status == messaging.Kept,
		Queued: m.Status == messaging.Queued, ScheduledLater: m.ScheduledAt.After(m.CreatedAt)}
	v.Redacted = strings.Contains(m.Text, manageLinkHidden) || strings.Contains(m.HTML, manageLinkHidden)
	if m.ToName != "" {
		v.To = m.ToName + " <" + m.ToEmail + ">"
	}
	for i, a := range m.Attachments {
		v.Attachments = append(v.Attachments, attachmentView{Name: a.Filename, Type: a.ContentType, Size: len(a.Data),
			URL: fmt.Sprintf("/admin/messages/%d/attachments/%d", m.ID, i)})
	}
	p := messagePage{Base: s.web.Base(r), Message: v}
	sess, _ := sessionOf(r)
	if id, ok := strings.CutPrefix(m.SubjectRef, "booking/"); ok && sess.CanSome(account.BookingsRead) {
		if n, ok := web.IDParam(id); ok {
			p.BookingURL = fmt.Sprintf("/admin/bookings/%d", n)
		}
	}
	send := sess.Can(account.MessagesSend, 0)
	p.CanRetry = send && v.Failed
	p.CanResend = send && v.Delivered && (m.Kind != resetMailKind || isRecipient(r, m))
	return p
}

// messageShow serves GET /admin/messages/{id} (?done=retried|resent).
func (s *Server) messageShow(w http.ResponseWriter, r *http.Request) {
	m, hidden, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	p := s.messageView(r, m, hidden)
	switch r.URL.Query().Get("done") {
	case "retried":
		p.Done = "retried"
	case "resent":
		if c, ok := web.IDParam(r.URL.Query().Get("copy")); ok {
			p.Done, p.CopyURL = "resent", fmt.Sprintf("/admin/messages/%d", c)
		}
	}
	s.web.Render(w, r, http.StatusOK, "admin_message", p)
}

// messageRetry serves POST /admin/messages/{id}/retry: a failed message
// goes back to the queue with a new send job.
func (s *Server) messageRetry(w http.ResponseWriter, r *http.Request) {
	m, hidden, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	sess, _ := sessionOf(r)
	err := s.outbox.Retry(r.Context(), m.ID, sess.User.Actor())
	switch {
	case err == nil:
		http.Redirect(w, r, fmt.Sprintf("/admin/messages/%d?done=retried", m.ID), http.StatusSeeOther)
	case errors.Is(err, messaging.ErrNotFailed), errors.Is(err, messaging.ErrStillFinishing):
		p := s.messageView(r, m, hidden)
		p.Problem = "This e-mail was not retried: only a failed e-mail can be, and this one is " + strings.ToLower(p.Message.Status) + "."
		if errors.Is(err, messaging.ErrStillFinishing) {
			p.Problem = "This e-mail was not retried: its last attempt is still being put away. Try again in a moment."
		}
		s.web.Render(w, r, http.StatusConflict, "admin_message", p)
	default:
		s.web.Error(w, r, err)
	}
}

// messageResend serves POST /admin/messages/{id}/resend: a new copy of a
// sent or kept message to the same person.
func (s *Server) messageResend(w http.ResponseWriter, r *http.Request) {
	m, hidden, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	if m.Kind == resetMailKind && !isRecipient(r, m) {
		s.web.Error(w, r, web.ErrForbidden, web.Link{URL: fmt.Sprintf("/admin/messages/%d", m.ID), Label: "Back to the e-mail"})
		return
	}
	sess, _ := sessionOf(r)
	cp, err := s.outbox.Resend(r.Context(), m.ID, sess.User.Actor())
	switch {
	case err == nil:
		http.Redirect(w, r, fmt.Sprintf("/admin/messages/%d?done=resent&copy=%d", m.ID, cp), http.StatusSeeOther)
	case errors.Is(err, messaging.ErrNotDelivered):
		p := s.messageView(r, m, hidden)
		p.Problem = "This e-mail was not sent again: only a sent or kept e-mail can be, and this one is " + strings.ToLower(p.Message.Status) + "."
		s.web.Render(w, r, http.StatusConflict, "admin_message", p)
	default:
		s.web.Error(w, r, err)
	}
}

// messageHTML serves GET /admin/messages/{id}/html: the HTML body on its
// own, for the message page's sandboxed frame. Its CSP sandboxes it too,
// so opened directly it still runs no script and cannot reach the site;
// only pages of this site may frame it.
func (s *Server) messageHTML(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", messageHTMLPolicy)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	w.Write([]byte(m.HTML))
}

// messageHTMLPolicy is the CSP of a message's HTML: no script, no fetch,
// no form, only inline styles and data: images, framed only by the site.
const messageHTMLPolicy = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'"

// messageAttachment serves GET /admin/messages/{id}/attachments/{n} as a
// download.
func (s *Server) messageAttachment(w http.ResponseWriter, r *http.Request) {
	m, _, ok := s.loadMessage(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 || n >= len(m.Attachments) {
		s.web.NotFound(w, r)
		return
	}
	a := m.Attachments[n]
	name := strings.Map(func(c rune) rune {
		if c < 0x20 || c == '"' || c == '\\' || c == '/' || c > 0x7e {
			return '_'
		}
		return c
	}, a.Filename)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Write(a.Data)
}

// oldMailLink serves the dev mailbox's old addresses (/admin/mail and
// /admin/mail/{id}), which bookmarks and links may still hold, by
// sending them to the mail log.
func (s *Server) oldMailLink(w http.ResponseWriter, r *http.Request) {
	target := "/admin/messages"
	if id, ok := web.IDParam(r.PathValue("id")); ok {
		target = fmt.Sprintf("/admin/messages/%d", id)
	}
	http.Redirect(w, r, target, http.StatusMovedPermanently)
}

// dayRange reads a From and To day (YYYY-MM-DD, in the site's zone) of a
// filter form: since is the start of from, until the start of the day
// after to (zero when not given). A bad value is reported through bad
// beside its field ("from", "to").
func dayRange(from, to string, bad func(field, msg string)) (since, until time.Time) {
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, ukTime)
		if err != nil {
			bad(field, "Enter a date as YYYY-MM-DD, for example 2026-03-27.")
			return time.Time{}
		}
		return t
	}
	since, last := day("from", from), day("to", to)
	if !since.IsZero() && !last.IsZero() && last.Before(since) {
		bad("to", "The end date must be on or after the start date.")
	}
	if !last.IsZero() {
		until = last.AddDate(0, 0, 1) // to the end of that day
	}
	return since, until
}
