package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plenary/internal/workdays"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "sqlite:plenary.db" || c.TimeZone.String() != "Europe/London" || c.BaseURL != "http://localhost:8080" ||
		c.LogFormat != "json" || c.LogLevel != slog.LevelInfo || !c.Jobs || c.SiteName != "Plenary" {
		t.Fatalf("defaults: got %+v", c)
	}
	if c.MailRescueAfter != time.Minute || c.BookingLimit != 10 || c.PageCacheTTL != 2*time.Second ||
		c.MinNoticeWorkingDays != 10 || c.AccessNeedsRetentionDays != 30 {
		t.Fatalf("defaults: got %+v", c)
	}
	if c, err := Load(env(map[string]string{"PLENARY_DEV": "true"})); err != nil || c.LogFormat != "text" {
		t.Fatalf("PLENARY_DEV: log format %q, %v; want text", c.LogFormat, err)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(env(map[string]string{
		"PLENARY_DATABASE_URL":    "mysql://x",
		"PLENARY_BASE_URL":        "training.example",
		"PLENARY_TIMEZONE":        "Mars/Olympus",
		"PLENARY_DEV":             "perhaps",
		"PLENARY_LOG_LEVEL":       "loud",
		"PLENARY_STAFF_EMAIL":     "a@example.org, not an address, also wrong",
		"PLENARY_TRUSTED_PROXIES": "proxy.internal,10.0.0.0/8,other.internal",
	}))
	if err == nil {
		t.Fatal("no error for a bad configuration")
	}
	for _, want := range []string{"PLENARY_DATABASE_URL", "PLENARY_BASE_URL", "PLENARY_TIMEZONE", "PLENARY_DEV", "PLENARY_LOG_LEVEL",
		`"not an address"`, `"also wrong"`, `"proxy.internal"`, `"other.internal"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestDatabaseURLFromFileIsMasked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(file, []byte("postgres://plenary:hunter2@db.internal/plenary\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"PLENARY_DATABASE_URL_FILE": file}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://plenary:hunter2@db.internal/plenary" {
		t.Fatalf("DatabaseURL: got %q", c.DatabaseURL)
	}
	for _, v := range c.Values() {
		if strings.Contains(v[1], "hunter2") {
			t.Fatalf("Values shows the password: %v", v)
		}
	}
}

func TestMailSettings(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		from     string
		jobs     bool
		smtp     string
		problems []string
	}{
		{"defaults", nil, "Plenary <noreply@localhost>", true, "", nil},
		{"from the base URL and site name", map[string]string{"PLENARY_BASE_URL": "https://training.example:8443", "PLENARY_SITE_NAME": "St. Mary's Training"},
			`"St. Mary's Training" <noreply@training.example>`, true, "", nil},
		{"all set", map[string]string{
			"PLENARY_SMTP_URL":      "smtps://mailer:pw@smtp.example:465",
			"PLENARY_MAIL_FROM":     "Courses <courses@training.example>",
			"PLENARY_MAIL_REPLY_TO": "team@training.example",
			"PLENARY_JOBS":          "off",
		}, "Courses <courses@training.example>", false, "smtps://mailer:pw@smtp.example:465", nil},
		{"STARTTLS required", map[string]string{"PLENARY_SMTP_URL": "smtp://u:p@smtp.example:587?tls=required"},
			"Plenary <noreply@localhost>", true, "smtp://u:p@smtp.example:587?tls=required", nil},
		{"bad values", map[string]string{
			"PLENARY_SMTP_URL":      "smtps://u:p@smtp.example?tls=none",
			"PLENARY_MAIL_FROM":     "not an address",
			"PLENARY_MAIL_REPLY_TO": "team at example",
			"PLENARY_JOBS":          "sometimes",
		}, "", false, "", []string{"PLENARY_SMTP_URL", "PLENARY_MAIL_FROM", "PLENARY_MAIL_REPLY_TO", "PLENARY_JOBS"}},
		{"not SMTP", map[string]string{"PLENARY_SMTP_URL": "http://smtp.example"}, "", false, "", []string{"PLENARY_SMTP_URL"}},
		{"bad port", map[string]string{"PLENARY_SMTP_URL": "smtp://smtp.example:99999"}, "", false, "", []string{"PLENARY_SMTP_URL"}},
		{"unknown option", map[string]string{"PLENARY_SMTP_URL": "smtp://u:p@smtp.example?auth=plain"}, "", false, "", []string{"PLENARY_SMTP_URL", `"auth"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if len(tt.problems) > 0 {
				if err == nil {
					t.Fatal("no error")
				}
				for _, want := range tt.problems {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error does not mention %s: %v", want, err)
					}
				}
				if strings.Contains(err.Error(), ":p@") {
					t.Errorf("error shows the SMTP password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MailFrom.String() != tt.from || c.Jobs != tt.jobs || c.SMTPURL != tt.smtp {
				t.Errorf("got from %q, jobs %v, smtp %q", c.MailFrom, c.Jobs, c.SMTPURL)
			}
		})
	}
}

