package messaging_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"plenary/internal/catalog"
	"plenary/internal/database/dbtest"
	"plenary/internal/messaging"
)

// smtpServer is an in-process SMTP server on 127.0.0.1 that offers
// STARTTLS with a self-signed certificate and AUTH PLAIN (only over TLS),
// and keeps what it receives.
type smtpServer struct {
	addr  string
	roots *x509.CertPool

	mu       sync.Mutex
	received []received
}

type received struct {
	from, user string
	to         []string
	tls        bool
	data       []byte
}

func startSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	cert, roots := selfSigned(t)
	s := &smtpServer{roots: roots}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.received...)
}

type session struct {
	srv  *smtpServer
	conn *smtp.Conn
	msg  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "plenary" || pass != "s3cret pass" {
			return errors.New("invalid credentials")
		}
		s.msg.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.msg.user == "" {
		return smtp.ErrAuthRequired
	}
	s.msg.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.msg.tls = s.conn.TLSConnectionState()
	s.msg.data = b
	s.srv.mu.Lock()
	s.srv.received = append(s.srv.received, s.msg)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.msg = received{user: s.msg.user} }
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "plenary test SMTP"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestSMTPDeliversConfirmation sends a booking confirmation through the
// outbox, the job queue and a real SMTP conversation (STARTTLS, AUTH
// PLAIN), then reads the message as a mail client would.
func TestSMTPDeliversConfirmation(t *testing.T) {
	t.Parallel()
	srv := startSMTPServer(t)
	mailer, err := messaging.NewSMTPMailer("smtp://plenary:s3cret%20pass@"+srv.addr+"?tls=required",
		"Plenary Training <noreply@training.example>", "Course team <courses@training.example>",
		messaging.WithTLSConfig(&tls.Config{RootCAs: srv.roots}))
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.New(t)
	env := newJobsEnv(t, db, mailer)

	course := dbtest.NewCourse(time.Now())
	course.Events[0].ID = 42
	invite := catalog.Calendar(course, course.Events[0], catalog.CalendarOptions{
		BaseURL: "https://training.example", Method: "REQUEST", Organizer: "mailto:courses@training.example",
	})
	m := confirmation(9)
	m.ToName = "Dr Zoë O'Brien"
	m.Subject = "Booked: " + course.Title
	m.Text = "Your place is confirmed.\n\nManage your booking: https://training.example/b/abc123\n"
	m.HTML = `<p>Your place is confirmed.</p><p><a href="https://training.example/b/abc123">Manage your booking</a></p>`
	m.Attachments = []messaging.Attachment{{Filename: "invite.ics", ContentType: "text/calendar; method=REQUEST; charset=utf-8", Data: invite}}
	id, _ := enqueue(t, db, env.outbox, m)
	waitFor(t, "the message to be sent", func() bool { return message(t, env.outbox, id).Status == messaging.Sent })
	stored := message(t, env.outbox, id)

	got := srv.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if !r.tls || r.user != "plenary" || r.from != "noreply@training.example" || len(r.to) != 1 || r.to[0] != "ada9@example.org" {
		t.Fatalf("envelope: tls %v, user %q, from %q, to %v", r.tls, r.user, r.from, r.to)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(r.data))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	header := func(name string) string {
		v, err := dec.DecodeHeader(msg.Header.Get(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	to, err := mail.ParseAddress(header("To"))
	if err != nil || to.Name != "Dr Zoë O'Brien" || to.Address != "ada9@example.org" {
		t.Errorf("To: %q (%v)", header("To"), err)
	}
	for name, want := range map[string]string{
		// The outbox's From, stored with the message, wins over the
		// mailer's default; the Reply-To comes from the mailer.
		"From":           `"Plenary" <noreply@training.example>`,
		"Reply-To":       `"Course team" <courses@training.example>`,
		"Subject":        m.Subject,
		"Message-ID":     stored.MessageID,
		"Auto-Submitted": "auto-generated",
	} {
		if got := header(name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
	if msg.Header.Get("List-Unsubscribe") != "" {
		t.Error("a confirmation has List-Unsubscribe")
	}
	if d, err := msg.Header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date: %q (%v)", msg.Header.Get("Date"), err)
	}

	// multipart/mixed: multipart/alternative (text, HTML), then the file.
	parts := readParts(t, msg.Header.Get("Content-Type"), msg.Body)
	if len(parts) != 2 || !strings.HasPrefix(parts[0].contentType, "multipart/alternative") {
		t.Fatalf("top-level parts: %v", parts)
	}
	alt := readParts(t, parts[0].contentType, bytes.NewReader(parts[0].body))
	if len(alt) != 2 || !strings.HasPrefix(alt[0].contentType, "text/plain") || !strings.HasPrefix(alt[1].contentType, "text/html") {
		t.Fatalf("alternative parts: %v", alt)
	}
	if !strings.Contains(string(alt[0].body), "https://training.example/b/abc123") ||
		!strings.Contains(string(alt[1].body), `href="https://training.example/b/abc123"`) {
		t.Errorf("the manage link is missing:\n%s\n%s", alt[0].body, alt[1].body)
	}
	ct, params, err := mime.ParseMediaType(parts[1].contentType)
	if err != nil || ct != "text/calendar" || params["method"] != "REQUEST" {
		t.Errorf("attachment Content-Type %q", parts[1].contentType)
	}
	if !bytes.Equal(parts[1].body, invite) {
		t.Errorf("the calendar file changed on the way")
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(parts[1].body))
	if err != nil {
		t.Fatalf("calendar attachment: %v", err)
	}
	events := cal.Events()
	if len(events) == 0 || events[0].Id() == "" {
		t.Fatalf("calendar attachment has no event with a UID:\n%s", parts[1].body)
	}
	if p := cal.CalendarProperties; !hasMethod(p, "REQUEST") {
		t.Errorf("calendar METHOD is not REQUEST")
	}
}

func hasMethod(props []ics.CalendarProperty, want string) bool {
	for _, p := range props {
		if p.IANAToken == string(ics.PropertyMethod) && p.Value == want {
			return true
		}
	}
	return false
}

type part struct {
	contentType string
	body        []byte
}

// readParts splits a multipart body, undoing base64 and quoted-printable.
func readParts(t *testing.T, contentType string, body io.Reader) []part {
	t.Helper()
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		t.Fatalf("not multipart: %q (%v)", contentType, err)
	}
	mr := multipart.NewReader(body, params["boundary"])
	var out []part
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "base64":
			r = base64.NewDecoder(base64.StdEncoding, p)
		case "quoted-printable":
			r = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, part{p.Header.Get("Content-Type"), b})
	}
}

func TestSMTPMailerErrors(t *testing.T) {
	t.Parallel()
	srv := startSMTPServer(t)
	trust := messaging.WithTLSConfig(&tls.Config{RootCAs: srv.roots})
	tests := []struct {
		name, url string
		opts      []messaging.SMTPOption
	}{
		{"wrong password", "smtp://plenary:wrong@" + srv.addr, []messaging.SMTPOption{trust}},
		{"untrusted certificate", "smtp://plenary:s3cret%20pass@" + srv.addr + "?tls=required", nil},
		{"no TLS, so no password", "smtp://plenary:s3cret%20pass@" + srv.addr + "?tls=none", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mailer, err := messaging.NewSMTPMailer(tt.url, "Plenary <noreply@localhost>", "", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			m := confirmation(1)
			m.MessageID = "<confirmation.1@localhost>"
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := mailer.Send(ctx, m); err == nil {
				t.Error("Send succeeded")
			}
		})
	}
	if n := len(srv.messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}

func TestNewSMTPMailerChecksURL(t *testing.T) {
	for _, u := range []string{"http://mail.example", "smtp://", "smtp://mail.example:0", "smtp://mail.example?tls=maybe"} {
		if _, err := messaging.NewSMTPMailer(u, "Plenary <noreply@localhost>", ""); err == nil {
			t.Errorf("%s: no error", u)
		}
	}
	if _, err := messaging.NewSMTPMailer("smtps://u:p@mail.example", "not an address", ""); err == nil {
		t.Error("bad From: no error")
	}
	m, err := messaging.NewSMTPMailer("smtps://u:p@mail.example", "Plenary <noreply@localhost>", "")
	if err != nil || m.Addr() != "mail.example:465" {
		t.Errorf("smtps default port: %v, %v", m, err)
	}
}
