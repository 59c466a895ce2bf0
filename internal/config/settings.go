package config

import (
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"plenary/internal/account"
	"plenary/internal/workdays"
)

// Setting is one PLENARY_* variable, declared once: Load parses it into
// its Config field, Values shows it for `plenary config`, and the
// README's Configuration table is written from it (Markdown).
type Setting struct {
	Name string
	// Default is the value used when the variable is unset or blank,
	// written as it would be set; "" means none.
	Default string
	// DefaultDoc says in the README what the default is where Default
	// alone does not (it is worked out from other settings, or "none"
	// needs explaining). Markdown.
	DefaultDoc string
	// Secret settings may be read from the file that NAME_FILE names, and
	// `plenary config` masks them.
	Secret bool
	// Help says what the setting does, in Markdown, as the README shows it.
	Help string

	field
	// dflt, when set, works the default out from the settings above it.
	dflt func(*Config) string
}

// field parses a value into its Config field and shows it again.
type field struct {
	parse func(c *Config, v string) error
	show  func(c *Config) string
}

// bind makes the field for one Config member: parse turns the text into
// its type (refusing what the setting does not allow), show writes it back.
func bind[T any](ptr func(*Config) *T, parse func(string) (T, error), show func(T) string) field {
	return field{
		parse: func(c *Config, v string) error {
			x, err := parse(v)
			if err != nil {
				return err
			}
			*ptr(c) = x
			return nil
		},
		show: func(c *Config) string { return show(*ptr(c)) },
	}
}

