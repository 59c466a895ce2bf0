package booking

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"plenary/internal/audit"
	"plenary/internal/database"
	"plenary/internal/messaging"
	"plenary/internal/secret"
)

// A message the course team writes to the person on a booking, from the
// bookings desk (one booking, or everyone selected in bulk).

// mailStaffMessage is a message written by the course team. Dedupe key:
// staff-message/<booking>/<random>: each send is its own message.
const mailStaffMessage mailKind = "staff_message"

// The longest subject and body of a staff message, in characters.
const (
	MessageSubjectMax = 200
	MessageBodyMax    = 10000
)

// staffMessage is what the staff_message e-mail shows besides the
// booking's course and date: the subject and the paragraphs of the text
// as typed, escaped by the templates like any other text.
type staffMessage struct {
	Subject    string
	Paragraphs []string
}

// actionMessage is the audit action of a message written to a booking.
const actionMessage = "booking.message"

// CheckMessage returns what is wrong with a message's subject and body
// (trimmed), by field ("subject", "body"); nil when both are fine.
func CheckMessage(subject, body string) FormError {
	errs := FormError{}
	check := func(field, value, label string, max int, multiLine bool) {
		if value == "" {
			errs[field] = "Write the " + label + "."
		} else if e := textProblem(value, max, multiLine); e != "" {
			errs[field] = "The " + label + " " + e
		}
	}
	check("subject", subject, "subject", MessageSubjectMax, false)
	check("body", body, "message", MessageBodyMax, true)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// SendMessage queues an e-mail written by actor to the person on the
// booking: the subject and text as typed, with the course and date named.
// It carries no manage link (a link is a credential; the person has one
// in their confirmation). The audit log records the subject in the same
// transaction. Bad text returns a FormError ("subject", "body") and
// queues nothing. It returns the queued message's ID.
func (s *Service) SendMessage(ctx context.Context, bookingID int64, actor audit.Actor, subject, body string) (int64, error) {
	subject = strings.TrimSpace(subject)
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if errs := CheckMessage(subject, body); errs != nil {
		return 0, errs
	}
	if s.outbox == nil {
		return 0, fmt.Errorf("booking %d: message: no outbox", bookingID)
	}
	m, err := s.manage(ctx, bookingID)
	if err != nil {
		return 0, err
	}
	var id int64
	err = database.InTx(ctx, s.db, func(tx *sql.Tx) error {
		now := s.now().UTC()
		c, e, b := m.Course, m.Event, m.Booking
		d := s.mailAbout(c, e, b)
		d.Staff = staffMessage{Subject: subject, Paragraphs: paragraphs(body)}
		data, err := mailMessageData(d, nil)
		if err != nil {
			return err
		}
		_, hash := secret.New() // only for a key no other send shares
		msg := messaging.Message{Kind: string(mailStaffMessage), DedupeKey: mailKey("staff-message", b.ID, hash[:16]),
			SubjectRef: SubjectRef(b.ID), ToName: b.Name, ToEmail: b.Email, Data: data}
		if id, _, err = s.outbox.Enqueue(ctx, tx, msg); err != nil {
			return err
		}
		return audit.Record(ctx, tx, now, actor, actionMessage, "booking", b.ID, nil, struct {
			Subject   string `json:"subject"`
			MessageID int64  `json:"message_id"`
		}{subject, id}, "")
	})
	if err != nil {
		return 0, fmt.Errorf("booking %d: message: %w", bookingID, err)
	}
	return id, nil
}

// paragraphs splits text at blank lines; lines within a paragraph keep
// their breaks in the text e-mail and become spaces in the HTML.
func paragraphs(text string) []string {
	var out []string
	for p := range strings.SplitSeq(text, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
