package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"time"

	"plenary/internal/account"
	"plenary/internal/workdays"
)

// Config is the whole configuration of one Plenary process, parsed once
// into typed values. Each field is one setting of the table in
// settings.go, which says its variable, default and meaning; zero values
// mean what the setting says zero means ("0 turns it off"), and the
// services take them with that meaning, so nothing translates them.
type Config struct {
	DatabaseURL string         // PLENARY_DATABASE_URL
	BaseURL     string         // PLENARY_BASE_URL, without a trailing slash
	TimeZone    *time.Location // PLENARY_TIMEZONE, loaded once
	SiteName    string         // PLENARY_SITE_NAME
	Dev         bool           // PLENARY_DEV
	AutoMigrate bool           // PLENARY_AUTO_MIGRATE
	LogFormat   string         // PLENARY_LOG_FORMAT: "json" or "text"
	LogLevel    slog.Level     // PLENARY_LOG_LEVEL
	// SMTPURL is PLENARY_SMTP_URL, checked by messaging.ParseSMTPURL;
	// empty keeps mail in the dev mailbox.
	SMTPURL     string
	MailFrom    Address // PLENARY_MAIL_FROM
	MailReplyTo Address // PLENARY_MAIL_REPLY_TO; zero: none
	// StaffEmail is PLENARY_STAFF_EMAIL: the addresses told when a
	// booking starts waiting for review. May be empty.
	StaffEmail []Address
	Jobs       bool // PLENARY_JOBS: run the job queue in this process
	// MailRescueAfter is PLENARY_MAIL_RESCUE_AFTER, 10s to 1h.
	MailRescueAfter time.Duration
	// AccessNeedsRetentionDays is PLENARY_ACCESS_NEEDS_RETENTION_DAYS: 0
	// erases access needs as soon as the event is over.
	AccessNeedsRetentionDays int
	// MessageBodyRetentionDays is PLENARY_MESSAGE_BODY_RETENTION_DAYS: 0
	// keeps e-mail bodies.
	MessageBodyRetentionDays int
	// PageViewRetentionDays is PLENARY_PAGE_VIEW_RETENTION_DAYS: 0 keeps
	// page views.
	PageViewRetentionDays int
	// ListUnconfirmedDays is PLENARY_LIST_UNCONFIRMED_DAYS (7 or more):
	// how long a subscription never confirmed is kept.
	ListUnconfirmedDays int
	Region              workdays.Region // PLENARY_REGION
	// HolidaysFile is PLENARY_HOLIDAYS_FILE, and Holidays what it says,
	// read and checked by Load.
	HolidaysFile string
	Holidays     []workdays.Override
	JoiningTime  Clock // PLENARY_JOINING_TIME
	// AttentionDigestAt is PLENARY_ATTENTION_DIGEST_AT, the UK time the
	// daily digest of what needs attention goes; nil: no digest.
	AttentionDigestAt *Clock
	// MinNoticeWorkingDays is PLENARY_MIN_NOTICE_WORKING_DAYS; 0: no
	// minimum-notice window.
	MinNoticeWorkingDays int
	// BookingLimit is PLENARY_BOOKING_LIMIT, form posts a minute per
	// client; 0: no limit.
	BookingLimit   int
	TrustedProxies []netip.Prefix // PLENARY_TRUSTED_PROXIES
	// PageCacheTTL is PLENARY_PAGE_CACHE_TTL; 0: no page cache.
	PageCacheTTL time.Duration
	ContactEmail Address // PLENARY_CONTACT_EMAIL; zero: none
	// AnalyticsProvider ("" for none, "plausible", "umami", "fathom"),
	// AnalyticsID, AnalyticsScript ("" for none: the provider's script
	// by default) and AnalyticsCookies are PLENARY_ANALYTICS_*: the
	// third-party analytics loaded after consent.
	AnalyticsProvider string
	AnalyticsID       string
	AnalyticsScript   string
	AnalyticsCookies  []string
	DevMailbox        bool // PLENARY_DEV_MAILBOX
	// MetricsToken is PLENARY_METRICS_TOKEN; empty: /metrics answers
	// only the machine itself.
	MetricsToken string
	// ListSecret is PLENARY_LIST_SECRET, which signs unsubscribe links;
	// empty: lists are off (serve -demo keeps a key in the database).
	ListSecret string
	// ListAnnounceGrace is PLENARY_LIST_ANNOUNCE_GRACE, 1m to 24h: how
	// long a new date stays on the site before subscribers are told.
	ListAnnounceGrace time.Duration
	// SessionIdleTimeout is PLENARY_SESSION_IDLE_TIMEOUT and
	// SessionMaxAge PLENARY_SESSION_MAX_AGE: how long a staff session
	// lives unused, and at most.
	SessionIdleTimeout time.Duration
	SessionMaxAge      time.Duration
	// TOTPRequiredRoles is PLENARY_TOTP_REQUIRED_ROLES: the staff roles
	// that must use one-time codes. May be empty.
	TOTPRequiredRoles []account.Role

	// ProviderName is PLENARY_PROVIDER_NAME: the training provider as CPD
	// certificates print it (the site name unless set).
	ProviderName string

	// set holds the names of the settings given in the environment (not
	// left to their default).
	set map[string]bool
}

