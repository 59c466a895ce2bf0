package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"plenary/internal/workdays"
)

// Config is the whole configuration of one Plenary process.
type Config struct {
	DatabaseURL string // PLENARY_DATABASE_URL
	BaseURL     string // PLENARY_BASE_URL
	TimeZone    string // PLENARY_TIMEZONE
	SiteName    string // PLENARY_SITE_NAME
	Dev         bool   // PLENARY_DEV
	AutoMigrate bool   // PLENARY_AUTO_MIGRATE
	LogFormat   string // PLENARY_LOG_FORMAT: json or text
	LogLevel    string // PLENARY_LOG_LEVEL: debug, info, warn, error
	SMTPURL     string // PLENARY_SMTP_URL: empty keeps mail in the dev mailbox
	MailFrom    string // PLENARY_MAIL_FROM
	MailReplyTo string // PLENARY_MAIL_REPLY_TO: may be empty
	Jobs        bool   // PLENARY_JOBS: run the job queue in this process
	// AccessNeedsRetentionDays is PLENARY_ACCESS_NEEDS_RETENTION_DAYS:
	// how long after an event its bookings' access needs are kept.
	AccessNeedsRetentionDays int
	// PageCacheTTL is PLENARY_PAGE_CACHE_TTL: how long rendered public
	// pages are served from memory; 0 turns the cache off.
	PageCacheTTL time.Duration
	// BookingLimit is PLENARY_BOOKING_LIMIT: form posts a minute per
	// client on the booking and manage pages; 0 turns the limit off.
	BookingLimit int
	// TrustedProxies is PLENARY_TRUSTED_PROXIES: reverse proxies whose
	// X-Forwarded-For header names the client.
	TrustedProxies []netip.Prefix
	// Region is PLENARY_REGION: whose bank holidays count for events that
	// do not name their own (england-and-wales, scotland,
	// northern-ireland).
	Region string
	// HolidaysFile is PLENARY_HOLIDAYS_FILE: the install's own one-off
	// holidays, added to the built-in list.
	HolidaysFile string
	// JoiningTime is PLENARY_JOINING_TIME: the local time of day (HH:MM)
	// joining instructions and reminders are sent.
	JoiningTime string
	// MinNoticeWorkingDays is PLENARY_MIN_NOTICE_WORKING_DAYS: a change to
	// an event closer than this must be confirmed by the coordinator.
	MinNoticeWorkingDays int
	// ContactEmail is PLENARY_CONTACT_EMAIL: the course team's address,
	// shown in the site footer and used as the Reply-To of e-mails unless
	// PLENARY_MAIL_REPLY_TO says otherwise. May be empty.
	ContactEmail string
	// StaffEmail is PLENARY_STAFF_EMAIL: the addresses told when a
	// booking starts waiting for review. May be empty.
	StaffEmail []string
	// DevMailbox is PLENARY_DEV_MAILBOX: serve the dev mailbox under
	// /admin/mail (development only; never with SMTP).
	DevMailbox bool
	// MetricsToken is PLENARY_METRICS_TOKEN: when set, /metrics needs
	// "Authorization: Bearer TOKEN"; when empty, /metrics answers only
	// connections from the machine itself that no proxy forwarded.
	MetricsToken string
	// MailRescueAfter is PLENARY_MAIL_RESCUE_AFTER: how long a message
	// may be in the middle of sending before it is taken to have died
	// with its process and is sent again.
	MailRescueAfter time.Duration
}

// Setting describes one environment variable, for documentation and for
// `plenary config`.
type Setting struct {
	Name    string
	Default string
	Secret  bool
	Help    string
}