func TestAddressesAreParsed(t *testing.T) {
	c, err := Load(env(map[string]string{
		"PLENARY_CONTACT_EMAIL": "Course team <courses@training.example>",
		"PLENARY_STAFF_EMAIL":   "ann@training.example, Bob <bob@training.example>",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ContactEmail.Addr != "courses@training.example" || c.ContactEmail.String() != "Course team <courses@training.example>" {
		t.Errorf("contact: got %+v", c.ContactEmail)
	}
	if got := Strings(c.StaffEmail); len(got) != 2 || got[1] != "Bob <bob@training.example>" || c.StaffEmail[1].Addr != "bob@training.example" {
		t.Errorf("staff: got %+v", c.StaffEmail)
	}
	if c.ReplyTo() != c.ContactEmail {
		t.Errorf("Reply-To without PLENARY_MAIL_REPLY_TO: got %v, want the contact address", c.ReplyTo())
	}
	if c, _ := Load(env(nil)); !c.ReplyTo().IsZero() {
		t.Errorf("Reply-To with neither set: got %v", c.ReplyTo())
	}
}

func TestSMTPURLFromFileIsMasked(t *testing.T) {
	file := filepath.Join(t.TempDir(), "smtp")
	if err := os.WriteFile(file, []byte("smtps://mailer:hunter2@smtp.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"PLENARY_SMTP_URL_FILE": file}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != "smtps://mailer:hunter2@smtp.example" {
		t.Fatalf("SMTPURL: got %q", c.SMTPURL)
	}
	found := false
	for _, v := range c.Values() {
		if strings.Contains(v[1], "hunter2") {
			t.Fatalf("Values shows the password: %v", v)
		}
		found = found || v[0] == "PLENARY_SMTP_URL" && v[1] == "smtps://mailer:xxxxx@smtp.example"
	}
	if !found {
		t.Error("Values has no masked PLENARY_SMTP_URL")
	}
	_, err = Load(env(map[string]string{"PLENARY_SMTP_URL_FILE": file, "PLENARY_SMTP_URL": "smtp://x"}))
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both set: %v", err)
	}
}

// TestEverySecretIsMasked sets each secret setting to a value holding a
// password and checks `plenary config` never shows it. A new secret
// setting fails here until it is given an example.
func TestEverySecretIsMasked(t *testing.T) {
	examples := map[string]string{
		"PLENARY_DATABASE_URL":  "postgres://plenary:hunter2hunter2@db.internal/plenary",
		"PLENARY_SMTP_URL":      "smtps://mailer:hunter2hunter2@smtp.example",
		"PLENARY_METRICS_TOKEN": "hunter2hunter2hunter2",
		"PLENARY_LIST_SECRET":   "hunter2hunter2hunter2hunter2hunter2",
	}
	for _, s := range settings {
		if !s.Secret {
			continue
		}
		v, ok := examples[s.Name]
		if !ok {
			t.Errorf("%s is secret but has no example here", s.Name)
			continue
		}
		c, err := Load(env(map[string]string{s.Name: v}))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		for _, v := range c.Values() {
			if strings.Contains(v[1], "hunter2") {
				t.Errorf("%s: Values shows the secret: %v", s.Name, v)
			}
		}
	}
}

// TestSettingsDeclaredOnce checks the table: every setting is named,
// documented and parseable, its default loads, and what `plenary config`
// shows for it, set again, loads to the same value, so Values and Load
// can never disagree.
func TestSettingsDeclaredOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings {
		if !strings.HasPrefix(s.Name, "PLENARY_") || seen[s.Name] || s.Help == "" || s.parse == nil || s.show == nil {
			t.Errorf("setting %+v: want a unique PLENARY_ name, help, a parser and a show", s.Name)
		}
		seen[s.Name] = true
	}
	holidays := filepath.Join(t.TempDir(), "holidays.txt")
	if err := os.WriteFile(holidays, []byte("2031-01-02 scotland Extra day\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	set := map[string]string{
		"PLENARY_BASE_URL": "https://training.example", "PLENARY_TIMEZONE": "Europe/Dublin", "PLENARY_SITE_NAME": "St. Mary's",
		"PLENARY_DEV": "true", "PLENARY_AUTO_MIGRATE": "true", "PLENARY_LOG_FORMAT": "json", "PLENARY_LOG_LEVEL": "warn",
		"PLENARY_MAIL_FROM": "Courses <courses@training.example>", "PLENARY_MAIL_REPLY_TO": "team@training.example",
		"PLENARY_STAFF_EMAIL": "a@training.example,B <b@training.example>", "PLENARY_JOBS": "off",
		"PLENARY_MAIL_RESCUE_AFTER": "90s", "PLENARY_ACCESS_NEEDS_RETENTION_DAYS": "0", "PLENARY_REGION": "scotland",
		"PLENARY_HOLIDAYS_FILE": holidays, "PLENARY_JOINING_TIME": "08:30", "PLENARY_MIN_NOTICE_WORKING_DAYS": "0",
		"PLENARY_BOOKING_LIMIT": "0", "PLENARY_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8", "PLENARY_PAGE_CACHE_TTL": "0",
		"PLENARY_CONTACT_EMAIL": "courses@training.example",
	}
	for _, vars := range []map[string]string{nil, set} {
		c, err := Load(env(vars))
		if err != nil {
			t.Fatal(err)
		}
		values := c.Values()
		if len(values) != len(settings) {
			t.Fatalf("%d values, %d settings", len(values), len(settings))
		}
		again := map[string]string{}
		for i, v := range values {
			if v[0] != settings[i].Name {
				t.Errorf("value %d is %s, setting %d is %s", i, v[0], i, settings[i].Name)
			}
			if !settings[i].Secret {
				again[v[0]] = v[1]
			}
		}
		c2, err := Load(env(again))
		if err != nil {
			t.Fatalf("loading what Values shows: %v", err)
		}
		for i, v := range c2.Values() {
			if v != values[i] {
				t.Errorf("%s: shown %q, loaded again %q", v[0], values[i][1], v[1])
			}
		}
	}
}

// TestZeroTurnsOff pins the settings whose 0 means off: the typed value
// is 0 and nothing else; the services take 0 as off (see cmd/plenary's
// TestZeroSettingsTurnThingsOff for the whole way).
func TestZeroTurnsOff(t *testing.T) {
	c, err := Load(env(map[string]string{"PLENARY_BOOKING_LIMIT": "0", "PLENARY_PAGE_CACHE_TTL": "0",
		"PLENARY_MIN_NOTICE_WORKING_DAYS": "0", "PLENARY_ACCESS_NEEDS_RETENTION_DAYS": "0"}))
	if err != nil || c.BookingLimit != 0 || c.PageCacheTTL != 0 || c.MinNoticeWorkingDays != 0 || c.AccessNeedsRetentionDays != 0 {
		t.Fatalf("got %+v, %v", c, err)
	}
	_, err = Load(env(map[string]string{"PLENARY_MAIL_RESCUE_AFTER": "0"}))
	if err == nil || !strings.Contains(err.Error(), "PLENARY_MAIL_RESCUE_AFTER") {
		t.Errorf("PLENARY_MAIL_RESCUE_AFTER=0: got %v, want it refused (it has no off)", err)
	}
}

func TestRetentionAndPageCache(t *testing.T) {
	c, err := Load(env(map[string]string{"PLENARY_ACCESS_NEEDS_RETENTION_DAYS": "60", "PLENARY_PAGE_CACHE_TTL": "500ms"}))
	if err != nil || c.AccessNeedsRetentionDays != 60 || c.PageCacheTTL != 500*time.Millisecond {
		t.Fatalf("got %d, %v, %v", c.AccessNeedsRetentionDays, c.PageCacheTTL, err)
	}
	_, err = Load(env(map[string]string{"PLENARY_ACCESS_NEEDS_RETENTION_DAYS": "a month", "PLENARY_PAGE_CACHE_TTL": "-1s"}))
	if err == nil || !strings.Contains(err.Error(), "PLENARY_ACCESS_NEEDS_RETENTION_DAYS") || !strings.Contains(err.Error(), "PLENARY_PAGE_CACHE_TTL") {
		t.Fatalf("bad values: got %v", err)
	}
}

func TestBookingLimitAndProxies(t *testing.T) {
	c, err := Load(env(map[string]string{"PLENARY_BOOKING_LIMIT": "3", "PLENARY_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BookingLimit != 3 || len(c.TrustedProxies) != 3 || c.TrustedProxies[0].String() != "127.0.0.1/32" || c.TrustedProxies[2].String() != "::1/128" {
		t.Fatalf("got limit %d, proxies %v", c.BookingLimit, c.TrustedProxies)
	}
	if c, _ := Load(env(nil)); len(c.TrustedProxies) != 0 {
		t.Fatalf("defaults: got %v", c.TrustedProxies)
	}
	_, err = Load(env(map[string]string{"PLENARY_BOOKING_LIMIT": "-1", "PLENARY_TRUSTED_PROXIES": "proxy.internal"}))
	if err == nil || !strings.Contains(err.Error(), "PLENARY_BOOKING_LIMIT") || !strings.Contains(err.Error(), "PLENARY_TRUSTED_PROXIES") {
		t.Fatalf("bad values: got %v", err)
	}
}

func TestWorkingDaySettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.Region != workdays.EnglandWales || c.JoiningTime != (Clock{Minutes: 9 * 60}) || c.HolidaysFile != "" || c.Holidays != nil {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	file := filepath.Join(t.TempDir(), "holidays.txt")
	if err := os.WriteFile(file, []byte("# ours\n2031-01-02 scotland Extra day\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(env(map[string]string{"PLENARY_REGION": "Scotland", "PLENARY_JOINING_TIME": "08:30",
		"PLENARY_MIN_NOTICE_WORKING_DAYS": "5", "PLENARY_HOLIDAYS_FILE": file}))
	if err != nil || c.Region != workdays.Scotland || c.JoiningTime.String() != "08:30" || c.JoiningTime.Minutes != 510 || c.MinNoticeWorkingDays != 5 {
		t.Fatalf("set: %+v, %v", c, err)
	}
	if len(c.Holidays) != 1 || c.Holidays[0].Name != "Extra day" {
		t.Fatalf("holidays: got %+v", c.Holidays)
	}
	_, err = Load(env(map[string]string{"PLENARY_REGION": "wales", "PLENARY_JOINING_TIME": "9am",
		"PLENARY_MIN_NOTICE_WORKING_DAYS": "ten", "PLENARY_HOLIDAYS_FILE": "/no/such/file"}))
	for _, want := range []string{"PLENARY_REGION", "PLENARY_JOINING_TIME", "PLENARY_MIN_NOTICE_WORKING_DAYS", "PLENARY_HOLIDAYS_FILE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad settings: %v does not mention %s", err, want)
		}
	}
	if err := os.WriteFile(file, []byte("2031-13-02 scotland Not a day\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(env(map[string]string{"PLENARY_HOLIDAYS_FILE": file}))
	if err == nil || !strings.Contains(err.Error(), "PLENARY_HOLIDAYS_FILE") || !strings.Contains(err.Error(), "holidays.txt:1") {
		t.Errorf("bad holidays file: got %v, want the setting and the file's line named", err)
	}
}

func TestClock(t *testing.T) {
	for _, s := range []string{"9:00", "09:60", "24:00", "0900", "09:0a", " 9:00", "+9:00"} {
		if _, err := parseClock(s); err == nil {
			t.Errorf("%q: no error", s)
		}
	}
	for _, s := range []string{"00:00", "09:05", "23:59"} {
		if c, err := parseClock(s); err != nil || c.String() != s {
			t.Errorf("%q: got %v, %v", s, c, err)
		}
	}
}

func TestIsSet(t *testing.T) {
	c, err := Load(env(map[string]string{"PLENARY_BASE_URL": "https://training.example/", "PLENARY_SITE_NAME": "  "}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsSet("PLENARY_BASE_URL") || c.BaseURL != "https://training.example" {
		t.Errorf("PLENARY_BASE_URL: set %v, %q", c.IsSet("PLENARY_BASE_URL"), c.BaseURL)
	}
	if c.IsSet("PLENARY_SITE_NAME") || c.IsSet("PLENARY_TIMEZONE") {
		t.Error("a blank or missing variable counts as set")
	}
}

// TestWithBaseURL: the recorded site address replaces the process's own,
// and the default From address follows it; one that was set is kept.
func TestWithBaseURL(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := Load(env(map[string]string{"PLENARY_SITE_NAME": "North Training"}))
	if err != nil {
		t.Fatal(err)
	}
	got := c.WithBaseURL("https://training.example.org")
	if got.BaseURL != "https://training.example.org" || got.MailFrom.Addr != "noreply@training.example.org" {
		t.Errorf("default From: base %q, from %q; want noreply@training.example.org", got.BaseURL, got.MailFrom.Text)
	}
	c, err = Load(env(map[string]string{"PLENARY_MAIL_FROM": "Courses <courses@training.example>"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.WithBaseURL("https://training.example.org"); got.MailFrom.Addr != "courses@training.example" {
		t.Errorf("a From that was set changed to %q", got.MailFrom.Text)
	}
}

// TestAnalyticsSettings: no third-party analytics by default; a provider
// brings its script and needs an ID; a self-hosted script replaces it;
// cookie names are checked; the cross-checks are reported.
func TestAnalyticsSettings(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := Load(env())
	if err != nil || c.AnalyticsProvider != "" || c.AnalyticsScript != "" || c.AnalyticsCookies != nil {
		t.Fatalf("default: %q %q %q, %v", c.AnalyticsProvider, c.AnalyticsScript, c.AnalyticsCookies, err)
	}
	c, err = Load(env("PLENARY_ANALYTICS_PROVIDER", "Plausible", "PLENARY_ANALYTICS_ID", "training.example.org",
		"PLENARY_ANALYTICS_COOKIES", " _a , _b"))
	if err != nil || c.AnalyticsProvider != "plausible" || c.AnalyticsScript != "https://plausible.io/js/script.js" ||
		c.AnalyticsID != "training.example.org" || strings.Join(c.AnalyticsCookies, "|") != "_a|_b" {
		t.Fatalf("plausible: %q %q %q %q, %v", c.AnalyticsProvider, c.AnalyticsScript, c.AnalyticsID, c.AnalyticsCookies, err)
	}
	c, err = Load(env("PLENARY_ANALYTICS_PROVIDER", "umami", "PLENARY_ANALYTICS_ID", "94db1cb1",
		"PLENARY_ANALYTICS_SCRIPT", "https://stats.example.org/script.js"))
	if err != nil || c.AnalyticsScript != "https://stats.example.org/script.js" {
		t.Fatalf("self-hosted: %q, %v", c.AnalyticsScript, err)
	}
	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"PLENARY_ANALYTICS_PROVIDER", "google"}, "PLENARY_ANALYTICS_PROVIDER"},
		{[]string{"PLENARY_ANALYTICS_PROVIDER", "fathom"}, "PLENARY_ANALYTICS_ID: needed"},
		{[]string{"PLENARY_ANALYTICS_ID", "x"}, "PLENARY_ANALYTICS_PROVIDER is none"},
		{[]string{"PLENARY_ANALYTICS_SCRIPT", "http://stats.example.org/a.js"}, "PLENARY_ANALYTICS_SCRIPT"},
		{[]string{"PLENARY_ANALYTICS_PROVIDER", "fathom", "PLENARY_ANALYTICS_ID", `"><script>`}, "PLENARY_ANALYTICS_ID"},
		{[]string{"PLENARY_ANALYTICS_SCRIPT", "https://s.example.org/a.js", "PLENARY_ANALYTICS_COOKIES", "a b"}, "PLENARY_ANALYTICS_COOKIES"},
		{[]string{"PLENARY_ANALYTICS_COOKIES", "_a"}, "no analytics script"},
	} {
		if _, err := Load(env(tt.env...)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want an error with %q", tt.env, err, tt.want)
		}
	}
}

// TestListUnconfirmedDays: 30 by default, a number of days from 7 (the
// confirmation link's lifetime), and a clear refusal of less: a request
// must live as long as its link works.
func TestListUnconfirmedDays(t *testing.T) {
	c, err := Load(env(map[string]string{}))
	if err != nil || c.ListUnconfirmedDays != 30 {
		t.Fatalf("default: %d, %v", c.ListUnconfirmedDays, err)
	}
	if c, err = Load(env(map[string]string{"PLENARY_LIST_UNCONFIRMED_DAYS": "7"})); err != nil || c.ListUnconfirmedDays != 7 {
		t.Fatalf("7: %d, %v", c.ListUnconfirmedDays, err)
	}
	for _, v := range []string{"0", "1", "6"} {
		_, err = Load(env(map[string]string{"PLENARY_LIST_UNCONFIRMED_DAYS": v}))
		if err == nil || !strings.Contains(err.Error(), "PLENARY_LIST_UNCONFIRMED_DAYS") ||
			!strings.Contains(err.Error(), "at least as long as its confirmation link works (7 days)") {
			t.Fatalf("%s accepted or unclear: %v", v, err)
		}
	}
}
