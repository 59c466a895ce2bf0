package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"plenary/internal/catalog"
	"plenary/internal/messaging"
	"plenary/internal/web"
)

// The dev mailbox: every e-mail the site has queued, kept, sent or failed,
// read-only. The e-mails hold manage links, so it is off unless turned on
// for development (PLENARY_DEV_MAILBOX, or serve -demo without SMTP), and
// even then only staff signed in with messages:read (site-wide) see it;
// when it is off its pages are the plain 404. A staff password reset
// e-mail shows its link only to the person it was sent to.

// mailListPage lists messages, newest first.
type mailListPage struct {
	web.Base
	Messages []mailView
	Older    int64 // BeforeID for the next page; 0 when there is none
}

// mailPage is one message in full.
type mailPage struct {
	web.Base
	Message mailView
}

type mailView struct {
	ID          int64
	Status      string
	Kind        string
	To          string
	Subject     string
	Scheduled   string
	Sent        string
	Created     string
	Attempts    int
	LastError   string
	From        string
	ReplyTo     string
	MessageID   string
	Text        string
	HasHTML     bool
	Attachments []attachmentView
}

type attachmentView struct {
	Name, Type, URL string
	Size            int
}

// mailPageSize is how many messages a page of the list shows.
const mailPageSize = 50

var ukTime = catalog.Event{TimeZone: catalog.DefaultTimeZone}.Location()

func mailTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(ukTime)
	return t.Format("2 Jan 2006 15:04:05") + " " + catalog.ZoneLabel(t)
}

func newMailView(m messaging.Message) mailView {
	v := mailView{
		ID: m.ID, Status: string(m.Status), Kind: m.Kind, Subject: m.Subject,
		To:        m.ToEmail,
		Scheduled: mailTime(m.ScheduledAt), Sent: mailTime(m.SentAt), Created: mailTime(m.CreatedAt),
		Attempts: m.Attempts, LastError: m.LastError, From: m.From, ReplyTo: m.ReplyTo, MessageID: m.MessageID,
		Text: m.Text, HasHTML: strings.TrimSpace(m.HTML) != "",
	}
	if m.ToName != "" {
		v.To = m.ToName + " <" + m.ToEmail + ">"
	}
	for i, a := range m.Attachments {
		v.Attachments = append(v.Attachments, attachmentView{
			Name: a.Filename, Type: a.ContentType, Size: len(a.Data),
			URL: fmt.Sprintf("/admin/mail/%d/attachments/%d", m.ID, i),
		})
	}
	return v
}

// devMailboxOn serves next when the dev mailbox is on, and the 404 page
// otherwise. The route's access (routes.go) has checked the session.
func (s *Server) devMailboxOn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.devMailbox || s.outbox == nil {
			s.web.NotFound(w, r)
			return
		}
		next(w, r)
	}
}

// adminMailList serves GET /admin/mail (?before=ID pages back).
func (s *Server) adminMailList(w http.ResponseWriter, r *http.Request) {
	f := messaging.ListFilter{Limit: mailPageSize + 1}
	if b := r.URL.Query().Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			s.web.NotFound(w, r)
			return
		}
		f.BeforeID = id
	}
	msgs, err := s.outbox.List(r.Context(), f)
	if err != nil {
		s.web.Error(w, r, err)
		return
	}
	p := mailListPage{Base: s.web.Base(r)}
	if len(msgs) > mailPageSize {
		msgs = msgs[:mailPageSize]
		p.Older = msgs[len(msgs)-1].ID
	}
	for _, m := range msgs {
		p.Messages = append(p.Messages, newMailView(m))
	}
	s.web.Render(w, r, http.StatusOK, "admin_mail", p)
}

// adminMessage reads the message named by {id}, or writes the 404 page.
func (s *Server) adminMessage(w http.ResponseWriter, r *http.Request) (messaging.Message, bool) {
	id, ok := web.IDParam(r.PathValue("id"))
	if !ok {
		s.web.NotFound(w, r)
		return messaging.Message{}, false
	}
	m, err := s.outbox.Message(r.Context(), id)
	if err != nil {
		s.web.Error(w, r, err)
		return m, false
	}
	hideResetLink(r, &m)
	return m, true
}

// hideResetLink blanks a staff password reset e-mail for everyone but
// the person it was sent to: its link would let whoever reads the mail
// set their password.
func hideResetLink(r *http.Request, m *messaging.Message) {
	sess, _ := sessionOf(r)
	if m.Kind != resetMailKind || strings.EqualFold(m.ToEmail, sess.User.Email) {
		return
	}
	m.Text = "This e-mail holds a link to set a new password, so it is shown only to the person it was sent to."
	m.HTML = ""
	m.Attachments = nil
}

// adminMailShow serves GET /admin/mail/{id}.
func (s *Server) adminMailShow(w http.ResponseWriter, r *http.Request) {
	m, ok := s.adminMessage(w, r)
	if !ok {
		return
	}
	s.web.Render(w, r, http.StatusOK, "admin_mail_message", mailPage{Base: s.web.Base(r), Message: newMailView(m)})
}

// adminMailHTML serves GET /admin/mail/{id}/html: the HTML body on its
// own, for the message page's sandboxed frame. Its CSP sandboxes it too,
// so opened directly it still runs no script and cannot reach the site.
func (s *Server) adminMailHTML(w http.ResponseWriter, r *http.Request) {
	m, ok := s.adminMessage(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	w.Write([]byte(m.HTML))
}

// adminMailAttachment serves GET /admin/mail/{id}/attachments/{n} as a
// download.
func (s *Server) adminMailAttachment(w http.ResponseWriter, r *http.Request) {
	m, ok := s.adminMessage(w, r)
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