// Settings lists every variable Plenary reads, in the order the README
// documents them.
var Settings = []Setting{
	{"PLENARY_DATABASE_URL", "sqlite:plenary.db", true, "sqlite:PATH for the embedded database, or postgres://user:pass@host/db. PLENARY_DATABASE_URL_FILE reads it from a file."},
	{"PLENARY_BASE_URL", "http://localhost:8080", false, "The address people use to reach the site; used for links in calendar files and e-mails, and for Secure cookies when it is https."},
	{"PLENARY_TIMEZONE", "Europe/London", false, "The default IANA time zone for new events and for the demo."},
	{"PLENARY_SITE_NAME", "Plenary", false, "The organisation's name shown in the header and titles."},
	{"PLENARY_DEV", "false", false, "true reads templates and static files from disk and logs as text."},
	{"PLENARY_AUTO_MIGRATE", "false", false, "true lets serve migrate an existing database to a newer schema on start."},
	{"PLENARY_LOG_FORMAT", "json (text when PLENARY_DEV)", false, "json or text."},
	{"PLENARY_LOG_LEVEL", "info", false, "debug, info, warn or error."},
	{"PLENARY_SMTP_URL", "(none: mail is kept in the dev mailbox)", true, "smtp://user:pass@host:587 (STARTTLS when offered; add ?tls=required or ?tls=none) or smtps://user:pass@host:465. PLENARY_SMTP_URL_FILE reads it from a file."},
	{"PLENARY_MAIL_FROM", "SITE_NAME <noreply@BASE_URL host>", false, "The From address of every e-mail."},
	{"PLENARY_MAIL_REPLY_TO", "(none)", false, "The Reply-To address of e-mails, e.g. the course team."},
	{"PLENARY_JOBS", "on", false, "on runs the job queue (sending mail) in serve; off makes a web-only instance."},
	{"PLENARY_ACCESS_NEEDS_RETENTION_DAYS", "30", false, "Days after an event that its bookings' access needs (special-category data) are kept before they are erased."},
	{"PLENARY_BOOKING_LIMIT", "10", false, "Booking and manage-page form posts allowed per client a minute (also the burst); 0 turns the limit off."},
	{"PLENARY_TRUSTED_PROXIES", "(none)", false, "Comma-separated addresses or CIDR ranges of reverse proxies in front of Plenary, e.g. 127.0.0.1/32; their X-Forwarded-For header names the client for rate limits."},
	{"PLENARY_REGION", "england-and-wales", false, "Whose bank holidays count when working days are counted: england-and-wales, scotland or northern-ireland. An event may name its own."},
	{"PLENARY_HOLIDAYS_FILE", "(none)", false, "A file of the install's own one-off holidays (format in docs/working-days.md), added to the built-in list."},
	{"PLENARY_JOINING_TIME", "09:00", false, "The local time of day (in each event's zone) joining instructions and reminders are sent."},
	{"PLENARY_MIN_NOTICE_WORKING_DAYS", "10", false, "A change to an event less than this many working days before it must be confirmed (plenary import -confirm-late), and participants are told they may cancel free of charge."},
	{"PLENARY_PAGE_CACHE_TTL", "2s", false, "How long the catalogue and course pages are served from memory to anonymous visitors (e.g. 2s, 500ms); 0 turns the cache off."},
	{"PLENARY_CONTACT_EMAIL", "(none)", false, "The course team's address: shown in the site footer and used as the Reply-To of e-mails (unless PLENARY_MAIL_REPLY_TO is set)."},
	{"PLENARY_STAFF_EMAIL", "(none)", false, "Comma-separated addresses told by e-mail when a booking starts waiting for review."},
	{"PLENARY_DEV_MAILBOX", "false", false, "true shows every e-mail kept in the database under /admin/mail, for development only (serve -demo turns it on); refused when PLENARY_SMTP_URL is set."},
	{"PLENARY_METRICS_TOKEN", "(none: /metrics answers only the machine itself)", true, "A secret that scrapers send as Authorization: Bearer TOKEN to read /metrics. PLENARY_METRICS_TOKEN_FILE reads it from a file."},
	{"PLENARY_MAIL_RESCUE_AFTER", "1m", false, "How long a message may be in the middle of sending before it is taken to have died with its process (a crash) and is sent again; at least 10s."},
}

