package messaging

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPMailer sends messages through an SMTP server, one connection per
// message.
type SMTPMailer struct {
	host           string
	port           int
	implicitTLS    bool
	policy         gomail.TLSPolicy
	user, password string
	from, replyTo  string
	tlsConfig      *tls.Config
	timeout        time.Duration
	now            func() time.Time
}

// SMTPOption adjusts an SMTPMailer.
type SMTPOption func(*SMTPMailer)

// WithTLSConfig sets the TLS configuration, e.g. a private root CA (tests
// trust their self-signed certificate this way). The server name defaults
// to the URL's host.
func WithTLSConfig(c *tls.Config) SMTPOption {
	return func(s *SMTPMailer) { s.tlsConfig = c.Clone() }
}

// NewSMTPMailer returns a Mailer for an smtp:// or smtps:// URL such as
// "smtps://user:pass@mail.example:465" (implicit TLS, default port 465) or
// "smtp://user:pass@mail.example:587" (STARTTLS when the server offers it,
// default port 587). On smtp:// the query "?tls=required" insists on
// STARTTLS and "?tls=none" never starts TLS. The password is only ever
// sent over TLS (or to localhost). from and replyTo are the header values
// used for messages that carry none of their own.
func NewSMTPMailer(rawURL, from, replyTo string, opts ...SMTPOption) (*SMTPMailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("messaging: SMTP URL: %w", err)
	}
	s := &SMTPMailer{host: u.Hostname(), from: from, replyTo: replyTo, timeout: 30 * time.Second, now: time.Now}
	switch u.Scheme {
	case "smtp":
		s.port, s.policy = 587, gomail.TLSOpportunistic
		switch u.Query().Get("tls") {
		case "", "opportunistic":
		case "required":
			s.policy = gomail.TLSMandatory
		case "none":
			s.policy = gomail.NoTLS
		default:
			return nil, fmt.Errorf("messaging: SMTP URL: tls=%q is not required, opportunistic or none", u.Query().Get("tls"))
		}
	case "smtps":
		s.port, s.implicitTLS, s.policy = 465, true, gomail.TLSMandatory
	default:
		return nil, fmt.Errorf("messaging: SMTP URL must start with smtp:// or smtps://")
	}
	if s.host == "" {
		return nil, fmt.Errorf("messaging: SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("messaging: SMTP URL: bad port %q", p)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("messaging: From address %q: %w", from, err)
	}
	if replyTo != "" {
		if _, err := mail.ParseAddress(replyTo); err != nil {
			return nil, fmt.Errorf("messaging: Reply-To address %q: %w", replyTo, err)
		}
	}
	for _, o := range opts {
		o(s)
	}
	if s.tlsConfig == nil {
		s.tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if s.tlsConfig.ServerName == "" {
		s.tlsConfig.ServerName = s.host
	}
	return s, nil
}

// Addr returns the server's host:port, for logs.
func (s *SMTPMailer) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Send delivers m.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	msg, err := compose(m, s.from, s.replyTo, s.now())
	if err != nil {
		return err
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSPolicy(s.policy),
		gomail.WithTLSConfig(s.tlsConfig),
	}
	if s.implicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("messaging: SMTP client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("messaging: send message %d via %s: %w", m.ID, s.Addr(), err)
	}
	return nil
}

// WriteEML writes m as it would be sent (an RFC 5322 message), for
// downloading from the dev mailbox. from and replyTo are the defaults for
// a message that has none of its own.
func WriteEML(w io.Writer, m Message, from, replyTo string, date time.Time) error {
	msg, err := compose(m, from, replyTo, date)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fmt.Errorf("messaging: write message %d: %w", m.ID, err)
	}
	return nil
}

// compose builds the MIME message: multipart/alternative text and HTML,
// then the attachments, with the stored Message-ID so every attempt
// carries the same one.
func compose(m Message, from, replyTo string, date time.Time) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if m.From != "" {
		from = m.From
	}
	if m.ReplyTo != "" {
		replyTo = m.ReplyTo
	}
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("messaging: message %d: From %q: %w", m.ID, from, err)
	}
	if replyTo != "" {
		if err := msg.ReplyTo(replyTo); err != nil {
			return nil, fmt.Errorf("messaging: message %d: Reply-To %q: %w", m.ID, replyTo, err)
		}
	}
	if err := msg.AddToFormat(m.ToName, m.ToEmail); err != nil {
		return nil, fmt.Errorf("messaging: message %d: To %q: %w", m.ID, m.ToEmail, err)
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(date)
	if id := strings.Trim(m.MessageID, "<>"); id != "" {
		msg.SetMessageIDWithValue(id)
	}
	if m.Marketing {
		if m.ListUnsubscribe != "" {
			if err := msg.SetListUnsubscribeOneClick(m.ListUnsubscribe); err != nil {
				return nil, fmt.Errorf("messaging: message %d: %w", m.ID, err)
			}
		}
	} else {
		// Transactional mail: ask auto-responders (out of office) to stay
		// quiet (RFC 3834).
		msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
		msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Filename, bytes.NewReader(a.Data),
			gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return nil, fmt.Errorf("messaging: message %d: attach %s: %w", m.ID, a.Filename, err)
		}
	}
	return msg, nil
}
