package certificates

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"plenary/internal/audit"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

//go:embed mail
var mailFiles embed.FS

// KindCertificate is the e-mail that carries a certificate: sent to each
// person who completed a date when staff issue and send them all.
const KindCertificate = "certificate"

// MailKinds are the kinds Mail renders, for messaging.Renderers.
var MailKinds = []string{KindCertificate, KindThanks}

// SubjectRef is the subject reference of a certificate's e-mail: the
// booking's ("booking/42", as booking writes it), so the mail log and a
// booking's timeline find it beside the booking's other e-mails.
func SubjectRef(bookingID int64) string { return "booking/" + strconv.FormatInt(bookingID, 10) }

// sendKey is the dedupe key of a certificate's e-mail, one per
// certificate: a second "send all" sends nothing, a reissue sends once.
func sendKey(certID int64) string { return "certificate/" + strconv.FormatInt(certID, 10) }

// mailData is what a certificate e-mail is queued with: the certificate
// as issued and the site's address, enough to render the text and the
// PDF again, identically, whenever the e-mail is read or sent.
type mailData struct {
	Certificate Certificate
	Base        string
	// The thank-you's (KindThanks) links.
	FeedbackURL, CourseURL string `json:",omitempty"`
	// AlreadySent: the thank-you goes without the PDF, which "send all"
	// e-mailed before.
	AlreadySent bool `json:",omitempty"`
}

// mailView is the templates' data.
type mailView struct {
	Name, CourseTitle, Dates, Hours, Code, VerifyURL, Provider string
	FeedbackURL, CourseURL                                     string
	AlreadySent                                                bool
}

// Mail renders the certificate e-mails, the PDF attached; it is the
// outbox's messaging.Renderer for MailKinds.
type Mail struct {
	templates *messaging.Templates
}

// NewMail parses the certificate e-mails; a broken template stops the start.
func NewMail() (*Mail, error) {
	dir, err := fs.Sub(mailFiles, "mail")
	if err != nil {
		return nil, fmt.Errorf("certificates: mail: %w", err)
	}
	t, err := messaging.ParseTemplates(dir, map[string]func() any{
		KindCertificate: func() any { return mailView{} },
		KindThanks:      func() any { return mailView{} },
	})
	if err != nil {
		return nil, fmt.Errorf("certificates: %w", err)
	}
	return &Mail{templates: t}, nil
}

// RenderMessage implements messaging.Renderer.
func (m *Mail) RenderMessage(kind string, data []byte) (messaging.Content, error) {
	if kind != KindCertificate && kind != KindThanks {
		return messaging.Content{}, fmt.Errorf("certificates: no e-mail of kind %q", kind)
	}
	var d mailData
	if err := json.Unmarshal(data, &d); err != nil {
		return messaging.Content{}, fmt.Errorf("certificates: mail %s: %w", kind, err)
	}
	c := d.Certificate
	content, err := m.templates.Render(kind, mailView{Name: c.Name, CourseTitle: c.CourseTitle, Dates: c.Dates,
		Hours: c.Hours(), Code: c.DisplayCode(), VerifyURL: VerifyURL(d.Base, c.Code), Provider: c.Provider,
		FeedbackURL: d.FeedbackURL, CourseURL: d.CourseURL, AlreadySent: d.AlreadySent})
	if err != nil {
		return content, fmt.Errorf("certificates: %w", err)
	}
	if d.AlreadySent {
		return content, nil
	}
	a, err := Attachment(c, d.Base)
	if err != nil {
		return content, err
	}
	content.Attachments = []messaging.Attachment{a}
	return content, nil
}

// Attachment is the certificate's PDF as an e-mail attachment.
func Attachment(c Certificate, base string) (messaging.Attachment, error) {
	pdf, err := PDF(c, base)
	if err != nil {
		return messaging.Attachment{}, err
	}
	return messaging.Attachment{Filename: FileName(c), ContentType: "application/pdf", Data: pdf}, nil
}

// FileName is the PDF's file name: "cpd-certificate-ABCDE-FGHJK.pdf".
func FileName(c Certificate) string { return "cpd-certificate-" + c.DisplayCode() + ".pdf" }

