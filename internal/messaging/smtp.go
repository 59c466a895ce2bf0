package messaging

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// SMTPMailer sends messages through an SMTP server. It keeps the
// connections it has opened (after EHLO, STARTTLS and AUTH) and sends the
// next message over one that is idle, so a burst of mail costs one
// handshake per worker rather than one per message (see WithReuse).
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

	// Connection reuse (WithReuse).
	idleFor time.Duration // close a connection idle this long; 0: one connection per message
	perConn int           // close a connection after this many messages
	mu      sync.Mutex
	idle    []*pooledConn // most recently used last
	sweep   *time.Timer   // closes the connections idle too long; nil when none are idle
	closed  bool
}

// pooledConn is an open, authenticated SMTP connection with no
// transaction under way.
type pooledConn struct {
	c    *smtp.Client
	sent int       // messages accepted on it
	used time.Time // when it was last put back
}

// Defaults of WithReuse: a connection idle for DefaultIdleFor is closed,
// well inside the five minutes RFC 5321 (4.5.3.2.7) lets a server wait
// for the next command, and one is closed after DefaultPerConnection
// messages, so that no connection lives for ever on a busy day.
const (
	DefaultIdleFor       = 5 * time.Second
	DefaultPerConnection = 100
	maxIdleConnections   = 64
)

// WithReuse sets how connections are reused: a connection idle for
// idleFor is closed (QUIT), and one that has carried perConn messages is
// closed after the last. idleFor 0 opens one connection per message, as
// Plenary did before.
func WithReuse(idleFor time.Duration, perConn int) SMTPOption {
	return func(s *SMTPMailer) { s.idleFor, s.perConn = idleFor, max(perConn, 1) }
}

// SMTPOption adjusts an SMTPMailer.
type SMTPOption func(*SMTPMailer)

// WithTLSConfig sets the TLS configuration, e.g. a private root CA (tests
// trust their self-signed certificate this way). The server name defaults
// to the URL's host.
func WithTLSConfig(c *tls.Config) SMTPOption {
	return func(s *SMTPMailer) { s.tlsConfig = c.Clone() }
}

// SMTPServer is a mail server as an smtp:// or smtps:// URL names it.
type SMTPServer struct {
	Host        string
	Port        int  // 587 for smtp://, 465 for smtps:// unless the URL says
	ImplicitTLS bool // smtps://: TLS from the first byte
	// TLS is the STARTTLS policy on smtp://: "opportunistic" (the
	// default), "required" or "none"; always "required" on smtps://.
	TLS            string
	User, Password string
}