// Load reads the configuration through getenv (os.Getenv in main, a map
// in tests) and validates it.
func Load(getenv func(string) string) (Config, error) {
	var errs []error
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	boolean := func(name string) bool {
		v := get(name, "false")
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, v))
		}
		return b
	}
	c := Config{
		DatabaseURL: get("PLENARY_DATABASE_URL", ""),
		BaseURL:     strings.TrimRight(get("PLENARY_BASE_URL", "http://localhost:8080"), "/"),
		TimeZone:    get("PLENARY_TIMEZONE", "Europe/London"),
		SiteName:    get("PLENARY_SITE_NAME", "Plenary"),
		Dev:         boolean("PLENARY_DEV"),
		AutoMigrate: boolean("PLENARY_AUTO_MIGRATE"),
		LogLevel:    strings.ToLower(get("PLENARY_LOG_LEVEL", "info")),
	}
	c.LogFormat = strings.ToLower(get("PLENARY_LOG_FORMAT", map[bool]string{true: "text", false: "json"}[c.Dev]))
	// secret reads NAME, or the file named by NAME_FILE.
	secret := func(name string) string {
		v := get(name, "")
		if file := getenv(name + "_FILE"); file != "" {
			if v != "" {
				errs = append(errs, fmt.Errorf("%s and %s_FILE are both set: use one", name, name))
			}
			b, err := os.ReadFile(file)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s_FILE: %w", name, err))
			}
			v = strings.TrimSpace(string(b))
		}
		return v
	}
	c.DatabaseURL = secret("PLENARY_DATABASE_URL")
	c.SMTPURL = secret("PLENARY_SMTP_URL")
	c.MailFrom = get("PLENARY_MAIL_FROM", defaultMailFrom(c.SiteName, c.BaseURL))
	c.MailReplyTo = get("PLENARY_MAIL_REPLY_TO", "")
	switch v := strings.ToLower(get("PLENARY_JOBS", "on")); v {
	case "on", "true":
		c.Jobs = true
	case "off", "false":
	default:
		errs = append(errs, fmt.Errorf("PLENARY_JOBS: %q is not on or off", v))
	}
	if v := get("PLENARY_ACCESS_NEEDS_RETENTION_DAYS", "30"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_ACCESS_NEEDS_RETENTION_DAYS: %q is not a whole number of days", v))
		}
		c.AccessNeedsRetentionDays = n
	}
	if v := get("PLENARY_BOOKING_LIMIT", "10"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("PLENARY_BOOKING_LIMIT: %q is not a whole number of posts a minute (0 for no limit)", v))
		}
		c.BookingLimit = n
	}
	for _, v := range strings.Split(get("PLENARY_TRUSTED_PROXIES", ""), ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("PLENARY_TRUSTED_PROXIES: %q is not an address or a range such as 10.0.0.0/8", v))
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, p.Masked())
	}
	c.Region = strings.ToLower(get("PLENARY_REGION", "england-and-wales"))
	c.HolidaysFile = get("PLENARY_HOLIDAYS_FILE", "")
	c.JoiningTime = get("PLENARY_JOINING_TIME", "09:00")
	if v := get("PLENARY_MIN_NOTICE_WORKING_DAYS", "10"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 60 {
			errs = append(errs, fmt.Errorf("PLENARY_MIN_NOTICE_WORKING_DAYS: %q is not a whole number of working days from 0 to 60", v))
		}
		c.MinNoticeWorkingDays = n
	}
	if v := get("PLENARY_PAGE_CACHE_TTL", "2s"); v != "0" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_PAGE_CACHE_TTL: %q is not a duration such as 2s", v))
		}
		c.PageCacheTTL = d
	}
	c.ContactEmail = get("PLENARY_CONTACT_EMAIL", "")
	for _, v := range strings.Split(get("PLENARY_STAFF_EMAIL", ""), ",") {
		if v = strings.TrimSpace(v); v != "" {
			c.StaffEmail = append(c.StaffEmail, v)
		}
	}
	c.DevMailbox = boolean("PLENARY_DEV_MAILBOX")
	c.MetricsToken = secret("PLENARY_METRICS_TOKEN")
	if v := get("PLENARY_MAIL_RESCUE_AFTER", "1m"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_MAIL_RESCUE_AFTER: %q is not a duration such as 1m", v))
		}
		c.MailRescueAfter = d
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:plenary.db"
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	return c, errors.Join(errs...)
}

