package web

import (
	"bytes"
	"fmt"
	"io"
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

	"plenary/internal/database"
)

// Options configure the kit's Server: what every audience shares.
type Options struct {
	DB     *database.DB // for /healthz
	Logger *slog.Logger
	// BaseURL is the public address, e.g. https://training.example.org:
	// used for absolute links and calendar UIDs, and cookies are Secure
	// when it is https.
	BaseURL string
	// Dev reads templates and static files from disk (internal/web and
	// its sub-packages' folders under the working folder) on every
	// request, so edits show on reload.
	Dev bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Registry receives the HTTP metrics and is served on /metrics; nil
	// means a new one. Go and process collectors are added to it.
	Registry *prometheus.Registry
	// SiteName is shown in the header and titles; default "Plenary".
	SiteName string
	// AnalyticsScript is the https URL of a third-party analytics script,
	// loaded only for people who accepted analytics cookies; its origin is
	// allowed in their pages' CSP only then. Empty (the default) means no
	// third-party analytics.
	AnalyticsScript string
	// AnalyticsProvider says how the script is told the site's ID
	// (AnalyticsID): "plausible" (data-domain), "umami"
	// (data-website-id), "fathom" (data-site), or "" for none.
	AnalyticsProvider string
	AnalyticsID       string
	// AnalyticsCookies are the cookies the analytics script sets on this
	// site: listed on /cookies, and deleted when someone rejects analytics.
	AnalyticsCookies []string
	// CountView, when set, counts a page view (path without its query,
	// the Referer header) of a visitor who accepted analytics cookies;
	// see Counted. It must not block: analytics.Counter.Add.
	CountView func(path, referrer string)
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
	// MetricsToken, when set, is the secret a scraper must send as
	// "Authorization: Bearer TOKEN" to read /metrics. When empty,
	// /metrics answers only connections from this machine that no proxy
	// forwarded, and 404 to everyone else.
	MetricsToken string
	// ContactEmail is the course team's address, shown in the footer and
	// on the privacy page; empty shows none.
	ContactEmail string
}

// Server is the shared HTTP kit: it renders pages into the one layout,
// maps errors to pages and JSON, and wraps the routes the audiences'
// packages (site, admin, api) bring in middleware. Their handlers are
// methods of their own Server types, which hold a *Server.
type Server struct {
	db        *database.DB
	log       *slog.Logger
	baseURL   string
	secure    bool
	dev       bool
	now       func() time.Time
	siteName  string
	analytics string // script URL, or ""
	provider  string // how the script takes its ID: see Options.AnalyticsProvider
	siteID    string
	cookies   []string // the analytics script's cookies
	countView func(path, referrer string)

	files     fs.FS     // holds templates/ and static/
	pageSets  []pageSet // the kit's own pages first, then each audience's
	templates templateSet
	static    *staticFiles
	pages     *pageCache   // nil when off
	limiter   *rateLimiter // booking and manage-page POSTs, per client; nil when off
	proxies   []netip.Prefix
	metrics   *metrics
	registry  *prometheus.Registry

	metricsToken string
	contactEmail string

	// paths are the literal beginnings of the Private and SecretPath
	// routes, set by Handler.
	paths struct{ private, secret pathSet }
}

// devDir is where PLENARY_DEV reads the kit's templates and static files
// from, relative to the working folder (the repository root).
const devDir = "internal/web"