// settings is the one declaration of every setting, in the order the
// README and `plenary config` list them. A setting whose default is worked
// out from others comes after them.
var settings = []Setting{
	{
		Name: "PLENARY_DATABASE_URL", Default: "sqlite:plenary.db", Secret: true,
		Help:  "`sqlite:PATH` for the embedded database, or `postgres://user:pass@host:5432/db`.",
		field: bind(func(c *Config) *string { return &c.DatabaseURL }, databaseURL, maskURL),
	},
	{
		Name: "PLENARY_BASE_URL", Default: "http://localhost:8080",
		Help:  "the address people use to reach the site: used for links in calendar files and e-mails, and cookies are marked Secure when it is `https://`.",
		field: bind(func(c *Config) *string { return &c.BaseURL }, baseURL, same),
	},
	{
		Name: "PLENARY_TIMEZONE", Default: "Europe/London",
		Help:  "the default IANA time zone for new events and the demo.",
		field: bind(func(c *Config) **time.Location { return &c.TimeZone }, zone, (*time.Location).String),
	},
	{
		Name: "PLENARY_SITE_NAME", Default: "Plenary",
		Help:  "the organisation's name in the header and page titles.",
		field: bind(func(c *Config) *string { return &c.SiteName }, text(100), same),
	},
	{
		Name:       "PLENARY_PROVIDER_NAME",
		DefaultDoc: "the site name",
		Help:       "the training provider's name as CPD certificates print it, e.g. `North Clinic NHS Trust, Training Department`.",
		field:      bind(func(c *Config) *string { return &c.ProviderName }, text(200), same),
		dflt:       func(c *Config) string { return c.SiteName },
	},
	{
		Name: "PLENARY_DEV", Default: "false",
		Help:  "`true` reads templates and static files from disk (edit and reload) and logs as text.",
		field: bind(func(c *Config) *bool { return &c.Dev }, boolean, strconv.FormatBool),
	},
	{
		Name: "PLENARY_AUTO_MIGRATE", Default: "false",
		Help:  "`true` lets `serve` migrate an existing database to a newer schema on start.",
		field: bind(func(c *Config) *bool { return &c.AutoMigrate }, boolean, strconv.FormatBool),
	},
	{
		Name: "PLENARY_LOG_FORMAT", Default: "json", DefaultDoc: "`json` (`text` when `PLENARY_DEV`)",
		Help:  "`json` or `text`.",
		field: bind(func(c *Config) *string { return &c.LogFormat }, oneOf("json", "text"), same),
		dflt: func(c *Config) string {
			if c.Dev {
				return "text"
			}
			return "json"
		},
	},
	{
		Name: "PLENARY_LOG_LEVEL", Default: "info",
		Help:  "`debug`, `info`, `warn` or `error`.",
		field: bind(func(c *Config) *slog.Level { return &c.LogLevel }, logLevel, func(l slog.Level) string { return strings.ToLower(l.String()) }),
	},
	{
		Name: "PLENARY_SMTP_URL", Secret: true,
		DefaultDoc: "none: e-mails are kept, not sent (shown in the mail log, `/admin/messages`)",
		Help: "the mail server: `smtps://user:pass@host:465` (TLS from the start) or `smtp://user:pass@host:587` " +
			"(STARTTLS when the server offers it; add `?tls=required` to insist, `?tls=none` for a local relay). " +
			"Percent-encode special characters in the password.",
		field: bind(func(c *Config) *string { return &c.SMTPURL }, smtpURL, maskURL),
	},
	{
		Name:       "PLENARY_MAIL_FROM",
		DefaultDoc: "the site name and `noreply@` the base URL's host, e.g. `Plenary <noreply@localhost>`",
		Help:       "the From address of every e-mail.",
		field:      bind(func(c *Config) *Address { return &c.MailFrom }, address(true), Address.String),
		dflt:       func(c *Config) string { return defaultMailFrom(c.SiteName, c.BaseURL) },
	},
	{
		Name:  "PLENARY_MAIL_REPLY_TO",
		Help:  "the Reply-To address of e-mails, e.g. the course team's.",
		field: bind(func(c *Config) *Address { return &c.MailReplyTo }, address(false), Address.String),
	},
	{
		Name: "PLENARY_STAFF_EMAIL",
		Help: "comma-separated addresses of the course team: each is e-mailed when a booking starts to wait for review, " +
			"with the person's answers, the rule's reason and the commands that settle it.",
		field: bind(func(c *Config) *[]Address { return &c.StaffEmail }, addresses, func(as []Address) string { return strings.Join(Strings(as), ",") }),
	},
	{
		Name: "PLENARY_JOBS", Default: "on",
		Help: "`on` runs the job queue (which sends the e-mails) inside `serve`; `off` makes a web-only instance " +
			"that only queues jobs for another instance (or `plenary worker`) to run.",
		field: bind(func(c *Config) *bool { return &c.Jobs }, onOff, func(b bool) string { return map[bool]string{true: "on", false: "off"}[b] }),
	},
	{
		Name: "PLENARY_MAIL_RESCUE_AFTER", Default: "1m",
		Help: "how long a message may be in the middle of sending before it is taken to have died with a crashed process " +
			"and is sent again (10s–1h). Each attempt, SMTP conversation included, is bounded to half of it. " +
			"Raise it only for a mail server that takes longer than a fifth of it to answer. See [docs/operations.md](docs/operations.md).",
		field: bind(func(c *Config) *time.Duration { return &c.MailRescueAfter }, duration(10*time.Second, time.Hour, "1m"), time.Duration.String),
	},
	{
		Name: "PLENARY_ACCESS_NEEDS_RETENTION_DAYS", Default: "30",
		Help: "days after an event that its bookings' access needs (special-category data) are kept before a background job erases them; " +
			"`0` erases them as soon as the event is over.",
		field: bind(func(c *Config) *int { return &c.AccessNeedsRetentionDays }, wholeNumber(0, 3650, "days"), strconv.Itoa),
	},
	{
		Name: "PLENARY_MESSAGE_BODY_RETENTION_DAYS", Default: "365",
		Help: "days after an e-mail is sent that its text, HTML and attachments are kept before a background job erases them " +
			"(the mail log keeps who it went to, its subject and when); `0` keeps them. See [docs/privacy.md](docs/privacy.md).",
		field: bind(func(c *Config) *int { return &c.MessageBodyRetentionDays }, wholeNumber(0, 3650, "days"), strconv.Itoa),
	},
	{
		Name: "PLENARY_PAGE_VIEW_RETENTION_DAYS", Default: "395",
		Help: "days that consented page-view counts (path, referring host, day) are kept before a background job erases them; " +
			"`0` keeps them. See [docs/privacy.md](docs/privacy.md).",
		field: bind(func(c *Config) *int { return &c.PageViewRetentionDays }, wholeNumber(0, 3650, "days"), strconv.Itoa),
	},
	{
		Name: "PLENARY_LIST_UNCONFIRMED_DAYS", Default: "30",
		Help: "days a request to hear about new dates is kept if its confirmation link is never used (7–3650: at least " +
			"the 7 days the link works); a background job then forgets it with its evidence. See [docs/privacy.md](docs/privacy.md).",
		field: bind(func(c *Config) *int { return &c.ListUnconfirmedDays }, unconfirmedDays, strconv.Itoa),
	},
	{
		Name: "PLENARY_REGION", Default: "england-and-wales",
		Help: "whose bank holidays count when working days are counted (`england-and-wales`, `scotland`, `northern-ireland`); " +
			"an event may name its own `region`. See [docs/working-days.md](docs/working-days.md).",
		field: bind(func(c *Config) *workdays.Region { return &c.Region }, region, func(r workdays.Region) string { return string(r) }),
	},
	{
		Name:  "PLENARY_HOLIDAYS_FILE",
		Help:  "a file of the install's own one-off holidays, added to the built-in list (format in docs/working-days.md); read and checked on start.",
		field: field{parse: holidaysFile, show: func(c *Config) string { return c.HolidaysFile }},
	},
	{
		Name: "PLENARY_JOINING_TIME", Default: "09:00",
		Help:  "the local time of day, in each event's zone, that joining instructions and reminders go.",
		field: bind(func(c *Config) *Clock { return &c.JoiningTime }, parseClock, Clock.String),
	},
	{
		Name: "PLENARY_ATTENTION_DIGEST_AT", Default: "",
		Help: "the UK time of day (such as `07:30`) at which, each working day, staff whose role approves bookings or reads invoices " +
			"get an e-mail of what needs attention that they may see (none when there is nothing); empty: no digest.",
		field: bind(func(c *Config) **Clock { return &c.AttentionDigestAt }, optionalClock, func(c *Clock) string {
			if c == nil {
				return ""
			}
			return c.String()
		}),
	},
	{
		Name: "PLENARY_MIN_NOTICE_WORKING_DAYS", Default: "10",
		Help: "a change to a booked date less than this many working days ahead must be confirmed (`plenary import -confirm-late`), " +
			"and participants are told they may cancel free of charge; `0` turns the window off.",
		field: bind(func(c *Config) *int { return &c.MinNoticeWorkingDays }, wholeNumber(0, 60, "working days"), strconv.Itoa),
	},
	{
		Name: "PLENARY_BOOKING_LIMIT", Default: "10",
		Help:  "booking and manage-page form posts allowed per client a minute (also the burst); `0` turns the limit off.",
		field: bind(func(c *Config) *int { return &c.BookingLimit }, wholeNumber(0, 100000, "posts a minute"), strconv.Itoa),
	},
	{
		Name: "PLENARY_TRUSTED_PROXIES",
		Help: "comma-separated addresses or ranges of reverse proxies in front of Plenary (e.g. `127.0.0.1`); " +
			"from them, `X-Forwarded-For` names the client for rate limits. Without it, everyone behind a proxy shares one limit.",
		field: bind(func(c *Config) *[]netip.Prefix { return &c.TrustedProxies }, prefixes, joinPrefixes),
	},
	{
		Name: "PLENARY_PAGE_CACHE_TTL", Default: "2s",
		Help: "how long the catalogue and course pages are served from memory to anonymous visitors; " +
			"changes made through this instance show at once, others within this time. `0` turns the cache off.",
		field: bind(func(c *Config) *time.Duration { return &c.PageCacheTTL }, duration(0, time.Hour, "2s"), time.Duration.String),
	},
	{
		Name: "PLENARY_CONTACT_EMAIL",
		Help: "the course team's address: shown (as a mailto link) in the footer of every page and on `/privacy` as where to ask " +
			"for a copy or erasure, and used as the Reply-To of e-mails unless `PLENARY_MAIL_REPLY_TO` is set. " +
			"Without it the footer shows no address.",
		field: bind(func(c *Config) *Address { return &c.ContactEmail }, address(false), Address.String),
	},
	{
		Name: "PLENARY_ANALYTICS_PROVIDER", Default: "none",
		Help: "a third-party analytics service to use as well as Plenary's own page-view count, for visitors who accept analytics " +
			"cookies only: `plausible`, `umami` or `fathom` (each told the site's ID in the way it documents), or `none`. " +
			"Its script is put on public pages, and its origin allowed in their Content-Security-Policy, only after consent.",
		field: bind(func(c *Config) *string { return &c.AnalyticsProvider }, analyticsProvider, providerWord),
	},
	{
		Name: "PLENARY_ANALYTICS_ID", DefaultDoc: "none (needed with a provider)",
		Help:  "the site's ID at the analytics provider: Plausible's domain, Umami's website ID, Fathom's site ID.",
		field: bind(func(c *Config) *string { return &c.AnalyticsID }, analyticsID, same),
	},
	{
		Name: "PLENARY_ANALYTICS_SCRIPT", DefaultDoc: "the provider's own script, e.g. `https://plausible.io/js/script.js`; none without a provider",
		Help: "the `https://` address of the analytics script, for a self-hosted provider (its origin is the one the CSP allows " +
			"after consent); with provider `none`, a script loaded with no site ID.",
		field: bind(func(c *Config) *string { return &c.AnalyticsScript }, httpsURL, same),
		dflt:  func(c *Config) string { return providerScripts[c.AnalyticsProvider] },
	},
	{
		Name: "PLENARY_ANALYTICS_COOKIES", DefaultDoc: "none",
		Help: "comma-separated names of the cookies the analytics script sets on this site (see its documentation): " +
			"listed on `/cookies`, and deleted when a visitor rejects analytics there or in the banner.",
		field: bind(func(c *Config) *[]string { return &c.AnalyticsCookies }, cookieNames, joinNames),
	},
	{
		Name: "PLENARY_DEV_MAILBOX", Default: "false",
		Help: "`true` keeps every e-mail in the database instead of sending it (status “kept”), for development and demos; " +
			"staff read kept and sent mail alike in the mail log (`/admin/messages`). `serve -demo` turns it on (and logs a warning) " +
			"unless `PLENARY_SMTP_URL` is set; it is refused together with `PLENARY_SMTP_URL`.",
		field: bind(func(c *Config) *bool { return &c.DevMailbox }, boolean, strconv.FormatBool),
	},
	{
		Name: "PLENARY_METRICS_TOKEN", Secret: true,
		DefaultDoc: "none: `/metrics` answers only the machine itself",
		Help: "a secret (16 characters or more) that scrapers send as `Authorization: Bearer TOKEN` to read `/metrics`; " +
			"others get 401. Without it, `/metrics` answers only direct connections from the machine itself with no " +
			"`X-Forwarded-For` or `Forwarded` header (so not through a proxy), and 404 to everyone else.",
		field: bind(func(c *Config) *string { return &c.MetricsToken }, token(16), mask),
	},
	{
		Name: "PLENARY_LIST_SECRET", Secret: true,
		DefaultDoc: "none: lists are off (`serve -demo` keeps a random key in the database)",
		Help: "a secret (32 characters or more) that signs the unsubscribe links of list e-mails (HMAC-SHA256). " +
			"Required for the “hear about new dates” form; the links never expire, so changing it breaks every link already sent.",
		field: bind(func(c *Config) *string { return &c.ListSecret }, token(32), mask),
	},
	{
		Name: "PLENARY_LIST_ANNOUNCE_GRACE", Default: "15m",
		Help: "how long a new date must stay on the site before subscribers are e-mailed about it (1m–24h): a date " +
			"unpublished, cancelled or removed within it is never announced. See [docs/lists.md](docs/lists.md).",
		field: bind(func(c *Config) *time.Duration { return &c.ListAnnounceGrace }, duration(time.Minute, 24*time.Hour, "15m"), time.Duration.String),
	},
	{
		Name: "PLENARY_SESSION_IDLE_TIMEOUT", Default: "30m",
		Help:  "a staff member's session ends after this long without a request (1m–24h); they sign in again.",
		field: bind(func(c *Config) *time.Duration { return &c.SessionIdleTimeout }, duration(time.Minute, 24*time.Hour, "30m"), time.Duration.String),
	},
	{
		Name: "PLENARY_SESSION_MAX_AGE", Default: "12h",
		Help:  "a staff member's session ends this long after signing in, however busy (5m–720h); not shorter than the idle timeout.",
		field: bind(func(c *Config) *time.Duration { return &c.SessionMaxAge }, duration(5*time.Minute, 720*time.Hour, "12h"), time.Duration.String),
	},
	{
		Name:       "PLENARY_TOTP_REQUIRED_ROLES",
		DefaultDoc: "none: one-time codes are each user's choice",
		Help: "comma-separated staff roles (`admin`, `coordinator`, `finance`, `trainer`) that must use one-time codes " +
			"from an authenticator app (TOTP) to sign in; a user of such a role who has not set them up can do nothing else until they have.",
		field: bind(func(c *Config) *[]account.Role { return &c.TOTPRequiredRoles }, roles, joinRoles),
	},
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
