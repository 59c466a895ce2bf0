package messaging

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Status is where a message is in its delivery.
type Status string

// The delivery states of a message.
const (
	// Queued messages wait for their send job; a failed attempt that will
	// be retried leaves the message queued with its LastError.
	Queued Status = "queued"
	// Sent messages were accepted by the SMTP server.
	Sent Status = "sent"
	// Failed messages ran out of attempts.
	Failed Status = "failed"
	// Kept messages were held in the dev mailbox instead of being sent,
	// because no SMTP server is configured.
	Kept Status = "kept"
)

// Message is one e-mail to one person.
type Message struct {
	ID int64
	// Kind names the sort of message ("confirmation", "offer", …); it
	// also appears in the Message-ID.
	Kind string
	// DedupeKey is unique across all messages, e.g.
	// "confirmation/<booking>" or "joining/<booking>/<event version>": a
	// second message with the same key is never stored or sent.
	DedupeKey string
	// SubjectRef names what the message is about, in the sender's own
	// words, e.g. "booking/42"; empty when it is about nothing in
	// particular (a test mail, a notice to staff). Messaging stores it and
	// filters by it (ListFilter, FailingSubjects, OfKind) and knows
	// nothing else about it.
	SubjectRef string
	// From and ReplyTo are header values; Enqueue fills them from the
	// OutboxOptions when empty.
	From, ReplyTo   string
	ToName, ToEmail string
	Subject         string
	Text, HTML      string // HTML may be empty
	Attachments     []Attachment
	// Data, when set, is what the outbox's Renderer makes the content
	// from (JSON, by the queuing package's own shape): Subject, Text,
	// HTML and Attachments are then left empty at Enqueue, and filled
	// when the message is read or sent (see render.go). Empty once the
	// rendered content is stored, just before sending.
	Data        []byte
	ScheduledAt time.Time // not sent before; zero means now
	Status      Status
	Attempts    int
	LastError   string
	SentAt      time.Time // zero until sent or kept
	// ServerReply is what the SMTP server answered when it accepted the
	// message (the text of its 250 reply, often with the server's queue
	// ID); empty until sent, and for kept messages.
	ServerReply string
	MessageID   string // the Message-ID header, with its angle brackets
	CreatedAt   time.Time
	// Marketing marks list mail (announcements to subscribers): only it
	// carries List-Unsubscribe and, with an https:// address,
	// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058).
	// Transactional mail (bookings, joining instructions) never does, and
	// asks auto-responders to stay quiet instead.
	Marketing bool
	// ListUnsubscribe is the https:// address a mail client POSTs to for a
	// one-click unsubscribe; ListUnsubscribeMailto the mailto: address
	// offered beside it. Both only on marketing mail.
	ListUnsubscribe       string
	ListUnsubscribeMailto string
}

// Attachment is a file sent with a message. ContentType carries any
// parameters, e.g. "text/calendar; method=REQUEST; charset=utf-8" for a
// calendar invitation.
type Attachment struct {
	Filename, ContentType string
	Data                  []byte
}

// ErrNotFound is returned for a message ID that does not exist.
var ErrNotFound = errors.New("messaging: message not found")

// validate checks what Enqueue needs, reporting every problem.
func (m Message) validate() error {
	var errs []error
	if strings.TrimSpace(m.Kind) == "" {
		errs = append(errs, errors.New("no kind"))
	}
	if strings.TrimSpace(m.DedupeKey) == "" {
		errs = append(errs, errors.New("no dedupe key"))
	}
	if _, err := mail.ParseAddress(m.ToEmail); err != nil || strings.ContainsAny(m.ToEmail, "<> ") {
		errs = append(errs, fmt.Errorf("recipient %q is not an e-mail address", m.ToEmail))
	}
	if strings.ContainsAny(m.Subject+m.ToName, "\r\n") {
		errs = append(errs, errors.New("line break in subject or name"))
	}
	switch {
	case len(m.Data) > 0:
		if m.Subject+m.Text+m.HTML != "" || len(m.Attachments) > 0 {
			errs = append(errs, errors.New("a message queued with its data has no content of its own"))
		}
	case strings.TrimSpace(m.Subject) == "":
		errs = append(errs, errors.New("no subject"))
	case strings.TrimSpace(m.Text) == "":
		errs = append(errs, errors.New("no text body"))
	}
	for i, a := range m.Attachments {
		if a.Filename == "" || a.ContentType == "" || strings.ContainsAny(a.Filename+a.ContentType, "\r\n\"") {
			errs = append(errs, fmt.Errorf("attachment %d needs a plain file name and content type", i+1))
		}
	}
	if m.Marketing && m.ListUnsubscribe != "" && !strings.HasPrefix(m.ListUnsubscribe, "https://") {
		errs = append(errs, errors.New("list-unsubscribe address must be https://"))
	}
	if m.ListUnsubscribeMailto != "" && (!strings.HasPrefix(m.ListUnsubscribeMailto, "mailto:") || strings.ContainsAny(m.ListUnsubscribeMailto, "<>, \r\n")) {
		errs = append(errs, errors.New("list-unsubscribe mail address must be a plain mailto:"))
	}
	if !m.Marketing && m.ListUnsubscribe+m.ListUnsubscribeMailto != "" {
		errs = append(errs, errors.New("only marketing mail carries List-Unsubscribe"))
	}
	return errors.Join(errs...)
}