// New returns the kit with its layout, partials and own pages (the error
// pages) parsed and checked by rendering each once with empty data; it
// fails if any is broken. The audiences' packages add their pages with
// AddPages.
func New(opts Options) (*Server, error) {
	s := &Server{
		db:        opts.DB,
		log:       opts.Logger,
		baseURL:   strings.TrimRight(opts.BaseURL, "/"),
		dev:       opts.Dev,
		now:       opts.Now,
		siteName:  opts.SiteName,
		analytics: opts.AnalyticsScript,
		provider:  opts.AnalyticsProvider,
		siteID:    opts.AnalyticsID,
		cookies:   opts.AnalyticsCookies,
		countView: opts.CountView,
		registry:  opts.Registry,

		metricsToken: opts.MetricsToken,
		contactEmail: opts.ContactEmail,
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
	if _, ok := providerNames[s.provider]; !ok {
		return nil, fmt.Errorf("web: unknown analytics provider %q", s.provider)
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
	if err := s.addPages(pageSet{fsys: s.files, zero: pages}); err != nil {
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

// Base is the data every page has. Page structs embed it.
type Base struct {
	SiteName string
	// Path is the request's path and query, where a form on the page
	// (the cookie banner) brings the person back to.
	Path string
	// Consent is the cookie choice: "" (not made yet), "accept" or
	// "reject".
	Consent string
	// Analytics is the analytics script to load, set only when someone
	// accepted and a provider is configured; AnalyticsProvider and
	// AnalyticsID (set with it) say how the script learns the site's ID.
	Analytics         string
	AnalyticsProvider string
	AnalyticsID       string
	// ThirdParty names the third-party analytics service in words ("" for
	// none), whatever the choice: the banner says what accepting means.
	ThirdParty string
	// Counting says that page views are counted for people who accept
	// (a counter is configured).
	Counting bool
	// ConsentSaved is set on the page a cookie choice returns to, so the
	// page can confirm it (the redirect adds ?consent=saved).
	ConsentSaved bool
	// Contact is the course team's address for the footer, or "".
	Contact string
	// Description is the page's meta description, or "".
	Description string
	// Staff is set on the staff area's pages (/admin): they show the
	// staff area's navigation and never the cookie banner, and never
	// load analytics, whatever the person chose — a staff page's address
	// names bookings and the people searched for.
	Staff bool

	static func(name string) string
}

// BaseKey is every field of Base a page can show, in a comparable form:
// what a page kept in parts per request's Base is keyed by (the course
// page's layout, site/coursebody.go). Base's static files are the same for
// every request of a Server. TestBaseKeyHasEveryField checks that no
// field of Base is missing here.
type BaseKey struct {
	SiteName, Path, Consent                   string
	Analytics, AnalyticsProvider, AnalyticsID string
	ThirdParty                                string
	Counting, ConsentSaved                    bool
	Contact, Description                      string
	Staff                                     bool
}

// Key returns b's BaseKey.
func (b Base) Key() BaseKey {
	return BaseKey{
		SiteName: b.SiteName, Path: b.Path, Consent: b.Consent,
		Analytics: b.Analytics, AnalyticsProvider: b.AnalyticsProvider, AnalyticsID: b.AnalyticsID,
		ThirdParty: b.ThirdParty, Counting: b.Counting, ConsentSaved: b.ConsentSaved,
		Contact: b.Contact, Description: b.Description, Staff: b.Staff,
	}
}

// Static returns the URL of a static file, with its content hash in the
// path so that it can be cached for a year.
func (b Base) Static(name string) string {
	if b.static == nil {
		return "/static/0/" + name
	}
	return b.static(name)
}

// ConsentChoice says the choice in words, for the confirmation.
func (b Base) ConsentChoice() string {
	if b.Consent == ConsentAccept {
		return "you accepted analytics cookies"
	}
	return "you rejected analytics cookies"
}

// ConsentGiven reports whether a cookie choice has been made.
func (b Base) ConsentGiven() bool { return b.Consent == ConsentAccept || b.Consent == ConsentReject }

// ShowBanner reports whether the page shows the cookie banner: until a
// choice is made, except on /cookies, which has the same choice in full.
func (b Base) ShowBanner() bool {
	path, _, _ := strings.Cut(b.Path, "?")
	return !b.Staff && !b.ConsentGiven() && path != "/cookies"
}

// Base returns the common page data for r.
func (s *Server) Base(r *http.Request) Base {
	b := Base{
		SiteName: s.siteName,
		Path:     r.URL.RequestURI(),
		Consent:  ConsentOf(r),
		Contact:  s.contactEmail,
		static:   s.static.url,
	}
	b.Staff = r.URL.Path == "/admin" || strings.HasPrefix(r.URL.Path, "/admin/")
	b.ConsentSaved = b.ConsentGiven() && r.URL.Query().Get(consentSavedParam) == consentSavedValue
	if s.analytics != "" {
		b.ThirdParty = s.ThirdParty()
	}
	b.Counting = s.countView != nil
	if b.Consent == ConsentAccept && s.analytics != "" && !b.Staff {
		b.Analytics, b.AnalyticsProvider, b.AnalyticsID = s.analytics, s.provider, s.siteID
	}
	return b
}

// providerNames are the analytics providers Plenary knows how to give a
// site ID, in words.
var providerNames = map[string]string{"": "", "plausible": "Plausible", "umami": "Umami", "fathom": "Fathom"}

// ThirdParty names the third-party analytics service in words: the
// provider's name, or the script's host; "" when there is none.
func (s *Server) ThirdParty() string {
	if s.analytics == "" {
		return ""
	}
	if n := providerNames[s.provider]; n != "" {
		return n
	}
	u, _ := url.Parse(s.analytics)
	return u.Host
}

// AnalyticsCookies are the cookies the analytics script sets on this
// site, as configured.
func (s *Server) AnalyticsCookies() []string { return s.cookies }

// Now is the server's clock.
func (s *Server) Now() time.Time { return s.now() }

// Dev reports whether templates are read from disk on every request (dev
// mode): nothing rendered may then be kept.
func (s *Server) Dev() bool { return s.dev }

// SiteName is the name shown in the header and titles.
func (s *Server) SiteName() string { return s.siteName }

// Secure reports whether the base URL is https: cookies are then Secure.
func (s *Server) Secure() bool { return s.secure }

// HasAnalytics reports whether an analytics provider is configured.
func (s *Server) HasAnalytics() bool { return s.analytics != "" }

// AbsoluteBase is the configured base URL, or one made from the request
// when none is set (development).
func (s *Server) AbsoluteBase(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// RenderPart writes the template name defined by page's templates (a part
// of the page, such as a slot's contents; see SlotFiller) with data to w.
func (s *Server) RenderPart(w io.Writer, page, name string, data any) error {
	templates := s.templates
	if s.dev {
		var err error
		if templates, err = parseTemplates(s.files, s.pageSets); err != nil {
			return err
		}
	}
	t, ok := templates[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	if err := t.ExecuteTemplate(w, name, data); err != nil {
		return fmt.Errorf("web: render %s of %s: %w", name, page, err)
	}
	return nil
}

// Render executes page into a buffer and writes it with status, so a
// template error never leaves half a page.
func (s *Server) Render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	templates := s.templates
	if s.dev {
		var err error
		if templates, err = parseTemplates(s.files, s.pageSets); err != nil {
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
	s.WriteHTML(w, r, status, buf.Bytes())
}

// WriteHTML writes a page rendered already (body) with status and the
// headers Render gives every page.
func (s *Server) WriteHTML(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" { // manage pages set no-store first
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("Vary", "Cookie")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// Execute renders page with data into w, as Render does but without a
// response: for checks and tests.
func (s *Server) Execute(w io.Writer, page string, data any) error {
	return s.templates.execute(w, page, data)
}

// ErrorPage is the data of the error pages (404, 403, 500, and every
// problem in the error table).
type ErrorPage struct {
	Base
	Status  int
	Heading string
	Message string
	// BackURL and BackLabel offer a way on (e.g. back to the course);
	// without them the page links to the list of courses.
	BackURL   string
	BackLabel string
}

// LogFailure logs err as a failure that the request survives (a step
// after the main one, such as a list subscription after a booking).
func (s *Server) LogFailure(r *http.Request, what string, err error) {
	s.log.Warn(what, "method", r.Method, "path", s.logPath(r), "error", err)
}

// serverError logs err and shows the generic error page. The browser
// never sees err itself.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", s.logPath(r), "error", err)
	s.Render(w, r, http.StatusInternalServerError, "error", ErrorPage{
		Base:    s.Base(r),
		Status:  http.StatusInternalServerError,
		Heading: "Sorry, something went wrong",
		Message: "The problem is on our side and has been logged. Please try again in a few minutes.",
	})
}

// NotFound shows the 404 page.
func (s *Server) NotFound(w http.ResponseWriter, r *http.Request) {
	s.Render(w, r, http.StatusNotFound, "not_found", ErrorPage{Base: s.Base(r), Status: http.StatusNotFound})
}

// forbidden shows the 403 page for a refused cross-origin form.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, errCrossOrigin)
}