// Validate checks every field and reports all problems together.
func (c Config) Validate() error {
	var errs []error
	if !strings.HasPrefix(c.DatabaseURL, "sqlite:") && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("PLENARY_DATABASE_URL: must start with sqlite: or postgres://"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PLENARY_BASE_URL: %q is not an http:// or https:// address", c.BaseURL))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil || c.TimeZone == "Local" {
		errs = append(errs, fmt.Errorf("PLENARY_TIMEZONE: %q is not an IANA time zone such as Europe/London", c.TimeZone))
	}
	if len(c.SiteName) > 100 {
		errs = append(errs, errors.New("PLENARY_SITE_NAME: longer than 100 characters"))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("PLENARY_LOG_FORMAT: %q is not json or text", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("PLENARY_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.AccessNeedsRetentionDays < 0 || c.AccessNeedsRetentionDays > 3650 {
		errs = append(errs, fmt.Errorf("PLENARY_ACCESS_NEEDS_RETENTION_DAYS: %d is not between 0 and 3650", c.AccessNeedsRetentionDays))
	}
	if _, err := workdays.ParseRegion(c.Region); err != nil {
		errs = append(errs, fmt.Errorf("PLENARY_REGION: %q is not england-and-wales, scotland or northern-ireland", c.Region))
	}
	if c.HolidaysFile != "" {
		if _, err := os.Stat(c.HolidaysFile); err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_HOLIDAYS_FILE: %w", err))
		}
	}
	if t, err := time.Parse("15:04", c.JoiningTime); err != nil || t.Format("15:04") != c.JoiningTime {
		errs = append(errs, fmt.Errorf("PLENARY_JOINING_TIME: %q is not a time of day such as 09:00", c.JoiningTime))
	}
	if c.PageCacheTTL < 0 || c.PageCacheTTL > time.Hour {
		errs = append(errs, fmt.Errorf("PLENARY_PAGE_CACHE_TTL: %v is not between 0 and 1h", c.PageCacheTTL))
	}
	if c.SMTPURL != "" {
		if err := validateSMTPURL(c.SMTPURL); err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_SMTP_URL: %s", err))
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		errs = append(errs, fmt.Errorf("PLENARY_MAIL_FROM: %q is not an address such as \"Plenary <noreply@training.example>\"", c.MailFrom))
	}
	if c.MailReplyTo != "" {
		if _, err := mail.ParseAddress(c.MailReplyTo); err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_MAIL_REPLY_TO: %q is not an e-mail address", c.MailReplyTo))
		}
	}
	if c.ContactEmail != "" {
		if _, err := mail.ParseAddress(c.ContactEmail); err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_CONTACT_EMAIL: %q is not an e-mail address", c.ContactEmail))
		}
	}
	for _, a := range c.StaffEmail {
		if _, err := mail.ParseAddress(a); err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_STAFF_EMAIL: %q is not an e-mail address", a))
		}
	}
	if c.DevMailbox && c.SMTPURL != "" {
		errs = append(errs, errors.New("PLENARY_DEV_MAILBOX: the dev mailbox cannot be on when PLENARY_SMTP_URL is set (it would show real people's e-mails)"))
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("PLENARY_METRICS_TOKEN: shorter than 16 characters"))
	}
	if c.MailRescueAfter < 10*time.Second || c.MailRescueAfter > time.Hour {
		errs = append(errs, fmt.Errorf("PLENARY_MAIL_RESCUE_AFTER: %v is not between 10s and 1h", c.MailRescueAfter))
	}
	return errors.Join(errs...)
}