// ParseSMTPURL reads the PLENARY_SMTP_URL grammar: "smtps://user:pass@host:465"
// (implicit TLS, default port 465) or "smtp://user:pass@host:587"
// (STARTTLS when the server offers it, default port 587), where smtp://
// may add "?tls=required" to insist on STARTTLS or "?tls=none" never to
// start it. Anything else is refused, with a message that never shows the
// password.
func ParseSMTPURL(raw string) (SMTPServer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPServer{}, errors.New("is not a URL") // url.Error would quote the password
	}
	var s SMTPServer
	switch u.Scheme {
	case "smtp":
		s.Port, s.TLS = 587, "opportunistic"
	case "smtps":
		s.Port, s.ImplicitTLS, s.TLS = 465, true, "required"
	default:
		return SMTPServer{}, errors.New("must start with smtp:// or smtps://")
	}
	if s.Host = u.Hostname(); s.Host == "" {
		return SMTPServer{}, errors.New("has no host")
	}
	if p := u.Port(); p != "" {
		if s.Port, err = strconv.Atoi(p); err != nil || s.Port < 1 || s.Port > 65535 {
			return SMTPServer{}, fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
	}
	for k, v := range u.Query() {
		switch {
		case k != "tls":
			return SMTPServer{}, fmt.Errorf("has an unknown option %q", k)
		case u.Scheme != "smtp":
			return SMTPServer{}, errors.New("tls= is only for smtp:// (smtps:// always uses TLS)")
		case len(v) != 1 || (v[0] != "required" && v[0] != "opportunistic" && v[0] != "none"):
			return SMTPServer{}, fmt.Errorf("tls=%q is not required, opportunistic or none", strings.Join(v, ","))
		default:
			s.TLS = v[0]
		}
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// NewSMTPMailer returns a Mailer for an smtp:// or smtps:// URL in the
// grammar of ParseSMTPURL. The password is only ever sent over TLS (or to
// localhost). from and replyTo are the header values used for messages
// that carry none of their own.
func NewSMTPMailer(rawURL, from, replyTo string, opts ...SMTPOption) (*SMTPMailer, error) {
	srv, err := ParseSMTPURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("messaging: SMTP URL %w", err)
	}
	s := &SMTPMailer{host: srv.Host, port: srv.Port, implicitTLS: srv.ImplicitTLS, user: srv.User, password: srv.Password,
		from: from, replyTo: replyTo, timeout: 30 * time.Second, now: time.Now,
		idleFor: DefaultIdleFor, perConn: DefaultPerConnection}
	switch srv.TLS {
	case "required":
		s.policy = gomail.TLSMandatory
	case "none":
		s.policy = gomail.NoTLS
	default:
		s.policy = gomail.TLSOpportunistic
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
	return s.Deliver(ctx, m, nil)
}

// Deliver sends m and, the moment the server has accepted it (its 250
// reply to the message's final "."), calls accepted before anything else
// is said on the connection, with the text of that reply (go-mail's
// Msg.ServerResponse: the server's words after the 250, often its queue
// ID): the send job records the message as sent there, so a crash can
// repeat a message only in the time that record takes. Nothing is sent
// between the 250 and accepted's return; then the connection is kept for
// the next message (or, after perConn messages, closed with QUIT). Once
// the server has accepted the message, a failure to close the connection
// is not an error.
//
// A kept connection is checked with RSET before its next message (the
// server may have closed it meanwhile). If the kept connection fails
// before the message's content was sent (at RSET, MAIL FROM or the DATA
// command), the message cannot have been accepted, and it is sent again
// at once over a new connection; a connection that fails at any later
// point is dropped and the attempt fails, as with a new connection. After
// a failed message the connection is closed, never reused.
//
// The conversation ends by ctx's deadline: the connection's deadline is
// set twice (for the dial, greeting, STARTTLS and AUTH — or the RSET of a
// kept connection — then for the message itself), each time to at most
// two fifths of the time left, so a send job's Timeout bounds its SMTP
// conversation too.
//
// If accepted fails, Deliver returns its error wrapped in an
// *UnrecordedError: the message has gone but is not marked sent.
func (s *SMTPMailer) Deliver(ctx context.Context, m Message, accepted func(reply string) error) error {
	msg, err := compose(m, s.from, s.replyTo, s.now())
	if err != nil {
		return err
	}
	phase := s.timeout
	if deadline, ok := ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("messaging: send message %d: %w", m.ID, context.DeadlineExceeded)
		}
		phase = min(phase, left*2/5)
	}
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(phase),
		gomail.WithTLSPolicy(s.policy),
		gomail.WithTLSConfig(s.tlsConfig),
		gomail.WithoutNoop(), // a new connection needs no check; a kept one gets RSET
		gomail.WithoutRset(), // nothing between the 250 and recording it
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
	var pc *pooledConn
	for {
		reused := false
		if pc = s.take(); pc != nil {
			// A kept connection: say RSET first, which also finds one
			// the server has closed while it was idle.
			if err := pc.c.UpdateDeadline(phase); err != nil || pc.c.Reset() != nil {
				s.hangUp(pc)
				pc = nil
			} else {
				reused = true
			}
		}
		if pc == nil {
			conn, err := c.DialToSMTPClientWithContext(ctx)
			if err != nil {
				return fmt.Errorf("messaging: send message %d via %s: dial: %w", m.ID, s.Addr(), err)
			}
			pc = &pooledConn{c: conn}
		}
		sendErr := c.SendWithSMTPClient(pc.c, msg)
		if msg.IsDelivered() {
			break
		}
		s.hangUp(pc)
		if reused && beforeContent(sendErr) {
			continue // the kept connection had gone: a new one
		}
		if sendErr == nil {
			sendErr = errors.New("the server did not accept the message")
		}
		return fmt.Errorf("messaging: send message %d via %s: %w", m.ID, s.Addr(), sendErr)
	}
	// Accepted: record it first, then keep the connection or say goodbye.
	var recordErr error
	if accepted != nil {
		if recordErr = accepted(msg.ServerResponse()); recordErr != nil {
			recordErr = &UnrecordedError{ID: m.ID, Err: recordErr}
		}
	}
	pc.sent++
	s.putBack(pc) // the message has gone; QUIT, when it comes, is politeness
	return recordErr
}

// beforeContent reports whether a send failed before any of the message
// was sent: at the connection check, MAIL FROM, RCPT TO or the DATA
// command (before the server's 354). Such a message cannot have been
// accepted.
func beforeContent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrConnCheck, gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData:
		return true
	}
	return false
}

// take returns a kept connection that has not been idle too long, or nil.
func (s *SMTPMailer) take() *pooledConn {
	if s.idleFor <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.idle) > 0 {
		pc := s.idle[len(s.idle)-1]
		s.idle = s.idle[:len(s.idle)-1]
		if time.Since(pc.used) < s.idleFor {
			return pc
		}
		go s.hangUp(pc) // idle too long; the sweep had not come yet
	}
	return nil
}