// Sent is what SendAll did.
type Sent struct {
	Completed int // people who completed the date
	Issued    int // certificates issued now (the others had theirs)
	Queued    int // e-mails queued now (the others had gone before)
	// Unprintable is how many were not issued: their names have letters
	// the certificate's fonts cannot print (Printable).
	Unprintable int
}

// sendAudit is the audit record of one "send all".
type sendAudit struct {
	Certificates []string `json:"certificates"`
}

// SendAll issues a certificate to everyone who completed the date (those
// who have one keep it) and e-mails each current, valid certificate once
// (not those the thank-you after the date carried already):
// the e-mail's dedupe key is the certificate's, so a second click, or two
// coordinators at once, send nothing more. It holds the date's lock, as
// the thank-you does, so the two never both attach the certificate. The
// batch is audited as
// event.send_certificates with the codes e-mailed.
func (s *Issuer) SendAll(ctx context.Context, eventID int64, actor audit.Actor) (Sent, error) {
	if s.opts.Outbox == nil {
		return Sent{}, errors.New("certificates: send: no outbox")
	}
	if s.opts.Completions == nil {
		return Sent{}, ErrNoRegister
	}
	course, ev, err := s.opts.Events.Event(ctx, eventID)
	if err != nil {
		return Sent{}, fmt.Errorf("certificates: send for event %d: %w", eventID, err)
	}
	done, err := s.opts.Completions.Completed(ctx, eventID)
	if err != nil {
		return Sent{}, fmt.Errorf("certificates: send for event %d: %w", eventID, err)
	}
	out := Sent{Completed: len(done)}
	err = database.InTx(ctx, s.opts.DB, func(tx *sql.Tx) error {
		out.Issued, out.Queued, out.Unprintable = 0, 0, 0
		// The date's lock, the one the thank-you after the date holds
		// while it attaches certificates (booking's sendEach): the two
		// run one after the other, and whichever comes second sees what
		// the first queued, so nobody gets the certificate twice.
		if err := lockDate(ctx, tx, s.opts.DB.Dialect, eventID); err != nil {
			return err
		}
		if s.sendHook != nil {
			s.sendHook()
		}
		var sent sendAudit
		for _, comp := range done {
			c, created, err := s.issue(ctx, tx, course, ev, comp, actor)
			var fe FormError
			if errors.As(err, &fe) {
				out.Unprintable++ // the name's letters cannot be printed
				continue
			}
			if err != nil {
				return fmt.Errorf("booking %d: %w", comp.BookingID, err)
			}
			if created {
				out.Issued++
			}
			if c.State != Valid {
				continue // revoked: nothing to send
			}
			carried, err := carriedByThanks(ctx, tx, []Certificate{c})
			if err != nil {
				return fmt.Errorf("booking %d: %w", comp.BookingID, err)
			}
			if carried[c.ID] {
				continue // the thank-you after the date carried it
			}
			queued, err := s.enqueue(ctx, tx, c)
			if err != nil {
				return fmt.Errorf("booking %d: %w", comp.BookingID, err)
			}
			if queued {
				out.Queued++
				sent.Certificates = append(sent.Certificates, c.Code)
			}
		}
		if len(sent.Certificates) == 0 {
			return nil
		}
		return audit.Record(ctx, tx, s.now(), actor, "event.send_certificates", "event", eventID, nil, sent, "")
	})
	if err != nil {
		return Sent{}, fmt.Errorf("certificates: send for event %d: %w", eventID, err)
	}
	return out, nil
}

// enqueue queues c's e-mail in tx; queued is false when it had gone before.
func (s *Issuer) enqueue(ctx context.Context, tx *sql.Tx, c Certificate) (bool, error) {
	data, err := json.Marshal(mailData{Certificate: c, Base: s.opts.BaseURL})
	if err != nil {
		return false, err
	}
	_, created, err := s.opts.Outbox.Enqueue(ctx, tx, messaging.Message{Kind: KindCertificate, DedupeKey: sendKey(c.ID),
		SubjectRef: SubjectRef(c.BookingID), ToName: c.Name, ToEmail: c.Email, Data: data})
	return created, err
}
