package web

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"plenary/internal/booking"
	"plenary/internal/catalog"
	"plenary/internal/database"
	"plenary/internal/messaging"
)

// Options configure a Server.
type Options struct {
	Catalog *catalog.Store
	DB      *database.DB // for /healthz
	Logger  *slog.Logger
	// BaseURL is the public address, e.g. https://training.example.org:
	// used for absolute links and calendar UIDs, and cookies are Secure
	// when it is https.
	BaseURL string
	// UIDDomain names calendar UIDs; it must never change for an install
	// (empty = the base URL's host). See catalog.CalendarOptions.
	UIDDomain string
	// Dev reads templates and static files from disk (internal/web under
	// the working folder) on every request, so edits show on reload.
	Dev bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Registry receives the HTTP metrics and is served on /metrics; nil
	// means a new one. Go and process collectors are added to it.
	Registry *prometheus.Registry
	// SiteName is shown in the header and titles; default "Plenary".
	SiteName string
	// AnalyticsScript is the https URL of an analytics script, loaded only
	// for people who accepted optional cookies. Empty (the default) means
	// there is no analytics at all.
	AnalyticsScript string
	// BookingLimit is how many booking and manage-page form posts one
	// client may make a minute (and at once); 0 turns the limit off, as
	// PLENARY_BOOKING_LIMIT=0 does (the setting's default, 10, is the
	// configuration's).
	BookingLimit int
	// TrustedProxies are the addresses of reverse proxies in front of
	// Plenary: from them, X-Forwarded-For names the client.
	TrustedProxies []netip.Prefix
	// PageCacheTTL keeps rendered public pages (the catalogue and course
	// pages) in memory for this long; 0 (the default) turns the cache
	// off. It is always off in Dev mode.
	PageCacheTTL time.Duration
	// Bookings takes and changes bookings; nil hides the booking links
	// and pages (they answer 404).
	Bookings *booking.Service
	// Outbox holds the e-mails, shown read-only under /admin/mail when
	// DevMailbox is on.
	Outbox *messaging.Outbox
	// DevMailbox serves the outbox read-only under /admin/mail, to
	// requests from this machine only; off (the default), those pages
	// answer 404 to everyone. It is for development: the e-mails hold
	// manage links. Never turn it on when mail goes out by SMTP.
	DevMailbox bool
	// MetricsToken, when set, is the secret a scraper must send as
	// "Authorization: Bearer TOKEN" to read /metrics. When empty,
	// /metrics answers only connections from this machine that no proxy
	// forwarded, and 404 to everyone else.
	MetricsToken string
	// ContactEmail is the course team's address, shown in the footer and
	// on the privacy page; empty shows none.
	ContactEmail string
	// AccessNeedsRetentionDays is how many days after an event its
	// bookings' access needs are kept, as the privacy page says.
	AccessNeedsRetentionDays int
}

// Server holds what the handlers need. Handlers are its methods.
type Server struct {
	catalog   *catalog.Store
	db        *database.DB
	log       *slog.Logger
	baseURL   string
	uidDomain string
	secure    bool
	dev       bool
	now       func() time.Time
	siteName  string
	analytics string // script URL, or ""

	files     fs.FS // holds templates/ and static/
	templates templateSet
	static    *staticFiles
	markdown  *markdownCache
	pages     *pageCache // nil when off
	bookings  *booking.Service
	outbox    *messaging.Outbox
	limiter   *rateLimiter // booking and manage-page POSTs, per client; nil when off
	proxies   []netip.Prefix
	metrics   *metrics
	registry  *prometheus.Registry

	devMailbox    bool
	metricsToken  string
	contactEmail  string
	retentionDays int
}

// devDir is where PLENARY_DEV reads templates and static files from,
// relative to the working folder (the repository root).
const devDir = "internal/web"

// New returns a Server with every template parsed and every page checked
// by rendering it once with empty data; it fails if any page is broken.
func New(opts Options) (*Server, error) {
	s := &Server{
		catalog:   opts.Catalog,
		db:        opts.DB,
		log:       opts.Logger,
		baseURL:   strings.TrimRight(opts.BaseURL, "/"),
		uidDomain: opts.UIDDomain,
		dev:       opts.Dev,
		now:       opts.Now,
		siteName:  opts.SiteName,
		analytics: opts.AnalyticsScript,
		markdown:  newMarkdownCache(256),
		registry:  opts.Registry,
		bookings:  opts.Bookings,
		outbox:    opts.Outbox,

		devMailbox:    opts.DevMailbox,
		metricsToken:  opts.MetricsToken,
		contactEmail:  opts.ContactEmail,
		retentionDays: opts.AccessNeedsRetentionDays,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.siteName == "" {
		s.siteName = "Plenary"
	}
	if s.baseURL != "" {
		u, err := url.Parse(s.baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("web: base URL %q must be an absolute http or https address", opts.BaseURL)
		}
		s.secure = u.Scheme == "https"
	}
	if s.analytics != "" {
		u, err := url.Parse(s.analytics)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("web: analytics script %q must be an https URL", opts.AnalyticsScript)
		}
	}
	if s.contactEmail != "" {
		a, err := mail.ParseAddress(s.contactEmail)
		if err != nil {
			return nil, fmt.Errorf("web: contact address %q is not an e-mail address", opts.ContactEmail)
		}
		s.contactEmail = a.Address // the footer links the bare address
	}
	s.proxies = opts.TrustedProxies
	if limit := opts.BookingLimit; limit > 0 {
		s.limiter = newRateLimiter(float64(limit)/60, limit, maxLimitedClients, s.now)
	}
	if opts.PageCacheTTL > 0 && !s.dev {
		s.pages = newPageCache(opts.PageCacheTTL, s.now)
	}
	s.files = embedded
	if s.dev {
		if _, err := os.Stat(devDir + "/templates/layout.html"); err != nil {
			return nil, fmt.Errorf("web: dev mode reads templates from %s: %w", devDir, err)
		}
		s.files = os.DirFS(devDir)
	}
	var err error
	if s.static, err = newStaticFiles(s.files, s.dev); err != nil {
		return nil, err
	}
	if s.templates, err = parseTemplates(s.files); err != nil {
		return nil, err
	}
	if err := s.checkPages(); err != nil {
		return nil, err
	}
	if s.registry == nil {
		s.registry = prometheus.NewRegistry()
	}
	if s.metrics, err = newMetrics(s.registry); err != nil {
		return nil, err
	}
	return s, nil
}