// putBack keeps pc for the next message, or closes it when it has carried
// perConn messages, reuse is off or the mailer is closed.
func (s *SMTPMailer) putBack(pc *pooledConn) {
	s.mu.Lock()
	if s.idleFor <= 0 || s.closed || pc.sent >= s.perConn || len(s.idle) >= maxIdleConnections {
		s.mu.Unlock()
		s.hangUp(pc)
		return
	}
	pc.used = time.Now()
	s.idle = append(s.idle, pc)
	if s.sweep == nil {
		s.sweep = time.AfterFunc(s.idleFor, s.sweepIdle)
	}
	s.mu.Unlock()
}

// sweepIdle closes the connections idle for idleFor, and comes again
// while any are kept.
func (s *SMTPMailer) sweepIdle() {
	s.mu.Lock()
	var old []*pooledConn
	keep := s.idle[:0]
	for _, pc := range s.idle {
		if time.Since(pc.used) >= s.idleFor {
			old = append(old, pc)
		} else {
			keep = append(keep, pc)
		}
	}
	clear(s.idle[len(keep):])
	s.idle = keep
	s.sweep = nil
	if len(keep) > 0 && !s.closed {
		s.sweep = time.AfterFunc(max(s.idleFor-time.Since(keep[0].used), time.Millisecond), s.sweepIdle)
	}
	s.mu.Unlock()
	for _, pc := range old {
		s.hangUp(pc)
	}
}

// hangUp ends a connection: QUIT, or just closing it if QUIT fails.
func (s *SMTPMailer) hangUp(pc *pooledConn) {
	if !pc.c.HasConnection() {
		return
	}
	if pc.c.UpdateDeadline(min(s.timeout, 5*time.Second)) != nil || pc.c.Quit() != nil {
		_ = pc.c.Close()
	}
}

// Close ends the kept connections; messages sent afterwards each use a
// connection of their own. plenary serve calls it when it stops.
func (s *SMTPMailer) Close() error {
	s.mu.Lock()
	s.closed = true
	idle := s.idle
	s.idle = nil
	if s.sweep != nil {
		s.sweep.Stop()
		s.sweep = nil
	}
	s.mu.Unlock()
	for _, pc := range idle {
		s.hangUp(pc)
	}
	return nil
}

// UnrecordedError is a message the server accepted that could not be
// recorded as sent. Its job is retried, which sends it again.
type UnrecordedError struct {
	ID  int64
	Err error
}

func (e *UnrecordedError) Error() string {
	return fmt.Sprintf("messaging: message %d was accepted by the server but not recorded as sent: %v", e.ID, e.Err)
}

func (e *UnrecordedError) Unwrap() error { return e.Err }

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
	to, err := recipient(m.ToName, m.ToEmail)
	if err != nil {
		return nil, fmt.Errorf("messaging: message %d: %w", m.ID, err)
	}
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderTo, to)
	msg.Subject(m.Subject)
	msg.SetDateWithValue(date)
	if id := strings.Trim(m.MessageID, "<>"); id != "" {
		msg.SetMessageIDWithValue(id)
	}
	if m.Marketing {
		// List mail: the https:// address takes the one-click POST (RFC
		// 8058, which go-mail's SetListUnsubscribeOneClick writes with
		// List-Unsubscribe-Post); the mailto: one is for clients that
		// only write mail (RFC 2369).
		var extra []string
		if m.ListUnsubscribeMailto != "" {
			extra = append(extra, m.ListUnsubscribeMailto)
		}
		switch {
		case m.ListUnsubscribe != "":
			if err := msg.SetListUnsubscribeOneClick(m.ListUnsubscribe, extra...); err != nil {
				return nil, fmt.Errorf("messaging: message %d: %w", m.ID, err)
			}
		case len(extra) > 0:
			msg.SetListUnsubscribe(extra...)
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

// recipient is the To address of a message: the person's name, quoted or
// encoded as RFC 5322 and RFC 2047 need (net/mail's Address.String), with
// their address. Only the address can make it fail: a name is cleaned of
// control characters, and a name that would not read back as itself
// (which net/mail's quoting should never produce) is dropped for the bare
// address, so no display name ever stops a message.
func recipient(name, email string) (*mail.Address, error) {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || strings.ContainsAny(email, "<>") {
		return nil, fmt.Errorf("recipient %q is not an e-mail address", email)
	}
	name = strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}), " ")
	if name == "" {
		return &mail.Address{Address: a.Address}, nil
	}
	named := &mail.Address{Name: name, Address: a.Address}
	back, err := mail.ParseAddress(named.String())
	if err != nil || back.Address != a.Address || back.Name != name {
		return &mail.Address{Address: a.Address}, nil
	}
	return named, nil
}