// ReplyTo is the Reply-To address of e-mails: PLENARY_MAIL_REPLY_TO, or
// else the contact address; empty when neither is set.
func (c Config) ReplyTo() string {
	if c.MailReplyTo != "" {
		return c.MailReplyTo
	}
	return c.ContactEmail
}

// validateSMTPURL checks the shape of PLENARY_SMTP_URL without showing
// the password in the message.
func validateSMTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "smtp" && u.Scheme != "smtps" {
		return errors.New("must start with smtp:// or smtps://")
	}
	if u.Hostname() == "" {
		return errors.New("has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
	}
	for k, v := range u.Query() {
		switch {
		case k == "tls" && u.Scheme == "smtp" && len(v) == 1 && (v[0] == "required" || v[0] == "opportunistic" || v[0] == "none"):
		case k == "tls":
			return errors.New("tls= must be required, opportunistic or none, and only on smtp://")
		default:
			return fmt.Errorf("unknown option %q", k)
		}
	}
	return nil
}

// defaultMailFrom is "SITE NAME <noreply@host of the base URL>".
func defaultMailFrom(siteName, baseURL string) string {
	host := "localhost"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	addr := "noreply@" + host
	for _, r := range siteName {
		// Outside letters, digits and spaces, let net/mail quote the name.
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' || r > unicode.MaxASCII {
			return (&mail.Address{Name: siteName, Address: addr}).String()
		}
	}
	return siteName + " <" + addr + ">"
}

// Location returns the default zone (validated by Load).
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Values returns each setting's effective value, secrets masked, for
// `plenary config`.
func (c Config) Values() [][2]string {
	return [][2]string{
		{"PLENARY_DATABASE_URL", maskURL(c.DatabaseURL)},
		{"PLENARY_BASE_URL", c.BaseURL},
		{"PLENARY_TIMEZONE", c.TimeZone},
		{"PLENARY_SITE_NAME", c.SiteName},
		{"PLENARY_DEV", strconv.FormatBool(c.Dev)},
		{"PLENARY_AUTO_MIGRATE", strconv.FormatBool(c.AutoMigrate)},
		{"PLENARY_LOG_FORMAT", c.LogFormat},
		{"PLENARY_LOG_LEVEL", c.LogLevel},
		{"PLENARY_SMTP_URL", maskURL(c.SMTPURL)},
		{"PLENARY_MAIL_FROM", c.MailFrom},
		{"PLENARY_MAIL_REPLY_TO", c.MailReplyTo},
		{"PLENARY_JOBS", map[bool]string{true: "on", false: "off"}[c.Jobs]},
		{"PLENARY_ACCESS_NEEDS_RETENTION_DAYS", strconv.Itoa(c.AccessNeedsRetentionDays)},
		{"PLENARY_BOOKING_LIMIT", strconv.Itoa(c.BookingLimit)},
		{"PLENARY_TRUSTED_PROXIES", prefixes(c.TrustedProxies)},
		{"PLENARY_REGION", c.Region},
		{"PLENARY_HOLIDAYS_FILE", c.HolidaysFile},
		{"PLENARY_JOINING_TIME", c.JoiningTime},
		{"PLENARY_MIN_NOTICE_WORKING_DAYS", strconv.Itoa(c.MinNoticeWorkingDays)},
		{"PLENARY_PAGE_CACHE_TTL", c.PageCacheTTL.String()},
		{"PLENARY_CONTACT_EMAIL", c.ContactEmail},
		{"PLENARY_STAFF_EMAIL", strings.Join(c.StaffEmail, ",")},
		{"PLENARY_DEV_MAILBOX", strconv.FormatBool(c.DevMailbox)},
		{"PLENARY_METRICS_TOKEN", mask(c.MetricsToken)},
		{"PLENARY_MAIL_RESCUE_AFTER", c.MailRescueAfter.String()},
	}
}

func prefixes(ps []netip.Prefix) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ",")
}

// mask hides a secret that is set.
func mask(s string) string {
	if s == "" {
		return ""
	}
	return "xxxxx"
}

// maskURL hides a password in a URL.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
