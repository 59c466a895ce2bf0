// Package mailtest is an in-process SMTP server for tests: a real SMTP
// conversation on 127.0.0.1 with STARTTLS (a self-signed certificate the
// test trusts) and AUTH PLAIN, and a reader that takes the received
// messages apart as a mail client would. Tests of every package that sends
// mail use it, so each checks real delivery, not a recording.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
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

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// The credentials the server accepts.
const (
	User     = "plenary"
	Password = "s3cret pass"
)

// Server is a running SMTP server that keeps what it receives.
type Server struct {
	Addr  string         // host:port on 127.0.0.1
	Roots *x509.CertPool // trusts the server's certificate

	plain bool
	close func() error

	mu          sync.Mutex
	received    []Received
	failNext    int
	onClose     func(Received)
	connections int               // accepted so far
	open        map[net.Conn]bool // open now
	peak        int               // most open at once
	dropAfter   int               // hang up at MAIL after this many messages on a connection
}

// Received is one message as the server got it.
type Received struct {
	From, User string
	To         []string
	TLS        bool
	Data       []byte
	At         time.Time // when the server accepted it (before its 250 reply)
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Options adjust a server made with New.
type Options struct {
	// Plain makes a local relay with neither STARTTLS nor AUTH: it
	// accepts mail from anyone who connects (on 127.0.0.1 only).
	Plain bool
	// Quiet drops the server's log of broken connections (tests that
	// kill their sender on purpose).
	Quiet bool
}

// New runs a server until Close, for programs that are not tests (the
// benchmarks in bench/). Tests use Start.
func New(opts Options) (*Server, error) {
	s := &Server{plain: opts.Plain, open: map[net.Conn]bool{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	if !opts.Plain {
		cert, roots, err := selfSigned()
		if err != nil {
			return nil, err
		}
		s.Roots = roots
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	if opts.Quiet {
		srv.ErrorLog = log.New(io.Discard, "", 0)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = ln.Addr().String()
	s.close = srv.Close
	go srv.Serve(countingListener{ln, s})
	return s, nil
}

// Close stops the server and drops its connections.
func (s *Server) Close() error { return s.close() }

// URL is the PLENARY_SMTP_URL for the server: STARTTLS required, or, for
// a Plain server, no TLS and no credentials.
func (s *Server) URL() string {
	if s.plain {
		return "smtp://" + s.Addr + "?tls=none"
	}
	return "smtp://" + User + ":" + strings.ReplaceAll(Password, " ", "%20") + "@" + s.Addr + "?tls=required"
}

// Len returns how many messages the server has received so far, without
// copying them.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// TLSConfig trusts the server's certificate.
func (s *Server) TLSConfig() *tls.Config { return &tls.Config{RootCAs: s.Roots} }

// Messages returns what the server has received so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// FailNext makes the next n messages fail at DATA with a temporary error
// (451), as a busy or broken server would.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// Connections returns how many connections (SMTP sessions) clients have
// opened so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// Open returns how many connections are open now.
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// Peak returns the most connections that were open at once.
func (s *Server) Peak() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// DropConnections closes every open connection at once, without a word,
// as a server that restarts or times idle clients out would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	open := make([]net.Conn, 0, len(s.open))
	for c := range s.open {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.Close()
	}
}

// countingListener counts the connections it accepts and keeps the open
// ones, for Connections and DropConnections.
type countingListener struct {
	net.Listener
	srv *Server
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, srv: l.srv}
	l.srv.mu.Lock()
	l.srv.connections++
	l.srv.open[tc] = true
	l.srv.peak = max(l.srv.peak, len(l.srv.open))
	l.srv.mu.Unlock()
	return tc, nil
}

type trackedConn struct {
	net.Conn
	srv *Server
}

func (c *trackedConn) Close() error {
	c.srv.mu.Lock()
	delete(c.srv.open, c)
	c.srv.mu.Unlock()
	return c.Conn.Close()
}

// DropAfter makes the server hang up, without a word, on a client that
// starts another message (MAIL FROM) on a connection that has already
// carried n; 0 turns it off.
func (s *Server) DropAfter(n int) {
	s.mu.Lock()
	s.dropAfter = n
	s.mu.Unlock()
}

// OnClose sets f to be called, for each message accepted on a
// connection, when that connection ends (after QUIT, or when the client
// drops it) — before the server takes another look at anything. Tests
// use it to see what the sender had recorded by the time it said goodbye.
func (s *Server) OnClose(f func(Received)) {
	s.mu.Lock()
	s.onClose = f
	s.mu.Unlock()
}

type session struct {
	srv      *Server
	conn     *smtp.Conn
	msg      Received
	accepted []Received // on this connection
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != User || pass != Password {
			return errors.New("invalid credentials")
		}
		s.msg.User = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.msg.User == "" && !s.srv.plain {
		return smtp.ErrAuthRequired
	}
	s.srv.mu.Lock()
	drop := s.srv.dropAfter > 0 && len(s.accepted) >= s.srv.dropAfter
	s.srv.mu.Unlock()
	if drop {
		s.conn.Conn().Close()
		return errors.New("connection dropped")
	}
	s.msg.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.failNext > 0 {
		s.srv.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	_, s.msg.TLS = s.conn.TLSConnectionState()
	s.msg.Data = b
	s.msg.At = time.Now()
	s.srv.received = append(s.srv.received, s.msg)
	s.accepted = append(s.accepted, s.msg)
	return nil
}

func (s *session) Reset() { s.msg = Received{User: s.msg.User} }

func (s *session) Logout() error {
	s.srv.mu.Lock()
	f := s.srv.onClose
	s.srv.mu.Unlock()
	if f != nil {
		for _, r := range s.accepted {
			f(r)
		}
	}
	return nil
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
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
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// Mail is a received message taken apart.
type Mail struct {
	Header mail.Header
	Text   string // the text/plain alternative
	HTML   string // the text/html alternative
	Files  []Part // attachments, in order
	// Shape is the MIME tree by media type, e.g.
	// "multipart/mixed[multipart/alternative[text/plain,text/html],text/calendar]".
	Shape string
}

// Part is one MIME part, transfer encoding undone.
type Part struct {
	ContentType string
	Filename    string
	Body        []byte
}

// Get returns a header with RFC 2047 encoded words decoded.
func (m Mail) Get(name string) string {
	v, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get(name))
	if err != nil {
		return m.Header.Get(name)
	}
	return v
}

// Parse reads a message: text and HTML alternatives (directly or inside
// multipart/mixed), and attachments.
func Parse(data []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return Mail{}, err
	}
	m := Mail{Header: msg.Header}
	var shape strings.Builder
	err = m.walk(&shape, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	m.Shape = shape.String()
	return m, err
}

func (m *Mail) walk(shape *strings.Builder, contentType, encoding, disposition string, body io.Reader) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("mailtest: content type %q: %w", contentType, err)
	}
	shape.WriteString(mt)
	if strings.HasPrefix(mt, "multipart/") {
		shape.WriteByte('[')
		mr := multipart.NewReader(body, params["boundary"])
		for i := 0; ; i++ {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				shape.WriteByte(']')
				return nil
			}
			if err != nil {
				return err
			}
			if i > 0 {
				shape.WriteByte(',')
			}
			if err := m.walk(shape, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(encoding) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	_, dparams, _ := mime.ParseMediaType(disposition)
	switch {
	case strings.HasPrefix(disposition, "attachment") || dparams["filename"] != "":
		m.Files = append(m.Files, Part{ContentType: contentType, Filename: dparams["filename"], Body: b})
	case mt == "text/plain" && m.Text == "":
		m.Text = string(b)
	case mt == "text/html" && m.HTML == "":
		m.HTML = string(b)
	default:
		m.Files = append(m.Files, Part{ContentType: contentType, Filename: params["name"], Body: b})
	}
	return nil
}