// base is the data every page has. Page structs embed it.
type base struct {
	SiteName string
	// Path is the request's path and query, where a form on the page
	// (the cookie banner) brings the person back to.
	Path string
	// Consent is the cookie choice: "" (not made yet), "accept" or
	// "reject".
	Consent string
	// Analytics is the analytics script to load, set only when someone
	// accepted and a provider is configured.
	Analytics string
	// ConsentSaved is set on the page a cookie choice returns to, so the
	// page can confirm it (the redirect adds ?consent=saved).
	ConsentSaved bool
	// Contact is the course team's address for the footer, or "".
	Contact string
	// Description is the page's meta description, or "".
	Description string

	static func(name string) string
}

// Static returns the URL of a static file, with its content hash in the
// path so that it can be cached for a year.
func (b base) Static(name string) string {
	if b.static == nil {
		return "/static/0/" + name
	}
	return b.static(name)
}

// ConsentChoice says the choice in words, for the confirmation.
func (b base) ConsentChoice() string {
	if b.Consent == consentAccept {
		return "you accepted analytics cookies"
	}
	return "you rejected analytics cookies"
}

// ConsentGiven reports whether a cookie choice has been made.
func (b base) ConsentGiven() bool { return b.Consent == consentAccept || b.Consent == consentReject }

// ShowBanner reports whether the page shows the cookie banner: until a
// choice is made, except on /cookies, which has the same choice in full.
func (b base) ShowBanner() bool {
	path, _, _ := strings.Cut(b.Path, "?")
	return !b.ConsentGiven() && path != "/cookies"
}

// base returns the common page data for r.
func (s *Server) base(r *http.Request) base {
	b := base{
		SiteName: s.siteName,
		Path:     r.URL.RequestURI(),
		Consent:  consentOf(r),
		Contact:  s.contactEmail,
		static:   s.static.url,
	}
	b.ConsentSaved = b.ConsentGiven() && r.URL.Query().Get(consentSavedParam) == consentSavedValue
	if b.Consent == consentAccept && s.analytics != "" {
		b.Analytics = s.analytics
	}
	return b
}

// render executes page into a buffer and writes it with status, so a
// template error never leaves half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	templates := s.templates
	if s.dev {
		var err error
		if templates, err = parseTemplates(s.files); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	var buf bytes.Buffer
	if err := templates.execute(&buf, page, data); err != nil {
		if page == "error" {
			// The error page itself is broken: say so plainly.
			s.log.Error("render error page", "error", err)
			http.Error(w, "Sorry, something went wrong on our side.", http.StatusInternalServerError)
			return
		}
		s.serverError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" { // manage pages set no-store first
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Vary", "Cookie")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// errorPage is the data of the error pages (404, 403, 500).
type errorPage struct {
	base
	Status  int
	Heading string
	Message string
	// BackURL and BackLabel offer a way on (e.g. back to the course);
	// without them the page links to the list of courses.
	BackURL   string
	BackLabel string
}

// serverError logs err and shows the generic error page. The browser
// never sees err itself.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", logPath(r), "error", err)
	s.render(w, r, http.StatusInternalServerError, "error", errorPage{
		base:    s.base(r),
		Status:  http.StatusInternalServerError,
		Heading: "Sorry, something went wrong",
		Message: "The problem is on our side and has been logged. Please try again in a few minutes.",
	})
}

// notFound shows the 404 page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "not_found", errorPage{base: s.base(r), Status: http.StatusNotFound})
}

// forbidden shows the 403 page for a refused cross-origin form.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusForbidden, "error", errorPage{
		base:    s.base(r),
		Status:  http.StatusForbidden,
		Heading: "This form could not be sent",
		Message: "The request came from another site, so we did not act on it. Please go back to the page on this site and try again.",
	})
}

// isNotFound reports whether err means the thing asked for does not exist.
func isNotFound(err error) bool { return errors.Is(err, catalog.ErrNotFound) }
