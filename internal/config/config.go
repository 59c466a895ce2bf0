package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
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
	if file := getenv("PLENARY_DATABASE_URL_FILE"); file != "" {
		if c.DatabaseURL != "" {
			errs = append(errs, errors.New("PLENARY_DATABASE_URL and PLENARY_DATABASE_URL_FILE are both set: use one"))
		}
		b, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("PLENARY_DATABASE_URL_FILE: %w", err))
		}
		c.DatabaseURL = strings.TrimSpace(string(b))
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
	return errors.Join(errs...)
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
	}
}

// maskURL hides a password in a database URL.
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