// Load reads every setting through getenv (os.Getenv in main, a map in
// tests), parses each into its field and reports every problem at once,
// each naming its variable. A secret setting may instead be read from the
// file named by its _FILE variable.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	for _, s := range settings {
		v, err := s.lookup(getenv)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v != "" {
			if c.set == nil {
				c.set = map[string]bool{}
			}
			c.set[s.Name] = true
		} else {
			v = s.Default
			if s.dflt != nil {
				v = s.dflt(&c)
			}
		}
		if err := s.parse(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
		}
	}
	if c.DevMailbox && c.SMTPURL != "" {
		errs = append(errs, errors.New("PLENARY_DEV_MAILBOX: the dev mailbox cannot be on when PLENARY_SMTP_URL is set (it would show real people's e-mails)"))
	}
	if c.SessionIdleTimeout > c.SessionMaxAge && c.SessionMaxAge > 0 {
		errs = append(errs, fmt.Errorf("PLENARY_SESSION_IDLE_TIMEOUT (%v) is longer than PLENARY_SESSION_MAX_AGE (%v)",
			c.SessionIdleTimeout, c.SessionMaxAge))
	}
	if c.AnalyticsProvider != "" && c.AnalyticsID == "" {
		errs = append(errs, fmt.Errorf("PLENARY_ANALYTICS_ID: needed with PLENARY_ANALYTICS_PROVIDER=%s", c.AnalyticsProvider))
	}
	if c.AnalyticsProvider == "" && c.AnalyticsID != "" {
		errs = append(errs, errors.New("PLENARY_ANALYTICS_ID: set, but PLENARY_ANALYTICS_PROVIDER is none"))
	}
	if c.AnalyticsScript == "" && len(c.AnalyticsCookies) > 0 {
		errs = append(errs, errors.New("PLENARY_ANALYTICS_COOKIES: set, but there is no analytics script"))
	}
	return c, errors.Join(errs...)
}

// lookup returns the setting's value as set, trimmed: from the variable,
// or for a secret from the file its _FILE variable names. "" means unset.
func (s Setting) lookup(getenv func(string) string) (string, error) {
	v := strings.TrimSpace(getenv(s.Name))
	if !s.Secret {
		return v, nil
	}
	file := getenv(s.Name + "_FILE")
	if file == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("%s and %s_FILE are both set: use one", s.Name, s.Name)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", s.Name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// IsSet reports whether the setting called name was given (in the
// environment or its _FILE), rather than left to its default.
func (c Config) IsSet(name string) bool { return c.set[name] }

// ReplyTo is the Reply-To address of e-mails: PLENARY_MAIL_REPLY_TO, or
// else the contact address; zero when neither is set.
func (c Config) ReplyTo() Address {
	if !c.MailReplyTo.IsZero() {
		return c.MailReplyTo
	}
	return c.ContactEmail
}

// Values returns each setting's effective value, secrets masked, in the
// order of the table, for `plenary config`.
func (c Config) Values() [][2]string {
	out := make([][2]string, len(settings))
	for i, s := range settings {
		out[i] = [2]string{s.Name, s.show(&c)}
	}
	return out
}

// WithBaseURL is c with the site's address replaced by base (the address
// `plenary serve` recorded in the database, which every process uses for
// its links), and the default From address — unless PLENARY_MAIL_FROM
// names one — derived from it, as Load derives it from PLENARY_BASE_URL.
// So a worker or a command run without the server's environment writes
// the same From address, and calendar ORGANIZER, as serve.
func (c Config) WithBaseURL(base string) Config {
	c.BaseURL = base
	if !c.IsSet("PLENARY_MAIL_FROM") {
		if a, err := ParseAddress(defaultMailFrom(c.SiteName, base)); err == nil {
			c.MailFrom = a
		}
	}
	return c
}
